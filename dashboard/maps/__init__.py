"""Map building as pure functions: data in, ``folium.Map`` (or layers) out, no Streamlit.

The map is built in two parts so the app can update it without re-rendering: a *base map*
that depends only on the view, the basemap and the whole dataset (outlines, legend, controls),
and *data layers* that depend on the filters (events, places, zones, routes as of a day).
:func:`build_event_map` puts both together for standalone use (exports, snapshots, tests).

Every piece of data text that reaches HTML is escaped; links are kept only when they are
http(s).  All geometry is EPSG:4326.  The modules:

- ``layers``: the registry of map layers (:data:`MAP_LAYERS`), and the functions that
  draw them and write their legend: the one place to add a layer
- ``events``, ``places``, ``zones``, ``routes``: one layer each, its drawing and legend
- ``drawing``: what a layer is (:class:`MapLayer`), what it is drawn with and returns
- ``popups``: popup and tooltip text (escaped HTML), the elements that carry it
- ``legend``: the legend, its entries' shape, the map's stylesheet
- ``notices``: the notices over the map (matches out of view, tiles that cannot load)
- ``base``: the base map (tiles or outlines, controls, legend)
- ``palette``: the dataset's colours, the basemap's land, sea and outline styles
- ``output``: the whole map, its HTML, what st_folium hands back

The grid that events are counted in lives in :mod:`geo.grid` (data work, not drawing);
its functions are re-exported here for callers of the old single module.
"""

# ruff: noqa: E402  (the package's modules are imported once rendering is made safe)

from __future__ import annotations

from typing import Any

from dashboard import rendering

# folium re-reads rendered text as Jinja source unless this is in force: data would run.
# Installed before any module of the package is imported, so that nothing can build a map
# without it (rendering.check() proves it before each render).
rendering.install()

from dashboard.maps.base import (
    TILE_LABELS,
    TILES,
    OutlinesFromUrl,
    ViewReportSwitch,
    attribution_text,
    basemap_geojson,
    build_base_map,
    map_credit,
    tile_hosts,
)
from dashboard.maps.drawing import (
    DEFAULT_DRAWING,
    EVENT_DRAWINGS,
    MAX_MARKERS,
    Aggregation,
    DrawContext,
    Drawn,
    LayerRegistry,
    MapLayer,
)
from dashboard.maps.events import (
    COARSE_PRECISIONS,
    DOUBTFUL_STATUSES,
    aggregate_layer,
    event_layer,
    redrawn_for_view,
)
from dashboard.maps.layers import MAP_LAYERS, build_data_layers, legend_html
from dashboard.maps.legend import LEGEND_GROUP, MAP_CSS, Legend, LegendBody, short_attribution
from dashboard.maps.notes import (
    ANNOTATION_CLASS,
    HIGHLIGHT_CLASS,
    annotation_layer,
    highlight_layer,
)
from dashboard.maps.notices import OffViewNotice, TileFailureNotice
from dashboard.maps.output import (
    build_event_map,
    layer_control,
    leaflet_bounds,
    map_html,
    reported_view,
)
from dashboard.maps.palette import LAND, SEA, Palette, outline_style, outline_styles
from dashboard.maps.places import place_layer
from dashboard.maps.popups import (
    EVENT_ID_LABEL,
    HtmlPopup,
    TextTooltip,
    date_text,
    esc,
    event_id_from_popup,
    event_popup_html,
    people_moved_text,
    route_popup_html,
    safe_url,
    sources_html,
    zone_popup_html,
)
from dashboard.maps.routes import arrow_bearings, route_layer
from dashboard.maps.zones import zone_layer
from geo.grid import CELLS_ACROSS, cell_size, count_per_cell, in_bounds


def __getattr__(name: str) -> Any:
    # The layer list's two spellings before the registry, for callers not yet moved to
    # MAP_LAYERS: computed when asked, so they never miss a layer registered since.
    if name == "DATA_LAYERS":
        return MAP_LAYERS.names()
    if name == "LAYER_TITLES":
        return MAP_LAYERS.labels()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ANNOTATION_CLASS",
    "CELLS_ACROSS",
    "COARSE_PRECISIONS",
    "DATA_LAYERS",
    "DEFAULT_DRAWING",
    "DOUBTFUL_STATUSES",
    "EVENT_DRAWINGS",
    "EVENT_ID_LABEL",
    "HIGHLIGHT_CLASS",
    "LAND",
    "LAYER_TITLES",
    "LEGEND_GROUP",
    "MAP_CSS",
    "MAP_LAYERS",
    "MAX_MARKERS",
    "SEA",
    "TILES",
    "TILE_LABELS",
    "Aggregation",
    "DrawContext",
    "Drawn",
    "HtmlPopup",
    "LayerRegistry",
    "Legend",
    "LegendBody",
    "MapLayer",
    "OffViewNotice",
    "OutlinesFromUrl",
    "Palette",
    "TextTooltip",
    "TileFailureNotice",
    "ViewReportSwitch",
    "aggregate_layer",
    "annotation_layer",
    "arrow_bearings",
    "attribution_text",
    "basemap_geojson",
    "build_base_map",
    "build_data_layers",
    "build_event_map",
    "cell_size",
    "count_per_cell",
    "date_text",
    "esc",
    "event_id_from_popup",
    "event_layer",
    "event_popup_html",
    "highlight_layer",
    "in_bounds",
    "layer_control",
    "leaflet_bounds",
    "legend_html",
    "map_credit",
    "map_html",
    "outline_style",
    "outline_styles",
    "people_moved_text",
    "place_layer",
    "redrawn_for_view",
    "reported_view",
    "route_layer",
    "route_popup_html",
    "safe_url",
    "short_attribution",
    "sources_html",
    "tile_hosts",
    "zone_layer",
    "zone_popup_html",
]
