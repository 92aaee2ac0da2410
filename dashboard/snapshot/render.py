"""Rendering a snapshot page in headless Chromium: PNG, PDF and SVG.

One :class:`Renderer` (one browser) serves every file of a run: a series of days shares it.
The PNG is Chromium's screenshot; the PDF is Chromium's print of the page (vector: the map
is drawn by Leaflet's SVG renderer, see :func:`dashboard.snapshot.page.snapshot_page`); the
SVG is built from the laid-out page by ``page_to_svg.js`` (text as ``<text>``, the map's
layers as the paths Leaflet drew).  Each file carries the provenance in its own metadata.
"""

from __future__ import annotations

import io
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dashboard.browser import launch_chromium
from dashboard.maps import tile_hosts
from dashboard.snapshot.page import READY_ATTRIBUTE, snapshot_page
from dashboard.snapshot.provenance import metadata, pdf_info, svg_metadata, with_metadata
from dashboard.snapshot.request import SnapshotRequest

PAGE_TO_SVG = (Path(__file__).parent / "page_to_svg.js").read_text(encoding="utf-8")


class Renderer:
    """One headless Chromium, reused for every file it renders (a series shares it).

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

    def load(
        self,
        html: str,
        *,
        width: int,
        height: int,
        scale: float = 1.0,
        tiles: str = "offline",
        timeout_ms: int = 30_000,
    ):
        """The Playwright page showing ``html`` at ``width`` × ``height`` CSS pixels, drawn."""
        page = self._page(width, height, scale, tiles)
        self._errors.clear()
        page.set_content(html, wait_until="load", timeout=timeout_ms)
        page.wait_for_selector(f"html[{READY_ATTRIBUTE}]", state="attached", timeout=timeout_ms)
        if self._errors:
            raise RuntimeError(f"the map page failed in the browser: {self._errors[0]}")
        return page

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
        page = self.load(
            html, width=width, height=height, scale=scale, tiles=tiles, timeout_ms=timeout_ms
        )
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
    """The snapshot as a PNG, with its provenance in the metadata (and its dpi if set).

    ``basemap_json``: the basemap's GeoJSON text (WGS 84).
    """
    html, facts = snapshot_page(request, basemap_json, attribution, interactive=False)
    png = using.render(
        html,
        width=request.width,
        height=request.height,
        scale=request.scale,
        tiles=request.tiles,
    )
    return with_metadata(png, metadata(request, facts), dpi=request.dpi)


def render_pdf(
    request: SnapshotRequest, basemap_json: str, *, attribution: str, using: Renderer
) -> bytes:
    """The snapshot as a one-page vector PDF on ``request.page_mm``, provenance in its info.

    The page is laid out at ``request.width`` × ``request.height`` CSS pixels (a preset's
    paper at 96 per inch) and printed with screen styles, so that it is the PNG's layout.
    """
    from pypdf import PdfReader, PdfWriter

    html, facts = snapshot_page(request, basemap_json, attribution, interactive=False)
    page = using.load(html, width=request.width, height=request.height, tiles=request.tiles)
    page.emulate_media(media="screen")
    width_mm, height_mm = request.page_mm
    pdf = page.pdf(
        width=f"{width_mm:.2f}mm",
        height=f"{height_mm:.2f}mm",
        print_background=True,
        margin={"top": "0", "right": "0", "bottom": "0", "left": "0"},
        page_ranges="1",
        scale=min(1.0, width_mm * 96 / 25.4 / request.width),
    )
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({k: v for k, v in pdf_info(metadata(request, facts)).items() if v})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_svg(
    request: SnapshotRequest, basemap_json: str, *, attribution: str, using: Renderer
) -> bytes:
    """The snapshot as a standalone SVG: text as ``<text>``, the map's layers as paths.

    Sized in millimetres when the request has paper (a print preset), else in pixels; the
    provenance is in its ``<metadata>`` (Dublin Core) and ``<title>``/``<desc>``.
    """
    html, facts = snapshot_page(request, basemap_json, attribution, interactive=False)
    page = using.load(html, width=request.width, height=request.height, tiles=request.tiles)
    inner = page.evaluate(PAGE_TO_SVG)
    width, height = request.width, request.height
    if request.paper_mm is not None:
        size = f'width="{request.paper_mm[0]:g}mm" height="{request.paper_mm[1]:g}mm"'
    else:
        size = f'width="{width}" height="{height}"'
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'{size} viewBox="0 0 {width} {height}" xml:space="preserve">\n'
        f"{svg_metadata(metadata(request, facts))}\n"
        f'<rect width="{width}" height="{height}" fill="#fff"/>\n{inner}\n</svg>\n'
    )
    return document.encode("utf-8")
