"""The base map: what the map shows whatever the filters, built once per view and basemap.

Tiles or the offline outlines, the scale bar, the fullscreen control and the legend; the
data layers (:mod:`dashboard.maps.layers`) go on top.  The outlines are drawn with the
styles of :func:`dashboard.maps.palette.outline_styles`, whether inline or fetched by the
browser (which receives them as JSON).
"""

from __future__ import annotations

import re

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.plugins import Fullscreen
from folium.template import Template

from dashboard import rendering
from dashboard.assets import localize_assets
from dashboard.maps.context import ATTRIBUTION as CONTEXT_ATTRIBUTION
from dashboard.maps.labels import LabelDeclutter
from dashboard.maps.layers import legend_html
from dashboard.maps.legend import Legend
from dashboard.maps.notices import TileFailureNotice
from dashboard.maps.palette import Palette, outline_style, outline_styles
from dashboard.maps.points import PointsScript
from geo.schema import Column

TILES = {
    "offline": None,
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors",
        "OpenStreetMap",
    ),
    "carto": (
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        "© OpenStreetMap contributors © CARTO",
        "CARTO light",
    ),
}


def tile_hosts(tiles: str) -> tuple[str, ...]:
    """The hosts a tile basemap loads its images from (none for the offline outlines).

    >>> tile_hosts("carto"), tile_hosts("offline")
    (('*.basemaps.cartocdn.com',), ())
    """
    if TILES.get(tiles) is None:
        return ()
    host = re.match(r"https://([^/]+)/", TILES[tiles][0]).group(1)
    return (host.replace("{s}", "*"),)


#: The outlines' pane: under the context layer's (380) and the data's (overlayPane, 400).
OUTLINES_PANE = "atlasOutlines"

TILE_LABELS = {
    "offline": "Offline outlines (no internet needed)",
    "osm": "OpenStreetMap tiles (online)",
    "carto": "CARTO light tiles (online)",
}


def basemap_geojson(basemap: gpd.GeoDataFrame, tolerance: float = 0.005) -> str:
    """The basemap outlines as compact GeoJSON text, simplified to ``tolerance`` degrees."""
    simplified = basemap[[Column.NAME, Column.KIND, "geometry"]].copy()
    simplified["geometry"] = simplified.geometry.simplify(tolerance, preserve_topology=True)
    return simplified.to_json(drop_id=True)


def attribution_text(basemap: gpd.GeoDataFrame) -> str:
    """The basemap's attribution, each source once."""
    names = []
    for text in basemap[Column.ATTRIBUTION].dropna():
        for part in str(text).split(";"):
            part = part.strip()
            if part and not part.startswith("1:") and part not in names:
                names.append(part)
    return "; ".join(names)


def build_base_map(
    basemap_json: str,
    *,
    bounds: list[list[float]],
    palette: Palette,
    tiles: str = "offline",
    attribution: str = "",
    asset_base_url: str | None = None,
    counts: bool = False,
    legend_body: str | None = None,
    fold_legend_below_px: int = 0,
    hold_view_reports: bool = False,
) -> folium.Map:
    """The map without data: outlines (or tiles), scale bar, controls, legend, label script.

    The legend lists ``legend_body`` (escaped HTML from :func:`legend_html`), else the whole
    palette (``counts``: with counts per cell); the data layers replace its entries with
    what they show.  It is folded on maps narrower than ``fold_legend_below_px``.

    ``basemap_json`` is GeoJSON text from :func:`basemap_geojson`, or the URL the browser
    fetches it from (the app serves it, so it is cached and not re-sent on every update);
    ``bounds`` Leaflet's
    ``[[south, west], [north, east]]``; ``asset_base_url`` where the offline Leaflet copies
    are served (None: folium's CDNs); ``hold_view_reports``: in the app, the map sends its
    view only once a :class:`ViewReportSwitch` lets it (see :class:`ChosenViewReports`).
    """
    rendering.check()  # the app renders this map through st_folium, not map_html
    m = folium.Map(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=5,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,  # fit a view's bounds closely, not to the nearest whole zoom
        zoom_control=True,
        attribution_control=True,
    )
    if tiles != "offline":
        url, tile_attribution, name = TILES[tiles]
        folium.TileLayer(url, attr=tile_attribution, name=name, control=False).add_to(m)
    filled = tiles == "offline"
    if basemap_json.startswith(("/", "http://", "https://", "file:")):
        OutlinesFromUrl(basemap_json, filled=filled).add_to(m)
    else:
        # in a pane of their own under the context layer and the data, as when fetched
        folium.map.CustomPane(OUTLINES_PANE, z_index=350, pointer_events=False).add_to(m)
        folium.GeoJson(
            basemap_json,
            name="Outlines",
            pane=OUTLINES_PANE,
            style_function=lambda f: outline_style(f["properties"]["kind"], filled=filled),
            control=False,
            interactive=False,
        ).add_to(m)
    m.fit_bounds(bounds)
    if tiles != "offline":
        TileFailureNotice().add_to(m)
    Fullscreen(position="topleft").add_to(m)
    ChosenViewReports(held=hold_view_reports).add_to(m)
    # before any data layer: the labels they bring are decluttered from the first frame on
    LabelDeclutter().add_to(m)
    PointsScript().add_to(m)  # before the data layers, whose many events it draws
    Legend(
        legend_body if legend_body is not None else legend_html(palette, counts=counts),
        attribution=map_credit(attribution),
        fold_below_px=fold_legend_below_px,
    ).add_to(m)
    if asset_base_url is not None:
        localize_assets(m, asset_base_url)
    return m


