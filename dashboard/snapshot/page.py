"""The snapshot as one standalone HTML page: the map in its layout, every asset inlined."""

from __future__ import annotations

import base64
import mimetypes
import re
from pathlib import Path

from branca.element import Element, MacroElement, Template

from dashboard.assets import STATIC_DIR, assets_installed
from dashboard.maps import (
    Palette,
    annotation_layer,
    build_event_map,
    esc,
    highlight_layer,
    map_html,
    tile_hosts,
)
from dashboard.snapshot.layout import (
    PAGE_CSS,
    STATIC_CSS,
    SnapshotLayout,
    credit_html,
    header_html,
    locator_svg,
    side_html,
)
from dashboard.snapshot.provenance import (
    caption_html,
    cited_sources,
    credit_text,
    html_meta,
    metadata,
    provenance,
)
from dashboard.snapshot.request import SnapshotRequest
from geo.filters import filter_dataset

READY_ATTRIBUTE = "data-atlas-ready"

_READY = Template(
    """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var marked = false;
  function ready() {
    if (marked) { return; }
    marked = true;
    // the labels as shot: laid out once every script of the page has run (the map's
    // fitBounds comes after this one) and the map has stopped moving, then marked ready.
    // Leaflet starts a zoom animation a frame after it is asked for: three still frames
    // in a row, not one, say that the view is final.
    var still = 0;
    function settled() {
      var moving = map._animatingZoom ||
        map.getContainer().classList.contains("leaflet-zoom-anim");
      still = moving ? 0 : still + 1;
      if (still < 3) { requestAnimationFrame(settled); return; }
      if (window.atlasLabels) { window.atlasLabels.declutter(map); }
      requestAnimationFrame(function () {
        document.documentElement.setAttribute("{{ this.attribute }}", "1");
      });
    }
    requestAnimationFrame(settled);
  }
  var tiles = [];
  map.eachLayer(function (layer) { if (layer instanceof L.TileLayer) { tiles.push(layer); } });
  if (!tiles.length) { map.whenReady(ready); return; }
  // a tile basemap: shoot once its tiles are in, or after {{ this.tile_wait_ms }} ms without them
  var pending = tiles.length;
  tiles.forEach(function (t) {
    t.once("load", function () { if (--pending === 0) { ready(); } });
  });
  setTimeout(ready, {{ this.tile_wait_ms }});
})();
{% endmacro %}
"""
)


class ReadySignal(MacroElement):
    """Marks the page ready once Leaflet has drawn, so a renderer knows when to shoot."""

    _template = _READY

    def __init__(self):
        super().__init__()
        self._name = "ReadySignal"
        self.attribute = READY_ATTRIBUTE
        self.tile_wait_ms = 15_000


def content_security_policy(tiles: str) -> str:
    """What a snapshot page may load: its own inline assets and data URIs, nothing else.

    No fetch, WebSocket, beacon, frame, form or plugin; a tile basemap's images when one is
    chosen.

    >>> "connect-src 'none'" in content_security_policy("offline")
    True
    """
    images = " ".join(["data:", *(f"https://{host}" for host in tile_hosts(tiles))])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'unsafe-inline'",
            "style-src 'unsafe-inline'",
            f"img-src {images}",
            "font-src data:",
            "connect-src 'none'",
            "media-src 'none'",
            "object-src 'none'",
            "frame-src 'none'",
            "worker-src 'none'",
            "manifest-src 'none'",
            "form-action 'none'",
            "base-uri 'none'",
        ]
    )


def snapshot_html(
    request: SnapshotRequest,
    basemap_json: str,
    *,
    attribution: str,
    interactive: bool = True,
) -> str:
    """The snapshot as one standalone HTML page: map in its layout, every asset inlined.

    ``basemap_json`` is the basemap's GeoJSON text (WGS 84); ``attribution`` its credit.
    ``interactive`` keeps the zoom, layer and fullscreen controls (the HTML export); PNGs,
    SVGs, PDFs and videos hide them.

    Raises
    ------
    FileNotFoundError
        When the offline map assets are not installed (``make install``).
    """
    return snapshot_page(request, basemap_json, attribution, interactive)[0]


