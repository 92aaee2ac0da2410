"""The core path in a person's hands: real clicks in Chromium at a laptop size (1280x720) and
a desktop size (1600x1000), with a screenshot of every step in tests/artifacts/journeys/.

Opening the map, reading it (the legend), clicking a marker and reading its sources,
filtering to matches that lie elsewhere, picking dates in the calendar, sharing the view.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from geo.filters import Filters, filter_dataset
from tests.pages import (
    MAP_IFRAME,
    SIZES,
    TIMEOUT_MS,
    bring_to_mapping_step,
    idle,
    map_frame,
    selected,
    sized_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.server]

ARTIFACTS = Path(__file__).parent / "artifacts" / "journeys"
WHERE = "() => [map_div.getCenter().lat, map_div.getCenter().lng, map_div.getZoom()]"

#: A visible event marker's position in the map's container, away from the edges.
MARKER_POINT = """() => { let p = null; const s = map_div.getSize();
  map_div.eachLayer(l => { if (!p && l.options && l.options.className === 'atlas-event') {
    const q = map_div.latLngToContainerPoint(l.getLatLng());
    if (q.x > 80 && q.y > 80 && q.x < s.x - 260 && q.y < s.y - 80) p = {x: q.x, y: q.y}; } });
  return p; }"""


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def page(browser, server, request):
    with sized_page(browser, request.param) as page:
        yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- dashboard server log ---\n{server.log()}")


#: True once the offline outlines, which the map fetches after it is drawn, are on it.
OUTLINES_DRAWN = """() => { const pane = document.querySelector('.leaflet-atlasOutlines-pane');
  return !pane || pane.querySelector('path, canvas') !== null; }"""


def shoot(page: Page, step: str, attempts: int = 5) -> None:
    """A screenshot of the step, once the map (if any) has its outlines.

    A change of datasets may mount a new map frame while the old one goes (CI saw the old
    one detached mid-wait): the frames are looked up again then.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for attempt in range(attempts):
        try:
            for iframe in page.locator(MAP_IFRAME).element_handles():
                frame = iframe.content_frame()
                if frame is not None and not frame.is_detached():
                    frame.wait_for_function(OUTLINES_DRAWN)
            break
        except PlaywrightError as error:
            if "detached" not in str(error) or attempt == attempts - 1:
                raise
    page.screenshot(path=ARTIFACTS / f"{step}-{page.size_name}.png")


def test_on_first_open_the_whole_map_is_in_view_and_fills_the_main_area(page, server):
    page.goto(server.url)
    map_frame(page)
    idle(page)
    shoot(page, "01-first-open")
    viewport = page.viewport_size
    box = page.locator(MAP_IFRAME).bounding_box()
    main = page.locator("[data-testid='stMain']").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (
        f"the map ({box}) is not wholly above the fold of {viewport}"
    )
    assert box["width"] >= 0.9 * (main["width"] - 80)
    assert box["height"] >= 0.6 * viewport["height"], "the map takes most of the main area"
    heading = page.locator("[data-testid='stMain'] h1, [data-testid='stMain'] h2").first
    assert heading.bounding_box()["height"] <= 50, "the story's title is one compact line"
    assert "Aleppo, December 2016" in heading.inner_text()


