"""The places layer: small points, each named by a label that gives way to more important ones."""

from __future__ import annotations

import folium
import geopandas as gpd

from dashboard.maps.drawing import DrawContext, Drawn, MapLayer
from dashboard.maps.events import RING_SHARE, RingLimit
from dashboard.maps.labels import PRIORITY_STORY, LabelTooltip, place_priority, short_name
from dashboard.maps.legend import swatch
from dashboard.maps.palette import Palette
from dashboard.maps.popups import uncertainty_km
from dashboard.styles import GREY
from geo.dataset import Dataset
from geo.schema import Column, Layer

LABEL = "Places"
#: An estimated place's ring: a grey dashed hairline (the place is context, not an event).
PLACE_RING_STYLE = {"weight": 0.8, "opacity": 0.45}


def place_layer(places: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Places (EPSG:4326 points; columns name, kind, estimate, uncertainty) as labelled points.

    Every place is labelled (:func:`~dashboard.maps.labels.place_priority` says which come
    first when labels collide; the story's own places are larger).  Estimated places are
    hollow with a dashed circle of their uncertainty, and their label says "≈".
    """
    group = folium.FeatureGroup(name=LABEL, show=True)
    # the rings, quiet as the events' halos, and not drawn while wider than a fifth of the view
    rings = folium.FeatureGroup(name="place-uncertainty", control=False)
    RingLimit(RING_SHARE, style=PLACE_RING_STYLE).add_to(rings)
    rings.add_to(group)
    for _, place in places.iterrows():
        point = place.geometry
        estimate = bool(place[Column.ESTIMATE])
        label = short_name(place[Column.NAME])
        if estimate:
            label = f"≈ {label}"
            folium.Circle(
                location=(point.y, point.x),
                radius=uncertainty_km(place) * 1000,
                color=GREY,
                weight=PLACE_RING_STYLE["weight"],
                opacity=PLACE_RING_STYLE["opacity"],
                dash_array="2 4",
                fill=False,
                interactive=False,
            ).add_to(rings)
        kind = str(place[Column.KIND])
        priority = place_priority(place[Column.NAME], kind)
        folium.CircleMarker(
            location=(point.y, point.x),
            radius=4.5 if priority == PRIORITY_STORY else 3.5,
            color="#444444",
            weight=1,
            fill=True,
            fill_color="#ffffff" if estimate else "#444444",
            fill_opacity=1,
            tooltip=LabelTooltip(
                label,
                priority,
                kind="story" if priority == PRIORITY_STORY else "place",
                offset=(5, 0),
            ),
            class_name="atlas-place",
        ).add_to(group)
    return group


def draw(data: Dataset, context: DrawContext) -> Drawn:
    """The dataset's places."""
    return Drawn(place_layer(data.places))


def legend(palette: Palette, shown: Dataset | None, counts: bool) -> str:
    """A dot for the places, and a hollow one for estimated positions, when there are any."""
    places = shown.places if shown is not None else None
    if places is not None and places.empty:
        return ""
    parts = [swatch("sw dot", "background:#444;width:7px;height:7px", "place")]
    if places is None or places[Column.ESTIMATE].astype(bool).any():
        parts.append(
            swatch(
                "sw dot",
                "background:#fff;border:1px solid #444;width:6px;height:6px",
                "≈ place, position estimated (dashed: its uncertainty)",
            )
        )
    return "".join(parts)


LAYER = MapLayer(Layer.PLACES, LABEL, draw, legend, draw_order=30, legend_order=40)
