"""A toy map layer, written as a new layer's module is: a ring around every place.

It is registered by one line, as ``dashboard/maps/layers.py`` registers the real ones:
``MAP_LAYERS.register(toy_layer.LAYER)``.  ``tests/test_layers.py`` does so in a fresh
process and checks that the toy is then drawn and listed everywhere the layers are listed.
"""

from __future__ import annotations

import folium

from dashboard.maps import DrawContext, Drawn, MapLayer, Palette
from dashboard.maps.legend import swatch
from geo.dataset import Dataset

LABEL = "Toy rings"


def draw(data: Dataset, context: DrawContext) -> Drawn:
    """A ring around each place."""
    group = folium.FeatureGroup(name=LABEL, show=True)
    for point in data.places.geometry:
        folium.CircleMarker(
            (point.y, point.x), radius=12, fill=False, class_name="atlas-toy"
        ).add_to(group)
    return Drawn(group)


def legend(palette: Palette, shown: Dataset | None, counts: bool) -> str:
    """One entry: what a ring means."""
    return swatch("sw dot", "border:2px solid #0a0;background:#fff", "toy ring")


LAYER = MapLayer("toy", LABEL, draw, legend, draw_order=35, legend_order=50)