def test_the_legend_lists_what_is_on_the_map_collapses_and_gives_way_to_a_popup(
    page, server, story
):
    page.goto(f"{server.url}/?start=2016-12-13&end=2016-12-16&view=aleppo")
    frame = map_frame(page)
    idle(page)
    legend = frame.locator("#atlas-legend")
    summary = legend.locator("summary")
    if legend.get_attribute("open") is None:
        summary.click()
    expect(legend).to_have_attribute("open", "")
    shoot(page, "02-legend-open")
    text = legend.inner_text()
    shown = filter_dataset(story, Filters.make(start="2016-12-13", end="2016-12-16"))
    shown_types = set(shown.events["event_type"])
    assert 0 < len(shown_types) < len(set(story.events["event_type"]))
    for name in set(story.events["event_type"]):
        assert (name in text) == (name in shown_types), f"{name!r} listed only when shown"
    map_box = frame.locator(".leaflet-container").bounding_box()
    open_box = legend.bounding_box()
    assert open_box["width"] * open_box["height"] <= 0.2 * map_box["width"] * map_box["height"]
    # a click on a marker opens its popup; the legend folds away rather than cover it
    point = frame.evaluate(MARKER_POINT)
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    frame.locator(".leaflet-container").click(position=point)
    popup = frame.locator(".leaflet-popup")
    popup.wait_for()
    expect(legend).not_to_have_attribute("open", "")
    folded = legend.bounding_box()
    assert folded["width"] * folded["height"] <= 0.02 * map_box["width"] * map_box["height"]
    p = popup.bounding_box()
    overlap_x = max(
        0, min(p["x"] + p["width"], folded["x"] + folded["width"]) - max(p["x"], folded["x"])
    )
    overlap_y = max(
        0, min(p["y"] + p["height"], folded["y"] + folded["height"]) - max(p["y"], folded["y"])
    )
    assert overlap_x * overlap_y == 0, "the legend never covers a popup"
    shoot(page, "03-popup-and-folded-legend")
    assert page.errors == []


def test_a_clicked_marker_keeps_its_popup_open_and_the_map_stays_put(page, server):
    page.goto(f"{server.url}/?view=aleppo")
    frame = map_frame(page)
    idle(page)
    point = frame.evaluate(MARKER_POINT)
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    frame.evaluate("() => { map_div.eachLayer(l => { l.__before = true; }); }")
    frame.locator(".leaflet-container").click(position=point)
    frame.locator(".leaflet-popup-content").wait_for()
    page.wait_for_timeout(1000)  # Leaflet pans the popup into view: the view after that
    view = frame.evaluate(WHERE)
    page.wait_for_timeout(3000)  # a person reads: the popup must still be open
    assert frame.locator(".leaflet-popup-content").count() == 1, "the popup stayed open"
    assert "Sources" in frame.locator(".leaflet-popup-content").inner_text()
    idle(page)
    redrawn = frame.evaluate(
        "() => { let n = 0; map_div.eachLayer(l => { if (l.options &&"
        " l.options.className === 'atlas-event' && !l.__before) n++; }); return n; }"
    )
    assert redrawn == 0, "selecting redrew no marker"
    assert frame.evaluate(WHERE) == pytest.approx(view), "selecting did not move the map"
    # the details (the popup) are where the user looks: inside the map, in the window
    popup = frame.locator(".leaflet-popup").bounding_box()  # in the page's coordinates
    assert popup["y"] >= 0 and popup["y"] + popup["height"] <= page.viewport_size["height"]
    shoot(page, "04-selected-event")
    assert page.errors == []


def test_a_row_chosen_in_the_table_shows_its_event_there_and_moves_the_map_to_it(page, server):
    page.goto(f"{server.url}/?view=region")
    frame = map_frame(page)
    idle(page)
    table = page.locator("[data-testid='stDataFrame']").last
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    # the grid draws on a canvas: click the first row's selection cell, as a person does
    page.mouse.click(box["x"] + 14, box["y"] + 35 + 17)
    details = page.get_by_text("Selected event", exact=True)
    details.wait_for()
    idle(page)
    shoot(page, "05-row-chosen")
    where = details.bounding_box()
    assert 0 <= where["y"] <= page.viewport_size["height"], "the details are in view"
    frame.wait_for_function("() => map_div.getZoom() >= 12", timeout=TIMEOUT_MS)
    assert page.errors == []


def _status(page: Page) -> str:
    return page.get_by_text("events shown").first.inner_text()