def snapshot_page(
    request: SnapshotRequest, basemap_json: str, attribution: str, interactive: bool
) -> tuple[str, dict[str, str]]:
    """The page and the provenance facts it states (the files' metadata reuses them)."""
    shown = filter_dataset(request.dataset, request.filters)
    m = build_event_map(
        shown,
        basemap_json,
        bounds=request.bounds,
        palette=Palette.for_dataset(request.dataset),
        as_of=request.filters.effective_as_of,
        layers=request.layers,
        tiles=request.tiles,
        attribution=attribution,
        asset_base_url=STATIC_DIR.as_uri(),
        count_in=request.count_in,
    )
    # Leaflet's SVG renderer, not its canvas: a PDF then holds the layers as vector paths,
    # and the SVG export reads them from the page (a canvas would be one picture)
    m.options.pop("prefer_canvas", None)
    m.control_scale = False  # the layout adds a metric one (folium's shows miles as well)
    if request.highlight:
        highlight_layer(shown, request.highlight).add_to(m)
    if request.annotations:
        annotation_layer(request.annotations).add_to(m)
    SnapshotLayout().add_to(m)
    ReadySignal().add_to(m)
    root = m.get_root()
    facts = provenance(request, shown, attribution)
    sources = cited_sources(shown, request.layers)
    meta = metadata(request, facts)
    # first in <head>: a policy set by <meta> covers only what follows it
    root.header.add_child(
        Element(
            '<meta http-equiv="Content-Security-Policy" '
            f'content="{esc(content_security_policy(request.tiles))}">'
        ),
        name="atlas_csp",
        index=0,
    )
    root.header.add_child(Element(html_meta(meta)), name="atlas_meta")
    root.header.add_child(
        Element(f"<style>{PAGE_CSS}{'' if interactive else STATIC_CSS}</style>"),
        name="atlas_page_css",
    )
    root.html.add_child(Element(header_html(facts)), name="atlas_head", index=0)
    root.html.add_child(
        Element(side_html(locator_svg(basemap_json, request.bounds))), name="atlas_side"
    )
    root.html.add_child(Element(credit_html(credit_text(facts, sources))), name="atlas_credit")
    if request.provenance_footer:
        root.html.add_child(Element(caption_html(facts, sources)), name="atlas_provenance")
    # folium's page template writes the title unescaped: a "</title><script>" in a
    # dataset's name would otherwise be markup
    root.title = esc(facts["title"])
    return inline_assets(map_html(m)), facts


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")

    def to_data(match: re.Match) -> str:
        target = match.group(2)
        if target.startswith(("data:", "#")):
            return match.group(0)
        return f"url({_data_uri((path.parent / target).resolve())})"

    return re.sub(r"url\((['\"]?)([^'\")]+)\1\)", to_data, css)


def inline_assets(html: str) -> str:
    """Replace every ``file:`` script and stylesheet of the static folder with its content.

    Raises
    ------
    FileNotFoundError
        When an asset is missing (the offline assets are installed by ``make install``).
    """
    if not assets_installed():
        raise FileNotFoundError(
            f"the offline map assets are not installed in {STATIC_DIR / 'node_modules'}: "
            "run 'make install' (it needs npm)"
        )
    prefix = re.escape(STATIC_DIR.as_uri())

    def script(match: re.Match) -> str:
        path = Path(STATIC_DIR, match.group(1).lstrip("/"))
        code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def style(match: re.Match) -> str:
        path = Path(STATIC_DIR, match.group(1).lstrip("/"))
        return f"<style>{_inline_css(path)}</style>"

    html = re.sub(rf'<script src="{prefix}([^"]+)"></script>', script, html)
    html = re.sub(rf'<link rel="stylesheet" href="{prefix}([^"]+)"\s*/?>', style, html)
    if STATIC_DIR.as_uri() in html:
        raise AssertionError("an asset reference was left un-inlined")
    return html
