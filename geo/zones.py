"""Drawing control zones from dated district captures, where no front-line polygon exists.

Method (nearest district): each located district is given the area nearer to it than to
any other located district (its Voronoi cell), clipped to the hull of all districts widened
by a margin.  A side's zone on a day is the union of the cells of the districts it held
that day.  The line between two sides is so the midline between their nearest districts:
its error is about half the spacing of the districts, which is why every zone drawn this
way states its uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.schema import CRS


@dataclass(frozen=True)
class DatedShape:
    """The area a side held from ``valid_from`` to ``valid_to`` (inclusive days)."""

    valid_from: pd.Timestamp
    valid_to: pd.Timestamp
    geometry: BaseGeometry
    districts: tuple[str, ...]


def district_cells(points: gpd.GeoSeries, *, margin_m: float) -> gpd.GeoSeries:
    """The Voronoi cell of each point, clipped to the points' hull widened by ``margin_m``.

    ``points`` is in EPSG:4326; the cells are computed in the local UTM zone (metres) and
    returned in EPSG:4326 with the points' index.
    """
    metric_crs = points.estimate_utm_crs()
    projected = points.to_crs(metric_crs)
    outline = shapely.convex_hull(shapely.multipoints(projected.to_numpy())).buffer(margin_m)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(projected.to_numpy()), extend_to=outline)
    )
    ordered = []
    for point in projected:
        cell = next(c for c in cells if c.contains(point))
        ordered.append(shapely.intersection(cell, outline))
    return gpd.GeoSeries(ordered, index=points.index, crs=metric_crs).to_crs(CRS)


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


def area_km2(geometry: BaseGeometry) -> float:
    """The area of an EPSG:4326 geometry in square kilometres (in its local UTM zone)."""
    series = gpd.GeoSeries([geometry], crs=CRS)
    return float(series.to_crs(series.estimate_utm_crs()).area.iloc[0] / 1e6)