def test_picking_a_range_in_the_calendar_day_by_day_never_breaks_the_page(page, server, story):
    page.goto(server.url)
    map_frame(page)
    idle(page)
    page.get_by_test_id("stDateInputCalendarButton").click()
    calendar = page.get_by_role("dialog")
    expect(calendar).to_contain_text("November 2016")  # the window's first month
    calendar.get_by_role("button", name="Next month").click()
    calendar.get_by_role("button", name=re.compile(r"December 13, 2016")).click()
    shoot(page, "06-calendar-first-day")
    idle(page)
    # half-picked: the page stands, every filter below the date field is still there
    sidebar = page.get_by_test_id("stSidebar")
    assert page.get_by_test_id("stException").count() == 0
    expect(sidebar.get_by_text("Zones and routes as of")).to_be_visible()
    expect(sidebar.get_by_text("Actors (any role)")).to_be_visible()
    calendar.get_by_role("button", name=re.compile(r"December 16, 2016")).click()
    page.keyboard.press("Escape")
    events = len(filter_dataset(story, Filters.make(start="2016-12-13", end="2016-12-16")).events)
    expect(page.get_by_text(f"{events} of {len(story.events)} events")).to_be_visible()
    # the as-of day followed the window's end: the user never moved it
    expect(page.get_by_text("zones on 16 Dec 2016")).to_be_visible()
    assert "start=2016-12-13" in page.url and "end=2016-12-16" in page.url
    # the sidebar is drawn after the page; while the window's bounds change, Streamlit
    # briefly keeps the old slider beside the new one: once settled, one slider, on the day
    expect(sidebar.get_by_test_id("stSliderThumbValue")).to_have_text(["16 Dec 2016"])
    idle(page)
    shoot(page, "07-calendar-range-picked")
    assert page.get_by_test_id("stException").count() == 0
    assert page.errors == []


def test_a_link_with_a_zoomed_extent_opens_on_the_same_view_in_a_new_page(page, server, browser):
    page.goto(f"{server.url}/?view=aleppo")
    frame = map_frame(page)
    idle(page)
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    frame.locator(".leaflet-control-zoom-in").click()  # a person zooms in, then pans
    frame.wait_for_function("() => map_div.getZoom() >= 12.5")
    container = frame.locator(".leaflet-container").bounding_box()
    page.mouse.move(container["x"] + 300, container["y"] + 300)
    page.mouse.down()
    page.mouse.move(container["x"] + 200, container["y"] + 250, steps=8)
    page.mouse.up()
    # the address bar follows the map once it has settled (Leaflet glides on after a drag)
    page.wait_for_function(
        f"""() => {{
          const map = document.querySelector("{MAP_IFRAME}").contentWindow.map_div;
          const q = new URLSearchParams(location.search);
          if (!q.get('center') || !map.getCenter) return false;
          const [a, b] = q.get('center').split(',').map(Number), c = map.getCenter();
          return Math.abs(a - c.lat) < 1e-4 && Math.abs(b - c.lng) < 1e-4 &&
            Number(q.get('zoom')) === map.getZoom() && map.getZoom() >= 12.5;
        }}"""
    )
    view = frame.evaluate(WHERE)
    link = page.url
    shoot(page, "08-zoomed-view")
    other = browser.new_context(viewport=page.viewport_size).new_page()
    other.set_default_timeout(TIMEOUT_MS)
    other.goto(link)
    other_frame = map_frame(other)
    other_frame.wait_for_function(
        "([lat, lon, zoom]) => Math.abs(map_div.getCenter().lat - lat) < 1e-4 &&"
        " Math.abs(map_div.getCenter().lng - lon) < 1e-4 && map_div.getZoom() === zoom",
        arg=view,
    )
    other.screenshot(path=ARTIFACTS / f"09-link-reopened-{page.size_name}.png")
    other.context.close()


