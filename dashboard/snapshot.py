"""Map snapshots that carry their provenance: standalone HTML, PNG, and series of PNGs.

A snapshot is the same folium map the app shows, wrapped in a page with a caption: title,
date window and as-of day, the filters in plain English, what is shown, the sources cited by
what is shown, the dataset's version and the attributions.  The standalone HTML inlines
every asset (it opens from disk, offline).  PNGs are that page rendered by headless Chromium,
with the filter state and the shareable link in PNG text chunks.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import mimetypes
import re
import socket
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
from branca.element import Element, MacroElement, Template
from PIL import Image, PngImagePlugin

from dashboard.assets import STATIC_DIR, assets_installed
from dashboard.browser import launch_chromium
from dashboard.maps import (
    MAP_LAYERS,
    MAX_MARKERS,
    Palette,
    build_event_map,
    esc,
    map_html,
    tile_hosts,
)
from geo.dataset import Dataset
from geo.filters import (
    FILTER_FIELDS,
    Filters,
    describe_filters,
    filter_dataset,
    filters_to_text,
    format_day,
)
from geo.grid import cell_size, in_bounds
from geo.parsing import decode_json_list
from geo.schema import DATASET_LAYERS, Column, Layer

READY_ATTRIBUTE = "data-atlas-ready"
DEFAULT_SIZE = (1600, 1000)
#: How many publishers a caption names, the most cited first; the rest are counted.  A
#: caption listing them all (a GED table cites thousands) pushes the map off the screen.
SOURCES_IN_CAPTION = 8
#: The longest publisher name a caption shows whole (some tables put a whole citation there).
PUBLISHER_CHARACTERS = 80


def software() -> str:
    """``conflict-atlas <version>``."""
    try:
        return f"conflict-atlas {version('conflict-atlas')}"
    except PackageNotFoundError:
        return "conflict-atlas"


@dataclass(frozen=True)
class SnapshotRequest:
    """What to draw: the dataset, the filters, the extent and how it looks.

    ``bounds`` is Leaflet's ``[[south, west], [north, east]]``; ``link`` the shareable URL
    (or query string) that reproduces the view in the app.
    """

    dataset: Dataset
    filters: Filters
    bounds: list[list[float]]
    layers: Sequence[str] = field(default_factory=MAP_LAYERS.names)
    tiles: str = "offline"
    link: str = ""
    title: str = ""
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    scale: float = 1.0
    state: dict[str, Any] = field(default_factory=dict)

    def with_as_of(self, day: dt.date) -> SnapshotRequest:
        """The same snapshot on another as-of day (for series)."""
        filters = replace(self.filters, as_of=pd.Timestamp(day))
        link = re.sub(r"as_of=\d{4}-\d{2}-\d{2}", f"as_of={day:%Y-%m-%d}", self.link)
        state = {**self.state, "as_of": f"{day:%Y-%m-%d}"} if self.state else {}
        return SnapshotRequest(
            **{**self.__dict__, "filters": filters, "link": link, "state": state}
        )


# --- what the caption says ------------------------------------------------------------


def cited_sources(shown: Dataset, layers: Sequence[str]) -> Counter[str]:
    """How often each publisher is cited by the features shown (events, zones, routes)."""
    counts: Counter[str] = Counter()
    for layer in (Layer.EVENTS, Layer.ZONES, Layer.ROUTES):
        if str(layer) not in layers:
            continue
        for cell in shown.layer(layer)[Column.SOURCES]:
            for source in decode_json_list(cell):
                counts[str(source.get("publisher", "")).strip()] += 1
    counts.pop("", None)
    return counts


def provenance(request: SnapshotRequest, shown: Dataset, attribution: str) -> dict[str, str]:
    """The snapshot's provenance as plain text fields (the caption and the PNG metadata)."""
    filters = request.filters
    window = "all dates"
    if filters.start is not None or filters.end is not None:
        window = " – ".join(format_day(d) for d in (filters.start, filters.end) if d is not None)
    as_of = filters.effective_as_of
    # the tables' rows shown, in the map's order (a layer drawing no table of its own: none)
    shown_layers = [
        name for name in MAP_LAYERS.names() if name in request.layers and name in DATASET_LAYERS
    ]
    counts = ", ".join(f"{len(shown.layer(layer))} {layer}" for layer in shown_layers)
    if Layer.EVENTS in shown_layers and len(shown.events) > MAX_MARKERS:
        visible = in_bounds(shown.events, request.bounds)
        if len(visible) > MAX_MARKERS:
            size = cell_size(request.bounds)
            counts += f" (events counted per {size:g}° cell: {len(visible):,} in view)"
    return {
        "title": request.title or request.dataset.name or "conflict-atlas snapshot",
        "window": window,
        "as_of": format_day(as_of) if as_of is not None else "every date",
        "filters": describe_filters(filters),
        "shown": counts or "no layers",
        "dataset": f"{request.dataset.name or request.dataset.source} "
        f"(version {request.dataset.content_hash()})",
        "attribution": attribution,
        "link": request.link,
        "made_at": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
    }


