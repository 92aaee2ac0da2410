"""The context layer: towns, rivers, built-up areas and the M4/M5, under the data.

The map editor's context: drawn beneath every data layer (in a pane of its own between the
outlines and the data, so switching it off and on never lifts it above the zones), switched
on and off like any layer, and drawn only at the scales it suits: large cities from the
region view, regional towns from about zoom 6, the corridor's towns, highways and built-up
areas from zoom 7 and more (each feature's ``min_zoom``).  The data is bundled:
``geo/data/basemap/context.geojson`` (EPSG:4326; built by ``scripts/build_context.py``,
sources and licences in ``geo/data/basemap/LICENSES.md``).

Town names are labels (:mod:`dashboard.maps.labels`), after the dataset's own places; a
town where the dataset has a place already is left out.  With ``language="ar"`` a town with
an Arabic name is labelled in Arabic.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template

from dashboard.maps.drawing import DrawContext, Drawn, MapLayer
from dashboard.maps.labels import PRIORITY_TOWN
from dashboard.maps.legend import swatch
from dashboard.maps.palette import Palette
from dashboard.settings import LABELS
from geo.dataset import Dataset

LABEL = "Context"
CONTEXT_PATH = Path(__file__).parents[2] / "geo" / "data" / "basemap" / "context.geojson"
#: The credit the context layer's data needs (GeoNames asks for it; Natural Earth does not).
ATTRIBUTION = "Natural Earth; GeoNames (CC BY 4.0)"
#: A context town this near a place of the dataset (degrees, about 5 km) is that place.
SAME_PLACE = 0.05

#: Where the labels of roads and rivers rank among the towns' (10 + their rank): the
#: highways with the largest towns, the rivers with the regional ones.
_LABEL_RANK = {"road": 0, "river": 5}

#: How each kind is drawn (Leaflet path options; the pane is set in the browser).
STYLES: dict[str, dict[str, Any]] = {
    "urban": {"stroke": False, "fillColor": "#cfc8bd", "fillOpacity": 0.55},
    "river": {"color": "#8fb5d9", "weight": 1.6, "opacity": 0.9, "fill": False},
    "road": {"color": "#c9914a", "weight": 2.4, "opacity": 0.9, "fill": False},
    "town": {
        "radius": 2.5,
        "color": "#6b6b6b",
        "weight": 1,
        "fillColor": "#ffffff",
        "fillOpacity": 1,
    },
}


@lru_cache(maxsize=4)
def load_context(path: Path = CONTEXT_PATH) -> dict[str, Any]:
    """The bundled context features as GeoJSON (a dict; EPSG:4326), read once."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def context_features(
    collection: dict[str, Any],
    places: gpd.GeoDataFrame | None = None,
    *,
    language: str = "en",
) -> list[dict[str, Any]]:
    """The features to draw, each with its ``label`` (text or None) and ``priority``.

    ``places`` (EPSG:4326, point geometry) are the dataset's places: a town nearer than
    :data:`SAME_PLACE` to one of them is left out (the place is drawn and named already).
    ``language`` "ar": a town's label is its ``name_ar`` where it has one.
    """
    points = [] if places is None or places.empty else list(places.geometry)
    features = []
    for feature in collection["features"]:
        props = dict(feature["properties"])
        kind = props["kind"]
        label = None
        if kind == "town":
            x, y = feature["geometry"]["coordinates"]
            if any(abs(p.x - x) < SAME_PLACE and abs(p.y - y) < SAME_PLACE for p in points):
                continue
            arabic = language == "ar" and props.get("name_ar")
            label = props["name_ar"] if arabic else props["name"]
            props["lang"] = "ar" if arabic else "en"
        elif kind in {"road", "river"}:
            label = props["name"]
            props["lang"] = "en"
        props["label"] = label
        props["priority"] = PRIORITY_TOWN + _LABEL_RANK.get(kind, int(props.get("rank", 0)))
        features.append({**feature, "properties": props})
    return features


