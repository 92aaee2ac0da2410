"""The places layer: small labelled points; capitals and cities labelled permanently."""

from __future__ import annotations

import folium
import geopandas as gpd

from dashboard.maps.drawing import DrawContext, Drawn, MapLayer
from dashboard.maps.legend import swatch
from dashboard.maps.palette import Palette
from dashboard.maps.popups import TextTooltip, uncertainty_km
from dashboard.styles import GREY
from geo.dataset import Dataset
from geo.schema import Column, Layer

LABEL = "Places"


def place_layer(places: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Places as small labelled points; capitals and cities labelled permanently.

    Estimated places are hollow with a dashed circle of their uncertainty.
    """
    group = folium.FeatureGroup(name=LABEL, show=True)
    for _, place in places.iterrows():
        point = place.geometry
        estimate = bool(place[Column.ESTIMATE])
        label = str(place[Column.NAME]).split(" (")[0].split(" - ")[0]
        if estimate:
            label += f" (estimated ±{uncertainty_km(place):g} km)"
            folium.Circle(
                location=(point.y, point.x),
                radius=uncertainty_km(place) * 1000,
                color=GREY,
                weight=1,
                dash_array="2 4",
                fill=False,
                interactive=False,
            ).add_to(group)
        kind = place[Column.KIND]
        permanent = kind in {"capital", "city"}
        folium.CircleMarker(
            location=(point.y, point.x),
            radius=3.5,
            color="#444444",
            weight=1,
            fill=True,
            fill_color="#ffffff" if estimate else "#444444",
            fill_opacity=1,
            tooltip=TextTooltip(
                label,
                permanent=permanent,
                direction="right",
                class_name=f"atlas-place-label atlas-label-{kind}",
            ),
            class_name="atlas-place",
        ).add_to(group)
    return group


def draw(data: Dataset, context: DrawContext) -> Drawn:
    """The dataset's places."""
    return Drawn(place_layer(data.places))


def legend(palette: Palette, shown: Dataset | None, counts: bool) -> str:
    """One dot for the places, when there are any."""
    places = shown.places if shown is not None else None
    if places is not None and places.empty:
        return ""
    return swatch("sw dot", "background:#444;width:7px;height:7px", "place")


LAYER = MapLayer(Layer.PLACES, LABEL, draw, legend, draw_order=30, legend_order=40)
