"""The map's own colours: the dataset's palette, the basemap's land, sea and outline styles.

The palette is fixed for a session (a name keeps its colour from load to load).  The
outline styles are the one source for every way the outlines are drawn: inline as GeoJSON
(:mod:`dashboard.maps.base`), fetched by the browser from a URL (ditto) and filled in by the
tile-failure notice's button (:mod:`dashboard.maps.notices`); the browser-side ones
receive them as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dashboard.styles import CONTROLLER_COLOURS, DATASET_OUTLINES, EVENT_TYPE_COLOURS, colour_map
from geo.dataset import Dataset
from geo.schema import Column

SEA = "#dce9f2"
LAND = "#f6f4ef"


def outline_styles(*, filled: bool) -> dict[str, dict[str, Any]]:
    """Leaflet path styles of the basemap outlines: ``country``, and ``region`` for the rest.

    ``filled``: countries are filled with the land colour (the offline basemap, where no
    tiles lie beneath them).

    >>> outline_styles(filled=True)["country"]["fillOpacity"]
    1
    """
    return {
        "country": {
            "color": "#8a8a8a",
            "weight": 1,
            "fillColor": LAND,
            "fillOpacity": 1 if filled else 0,
        },
        "region": {"color": "#b5b5b5", "weight": 0.7, "dashArray": "3 3", "fillOpacity": 0},
    }


def outline_style(kind: Any, *, filled: bool) -> dict[str, Any]:
    """The style of one outline of the basemap's ``kind`` (country, governorate, ...)."""
    styles = outline_styles(filled=filled)
    return styles["country"] if kind == "country" else styles["region"]


@dataclass(frozen=True)
class Palette:
    """The colours of one dataset, fixed for the session so the legend never reshuffles."""

    event_types: dict[str, str] = field(default_factory=dict)
    controllers: dict[str, str] = field(default_factory=dict)
    #: Marker outlines per dataset, when several datasets are open together.
    datasets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_dataset(cls, dataset: Dataset, *, kept: Palette | None = None) -> Palette:
        """Colours for every event type and zone controller of the (unfiltered) dataset.

        ``kept``: the palette of an earlier load, whose colours the same names keep.
        """
        names = (
            list(dataset.events[Column.DATASET].cat.categories)
            if Column.DATASET in dataset.events
            else []
        )
        return cls(
            datasets={
                name: DATASET_OUTLINES[i % len(DATASET_OUTLINES)] for i, name in enumerate(names)
            },
            event_types=colour_map(
                sorted(dataset.events[Column.EVENT_TYPE].dropna().unique()),
                EVENT_TYPE_COLOURS,
                kept=kept.event_types if kept else None,
            ),
            controllers=colour_map(
                sorted(dataset.zones[Column.CONTROLLER].dropna().unique()),
                CONTROLLER_COLOURS,
                kept=kept.controllers if kept else None,
            ),
        )
