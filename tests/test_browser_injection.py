"""Script payloads in every field of every layer, opened in Chromium: the dashboard's map with
every popup and tooltip opened (a marker clicked as a person clicks it), the count cells of a
large table hovered, and the exported HTML opened from disk.  No dialog opens, no script
sets its marker, and no request leaves for a payload's address.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Frame, Page

from dashboard.maps import basemap_geojson
from dashboard.snapshot import SnapshotRequest, snapshot_html
from dashboard.views import VIEWS
from geo.filters import Filters
from geo.io import read_dataset
from geo.story import load_basemap
from tests.payloads import SCRIPT_PAYLOADS, poisoned_story, template_payloads
from tests.servers import dashboard_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

ARTIFACTS = Path(__file__).parent / "artifacts" / "injection"
TIMEOUT_MS = 60_000
#: A payload that would fetch this path if it ever became HTML.
LEAK = "atlas-leak"
PAYLOADS = [*SCRIPT_PAYLOADS, f"<img src=/{LEAK} onerror=window.__pwned=1>"]
#: Copies of one event whose type is a payload, enough to be counted per cell in view.
CROWD = 620
#: Their day: before the story, so that a window on the story shows its own events alone.
CROWD_DAY = "2014-06-01"

OPEN_EVERYTHING = """() => {
  let opened = 0;
  map_div.eachLayer(l => {
    if (l.getPopup && l.getPopup()) { l.openPopup(); opened++; }
    if (l.getTooltip && l.getTooltip()) { l.openTooltip(); opened++; }
  });
  return opened;
}"""
PWNED = "() => window.__pwned === 1 || (window.parent && window.parent.__pwned === 1)"


def _crowded(folder: Path) -> Path:
    """The poisoned story plus CROWD copies of an event whose type is a script payload."""
    path = folder / "events.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    template = collection["features"][0]
    for i in range(CROWD):
        feature = json.loads(json.dumps(template))
        feature["properties"]["id"] = f"crowd-{i}"
        feature["properties"]["date_start"] = CROWD_DAY
        feature["properties"]["event_type"] = PAYLOADS[i % len(PAYLOADS)]
        feature["geometry"]["coordinates"] = [37.05 + (i % 31) * 0.005, 36.15 + (i // 31) * 0.005]
        collection["features"].append(feature)
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("poisoned")
    payloads = PAYLOADS + template_payloads(folder / "PWNED")
    return _crowded(poisoned_story(folder / "story", payloads))


@pytest.fixture(scope="module")
def server(poisoned):
    with dashboard_server(poisoned) as running:
        yield running


class Guard:
    """Every dialog, page error and request of one browser context."""

    def __init__(self, page: Page):
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.context.on("request", lambda r: self.requests.append(r.url))

    def leaked(self, allowed_host: str | None) -> list[str]:
        """Requests for a payload's address, or to any host but ``allowed_host``."""
        bad = []
        for url in self.requests:
            host = re.match(r"^[a-z]+://([^/:]+)", url)
            if LEAK in url or (host and host.group(1) != allowed_host):
                bad.append(url)
        return bad


@pytest.fixture(params=[(1280, 720), (1600, 1000)], ids=["laptop", "desktop"])
def page(browser, request):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.guard = Guard(page)
    page.size_name = request.node.callspec.id
    yield page
    context.close()


def _shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}-{page.size_name}.png")


def _map_frame(page: Page) -> Frame:
    frame = page.wait_for_selector("iframe[title*='streamlit_folium']").content_frame()
    frame.wait_for_function("() => window.map_div && window.map_div.eachLayer")
    return frame


def _layer_count(frame: Frame, class_name: str) -> int:
    return frame.evaluate(
        "(c) => { let n = 0; map_div.eachLayer(l => { if (l.options &&"
        " l.options.className === c) n++; }); return n; }",
        class_name,
    )