def context_layer(
    collection: dict[str, Any],
    places: gpd.GeoDataFrame | None = None,
    *,
    language: str = "en",
    name: str = LABEL,
) -> folium.FeatureGroup:
    """The context as one feature group, its features joining it at their ``min_zoom``."""
    group = folium.FeatureGroup(name=name, show=True)
    ContextFeatures(context_features(collection, places, language=language)).add_to(group)
    return group


class ContextFeatures(MacroElement):
    """The context's features, made in the browser: styled, labelled, shown by zoom.

    The features travel as JSON (data, never code); each label's text is set as text.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var group = {{ this._parent.get_name() }};
  var features = {{ this.features|tojson }};
  var styles = {{ this.styles|tojson }};
  var PANE = "atlasContext";
  var items = [];
  function pane(map) {
    if (!map.getPane(PANE)) {
      var p = map.createPane(PANE);
      p.style.zIndex = 380;  // above the outlines (350), under the data (400)
      p.style.pointerEvents = "none";
    }
  }
  features.forEach(function (f) {
    var p = f.properties;
    var style = Object.assign({ pane: PANE, interactive: false }, styles[p.kind] || {});
    var layer = p.kind === "town"
      ? L.circleMarker(L.GeoJSON.coordsToLatLng(f.geometry.coordinates), style)
      : L.GeoJSON.geometryToLayer(f, style);
    if (p.label) {
      var tip = document.createElement("span");
      tip.textContent = p.label;
      tip.setAttribute("data-priority", String(p.priority));
      tip.setAttribute("lang", p.lang);
      tip.setAttribute("dir", p.lang === "ar" ? "rtl" : "ltr");
      layer.bindTooltip(tip, {
        permanent: true, interactive: false, opacity: 1,
        direction: p.kind === "town" ? "right" : "center",
        offset: p.kind === "town" ? [3, 0] : [0, 0],
        className: "atlas-label atlas-label-" + p.kind
      });
    }
    items.push({ layer: layer, min: p.min_zoom || 0, max: p.max_zoom || 99 });
  });
  group.on("add", function () { pane(group._map); });
  if (group._map) { pane(group._map); }
  if (window.atlasLabels) {
    window.atlasLabels.zoomRange(group, items);
  } else {
    items.forEach(function (item) { group.addLayer(item.layer); });
  }
})();
{% endmacro %}
"""
    )

    def __init__(self, features: list[dict[str, Any]]):
        super().__init__()
        self._name = "ContextFeatures"
        self.features = features
        self.styles = STYLES


def draw(data: Dataset, context: DrawContext) -> Drawn:
    """The bundled context, in the labels' language (``ATLAS_LABELS``), under the data."""
    return Drawn(context_layer(load_context(), data.places, language=LABELS.value()))


def legend(palette: Palette, shown: Dataset | None, counts: bool) -> str:
    """The context's kinds, and its credit."""
    zoom = kind_min_zooms()
    return (
        "<h4>Context</h4>"
        + swatch(
            "sw dot",
            "background:#fff;border:1px solid #6b6b6b;width:5px;height:5px",
            "town",
            min_zoom=zoom.get("town"),
        )
        + swatch(
            "sw line",
            "border-color:#c9914a",
            "highway (M4, M5: schematic)",
            min_zoom=zoom.get("road"),
        )
        + swatch("sw line", "border-color:#8fb5d9", "river", min_zoom=zoom.get("river"))
        + swatch("sw", "background:#cfc8bd", "built-up area", min_zoom=zoom.get("urban"))
        + f"<div class='atlas-muted'>{ATTRIBUTION}</div>"
    )


@lru_cache(maxsize=1)
def kind_min_zooms() -> dict[str, float]:
    """The zoom from which each kind of context feature is first drawn (its legend entry too).

    >>> kind_min_zooms()["road"]
    7.0
    """
    zooms: dict[str, float] = {}
    for feature in load_context()["features"]:
        kind, zoom = feature["properties"].get("kind"), feature["properties"].get("min_zoom")
        if kind is not None:
            zooms[kind] = min(zooms.get(kind, 99.0), float(zoom or 0))
    return zooms


LAYER = MapLayer("context", LABEL, draw, legend, draw_order=5, legend_order=44)
