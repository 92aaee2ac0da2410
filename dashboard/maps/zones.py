"""The control zones layer: polygons filled by their controlling actor, as of a day."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
import shapely

from dashboard.maps.drawing import DrawContext, Drawn, MapLayer
from dashboard.maps.labels import PRIORITY_ZONE, LabelTooltip, held_by, label_anchor
from dashboard.maps.legend import swatch
from dashboard.maps.palette import Palette
from dashboard.maps.popups import HtmlPopup, TextTooltip, esc, zone_popup_html
from dashboard.styles import GREY
from geo.dataset import Dataset
from geo.schema import Column, Layer

LABEL = "Control zones"


def zone_label(controller: str, as_of: pd.Timestamp | None) -> str:
    """A zone's label: who holds it, and on which day.

    >>> zone_label("Syrian opposition", pd.Timestamp("2016-12-13"))
    'Opposition-held, 13 Dec'
    >>> zone_label("YPG", None)
    'YPG-held'
    """
    text = held_by(controller)
    if as_of is not None and not pd.isna(as_of):
        text += f", {as_of.day} {as_of:%b}"
    return text


def zone_layer(
    zones: gpd.GeoDataFrame, palette: Palette, as_of: pd.Timestamp | None = None
) -> folium.FeatureGroup:
    """Control zones (EPSG:4326 polygons; columns name, controller, ...) filled by controller.

    Each is labelled with who holds it on ``as_of`` ("Opposition-held, 13 Dec"), at a
    point inside it.
    """
    group = folium.FeatureGroup(name=LABEL, show=True)
    for _, zone in zones.iterrows():
        if zone.geometry is not None and not zone.geometry.is_empty:
            inside = zone.geometry.representative_point()
            label_anchor(
                (inside.y, inside.x),
                LabelTooltip(
                    zone_label(zone[Column.CONTROLLER], as_of),
                    PRIORITY_ZONE,
                    kind="zone",
                    direction="center",
                    offset=(0, 0),
                ),
            ).add_to(group)
        colour = palette.controllers.get(zone[Column.CONTROLLER], GREY)
        folium.GeoJson(
            shapely.geometry.mapping(zone.geometry),
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 1.5,
                "fillColor": c,
                "fillOpacity": 0.3,
                "className": "atlas-zone",
            },
            highlight_function=lambda _f: {"weight": 3, "fillOpacity": 0.45},
            tooltip=TextTooltip(f"{zone[Column.NAME]} — held by {zone[Column.CONTROLLER]}"),
            popup=HtmlPopup(zone_popup_html(zone)),
            name=str(zone[Column.ID]),
            control=False,
        ).add_to(group)
    return group


def draw(data: Dataset, context: DrawContext) -> Drawn:
    """The zones that hold on the day (``data`` is filtered to it)."""
    return Drawn(zone_layer(data.zones, context.palette, context.as_of))


def legend(palette: Palette, shown: Dataset | None, counts: bool) -> str:
    """A swatch per controlling actor shown (every one in the palette without ``shown``)."""
    zones = shown.zones if shown is not None else None
    if not palette.controllers or (zones is not None and zones.empty):
        return ""
    present = None if zones is None else set(zones[Column.CONTROLLER].dropna())
    parts = ["<h4>Control zones</h4>"]
    for name, colour in palette.controllers.items():
        if present is None or name in present:
            parts.append(swatch("sw", f"background:{colour};opacity:0.6", esc(name)))
    return "".join(parts)


LAYER = MapLayer(Layer.ZONES, LABEL, draw, legend, draw_order=10, legend_order=20)
