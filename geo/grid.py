"""Events counted per grid cell: the data side of drawing many events as counts.

Plain functions of a frame and numbers, no drawing: the map (``dashboard.maps.events``)
draws the cells these return, and a snapshot's caption says how big they were.

Two shapes of cell (:data:`CELL_SHAPES`): squares of whole degrees' fractions, aligned on
multiples of their size from (0°, 0°), whose size a caption says in round degrees; or the
hexagons of Uber's H3 grid, which keep about the same area from the equator to the poles
and are the same cells in every tool that speaks H3 (kepler.gl, DuckDB, BigQuery), so a
count can be checked elsewhere by its cell's index.

Every frame here holds points in EPSG:4326 (longitude, latitude in degrees).  Bounds are
Leaflet's ``[[south, west], [north, east]]``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import geopandas as gpd
import h3
import h3.api.numpy_int as h3_int
import numpy as np
import pandas as pd

from geo.parsing import factorized
from geo.schema import Column

#: About this many cells across the view when events are counted per cell.
CELLS_ACROSS = 64
#: The cell sizes (degrees) to choose from: round numbers a caption can say.
NICE_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

SQUARES = "squares"
HEXAGONS = "hexagons"
#: The shapes events are counted in.
CELL_SHAPES = (SQUARES, HEXAGONS)
#: The finest H3 resolution counts use: hexagons of about 0.1 km² (a city block), as
#: fine as the smallest square (0.001°); finer, a view holds too few events to count.
FINEST_RESOLUTION = 9
#: Kilometres per degree of latitude (WGS 84, mean): enough to size a view's hexagons.
KM_PER_DEGREE = 111.2


def in_bounds(
    events: gpd.GeoDataFrame, bounds: list[list[float]] | None, margin: float = 0.15
) -> gpd.GeoDataFrame:
    """The rows inside Leaflet bounds widened by ``margin`` of their size (all if None).

    ``events``: any frame of points (EPSG:4326); only its geometry is read.

    >>> frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy([1.0, 5.0], [1.0, 5.0]))
    >>> len(in_bounds(frame, [[0.0, 0.0], [2.0, 2.0]])), len(in_bounds(frame, None))
    (1, 2)
    """
    if bounds is None or events.empty:
        return events
    (south, west), (north, east) = bounds
    dy, dx = (north - south) * margin, (east - west) * margin
    x, y = events.geometry.x.to_numpy(), events.geometry.y.to_numpy()
    keep = (x >= west - dx) & (x <= east + dx) & (y >= south - dy) & (y <= north + dy)
    return events[keep]


def cell_size(bounds: list[list[float]], cells_across: int = CELLS_ACROSS) -> float:
    """A round cell size (degrees) giving about ``cells_across`` cells across the bounds.

    >>> cell_size([[35.9, 36.9], [36.5, 37.4]])
    0.01
    """
    width = max(bounds[1][1] - bounds[0][1], bounds[1][0] - bounds[0][0], 1e-6)
    wanted = width / cells_across
    return next((step for step in NICE_STEPS if step >= wanted), NICE_STEPS[-1])


def hexagon_resolution(bounds: list[list[float]], cells_across: int = CELLS_ACROSS) -> int:
    """The H3 resolution giving about ``cells_across`` hexagons (or fewer) across the bounds.

    The finest resolution whose hexagons are at least the view's width over
    ``cells_across`` wide (flat side to flat side), as :func:`cell_size` picks squares;
    never finer than :data:`FINEST_RESOLUTION`.

    >>> hexagon_resolution([[35.9, 36.9], [36.5, 37.4]])
    7
    >>> hexagon_resolution([[30.0, 30.0], [40.0, 45.0]])
    4
    """
    (south, west), (north, east) = bounds
    across_km = KM_PER_DEGREE * max(
        (east - west) * math.cos(math.radians((south + north) / 2)), north - south, 1e-6
    )
    wanted = across_km / cells_across
    wide_enough = [
        resolution
        for resolution in range(FINEST_RESOLUTION + 1)
        if math.sqrt(3) * h3.average_hexagon_edge_length(resolution, unit="km") >= wanted
    ]
    return max(wide_enough, default=0)


def cell_words(shape: str, bounds: list[list[float]]) -> str:
    """The cells events in ``bounds`` are counted in, as a caption says them.

    >>> cell_words(SQUARES, [[35.9, 36.9], [36.5, 37.4]])
    '0.01° cell'
    >>> cell_words(HEXAGONS, [[35.9, 36.9], [36.5, 37.4]])
    'H3 hexagon (resolution 7, about 5.2 km²)'
    """
    if shape == HEXAGONS:
        resolution = hexagon_resolution(bounds)
        area = h3.average_hexagon_area(resolution, unit="km^2")
        return f"H3 hexagon (resolution {resolution}, about {float(f'{area:.2g}'):,g} km²)"
    return f"{cell_size(bounds):g}° cell"


def _count(keys: np.ndarray, event_types: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct key (a cell), its number of events and its most frequent type.

    ``keys``: one integer per event.  One integer per cell, and per (cell, type): numpy
    counting, not two pandas groupbys (4x faster at 100k events, and this runs on every
    rerun of a large table).  The top type is "" for a cell none of whose events has one.
    """
    cells, cell_of_event, counts = np.unique(keys, return_inverse=True, return_counts=True)
    type_codes, type_names = factorized(event_types)
    known = type_codes >= 0
    per_type = np.bincount(
        cell_of_event[known] * len(type_names) + type_codes[known],
        minlength=len(cells) * len(type_names),
    ).reshape(len(cells), len(type_names))
    names = np.array([*map(str, type_names), ""], dtype=object)
    top = np.where(per_type.sum(axis=1) > 0, per_type.argmax(axis=1), len(type_names))
    return cells, counts, names[top]


