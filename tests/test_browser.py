"""The dashboard in a real browser: Chromium, driven by Playwright, against the served app.

Counts the event markers and zone shapes Leaflet has drawn, changes a filter through the UI,
opens a shared link, and checks that no page error occurred and no request left the machine.
A screenshot is kept in tests/artifacts/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest
from playwright.sync_api import Frame, Page

from geo.filters import Filters, filter_dataset
from tests.servers import HOST

pytestmark = [pytest.mark.browser, pytest.mark.server]

ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT_MS = 60_000

COUNT_LAYERS = """() => {
  if (!window.map_div || !window.map_div.eachLayer) { return null; }
  let events = 0, zones = 0;
  window.map_div.eachLayer(l => {
    const c = l.options && l.options.className;
    if (c === 'atlas-event') events++;
    if (c === 'atlas-zone') zones++;
  });
  return [events, zones];
}"""


class Watch:
    """Page errors, console errors and every request's host, for one page."""

    def __init__(self, page: Page):
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on(
            "console",
            lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )
        # the context sees every request, favicons and iframes' included
        page.context.on("request", self._request)

    def _request(self, request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in {"http", "https", "ws", "wss"} and parsed.hostname != HOST:
            self.foreign.append(request.url)


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.watch = Watch(page)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png")
    context.close()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- dashboard server log ---\n{server.log()}")


def map_frame(page: Page) -> Frame:
    """The st_folium iframe, once Leaflet has drawn the data layers in it."""
    frame = page.wait_for_selector("iframe[title*='streamlit_folium']").content_frame()
    frame.wait_for_function(
        f"() => {{ const c = ({COUNT_LAYERS})(); return c && c[0] + c[1] > 0; }}"
    )
    return frame


def wait_until_idle(page: Page) -> None:
    """Streamlit has finished its reruns (its running indicator is gone)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")


def wait_for_counts(frame: Frame, events: int, zones: int) -> None:
    frame.wait_for_function(
        f"([e, z]) => {{ const c = ({COUNT_LAYERS})(); return c && c[0] === e && c[1] === z; }}",
        arg=[events, zones],
    )


def expected(story, **filters) -> tuple[int, int]:
    data = filter_dataset(story, Filters.make(**filters))
    return len(data.events), len(data.zones)


def test_the_map_draws_the_story_then_follows_a_filter_changed_in_the_ui(page, server, story):
    page.goto(server.url)
    frame = map_frame(page)
    events, zones = expected(story, start="2016-11-15", end="2016-12-22", as_of="2016-12-15")
    wait_for_counts(frame, events, zones)
    assert events > 5 and zones >= 4
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "dashboard.png")
    frame.evaluate("() => { map_div.setView([36.19, 37.14], 14, {animate: false}); }")

    actors = page.locator("[data-testid='stMultiSelect']").filter(has_text="Actors")
    actors.locator("input").click()
    actors.locator("input").fill("Turkey")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    turkey_events, _ = expected(
        story, start="2016-11-15", end="2016-12-22", as_of="2016-12-15", actors=["Turkey"]
    )
    assert turkey_events < events
    wait_for_counts(frame, turkey_events, zones)
    page.get_by_text(f"{turkey_events} of {len(story.events)}").wait_for()
    assert "actor=Turkey" in page.url, "the address bar carries the new state"
    view = frame.evaluate(
        "() => [map_div.getZoom(), map_div.getCenter().lat, map_div.getCenter().lng]"
    )
    assert view[0] == 14 and view[1:] == pytest.approx([36.19, 37.14], abs=1e-6), (
        "the user's pan and zoom survive a filter change"
    )

    assert page.watch.errors == []
    assert page.watch.foreign == [], "viewing the map sends nothing to a third party"


def test_a_shared_link_opens_on_the_same_state(page, server, story):
    query = {
        "start": "2016-12-10",
        "end": "2016-12-20",
        "as_of": "2016-12-13",
        "actor": "Russia",
        "view": "corridor",
        "layers": "events,zones,routes",
    }
    page.goto(f"{server.url}/?{urlencode(query)}")
    frame = map_frame(page)
    events, zones = expected(
        story, start="2016-12-10", end="2016-12-20", as_of="2016-12-13", actors=["Russia"]
    )
    wait_for_counts(frame, events, zones)
    page.get_by_text(f"{events} of {len(story.events)}").wait_for()
    assert (
        page.locator("[data-testid='stMultiSelect']")
        .filter(has_text="Actors")
        .get_by_text("Russia")
        .count()
        >= 1
    )
    places = frame.evaluate(
        "() => { let n = 0; map_div.eachLayer(l => { if (l.options.className === 'atlas-place')"
        " n++; }); return n; }"
    )
    assert places == 0, "the link's layers leave places off"
    assert page.watch.errors == []
    assert page.watch.foreign == []


def test_clicking_a_marker_selects_its_event(page, server, story):
    page.goto(server.url)
    frame = map_frame(page)
    data = filter_dataset(
        story, Filters.make(start="2016-11-15", end="2016-12-22", as_of="2016-12-15")
    )
    target = data.events.loc[data.events["id"] == "2016-12-12-sheikh-saeed-captured"].iloc[0]
    # the whole map in view first: a click that scrolls Streamlit's main pane lands elsewhere
    page.locator("iframe[title*='streamlit_folium']").scroll_into_view_if_needed()
    point = frame.evaluate(
        "([lat, lon]) => { const p = map_div.latLngToContainerPoint([lat, lon]);"
        " return {x: p.x, y: p.y}; }",
        [target.geometry.y, target.geometry.x],
    )
    frame.locator(".leaflet-container").click(position=point)
    page.get_by_text("Selected event").wait_for()
    page.get_by_text(target["description"][:40], exact=False).first.wait_for()
    assert page.watch.errors == []


def test_play_steps_the_as_of_day_and_the_zones_follow(page, server, story):
    page.goto(f"{server.url}/?start=2016-12-10&end=2016-12-16&as_of=2016-12-12")
    frame = map_frame(page)
    page.get_by_role("button", name="Play").click()
    page.get_by_text("zones on 14 Dec 2016").wait_for()
    page.get_by_role("button", name="Pause").click()
    status = page.get_by_text("events shown").inner_text()
    day = re.search(r"zones on (\d+ \w+ \d{4})", status).group(1)
    as_of = __import__("datetime").datetime.strptime(day, "%d %b %Y").date()
    _, zones = expected(story, start="2016-12-10", end="2016-12-16", as_of=str(as_of))
    wait_for_counts(frame, *expected(story, start="2016-12-10", end="2016-12-16", as_of=str(as_of)))
    assert zones >= 4
    assert page.watch.errors == []


def test_the_export_panel_downloads_a_png_of_the_view_with_its_state(page, server, story):
    from dashboard.snapshot import read_metadata

    page.goto(f"{server.url}/?start=2016-12-01&end=2016-12-22&as_of=2016-12-16&view=aleppo")
    map_frame(page)
    page.get_by_text("Export this view").click()
    page.get_by_text("Link to this view").wait_for()
    wait_until_idle(page)
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.get_by_role("button", name="PNG image").click()
    path = ARTIFACTS / "export.png"
    ARTIFACTS.mkdir(exist_ok=True)
    download.value.save_as(path)
    meta = read_metadata(path)
    state = json.loads(meta["atlas:state"])
    assert (state["start"], state["end"], state["as_of"]) == (
        "2016-12-01",
        "2016-12-22",
        "2016-12-16",
    )
    assert "as_of=2016-12-16" in meta["atlas:link"]
    from PIL import Image

    with Image.open(path) as image:
        assert image.size == (1600, 1000), "the default size (sizes: tests/test_snapshot.py)"
    wait_until_idle(page)
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.get_by_role("button", name="GeoJSON (visible layers)").click()
    collection = json.loads(Path(download.value.path()).read_text())
    assert {f["properties"]["layer"] for f in collection["features"]} == {
        "events",
        "places",
        "zones",
        "routes",
    }
    assert page.watch.errors == []


SCRIPT = "<img src=x onerror=alert(1)><script>alert(2)</script>"
HOSTILE_NAME = "<svg onload=alert(7)>.csv"


def _hostile_upload() -> bytes:
    """Two events in our layout, with script in every text field a user might type."""
    import csv
    import io

    sources = json.dumps(
        [{"publisher": "<b onmouseover=alert(4)>Agency</b>", "url": "javascript:alert(5)"}]
    )
    rows = [
        {
            "id": f"x{i}",
            "date_start": f"2016-12-1{i}",
            "event_type": "Battles",
            "actor1": f"<svg onload=alert(3)> militia {i}",
            "latitude": "36.2",
            "longitude": f"37.1{i}",
            "place_name": '"><img src=x onerror=alert(6)>',
            "description": f"{SCRIPT} number {i}",
            "sources": sources,
        }
        for i in (1, 2)
    ]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode()


def test_an_uploaded_file_with_script_in_its_text_shows_it_as_text_everywhere(page, server):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.url)
    map_frame(page)
    page.get_by_role("link", name="Your data").click()
    page.get_by_text("Add an event table").first.wait_for()
    page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(
        {"name": HOSTILE_NAME, "mimeType": "text/csv", "buffer": _hostile_upload()}
    )
    # the load opens the map on the upload's span, that dataset chosen; its report is on
    # the data page
    page.get_by_text("2 read, 2 accepted, 0 rejected").wait_for()
    wait_until_idle(page)
    page.get_by_role("link", name="Show them on the map").click()
    frame = map_frame(page)
    wait_for_counts(frame, 2, 0)
    page.get_by_text(HOSTILE_NAME, exact=False).first.wait_for()  # the title, as text

    frame.evaluate(
        "() => { map_div.eachLayer(l => { if (l.options.className === 'atlas-event')"
        " { l.openPopup(); } }); }"
    )
    popup = frame.locator(".leaflet-popup-content").first
    popup.wait_for()
    text = popup.inner_text()
    assert "<svg onload=alert(3)>" in text or "<img src=x onerror=alert(1)>" in text
    assert frame.locator(".leaflet-popup-content img, .leaflet-popup-content script").count() == 0
    assert frame.locator(".leaflet-popup-content a[href^='javascript']").count() == 0

    assert HOSTILE_NAME in frame.locator("#atlas-legend").text_content()
    assert page.locator("img[src='x'], svg[onload]").count() == 0
    assert frame.locator("img[src='x'], svg[onload]").count() == 0
    page.get_by_text("Events", exact=True).last.scroll_into_view_if_needed()
    page.locator("[data-testid='stDataFrame']").last.wait_for()
    assert dialogs == [], "no script from the file ran"
    assert page.watch.errors == []
    assert page.watch.foreign == []