def test_a_filter_whose_matches_lie_elsewhere_says_so_and_fits_the_map_to_them(page, server):
    page.goto(f"{server.url}/?view=aleppo&start=2015-11-24&end=2017-01-23")
    map_frame(page)
    idle(page)
    actors = page.locator("[data-testid='stMultiSelect']").filter(has_text="Actors")
    actors.locator("input").click()
    actors.locator("input").fill("Turkey")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    frame = page.wait_for_selector(MAP_IFRAME).content_frame()
    notice = frame.locator(".atlas-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("lie outside this view")
    shoot(page, "10-matches-elsewhere")
    notice.get_by_role("button", name="Show them all").click()
    expect(notice).to_be_hidden()
    inside = frame.evaluate(
        "() => { const b = map_div.getBounds(); let n = 0, all = 0; map_div.eachLayer(l => {"
        " if (l.options && l.options.className === 'atlas-event') { all++;"
        " if (b.contains(l.getLatLng())) n++; } }); return [n, all]; }"
    )
    assert inside[0] == inside[1] > 0
    shoot(page, "11-fitted-to-matches")


def test_a_tile_basemap_that_cannot_load_says_so_and_offers_the_outlines(page, server):
    page.goto(f"{server.url}/?view=aleppo")
    map_frame(page)
    idle(page)
    page.get_by_test_id("stSidebar").get_by_text("OpenStreetMap tiles (online)").click()
    # the map is drawn anew on its new basemap, in a new frame (the last one)
    notice = page.locator(MAP_IFRAME).last.content_frame.locator(".atlas-notice")
    notice = notice.filter(has_text="tiles cannot load")
    expect(notice).to_be_visible(timeout=TIMEOUT_MS)  # there is no internet here
    frame = page.locator(MAP_IFRAME).last.element_handle().content_frame()
    shoot(page, "12-tiles-offline")
    notice.get_by_role("button", name="Use the offline outlines").click()
    expect(frame.locator(".atlas-notice")).to_contain_text("Showing the offline outlines")
    state = frame.evaluate(
        "() => { let tiles = 0, filled = 0; map_div.eachLayer(l => {"
        " if (l instanceof L.TileLayer) tiles++;"
        " if (l.feature && l.feature.properties && l.feature.properties.kind === 'country' &&"
        " l.options.fillOpacity === 1) filled++; }); return [tiles, filled]; }"
    )
    assert state[0] == 0 and state[1] > 0, state
    shoot(page, "13-outlines-instead")


# --- bringing a file, as a person does -----------------------------------------------------

DATA = Path(__file__).parent / "data"
#: A reporter's log (written for these tests): a sentence per row under "What", places by
#: name and no country column; "Palmyra" is a dozen American and Australian towns too.
REPORTER_NOTES = DATA / "reporter_notes.csv"


def test_a_reporters_log_is_brought_through_the_file_chooser_mapped_placed_and_shown(page, server):
    bring_to_mapping_step(page, server.url, REPORTER_NOTES)
    shoot(page, "20-mapping-step")
    # the sentences under "What" are the description, not a legend category per row
    assert selected(page, "Description") == "What"
    assert selected(page, "Event type") == "(not in this table)"
    assert selected(page, "Place name") == "Place"
    # loading now says what is missing in the words on the screen
    page.get_by_role("button", name="Load with this mapping").click()
    error = page.get_by_test_id("stAlertContentError").first
    expect(error).to_contain_text("Still needed: Event type")
    assert "event_type" not in error.inner_text()
    shoot(page, "21-mapping-still-needed")
    page.get_by_label("Event type for rows that name none").fill("Reported incident")
    page.get_by_role("button", name="Load with this mapping").click()
    # Palmyra is in several countries and the log names none: the page asks
    # the first name placed builds the gazetteer (seconds alone, minutes on a busy machine)
    page.get_by_text("Which country are these places in?").wait_for(timeout=4 * TIMEOUT_MS)
    idle(page)
    expect(page.get_by_text("Palmyra", exact=False).first).to_be_visible()
    assert selected(page, "Country for rows that name none") == "Syria (SY)"
    shoot(page, "22-country-question")
    page.get_by_role("button", name="Place them in this country").click()
    page.get_by_text("5 read, 5 accepted, 0 rejected, 5 placed by name").wait_for()
    idle(page)
    shoot(page, "23-loaded")
    page.get_by_role("link", name="Show them on the map").click()
    map_frame(page)
    idle(page)
    # the map shows the new file alone, says so, and is one click from every dataset
    expect(page.get_by_text("1 other open dataset is hidden")).to_be_visible()
    expect(page.get_by_text("5 of ", exact=False).first).to_be_visible()
    shoot(page, "24-new-file-alone")
    page.get_by_role("button", name="Show all 2 datasets").click()
    expect(page.get_by_text("1 other open dataset is hidden")).to_have_count(0)
    expect(page.locator("h1").first).to_contain_text("2 datasets")
    map_frame(page)
    idle(page)
    shoot(page, "25-all-datasets")
    assert page.get_by_test_id("stException").count() == 0
    assert page.errors == []
