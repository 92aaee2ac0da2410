"""The city context layer: Aleppo's built-up area, the Queiq, neighbourhoods and landmarks.

A locator map's ground at zoom 12-14, under the zones and events: the built-up area as a
faint fill, the river as a thin blue line, the neighbourhood outlines faint, and the
landmarks (the Citadel, the airport, Ramouseh) as small symbols.  Zoomed far out it fades
away: the outlines and their labels from zoom 12 down, everything but the urban area's fill
below zoom 10.

Labels are permanent Leaflet tooltips of class ``atlas-label``: each carries its text (set
as text, never HTML), its Arabic name (``data-name-ar``) and a priority (``data-priority``,
1 first) on the tooltip's element, anchored at the label's position (a neighbourhood's
representative point), so that a label engine can choose among them.  Until one does,
lower priorities simply wait for closer zooms (see ``LABEL_MIN_ZOOM``).

The data is :func:`geo.context.city_context` (EPSG:4326), drawn only when the dataset has
something within reach of Aleppo.
"""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode

from dashboard.maps.drawing import DrawContext, Drawn, MapLayer
from dashboard.maps.labels import PRIORITY_MINOR_PLACE, PRIORITY_PLACE, PRIORITY_TOWN
from dashboard.maps.legend import swatch
from dashboard.maps.palette import Palette
from geo.context import city_context
from geo.dataset import Dataset
from geo.schema import DATASET_LAYERS

NAME = "city"
LABEL = "City context"

#: Where the city context is worth drawing (west, south, east, north), degrees: a dataset
#: with nothing in this box gets an empty layer (no Aleppo over someone else's map).
REACH = (36.6, 35.8, 37.7, 36.6)

BUILT_UP = "#b9ad99"
RIVER = "#4a90c8"
OUTLINE = "#8c8273"

#: The zoom from which each label priority shows (1: landmarks; 2: the story's
#: neighbourhoods and the river; 3: every other neighbourhood).
LABEL_MIN_ZOOM = {1: 12, 2: 13, 3: 15}
#: Each city priority on the label engine's one scale (``dashboard.maps.labels``): the
#: landmarks beside the dataset's places, the neighbourhoods below its minor places, so a
#: place the story names is never hidden by the outline it lies in.
LABEL_RANK = {1: PRIORITY_PLACE, 2: PRIORITY_MINOR_PLACE + 1, 3: PRIORITY_MINOR_PLACE + 2}
#: The zooms each part is drawn at (lowest, highest): the coarse urban area (Natural Earth
#: 1:50m) stands for the city when zoomed out, the built-up area and the river from zoom
#: 10, the outlines, landmarks and labels from zoom 12.
ZOOMS = {
    "urban_area": (7, 9),
    "built_up": (10, 99),
    "river": (10, 99),
    "neighbourhood": (12, 99),
    "landmarks": (12, 99),
    "labels": (12, 99),
}

#: How far a drawn outline may stray from the bundled one, degrees (~2 m; the simplifier
#: that keeps topology strays up to ~3 m: under a pixel at zoom 15, and far inside the
#: outlines' own accuracy, a 2013 listing digitised over imagery).  The neighbourhoods'
#: 9,400 vertices were 230 kB of each map update, sent again on every rerun; simplified,
#: about half that.
DRAW_TOLERANCE = 0.00002

#: The landmark symbols (a fixed set: the data names one, the glyph is ours).
SYMBOLS = {"citadel": "\u25b2", "airport": "\u2708", "junction": "\u25c6"}

CSS = """
.atlas-label.atlas-city-label { background: transparent; border: 0; box-shadow: none;
  padding: 0; color: #5b5346; font: 500 11px system-ui, sans-serif; white-space: nowrap;
  text-shadow: 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; pointer-events: none; }
.atlas-label.atlas-city-label::before { display: none; }
.atlas-label.atlas-city-label.atlas-label-landmark { font-weight: 600; color: #3b352c; }
.atlas-label.atlas-city-label.atlas-label-river { font-style: italic; color: #2f6d9e; }
.atlas-landmark { color: #3b352c; font: 13px/14px system-ui, sans-serif; text-align: center;
  text-shadow: 0 0 2px #fff, 0 0 3px #fff; }
""" + "".join(
    f".atlas-z-lt{zoom} .atlas-label.atlas-city-label.atlas-priority-{priority} "
    "{ display: none; }\n"
    for priority, zoom in LABEL_MIN_ZOOM.items()
)