def caption_html(facts: dict[str, str], sources: Counter[str]) -> str:
    """The caption block, every value escaped.

    It names the :data:`SOURCES_IN_CAPTION` most cited publishers with their counts, and
    how many more there are (the data exports list them all).
    """
    listed = sources.most_common(SOURCES_IN_CAPTION)
    cited = "; ".join(f"{esc(_shortened(name))} ({n:,})" for name, n in listed)
    if len(sources) > len(listed):
        cited += f"; and {len(sources) - len(listed):,} more (see the data export)"
    link = esc(facts["link"])
    return f"""
<div class="atlas-caption" id="atlas-caption">
  <div class="atlas-caption-title">{esc(facts["title"])}</div>
  <div><b>Dates:</b> {esc(facts["window"])} ·
    <b>zones and routes as of</b> {esc(facts["as_of"])}</div>
  <div><b>Filters:</b> {esc(facts["filters"])} <b>Shown:</b> {esc(facts["shown"])}.</div>
  <div><b>Sources cited by what is shown:</b> {cited or "none"}</div>
  <div class="atlas-caption-small"><b>Data:</b> {esc(facts["dataset"])} · <b>Basemap:</b>
    {esc(facts["attribution"])} · made with {esc(software())}, {esc(facts["made_at"])}</div>
  <div class="atlas-caption-small"><b>Link:</b> {link or "—"}</div>
</div>"""


def _shortened(name: str) -> str:
    if len(name) <= PUBLISHER_CHARACTERS:
        return name
    return name[: PUBLISHER_CHARACTERS - 1].rstrip() + "…"


#: The page: the map above its caption.  The map keeps at least 60 % of the page's
#: height, whatever the caption holds: a PNG is the page's first screen, and a map squeezed
#: by a tall caption was fitted to a strip of it (a world-wide table showed a sliver).
_PAGE_CSS = """
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font: 14px/1.35 system-ui, sans-serif; }
.folium-map { flex: 1 1 auto; position: relative !important; height: auto !important;
  min-height: 60vh; }
.atlas-caption { flex: 0 0 auto; padding: 8px 14px 10px; background: #fff; color: #222;
  border-top: 1px solid #ccc; }
.atlas-caption-title { font-size: 19px; font-weight: 700; margin-bottom: 3px; }
.atlas-caption-small { font-size: 12px; color: #444; }
.atlas-caption div { margin: 1px 0; overflow-wrap: anywhere; }
"""
_STATIC_CSS = """
.leaflet-control-zoom, .leaflet-control-layers, .leaflet-control-fullscreen { display: none; }
"""

