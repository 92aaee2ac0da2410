"""Preset map views, named in links (``?view=aleppo``) and on the command line (``--view``).

Also how a view draws many events (``?draw=hexagons``, ``--draw hexagons``):
:data:`EVENT_DRAWINGS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from geo.grid import HEXAGONS, SQUARES

#: More events than this in view are drawn as WebGL points (or counts per cell), not as
#: markers: each marker carries its popup, about 2.3 kB per ACLED event, so 500 stay under
#: 1.5 MB.
MAX_MARKERS = 500
#: How more events in view than MAX_MARKERS are drawn, by the name links and the CLI use.
EVENT_DRAWINGS = {
    "points": "A point for each event",
    "counts": "Counts per square",
    "hexagons": "Counts per hexagon (H3)",
}
DEFAULT_DRAWING = "points"
#: The cells each counting drawing counts events in (:data:`geo.grid.CELL_SHAPES`).
#: Squares came first, as "counts": the name stays, for the links that carry it.
COUNTED_IN = {"counts": SQUARES, "hexagons": HEXAGONS}


@dataclass(frozen=True)
class View:
    """A named extent: south, west, north, east in degrees (EPSG:4326)."""

    name: str
    label: str
    south: float
    west: float
    north: float
    east: float

    @property
    def bounds(self) -> list[list[float]]:
        """Leaflet's ``[[south, west], [north, east]]``."""
        return [[self.south, self.west], [self.north, self.east]]


VIEWS: dict[str, View] = {
    v.name: v
    for v in (
        View("region", "Region: Moscow, Ankara, Tehran, Aleppo, Astana", 33.5, 29.0, 57.5, 73.5),
        View("aleppo", "Aleppo city", 36.12, 37.03, 36.27, 37.26),
        View("corridor", "Aleppo to Idlib", 35.85, 36.55, 36.30, 37.30),
        View("border", "The Su-24 shoot-down at the border", 35.70, 35.85, 36.00, 36.25),
    )
}
FIT = "fit"
VIEW_NAMES = (*VIEWS, FIT)
VIEW_LABELS = {
    **{name: view.label for name, view in VIEWS.items()},
    FIT: "Fit to the filtered data",
}


#: The latitudes Web Mercator reaches (Leaflet draws nothing nearer the poles).
MERCATOR_LATITUDE = 85.05


def fit_bounds(*frames: gpd.GeoDataFrame, pad: float = 0.05) -> list[list[float]] | None:
    """Leaflet bounds around every geometry of the frames (EPSG:4326), padded; None if empty.

    The padding stops at the edges of the one world the map draws (longitude ±180,
    latitude ±85.05): past them, a world-wide table's bounds would ask for a view wider
    than the world, beyond the basemap, which draws the world once.
    """
    boxes = [f.total_bounds for f in frames if len(f)]
    if not boxes:
        return None
    west = min(b[0] for b in boxes)
    south = min(b[1] for b in boxes)
    east = max(b[2] for b in boxes)
    north = max(b[3] for b in boxes)
    dx = max(east - west, 0.02) * pad
    dy = max(north - south, 0.02) * pad
    return [
        [max(south - dy, -MERCATOR_LATITUDE), max(west - dx, -180.0)],
        [min(north + dy, MERCATOR_LATITUDE), min(east + dx, 180.0)],
    ]