#: Binds a label's text (as text), its Arabic name and priority to a permanent tooltip.
BIND_LABEL = JsCode(
    """function (feature, layer) {
        var p = feature.properties;
        var tip = document.createElement("span");
        tip.textContent = p.label;
        tip.setAttribute("data-priority", String(p.rank));
        if (p.name_ar) { tip.setAttribute("data-name-ar", p.name_ar); }
        layer.bindTooltip(tip, {
            permanent: true, direction: "center", interactive: false, opacity: 1,
            className: "atlas-label atlas-city-label atlas-label-" + p.kind +
                " atlas-priority-" + p.priority
        });
        layer.getTooltip().on("add", function (e) {
            var element = e.target.getElement();
            element.setAttribute("data-priority", String(p.rank));
            element.setAttribute("data-label", p.label);
            if (p.name_ar) { element.setAttribute("data-name-ar", p.name_ar); }
        });
    }"""
)

#: Gives each landmark its symbol: a glyph from our own table, chosen by the data's key.
BIND_LANDMARK = JsCode(
    "function (feature, layer) {\n        var glyphs = "
    + json.dumps(SYMBOLS)
    + """;
        var symbol = feature.properties.symbol;
        layer.setIcon(L.divIcon({
            className: "atlas-landmark atlas-landmark-" + symbol,
            html: glyphs[symbol] || "\\u25cf",
            iconSize: [14, 14], iconAnchor: [7, 7]
        }));
    }"""
)


class ZoomRules(MacroElement):
    """Shows each part of the layer only at its zooms, and the layer's label CSS.

    Its parent is the layer's feature group.  The map draws paths on a canvas, where CSS
    cannot reach: so ``parts`` (each a folium element of the group, with the lowest and
    highest zoom it shows at) are added to and taken off the group as the map zooms, in
    their drawing order.  The labels and symbols are HTML, hidden by CSS: the map's
    container carries a class ``atlas-z-ltN`` for each threshold N the zoom is under.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var group = {{ this._parent.get_name() }};
  var parts = [
    {%- for part, low, high in this.parts %}
    [{{ part.get_name() }}, {{ low }}, {{ high }}],
    {%- endfor %}
  ];
  var thresholds = {{ this.thresholds|tojavascript }};
  var shown = null;
  function classes(map) {
    var container = map.getContainer();
    var zoom = map.getZoom();
    thresholds.forEach(function (n) {
      container.classList.toggle("atlas-z-lt" + n, zoom < n);
    });
  }
  function apply() {
    var map = group._map;
    if (!map) { return; }
    classes(map);
    var zoom = map.getZoom();
    var now = parts.map(function (p) { return zoom >= p[1] && zoom <= p[2]; }).join();
    if (now === shown) { return; }
    shown = now;
    parts.forEach(function (p) { group.removeLayer(p[0]); });
    parts.forEach(function (p) {
      if (zoom >= p[1] && zoom <= p[2]) { group.addLayer(p[0]); }
    });
  }
  var map = null;
  function setup() {
    map = group._map;
    if (!document.getElementById("atlas-city-style")) {
      var style = document.createElement("style");
      style.id = "atlas-city-style";
      style.textContent = {{ this.css|tojavascript }};
      document.head.appendChild(style);
    }
    map.on("zoomend", apply);
    shown = null;
    apply();
  }
  group.on("add", setup);
  // the app redraws the layer in place (a new group each time): the old one lets go
  group.on("remove", function () { if (map) { map.off("zoomend", apply); } });
  if (group._map) { setup(); }
})();
{% endmacro %}
"""
    )

    def __init__(self, parts):
        super().__init__()
        self._name = "ZoomRules"
        self.parts = parts
        self.css = CSS
        self.thresholds = sorted(set(LABEL_MIN_ZOOM.values()))


def _within_reach(data: Dataset) -> bool:
    """True when some feature's bounds overlap ``REACH`` (small layers first: events last)."""
    west, south, east, north = REACH
    order = sorted(DATASET_LAYERS, key=lambda layer: str(layer) == "events")
    for layer in order:
        frame = data.layer(layer)
        if not len(frame):
            continue
        bounds = shapely.bounds(frame.geometry.to_numpy())  # NaN for a missing shape
        hits = (
            (bounds[:, 0] <= east)
            & (bounds[:, 2] >= west)
            & (bounds[:, 1] <= north)
            & (bounds[:, 3] >= south)
        )
        if hits.any():
            return True
    return False


def _feature(geometry, properties: dict) -> dict:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": shapely.geometry.mapping(geometry),
    }


