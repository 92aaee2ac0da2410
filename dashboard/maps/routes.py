"""The routes layer: lines styled by their status on the day, with direction arrows."""

from __future__ import annotations

import itertools
import math

import folium
import geopandas as gpd
import pandas as pd
import shapely

from dashboard.maps.drawing import DrawContext, Drawn, MapLayer
from dashboard.maps.labels import PRIORITY_ROUTE, LabelTooltip, destination_name, label_anchor
from dashboard.maps.legend import swatch
from dashboard.maps.palette import Palette
from dashboard.maps.popups import HtmlPopup, TextTooltip, people_moved_text, route_popup_html
from dashboard.styles import ROUTE_STATUS_STYLES
from geo.dataset import Dataset
from geo.schema import Column, Layer

LABEL = "Routes"


def arrow_bearings(line: shapely.LineString) -> list[tuple[float, float, float]]:
    """Where to draw direction arrows along a line: (lat, lon, screen angle in degrees).

    One arrow per segment, a little past its middle.  The angle is measured on Web Mercator
    (as the map draws the line), clockwise from east, as CSS ``rotate`` takes it.
    """
    arrows = []
    coords = list(line.coords)
    for (x1, y1), (x2, y2) in itertools.pairwise(coords):
        if (x1, y1) == (x2, y2):
            continue
        dy = _mercator_y(y2) - _mercator_y(y1)
        angle = -math.degrees(math.atan2(dy, math.radians(x2 - x1))) + 0.0
        angle = angle + 360 if angle <= -180 else angle  # one name per direction: (-180, 180]
        arrows.append((y1 + (y2 - y1) * 0.55, x1 + (x2 - x1) * 0.55, round(angle, 1)))
    return arrows


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _arrow_icon(angle: float, colour: str) -> folium.DivIcon:
    return folium.DivIcon(
        html=(
            f'<div class="atlas-arrow" style="transform: rotate({angle}deg); color: {colour}">'
            "&#x27A4;</div>"
        ),
        icon_size=(18, 18),
        icon_anchor=(9, 9),
        class_name="atlas-arrow-icon",
    )


#: Where along its longest line a route's label sits (a share of the line's length).
LABEL_ALONG = 0.6


def route_label_point(geometry: shapely.Geometry) -> shapely.Point | None:
    """Where a route's label goes: :data:`LABEL_ALONG` of the way along its longest line."""
    lines = [line for line in shapely.get_parts(geometry) if not line.is_empty]
    if not lines:
        return None
    longest = max(lines, key=lambda line: line.length)
    return longest.interpolate(LABEL_ALONG, normalized=True)


def route_layer(routes: gpd.GeoDataFrame, as_of: pd.Timestamp | None) -> folium.FeatureGroup:
    """Routes as lines styled by their status on ``as_of``, with arrows and a "to …" label.

    ``routes``: EPSG:4326 lines; columns name, destination, people_moved, status_as_of.
    """
    group = folium.FeatureGroup(name=LABEL, show=True)
    for _, route in routes.iterrows():
        where = route_label_point(route.geometry) if route.geometry is not None else None
        destination = route.get(Column.DESTINATION)
        if where is not None and isinstance(destination, str) and destination.strip():
            label_anchor(
                (where.y, where.x),
                LabelTooltip(
                    f"to {destination_name(destination)}",
                    PRIORITY_ROUTE,
                    kind="route",
                    direction="top",
                    offset=(0, -6),
                ),
            ).add_to(group)
        status = route.get(Column.STATUS_AS_OF)
        status = status if isinstance(status, str) else None
        style = ROUTE_STATUS_STYLES.get(status, ROUTE_STATUS_STYLES[None])
        counts = people_moved_text(route[Column.PEOPLE_MOVED], as_of)
        tip = f"{route[Column.NAME]}" + (f" — {status}" if status else "")
        if counts:
            tip += f"; latest count: {counts[-1]}"
        lines = shapely.get_parts(route.geometry)
        for line in lines:
            folium.PolyLine(
                [(y, x) for x, y in line.coords],
                color=style["color"],
                weight=style["weight"],
                opacity=style["opacity"],
                dash_array=style["dash_array"],
                popup=HtmlPopup(route_popup_html(route, as_of)),
                tooltip=TextTooltip(tip),
                class_name="atlas-route",
            ).add_to(group)
            for lat, lon, angle in arrow_bearings(line):
                folium.Marker(
                    (lat, lon), icon=_arrow_icon(angle, style["color"]), interactive=False
                ).add_to(group)
    return group


def draw(data: Dataset, context: DrawContext) -> Drawn:
    """The routes, with their ``status_as_of`` (``data`` is filtered to the day)."""
    return Drawn(route_layer(data.routes, context.as_of))


def legend(palette: Palette, shown: Dataset | None, counts: bool) -> str:
    """A line per route status shown (active, suspended; both without ``shown``)."""
    routes = shown.routes if shown is not None else None
    if routes is not None and routes.empty:
        return ""
    present = (
        None
        if routes is None or Column.STATUS_AS_OF not in routes
        else set(routes[Column.STATUS_AS_OF].dropna())
    )
    parts = ["<h4>Routes</h4>"]
    for status in ("active", "suspended"):
        if present is None or status in present:
            style = ROUTE_STATUS_STYLES[status]
            border = "dashed" if style["dash_array"] else "solid"
            parts.append(
                swatch("sw line", f"border-color:{style['color']};border-style:{border}", status)
            )
    return "".join(parts)


LAYER = MapLayer(Layer.ROUTES, LABEL, draw, legend, draw_order=20, legend_order=30)
