"""The map as it leaves the package, and what the browser hands back.

:func:`build_event_map` is the whole map in one ``folium.Map`` (base map, data layers and a
layer control) for standalone use: exports, snapshots, tests.  The app instead passes the
base map, the data layers and :func:`layer_control` to st_folium separately, so that it can
update the data without redrawing the map; :func:`leaflet_bounds` and
:func:`reported_view` read the view st_folium returns.  :func:`map_html` renders a map,
refusing to if data could become template source.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import folium
import pandas as pd

from dashboard import rendering
from dashboard.maps.base import build_base_map
from dashboard.maps.drawing import MAX_MARKERS
from dashboard.maps.layers import build_data_layers
from dashboard.maps.palette import Palette
from geo.dataset import Dataset


def build_event_map(
    data: Dataset,
    basemap_json: str,
    *,
    bounds: list[list[float]],
    palette: Palette,
    as_of: pd.Timestamp | None,
    layers: Iterable[str] | None = None,
    tiles: str = "offline",
    attribution: str = "",
    asset_base_url: str | None = None,
    count_in: str | None = None,
) -> folium.Map:
    """The whole map in one ``folium.Map``: base map, data layers and a layer control.

    ``count_in``: many events in view are counted per cell of this shape
    (:data:`geo.grid.CELL_SHAPES`) rather than drawn as points.
    """
    m = build_base_map(
        basemap_json,
        bounds=bounds,
        palette=palette,
        tiles=tiles,
        attribution=attribution,
        asset_base_url=asset_base_url,
        counts=count_in is not None and len(data.events) > MAX_MARKERS,
    )
    groups, _ = build_data_layers(
        data, palette=palette, as_of=as_of, layers=layers, view=bounds, count_in=count_in
    )
    for group in groups:
        group.add_to(m)
    layer_control().add_to(m)
    return m


def layer_control() -> folium.LayerControl:
    """The layer control the app passes to st_folium alongside its data layers."""
    return folium.LayerControl(collapsed=True)


def map_html(m: folium.Map) -> str:
    """The map as a standalone HTML page (refused if data could become template source)."""
    rendering.check()
    return m.get_root().render()


def leaflet_bounds(returned: Any) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` from st_folium's returned ``bounds``, if it has an area.

    A map drawn in a frame not laid out yet (no height) reports a line at zoom 0: None, as
    for missing values.

    >>> leaflet_bounds({"_southWest": {"lat": 36.1, "lng": 37.0},
    ...                 "_northEast": {"lat": 36.3, "lng": 37.3}})
    [[36.1, 37.0], [36.3, 37.3]]
    >>> leaflet_bounds({"_southWest": {"lat": 36.59, "lng": -433.1},
    ...                 "_northEast": {"lat": 36.59, "lng": 506.2}}) is None
    True
    """
    try:
        sw, ne = returned["_southWest"], returned["_northEast"]
        bounds = [[float(sw["lat"]), float(sw["lng"])], [float(ne["lat"]), float(ne["lng"])]]
    except (TypeError, KeyError, ValueError):
        return None
    (south, west), (north, east) = bounds
    if not all(math.isfinite(v) for v in (south, west, north, east)):
        return None
    # a frame a pixel high spans a hair of latitude for the whole width: no map on screen
    return bounds if 0 < east - west < 100 * (north - south) else None


def reported_view(returned: Any) -> tuple[float, float, float] | None:
    """(latitude, longitude, zoom) from st_folium's returned ``center``, ``zoom`` and ``bounds``.

    Rounded as a link writes them (5 decimals: about a metre), so that a view that has not
    moved gives the same link.  None when the map reported no area (see
    :func:`leaflet_bounds`): its zoom would be 0.

    >>> bounds = {"_southWest": {"lat": 36.1, "lng": 37.0},
    ...           "_northEast": {"lat": 36.3, "lng": 37.3}}
    >>> reported_view({"center": {"lat": 36.2012345, "lng": 37.1345678}, "zoom": 12,
    ...                "bounds": bounds})
    (36.20123, 37.13457, 12.0)
    >>> reported_view({"center": None, "zoom": 12, "bounds": bounds}) is None
    True
    """
    try:
        center, zoom = returned["center"], float(returned["zoom"])
        lat, lon = round(float(center["lat"]), 5), round(float(center["lng"]), 5)
    except (TypeError, KeyError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (lat, lon, zoom)):
        return None
    return (lat, lon, zoom) if leaflet_bounds(returned.get("bounds")) is not None else None
