"""What a snapshot draws: :class:`SnapshotRequest`, its page size, and the software's name."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pandas as pd

from dashboard.maps import MAP_LAYERS
from dashboard.settings import CSS_PX_PER_MM, DEFAULT_SNAPSHOT_SIZE, SNAPSHOT_PRESETS
from geo.dataset import Dataset
from geo.filters import Filters
from geo.narrative import Annotation

DEFAULT_SIZE = DEFAULT_SNAPSHOT_SIZE


def software() -> str:
    """``conflict-atlas <version>``."""
    try:
        return f"conflict-atlas {version('conflict-atlas')}"
    except PackageNotFoundError:
        return "conflict-atlas"


@dataclass(frozen=True)
class SnapshotRequest:
    """What to draw: the dataset, the filters, the extent and how it looks.

    ``bounds`` is Leaflet's ``[[south, west], [north, east]]`` (WGS 84 degrees); ``link``
    the shareable URL (or query string) that reproduces the view in the app.  ``width`` and
    ``height`` are CSS pixels, ``scale`` the PNG's pixel density; ``paper_mm`` (width,
    height) is the sheet a PDF or SVG is printed on (None: the page's own size at 96 CSS
    pixels per inch).  ``provenance_footer`` adds the full provenance in small print under
    the credit line (it is in the file's metadata either way).  ``highlight`` (event ids)
    and ``annotations`` are a story step's rings and notes, drawn over the data.
    ``count_in``: more events in view than markers suit are counted per cell of this shape
    (:data:`geo.grid.CELL_SHAPES`), not drawn as points (None).
    """

    dataset: Dataset
    filters: Filters
    bounds: list[list[float]]
    layers: Sequence[str] = field(default_factory=MAP_LAYERS.names)
    tiles: str = "offline"
    link: str = ""
    title: str = ""
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    scale: float = 1.0
    state: dict[str, Any] = field(default_factory=dict)
    paper_mm: tuple[float, float] | None = None
    dpi: int | None = None
    provenance_footer: bool = False
    highlight: tuple[str, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    count_in: str | None = None

    def with_as_of(self, day: dt.date) -> SnapshotRequest:
        """The same snapshot on another as-of day (for series)."""
        filters = replace(self.filters, as_of=pd.Timestamp(day))
        link = re.sub(r"as_of=\d{4}-\d{2}-\d{2}", f"as_of={day:%Y-%m-%d}", self.link)
        state = {**self.state, "as_of": f"{day:%Y-%m-%d}"} if self.state else {}
        return replace(self, filters=filters, link=link, state=state)

    def with_preset(self, name: str) -> SnapshotRequest:
        """The same snapshot at a named size (:data:`dashboard.settings.SNAPSHOT_PRESETS`).

        Raises
        ------
        ValueError
            For a name that is no preset.
        """
        if name not in SNAPSHOT_PRESETS:
            raise ValueError(
                f"no snapshot preset {name!r}: expected one of {', '.join(SNAPSHOT_PRESETS)}"
            )
        preset = SNAPSHOT_PRESETS[name]
        width, height, scale = preset.page()
        return replace(
            self, width=width, height=height, scale=scale, paper_mm=preset.paper_mm, dpi=preset.dpi
        )

    def with_paper(self, width_mm: float, height_mm: float) -> SnapshotRequest:
        """The same snapshot laid out on a sheet of ``width_mm`` × ``height_mm``."""
        return replace(
            self,
            width=round(width_mm * CSS_PX_PER_MM),
            height=round(height_mm * CSS_PX_PER_MM),
            paper_mm=(float(width_mm), float(height_mm)),
        )

    @property
    def page_mm(self) -> tuple[float, float]:
        """The sheet in millimetres: ``paper_mm``, else the page at 96 CSS pixels per inch."""
        if self.paper_mm is not None:
            return self.paper_mm
        return (self.width / CSS_PX_PER_MM, self.height / CSS_PX_PER_MM)


def parse_paper(text: str) -> tuple[float, float]:
    """``WIDTHxHEIGHT`` in millimetres (``297x210``) as two numbers.

    >>> parse_paper("297x210")
    (297.0, 210.0)

    Raises
    ------
    ValueError
        For anything else, or a side under 50 mm or over 2,000 mm.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*", text)
    if not match:
        raise ValueError(f"expected a paper size as WIDTHxHEIGHT in mm (297x210), got {text!r}")
    width, height = float(match.group(1)), float(match.group(2))
    if not (50 <= width <= 2000 and 50 <= height <= 2000):
        raise ValueError(f"a paper side is 50 to 2,000 mm, got {text!r}")
    return width, height