def map_credit(basemap_attribution: str) -> str:
    """Everything a map draws that needs a credit: the basemap's, then the context towns'.

    The towns are GeoNames' (CC BY 4.0): credited on every map and in every export.
    """
    return "; ".join(part for part in (basemap_attribution, CONTEXT_ATTRIBUTION) if part)


class ChosenViewReports(MacroElement):
    """In the app, st_folium sends back only views a user (or a step's flight) chose.

    Why: each value sent starts a rerun that carries the page the map was drawn on, and
    Streamlit lets that rerun win over a page the user just clicked, who then stays where
    they were.  Two kinds of report are no view anyone chose: a map whose frame has no
    height yet (just mounted) or no longer (its page being left) reports a line across the
    world at zoom 0, and a frame that only changed size reports new bounds about the same
    centre and zoom.  Neither is sent; the next real move is.

    ``held``: the map starts holding its reports back, keeping only the last one, until a
    :class:`ViewReportSwitch` in its layers lets them go (and sends the one kept).  The
    Story page's map is held while nobody edits the story: reading it then starts no rerun
    but the reader's own clicks.  Outside st_folium (exports) this does nothing.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var streamlit = window.Streamlit;  // st_folium's component API, when drawn by st_folium
  if (!streamlit || typeof streamlit.setComponentValue !== "function") { return; }
  var send = streamlit.__atlasSend || streamlit.setComponentValue;
  streamlit.__atlasSend = send;
  var lastSent = null, held = {{ this.held|tojson }}, kept = null;
  function report(value) {
    if (map.getSize().y < {{ this.min_height }}) { return; }
    if (held) { kept = value; return; }
    var chosen = Object.assign({}, value);
    delete chosen.bounds;  // the same view in a resized frame has other bounds
    var key = JSON.stringify(chosen);
    if (key === lastSent) { return; }
    lastSent = key;
    return send.call(streamlit, value);
  }
  streamlit.setComponentValue = report;
  streamlit.__atlasReports = function (on) {
    held = !on;
    if (on && kept !== null) { var value = kept; kept = null; report(value); }
  };
})();
{% endmacro %}
"""
    )

    def __init__(self, min_height: int = 50, *, held: bool = False):
        super().__init__()
        self._name = "ChosenViewReports"
        self.min_height = int(min_height)
        self.held = bool(held)


class ViewReportSwitch(MacroElement):
    """Lets a held map's reports go (``on``) or holds them again: see :class:`ChosenViewReports`.

    Added to a feature group, so that st_folium runs it whenever ``on`` changes, without
    mounting the map again.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
if (window.Streamlit && window.Streamlit.__atlasReports) {
  window.Streamlit.__atlasReports({{ this.on|tojson }});
}
{% endmacro %}
"""
    )

    def __init__(self, on: bool):
        super().__init__()
        self._name = "ViewReportSwitch"
        self.on = bool(on)


class OutlinesFromUrl(MacroElement):
    """The basemap outlines, fetched by the browser from a URL (styled as in the inline case)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var pane = map.createPane("atlasOutlines");
  pane.style.zIndex = 350;  // under the data (overlayPane is 400)
  var styles = {{ this.styles|tojson }};
  fetch({{ this.url|tojson }}).then(function (r) { return r.json(); }).then(function (data) {
    L.geoJSON(data, {
      pane: "atlasOutlines",
      interactive: false,
      style: function (f) {
        return f.properties.kind === "country" ? styles.country : styles.region;
      }
    }).addTo(map);
  });
})();
{% endmacro %}
"""
    )

    def __init__(self, url: str, *, filled: bool):
        super().__init__()
        self._name = "OutlinesFromUrl"
        self.url = url
        # the styles as data (JSON in the page), the same dict the inline outlines use
        self.styles = outline_styles(filled=filled)