_READY = Template(
    """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var marked = false;
  function ready() {
    if (marked) { return; }
    marked = true;
    if (window.atlasLabels) { window.atlasLabels.declutter(map); }  // labels as shot
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      document.documentElement.setAttribute("{{ this.attribute }}", "1");
    }); });
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
    """The snapshot as one standalone HTML page: map, caption, every asset inlined.

    ``interactive`` keeps the zoom, layer and fullscreen controls (the HTML export); PNGs
    hide them.

    Raises
    ------
    FileNotFoundError
        When the offline map assets are not installed (``make install``).
    """
    return _snapshot_page(request, basemap_json, attribution, interactive)[0]


def _snapshot_page(
    request: SnapshotRequest, basemap_json: str, attribution: str, interactive: bool
) -> tuple[str, dict[str, str]]:
    """The page and the provenance facts its caption states (the PNG metadata reuses them)."""
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
    )
    ReadySignal().add_to(m)
    root = m.get_root()
    # first in <head>: a policy set by <meta> covers only what follows it
    root.header.add_child(
        Element(
            '<meta http-equiv="Content-Security-Policy" '
            f'content="{esc(content_security_policy(request.tiles))}">'
        ),
        name="atlas_csp",
        index=0,
    )
    root.header.add_child(
        Element(f"<style>{_PAGE_CSS}{'' if interactive else _STATIC_CSS}</style>"),
        name="atlas_page_css",
    )
    facts = provenance(request, shown, attribution)
    root.html.add_child(
        Element(caption_html(facts, cited_sources(shown, request.layers))),
        name="atlas_caption",
    )
    root.title = facts["title"]
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


# --- PNG ------------------------------------------------------------------------------


def png_metadata(request: SnapshotRequest, facts: dict[str, str]) -> dict[str, str]:
    """The PNG text chunks: the standard keys and the machine-readable filter state.

    Standard keys: Title, Description, Source, Software, Comment, Creation Time, Copyright.
    """
    return {
        "Title": facts["title"],
        "Description": f"{facts['filters']} Shown: {facts['shown']}.",
        "Source": facts["dataset"],
        "Software": software(),
        "Comment": f"Open this view: {facts['link']}" if facts["link"] else "",
        "Creation Time": facts["made_at"],
        "Copyright": f"Basemap: {facts['attribution']}",
        "atlas:state": json.dumps(request.state or _state_of(request), ensure_ascii=False),
        "atlas:link": facts["link"],
    }


def _state_of(request: SnapshotRequest) -> dict[str, Any]:
    """Every filter by its link name (lists for the repeatable ones), and how it was drawn."""
    texts = filters_to_text(request.filters)
    state: dict[str, Any] = {
        spec.query: texts.get(spec.query, [])
        if spec.many
        else next(iter(texts.get(spec.query, [])), None)
        for spec in FILTER_FIELDS
    }
    return {
        **state,
        "layers": list(request.layers),
        "bounds": request.bounds,
        "basemap": request.tiles,
    }


def with_metadata(png: bytes, text: dict[str, str]) -> bytes:
    """The same image with ``text`` in PNG iTXt chunks (UTF-8)."""
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        if value:
            info.add_itxt(key, value)
    with Image.open(io.BytesIO(png)) as image:
        out = io.BytesIO()
        image.save(out, format="PNG", pnginfo=info, optimize=False)
    return out.getvalue()


def read_metadata(png: bytes | Path) -> dict[str, str]:
    """The text chunks of a PNG (to trace a snapshot back to its view)."""
    data = png.read_bytes() if isinstance(png, Path) else png
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return dict(image.text)


class Renderer:
    """One headless Chromium, reused for every PNG it renders (a series shares it).

    Its pages cannot reach the network: every request goes to a proxy that refuses every
    connection (the loopback included, so that a script in a page can reach no local
    service either; WebSockets, beacons and prefetches too), and request routing aborts
    whatever is not inline on top.  A tile basemap's hosts alone are let through, when the
    snapshot chooses one.
    """

    def __init__(self, playwright, browser):
        self._playwright = playwright
        self._browser = browser
        self._pages: dict[tuple[int, int, float, str], Any] = {}
        self._errors: list[str] = []
        # bound and never listening: a port nothing else can take, refusing every connection
        self._nowhere = socket.socket()
        self._nowhere.bind(("127.0.0.1", 0))

    @property
    def browser(self):
        """The Playwright browser itself (for callers that open their own pages)."""
        return self._browser

    @property
    def proxy(self) -> str:
        """The proxy every request of a snapshot page is sent to, and refused by."""
        return f"http://127.0.0.1:{self._nowhere.getsockname()[1]}"

    def close(self) -> None:
        """Release the proxy's port (the browser is closed by :func:`renderer`)."""
        self._nowhere.close()

    def _page(self, width: int, height: int, scale: float, tiles: str = "offline"):
        key = (width, height, scale, tiles)
        if key not in self._pages:
            hosts = tile_hosts(tiles)
            context = self._browser.new_context(
                viewport={"width": width, "height": height},
                device_scale_factor=scale,
                # Chromium sends loopback requests straight out unless told "<-loopback>"
                proxy={"server": self.proxy, "bypass": ",".join(["<-loopback>", *hosts])},
                service_workers="block",
            )
            allowed = "|".join(re.escape(h).replace(r"\*", "[^/]*") for h in hosts)
            context.route(
                re.compile(rf"^(?!data:|about:{f'|https://(?:{allowed})/' if allowed else ''})"),
                lambda route: route.abort(),
            )
            page = context.new_page()
            page.on("pageerror", lambda e: self._errors.append(str(e)))
            self._pages[key] = page
        return self._pages[key]

    def render(
        self,
        html: str,
        *,
        width: int,
        height: int,
        scale: float = 1.0,
        tiles: str = "offline",
        timeout_ms: int = 30_000,
    ) -> bytes:
        """The page as a PNG of ``width`` × ``height`` CSS pixels at ``scale`` density.

        ``tiles`` names the basemap whose tile hosts the page may load images from.
        """
        page = self._page(width, height, scale, tiles)
        self._errors.clear()
        page.set_content(html, wait_until="load", timeout=timeout_ms)
        page.wait_for_selector(f"html[{READY_ATTRIBUTE}]", state="attached", timeout=timeout_ms)
        if self._errors:
            raise RuntimeError(f"the map page failed in the browser: {self._errors[0]}")
        return page.screenshot(type="png", full_page=False)


@contextmanager
def renderer() -> Iterator[Renderer]:
    """A :class:`Renderer` on a fresh headless Chromium (see ``dashboard.browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        using = Renderer(playwright, browser)
        try:
            yield using
        finally:
            using.close()
            browser.close()


def render_png(
    request: SnapshotRequest, basemap_json: str, *, attribution: str, using: Renderer
) -> bytes:
    """The snapshot as a PNG with its provenance in the caption and in the metadata."""
    html, facts = _snapshot_page(request, basemap_json, attribution, interactive=False)
    png = using.render(
        html,
        width=request.width,
        height=request.height,
        scale=request.scale,
        tiles=request.tiles,
    )
    return with_metadata(png, png_metadata(request, facts))


# --- series ---------------------------------------------------------------------------


def parse_series(text: str) -> list[dt.date]:
    """``START:END[:STEP]`` (dates, step in days, default 1) as the list of days.

    Raises
    ------
    ValueError
        For a malformed range, an end before the start, or a step below 1.
    """
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"expected START:END[:STEP] for a series, got {text!r}")
    try:
        start, end = (dt.date.fromisoformat(p.strip()) for p in parts[:2])
        step = int(parts[2]) if len(parts) == 3 else 1
    except ValueError:
        raise ValueError(
            f"expected START:END[:STEP] with dates as YYYY-MM-DD and a whole step, got {text!r}"
        ) from None
    if end < start:
        raise ValueError(f"the series ends ({end}) before it starts ({start})")
    if step < 1:
        raise ValueError(f"the series step must be at least 1 day, got {step}")
    days = []
    day = start
    while day <= end:
        days.append(day)
        day += dt.timedelta(days=step)
    return days


def write_gif(frames: Sequence[Path], out: Path, *, seconds_per_frame: float = 0.8) -> Path:
    """An animated GIF of the frames, looping; written atomically."""
    from geo.io import atomic_path

    images = [Image.open(f).convert("RGB") for f in frames]
    with atomic_path(out) as tmp:
        images[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=int(seconds_per_frame * 1000),
            loop=0,
            optimize=False,
        )
    for image in images:
        image.close()
    return out
