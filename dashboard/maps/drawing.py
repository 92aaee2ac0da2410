"""What a map layer is: its name, label, how it is drawn, its legend, and where it stacks.

Each layer module (events, places, zones, routes) ends with its :class:`MapLayer`; the
registry in :mod:`dashboard.maps.layers` lists them, and everything that names the map's
layers (the sidebar, links, snapshots, the CLI) asks the registry.  A layer's ``draw`` is a
pure function: the filtered :class:`~geo.dataset.Dataset` and a :class:`DrawContext` in, a
:class:`Drawn` (a ``folium.FeatureGroup``, and what it showed) out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import pandas as pd

from dashboard.maps.palette import Palette
from dashboard.views import (  # noqa: F401 (re-exported)
    COUNTED_IN,
    DEFAULT_DRAWING,
    EVENT_DRAWINGS,
    MAX_MARKERS,
)
from geo.dataset import Dataset
from geo.grid import HexagonIndex

#: A layer's name goes into links (``layers=a,b``) and session keys: lower case, no commas.
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Aggregation:
    """How events were drawn: counted in ``cells`` cells (each a ``cell``), or one by one.

    ``cell``: the cells' shape and size in words (:func:`geo.grid.cell_words`).
    """

    events: int
    cells: int = 0
    cell: str = ""
    #: Events drawn as WebGL points (0: none; they are markers, or counted).
    points: int = 0

    @property
    def aggregated(self) -> bool:
        """True when the layer shows counts per cell."""
        return self.cells > 0

    def describe(self) -> str:
        """A sentence for the page and the caption."""
        if self.points:
            return f"{self.points:,} events drawn as points (click one for its details)."
        if not self.aggregated:
            return f"{self.events:,} events shown one by one."
        return (
            f"{self.events:,} events in view, counted per {self.cell} "
            f"({self.cells:,} of them; zoom in to see single events when fewer than "
            f"{MAX_MARKERS:,} are in view)."
        )


@dataclass(frozen=True)
class DrawContext:
    """What every layer is drawn with, beside the filtered data.

    ``as_of``: the day zones and routes are shown for (None: every day).  ``view``: the
    map's visible bounds, Leaflet's ``[[south, west], [north, east]]`` (None: unknown).
    ``narrowed``: a filter on actors or types is on.  ``count_in``: the cell shape the user
    asked to count events in (:data:`geo.grid.CELL_SHAPES`) when too many are in view for
    markers; None draws a point per event.  ``hexagons``: the whole table's
    :class:`~geo.grid.HexagonIndex`, kept by the app so a count per hexagon need not ask
    H3 again (None: asked each time).
    ``details``: registers the events drawn as points, and their columns' binary body, with
    the server, and returns the URLs the browser fetches them from, ``{"columns": ...,
    "details": ...}`` (:mod:`dashboard.event_details`; None: no server, as in an export).
    """

    palette: Palette
    as_of: pd.Timestamp | None = None
    view: list[list[float]] | None = None
    narrowed: bool = False
    count_in: str | None = None
    hexagons: HexagonIndex | None = None
    details: Callable[[gpd.GeoDataFrame, bytes], dict[str, str]] | None = None


@dataclass(frozen=True)
class Drawn:
    """One layer as drawn: its feature group, and what the legend should know of it."""

    group: folium.FeatureGroup
    #: The dataset's tables as the layer drew them, where it drew fewer rows than it was
    #: given (the events in view): the legend lists only what these hold.
    shown: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    #: How the events were drawn (one by one, or counted per cell): the events layer's.
    aggregation: Aggregation | None = None


@dataclass(frozen=True)
class MapLayer:
    """A layer the map can draw, and the user can switch on and off.

    ``name`` is what links, session keys and ``atlas snapshot --layers`` say; ``label`` what
    the sidebar's checkbox and the layer control say.  ``draw(data, context)`` returns the
    layer as :class:`Drawn`; ``legend(palette, shown, counts)`` its legend entries as
    escaped HTML ("" for none), where ``shown`` is the data on the map (None: the whole
    palette) and ``counts`` says the events are counted per cell.  ``draw_order``: layers
    with a higher one are drawn above; ``legend_order``: their entries come lower in the
    legend.
    """

    name: str
    label: str
    draw: Callable[[Dataset, DrawContext], Drawn]
    legend: Callable[[Palette, Dataset | None, bool], str]
    draw_order: int
    legend_order: int

    def __post_init__(self):
        if not _NAME.match(str(self.name)):
            raise ValueError(f"a map layer's name is lower case, with no commas: {self.name!r}")
        object.__setattr__(self, "name", str(self.name))  # a plain str, even from a Layer


class LayerRegistry:
    """The map's layers, in the order the sidebar and links list them."""

    def __init__(self):
        self._layers: dict[str, MapLayer] = {}

    def register(self, layer: MapLayer) -> MapLayer:
        """Add a layer at the end of the list (refused if its name is taken)."""
        if layer.name in self._layers:
            raise ValueError(f"a map layer named {layer.name!r} is registered already")
        self._layers[layer.name] = layer
        return layer

    def __iter__(self) -> Iterator[MapLayer]:
        return iter(tuple(self._layers.values()))

    def __len__(self) -> int:
        return len(self._layers)

    def __contains__(self, name: object) -> bool:
        return name in self._layers

    def names(self) -> tuple[str, ...]:
        """Every layer's name, in list order."""
        return tuple(self._layers)

    def labels(self) -> dict[str, str]:
        """Every layer's label by its name, in list order."""
        return {layer.name: layer.label for layer in self}

    def chosen(self, names: Iterable[str]) -> list[MapLayer]:
        """The layers of these names, in list order; ValueError for a name not registered."""
        wanted = {str(name) for name in names}
        unknown = sorted(wanted - set(self._layers))
        if unknown:
            raise ValueError(
                f"unknown map layer(s) {', '.join(map(repr, unknown))} "
                f"(one of: {', '.join(self._layers)})"
            )
        return [layer for layer in self if layer.name in wanted]