def test_points_of_payload_events_open_popups_that_show_them_as_text(page, server):
    page.goto(f"{server.url}/?start={CROWD_DAY}&end={CROWD_DAY}&view=aleppo")
    frame = _map_frame(page)
    # more than 500 events in view: WebGL points, whose popups the server sends on a click
    frame.wait_for_function("() => !!map_div._atlasPoints")
    count = frame.evaluate("() => map_div._atlasPoints.count")
    for index in range(0, count, max(1, count // 8)):
        frame.evaluate(f"() => {{ map_div._atlasPoints.open({index}); }}")
        opened = frame.locator(f"[data-event-index='{index}']")
        opened.get_by_text("Event id:").wait_for()
        _assert_inert(page, frame)
    assert any(p in opened.inner_text() for p in PAYLOADS)
    _shoot(page, "points-popup")


def test_count_cells_of_payload_types_show_them_as_text(page, server):
    page.goto(f"{server.url}/?start={CROWD_DAY}&end={CROWD_DAY}&view=aleppo&draw=counts")
    frame = _map_frame(page)
    # more than 500 events in view: counted per cell, each cell's tooltip naming the
    # commonest type, which is a payload
    frame.wait_for_function(
        "() => { let n = 0; map_div.eachLayer(l => { if (l.options &&"
        " l.options.className === 'atlas-cell') n++; }); return n > 0; }"
    )
    cells = frame.evaluate(
        "() => { const out = []; map_div.eachLayer(l => { if (l.options &&"
        " l.options.className === 'atlas-cell') out.push(l); });"
        " out.forEach(l => l.openTooltip()); return out.length; }"
    )
    assert cells > 0
    tips = frame.locator(".leaflet-tooltip").all_inner_texts()
    assert any(p in t for t in tips for p in PAYLOADS), "a cell's tooltip shows its type as text"
    _shoot(page, "count-cells")
    # zoomed in, the same events are drawn one by one, their popups escaped too
    frame.evaluate("() => { map_div.setView([36.2, 37.1], 15, {animate: false}); }")
    frame.wait_for_function(
        "() => { let n = 0; map_div.eachLayer(l => { if (l.options &&"
        " l.options.className === 'atlas-event') n++; }); return n > 0; }"
    )
    assert frame.evaluate(OPEN_EVERYTHING) > 0
    _shoot(page, "zoomed-in-crowd")
    _assert_inert(page, frame)


def _assert_inert(page: Page, frame: Frame) -> None:
    injected = "img[onerror], svg[onload], a[href^='javascript'], .leaflet-popup-content img"
    assert frame.locator(injected).count() == 0 and page.locator(injected).count() == 0
    assert not frame.evaluate(PWNED) and not page.evaluate(PWNED)
    assert page.guard.dialogs == []
    assert page.guard.leaked("127.0.0.1") == []


def test_every_popup_and_tooltip_of_every_layer_shows_its_payloads_as_text(page, server, poisoned):
    page.goto(f"{server.url}/?start=2015-11-01&end=2017-02-28&as_of=2016-12-15&view=aleppo")
    frame = _map_frame(page)
    frame.wait_for_function(
        "() => { let n = 0; map_div.eachLayer(l => { if (l.options &&"
        " l.options.className === 'atlas-event') n++; }); return n > 0; }"
    )
    # a person clicks a marker: its popup opens, showing the payloads as text
    point = frame.evaluate(
        "() => { let p = null; const size = map_div.getSize();"
        " map_div.eachLayer(l => { if (!p && l.options && l.options.className === 'atlas-event')"
        " { const q = map_div.latLngToContainerPoint(l.getLatLng());"
        " if (q.x > 60 && q.y > 60 && q.x < size.x - 60 && q.y < size.y - 60)"
        " p = {x: q.x, y: q.y}; } }); return p; }"
    )
    assert point is not None
    page.locator("iframe[title*='streamlit_folium']").scroll_into_view_if_needed()
    frame.locator(".leaflet-container").click(position=point)
    frame.locator(".leaflet-popup-content").first.wait_for()
    _shoot(page, "clicked-popup")
    # then every popup and tooltip of every layer, on the widest view
    frame.evaluate("() => { map_div.setView([38, 40], 5, {animate: false}); }")
    assert frame.evaluate(OPEN_EVERYTHING) > 40
    shown = " ".join(frame.locator(".leaflet-tooltip, .leaflet-popup-content").all_inner_texts())
    assert "${window.__pwned=1}" in shown
    assert "<img src=x onerror=window.__pwned=1;alert(1)>" in shown
    assert "</script><script>window.__pwned=1</script>" in shown
    legend = frame.locator("#atlas-legend").text_content()
    assert any(p in legend for p in PAYLOADS)
    _shoot(page, "every-popup-open")
    _assert_inert(page, frame)
    assert not (poisoned.parent / "PWNED").exists()


def test_the_exported_html_opened_from_disk_runs_no_payload(page, poisoned, tmp_path):
    dataset, _ = read_dataset(poisoned)
    html = snapshot_html(
        SnapshotRequest(
            dataset=dataset.renamed(PAYLOADS[0]),
            filters=Filters.make(start="2016-11-15", end="2016-12-22", as_of="2016-12-15"),
            bounds=VIEWS["corridor"].bounds,
            link=f"http://127.0.0.1:8501/?actor={PAYLOADS[1]}",
        ),
        basemap_geojson(load_basemap()),
        attribution=PAYLOADS[2],
    )
    out = tmp_path / "export.html"
    out.write_text(html, encoding="utf-8")
    page.goto(out.as_uri())
    page.wait_for_function("() => window.L && document.querySelector('.leaflet-container')")
    map_name = page.evaluate("() => Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))")
    page.evaluate(f"() => {{ window.map_div = window[{map_name!r}]; }}")
    opened = page.evaluate(OPEN_EVERYTHING)
    assert opened > 20
    shown = " ".join(page.locator(".leaflet-tooltip, .leaflet-popup-content").all_inner_texts())
    assert any(p in shown for p in PAYLOADS)
    assert PAYLOADS[0] in page.locator("#atlas-headline").inner_text()
    _shoot(page, "exported-html")
    injected = "img[onerror], svg[onload], a[href^='javascript'], .leaflet-popup-content img"
    assert page.locator(injected).count() == 0
    assert not page.evaluate(PWNED)
    assert page.guard.dialogs == []
    assert page.guard.errors == []
    assert page.guard.leaked(None) == [], "the file opened from disk requests nothing"
