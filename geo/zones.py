"""Drawing control zones from dated district captures, where no front-line polygon exists.

Method (neighbourhood outlines): a side's zone on a day is the union of the outlines of the
neighbourhoods it still held that day (:func:`held_outlines`, :func:`outline_zone`), with
the streets between joined outlines closed and cut to the city's built-up area.  Its edges
are the outlines' edges: where a front ran through a neighbourhood it is drawn at the
outline, which is why every zone drawn this way states its uncertainty.  Areas quoted
against reported figures are measured in an equal-area CRS (:data:`EQUAL_AREA_CRS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.context import outline_part
from geo.schema import CRS


@dataclass(frozen=True)
class DatedShape:
    """The area a side held from ``valid_from`` to ``valid_to`` (inclusive days)."""

    valid_from: pd.Timestamp
    valid_to: pd.Timestamp
    geometry: BaseGeometry
    districts: tuple[str, ...]


def shrinking_zone(
    cells: gpd.GeoSeries,
    lost_on: pd.Series,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> list[DatedShape]:
    """The zone a side held as it lost districts, one shape per day on which it lost some.

    ``cells`` are the side's district cells (EPSG:4326) and ``lost_on`` the day each was
    lost (indexed like ``cells``).  The first shape holds from ``start``; each shape holds
    until the day before the next loss; the last until ``end`` or the day before the side's
    last district was lost.  A district lost on day D is outside the shape for day D.
    """
    shapes: list[DatedShape] = []
    change_days = sorted({start, *(d for d in lost_on if start < d <= end)})
    for i, day in enumerate(change_days):
        held = lost_on.index[(lost_on > day).to_numpy()]
        if len(held) == 0:
            break
        until = change_days[i + 1] - pd.Timedelta(days=1) if i + 1 < len(change_days) else end
        last_loss = lost_on.max() - pd.Timedelta(days=1)
        shapes.append(
            DatedShape(
                valid_from=day,
                valid_to=min(until, last_loss),
                geometry=shapely.union_all(cells.loc[held].to_numpy()),
                districts=tuple(str(h) for h in held),
            )
        )
    return shapes


#: The coordinate grid of the bundled files (7 decimals, as geo.io writes GeoJSON).
GRID = 1e-7


def held_outlines(
    outlines: gpd.GeoDataFrame, control: pd.DataFrame, *, side: str
) -> gpd.GeoDataFrame:
    """The outline (or half outline) of each control-table row held by ``side``.

    ``outlines``: neighbourhood outlines (EPSG:4326, columns ``name``, ``geometry``; a name
    may have several outlines).  ``control``: :func:`geo.context.neighbourhood_control`'s
    table.  Returns one row per control row (``neighbourhood``, ``lost_on``, ``part``,
    ``geometry``), EPSG:4326, indexed ``name`` or ``name (part)``.
    """
    rows = control[control["held_by"] == side]
    by_name = outlines.dissolve(by="name").geometry
    records, index = [], []
    for _, row in rows.iterrows():
        whole = by_name.loc[row["neighbourhood"]]
        records.append(
            {
                "neighbourhood": row["neighbourhood"],
                "lost_on": row["lost_on"],
                "part": row["part"],
                "geometry": outline_part(whole, row["part"]),
            }
        )
        label = row["neighbourhood"] + (f" ({row['part']})" if row["part"] else "")
        index.append(label)
    return gpd.GeoDataFrame(records, index=pd.Index(index, name="name"), crs=CRS)


def outline_zone(
    held: gpd.GeoDataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    within: BaseGeometry,
    close,
) -> list[DatedShape]:
    """A side's zone as it lost outlines: one shape per day on which it lost some.

    ``held``: :func:`held_outlines` (EPSG:4326, with ``lost_on``).  Each shape is the union
    of the outlines still held, passed through ``close`` (a function that fills the streets
    between joined outlines, e.g. :func:`geo.context.close_gaps`), cut to ``within`` (the
    built-up area) and to the day before's shape, so that a zone never gains ground.  Days
    are as in :func:`shrinking_zone`: an outline lost on day D is outside the shape for D.
    """
    lost_on = held["lost_on"]
    plain = shrinking_zone(held.geometry, lost_on, start=start, end=end)
    shapes: list[DatedShape] = []
    previous = within
    for shape in plain:
        # cut to the day before's shape pulled in by ten times the writers' rounding (about
        # 0.1 m), so that the written, rounded shape still lies inside the written day before
        inside = shapely.buffer(previous, -10 * GRID, join_style="mitre")
        geometry = shapely.make_valid(shapely.intersection(close(shape.geometry), inside))
        # keep polygons only: the cut can leave slivers of lines and points on the edges
        geometry = shapely.union_all(
            [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
        )
        shapes.append(DatedShape(shape.valid_from, shape.valid_to, geometry, shape.districts))
        previous = geometry
    return shapes


#: An equal-area CRS for areas quoted against reported figures: WGS 84 / NSIDC EASE-Grid
#: 2.0 Global (cylindrical equal-area), so a km² is a km² wherever the zone lies.
EQUAL_AREA_CRS = "EPSG:6933"


def areas_km2(geometries: gpd.GeoSeries) -> pd.Series:
    """The area in km² of each geometry of an EPSG:4326 series, measured in ``EQUAL_AREA_CRS``.

    One projection for the whole series: a local UTM zone per shape would cost a query of
    the PROJ database each (0.2 s a shape, on the first open of every page showing areas).
    """
    return geometries.to_crs(EQUAL_AREA_CRS).area / 1e6


def equal_area_km2(geometry: BaseGeometry) -> float:
    """The area of an EPSG:4326 geometry in km², measured in ``EQUAL_AREA_CRS``."""
    return float(areas_km2(gpd.GeoSeries([geometry], crs=CRS)).iloc[0])