def label_features(context: gpd.GeoDataFrame) -> list[dict]:
    """Each label's text, Arabic name, kind, priority and position, as GeoJSON points.

    ``context``: :func:`geo.context.city_context`'s frame (EPSG:4326).  Neighbourhoods are
    labelled at their representative point (always inside the outline), the river at its
    middle, landmarks at their symbol (the label sits just below it).
    """
    features = []
    for row in context.itertuples():
        if row.kind not in ("neighbourhood", "river", "landmark"):
            continue
        if row.kind == "neighbourhood":
            position = row.geometry.representative_point()
        elif row.kind == "river":
            position = row.geometry.interpolate(0.35, normalized=True)
        else:
            position = shapely.Point(row.geometry.x, row.geometry.y - 0.0012)
        features.append(
            _feature(
                position,
                {
                    "label": str(row.name),
                    "name_ar": str(row.name_ar or ""),
                    "kind": str(row.kind),
                    "priority": int(row.priority),
                    "rank": LABEL_RANK.get(int(row.priority), PRIORITY_TOWN),
                },
            )
        )
    return features


def city_layer(context: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """The city context as one feature group (see the module's docstring).

    ``context``: :func:`geo.context.city_context` (EPSG:4326; columns kind, name, name_ar,
    priority, symbol).  Nothing is interactive: the context never takes a click or a hover
    from the zones and events above it.  Each part is drawn only at its ``ZOOMS``.
    """
    group = folium.FeatureGroup(name=LABEL, show=True)
    styles = {
        "urban_area": {"stroke": False, "fillColor": BUILT_UP, "fillOpacity": 0.3},
        "built_up": {"stroke": False, "fillColor": BUILT_UP, "fillOpacity": 0.3},
        "neighbourhood": {"color": OUTLINE, "weight": 0.7, "opacity": 0.6, "fill": False},
        "river": {"color": RIVER, "weight": 2, "opacity": 0.9, "fill": False},
    }
    parts = []
    for kind, style in styles.items():
        rows = context[context["kind"] == kind]
        if rows.empty:
            continue
        # each shape apart, topology kept: a shared edge may part by up to the tolerance
        shapes = shapely.simplify(rows.geometry.to_numpy(), DRAW_TOLERANCE, preserve_topology=True)
        part = folium.GeoJson(
            {"type": "FeatureCollection", "features": [_feature(g, {}) for g in shapes]},
            style_function=lambda _f, s={**style, "interactive": False}: s,
            interactive=False,
            control=False,
            name=f"city-{kind}",
        ).add_to(group)
        parts.append((part, *ZOOMS[kind]))
    landmarks = context[context["kind"] == "landmark"]
    if not landmarks.empty:
        part = folium.GeoJson(
            {
                "type": "FeatureCollection",
                "features": [
                    _feature(r.geometry, {"symbol": r.symbol if r.symbol in SYMBOLS else ""})
                    for r in landmarks.itertuples()
                ],
            },
            marker=folium.Marker(keyboard=False, interactive=False),
            on_each_feature=BIND_LANDMARK,
            control=False,
            name="city-landmarks",
        ).add_to(group)
        parts.append((part, *ZOOMS["landmarks"]))
    labels = folium.GeoJson(
        {"type": "FeatureCollection", "features": label_features(context)},
        marker=folium.CircleMarker(radius=0, stroke=False, fill=False),
        style_function=lambda _f: {"radius": 0, "stroke": False, "fill": False},
        on_each_feature=BIND_LABEL,
        control=False,
        name="city-labels",
    ).add_to(group)
    parts.append((labels, *ZOOMS["labels"]))
    ZoomRules(parts).add_to(group)
    return group


def draw(data: Dataset, context: DrawContext) -> Drawn:
    """Aleppo's context, when the dataset reaches Aleppo (else an empty group)."""
    if not _within_reach(data):
        return Drawn(folium.FeatureGroup(name=LABEL, show=True))
    return Drawn(city_layer(city_context()))


def legend(palette: Palette, shown: Dataset | None, counts: bool) -> str:
    """The built-up area and the river (the context that needs a key), from zoom 10."""
    if shown is not None and not _within_reach(shown):
        return ""
    # keyed from the zoom they are drawn at (zoomed out, the coarse urban area stands for
    # the city): the label script shows the entries from there
    return "".join(
        [
            f"<div data-min-zoom='{ZOOMS['built_up'][0]}'><h4>City</h4>",
            swatch("sw", f"background:{BUILT_UP};opacity:0.6;border:0", "built-up area"),
            swatch("sw line", f"border-color:{RIVER};border-style:solid", "Queiq river"),
            "</div>",
        ]
    )


LAYER = MapLayer(NAME, LABEL, draw, legend, draw_order=6, legend_order=50)