def count_per_cell(events: gpd.GeoDataFrame, size: float) -> pd.DataFrame:
    """Events counted per square cell of ``size`` degrees (EPSG:4326).

    ``events`` needs its point geometry and the ``event_type`` column.  The result has one
    row per cell holding events, with columns ``west``, ``south`` (the cell's corner, in
    degrees), ``count``, ``top_type`` (the most frequent event type in the cell; empty
    when none of its events has a type).
    """
    x = np.floor(events.geometry.x.to_numpy() / size).astype(np.int64)
    y = np.floor(events.geometry.y.to_numpy() / size).astype(np.int64)
    if len(x) == 0:
        return pd.DataFrame({"west": [], "south": [], "count": [], "top_type": []})
    height = int(y.max() - y.min()) + 1
    cells, counts, top_type = _count(
        (x - x.min()) * height + (y - y.min()), events[Column.EVENT_TYPE]
    )
    return pd.DataFrame(
        {
            "west": (cells // height + x.min()) * size,
            "south": (cells % height + y.min()) * size,
            "count": counts,
            "top_type": top_type,
        }
    )


def _positions(events: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each event's position among the distinct ones, and those positions (x + iy)."""
    return pd.factorize(events.geometry.x.to_numpy() + 1j * events.geometry.y.to_numpy())


def _cells(positions: np.ndarray, resolution: int) -> np.ndarray:
    """The hexagon of ``resolution`` holding each position (x + iy), as H3 integers.

    H3 indexes one point per call (about 2 µs): this is the slow part of counting.  Each
    resolution is asked of H3 itself: a finer cell's parent is not always the coarser cell
    its point falls in (H3's hexagons do not nest exactly), and a count must be the one
    another tool finds for the same hexagon.
    """
    return np.fromiter(
        (
            h3_int.latlng_to_cell(lat, lng, resolution)
            for lng, lat in zip(positions.real.tolist(), positions.imag.tolist(), strict=True)
        ),
        dtype=np.uint64,
        count=len(positions),
    )


@dataclass(frozen=True)
class HexagonIndex:
    """The hexagons of a table's distinct positions, kept per resolution once asked of H3.

    Made per table (:meth:`of`, cheap), it asks H3 for a resolution's hexagons the first
    time that resolution is counted (about 2 s a million distinct positions) and keeps the
    last :data:`KEPT_RESOLUTIONS` of them: later counts at a kept resolution are numpy
    work, a hash lookup of the positions.
    """

    positions: pd.Index
    kept: dict[int, np.ndarray] = field(default_factory=dict, compare=False)
    #: The app shares one index between every viewer's thread (a cached resource).
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    #: How many resolutions' hexagons an index keeps (8 bytes a position each).
    KEPT_RESOLUTIONS = 4

    @classmethod
    def of(cls, events: gpd.GeoDataFrame) -> HexagonIndex:
        """The index of ``events`` (EPSG:4326 points)."""
        _, positions = _positions(events)
        return cls(pd.Index(positions))

    def cells(self, positions: np.ndarray, resolution: int) -> np.ndarray:
        """The hexagon of each position (x + iy); one not indexed is asked of H3 now."""
        # one thread at a time keeps the dict: another's eviction could drop this
        # resolution between its store and its read (a KeyError for a viewer)
        with self._lock:
            if resolution in self.kept:
                indexed = self.kept[resolution] = self.kept.pop(resolution)  # most recent last
            else:
                while len(self.kept) >= self.KEPT_RESOLUTIONS:
                    self.kept.pop(next(iter(self.kept)))
                indexed = self.kept[resolution] = _cells(self.positions.to_numpy(), resolution)
        found = self.positions.get_indexer(positions)
        cells = np.zeros(len(positions), dtype=np.uint64)
        known = found >= 0
        cells[known] = indexed[found[known]]
        if not known.all():
            cells[~known] = _cells(positions[~known], resolution)
        return cells


def count_per_hexagon(
    events: gpd.GeoDataFrame, resolution: int, index: HexagonIndex | None = None
) -> pd.DataFrame:
    """Events counted per H3 hexagon of ``resolution`` (EPSG:4326 points).

    ``events`` needs its point geometry and the ``event_type`` column.  The result has one
    row per hexagon holding events, with columns ``cell`` (its H3 index, as text),
    ``count`` and ``top_type`` (as :func:`count_per_cell`).  ``index``: the
    :class:`HexagonIndex` of the table ``events`` come from, which saves asking H3 again
    for the positions it holds at a resolution it keeps; the counts are the same without.

    >>> frame = gpd.GeoDataFrame(
    ...     {"event_type": ["Battles", "Battles", "Riots"]},
    ...     geometry=gpd.points_from_xy([37.16, 37.16, 36.63], [36.2, 36.2, 35.93]),
    ... )
    >>> cells = count_per_hexagon(frame, 5).sort_values("count")
    >>> cells.to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'cell': '852daec7fffffff', 'count': 1, 'top_type': 'Riots'},
     {'cell': '852dae07fffffff', 'count': 2, 'top_type': 'Battles'}]
    """
    if not 0 <= resolution <= FINEST_RESOLUTION:
        raise ValueError(f"an H3 resolution from 0 to {FINEST_RESOLUTION}, not {resolution}")
    if events.empty:
        return pd.DataFrame({"cell": [], "count": [], "top_type": []})
    # events sharing a position (ACLED's, a place's coordinates) are indexed once
    where, positions = _positions(events)
    if index is not None:
        position_cells = index.cells(positions, resolution)
    else:
        position_cells = _cells(positions, resolution)
    cells, counts, top_type = _count(position_cells[where], events[Column.EVENT_TYPE])
    return pd.DataFrame(
        {"cell": [h3.int_to_str(int(c)) for c in cells], "count": counts, "top_type": top_type}
    )


def hexagon_ring(cell: str) -> list[list[float]]:
    """A hexagon's outline as a closed GeoJSON ring of ``[longitude, latitude]``.

    A hexagon across the antimeridian keeps its longitudes on one side (east of 180°), so
    a map draws it as one small shape, not as a band around the world.
    """
    ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
    if max(p[0] for p in ring) - min(p[0] for p in ring) > 180:
        ring = [[lng + 360 if lng < 0 else lng, lat] for lng, lat in ring]
    return [*ring, ring[0]]


def extent(frame: gpd.GeoDataFrame) -> list[list[float]]:
    """The Leaflet bounds ``[[south, west], [north, east]]`` of a frame's geometry."""
    west, south, east, north = frame.total_bounds
    return [[south, west], [north, east]]
