"""Story mode in a person's hands: real clicks in Chromium at 1280x720 and 1600x1000.

Next and previous (buttons and arrow keys) change what the map shows; a link to step 4
opens on step 4; leaving story mode keeps the view on the Map page; authoring adds the view
on screen as a step, which the saved story file then holds.  The server runs with
``ATLAS_STORY`` (``atlas run --story``) on a copy of the bundled story.  Screenshots in
``tests/artifacts/story/``; the pure parts are tested without a browser at the end.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page, expect

from dashboard.components import story as story_mode
from dashboard.settings import STORY
from dashboard.state import Choices
from geo.narrative import parse_story, read_story, step_data
from geo.story import story_file
from tests import pages
from tests.pages import SIZES, TIMEOUT_MS, sized_page

ARTIFACTS = Path(__file__).parent / "artifacts" / "story"
MAP_IFRAME = "iframe[title*='streamlit_folium']"
COUNT = """(c) => { let n = 0; if (!window.map_div || !window.map_div.eachLayer) return -1;
  map_div.eachLayer(l => { if (l.options && l.options.className === c) n++; }); return n; }"""
WHERE = "() => [map_div.getCenter().lat, map_div.getCenter().lng, map_div.getZoom()]"
#: The map is centred in a step's extent [s, w, n, e] and fits it (one side spans about as
#: much): not the whole world, where a map drawn before its frame had a height sits at zoom 0.
#: And it is still: where it was at the last poll (a flight passes through the extent).
ON_EXTENT = """([s, w, n, e]) => { if (!window.map_div || !map_div.getCenter) return false;
  const c = map_div.getCenter(), b = map_div.getBounds();
  const here = [c.lat, c.lng, map_div.getZoom()].join(), still = window.__lastWhere === here;
  window.__lastWhere = here;
  const fits = b.getNorth() - b.getSouth() < 4 * (n - s) + 1
    || b.getEast() - b.getWest() < 4 * (e - w) + 1;
  return still && c.lat > s && c.lat < n && c.lng > w && c.lng < e && fits
    && map_div.getSize().y > 100 && !map_div._animatingZoom; }"""
#: The names the map shows (not those hidden because they would collide).
SHOWN_LABELS = """() => [...document.querySelectorAll('.atlas-label:not(.atlas-label-hidden)')]
  .map(l => l.textContent).sort()"""
#: How often ON_EXTENT looks (ms): a map that did not move between two looks has landed.
STILL_MS = 300


def wait_on_extent(frame: Frame, box, timeout: float = TIMEOUT_MS) -> None:
    """Wait until the map in ``frame`` has landed on the extent ``box``."""
    frame.wait_for_function(
        ON_EXTENT,
        arg=[box.south, box.west, box.north, box.east],
        polling=STILL_MS,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def story_copy(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("story") / "aleppo.yaml"
    shutil.copy(story_file(), path)
    return path


@pytest.fixture(scope="module")
def server(story_copy):
    """The dashboard on the bundled data, telling (and saving to) the story copy."""
    from tests.servers import dashboard_server

    with pytest.MonkeyPatch.context() as env:
        env.setenv(STORY.variable, str(story_copy))
        with dashboard_server() as running:
            yield running


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def page(browser, server, request):
    with sized_page(browser, request.param) as page:
        yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- dashboard server log ---\n{server.log()}")


@pytest.fixture(scope="module")
def bundled():
    return read_story(story_file())


def map_frame(page: Page) -> Frame:
    """The newest map's frame, once it holds a map (a step may draw no event)."""
    return pages.map_frame(page, layer=None)


idle = pages.idle


def on_step(page: Page, number: int, title: str) -> None:
    """Wait until the page shows step ``number`` (its heading and counter)."""
    page.get_by_role("heading", name=f"{number}. {title}").wait_for()
    page.get_by_text(f"Step {number} of").wait_for()


#: The map is still: where it was at the last look, and not flying.
STILL = """() => { if (!window.map_div || !map_div.getCenter) return false;
  const c = map_div.getCenter(), here = [c.lat, c.lng, map_div.getZoom()].join();
  const still = window.__lastStill === here && !map_div._animatingZoom;
  window.__lastStill = here; return still; }"""


def quiet(page: Page) -> None:
    """Wait as a person does before the next click: the map has landed, the page is idle.

    A step's flight ends with the map reporting where it landed, which starts a run; a
    click made while that run is under way can be lost (Streamlit reads a callback from the
    run before, which may not have reached the button yet).
    """
    map_frame(page).wait_for_function(STILL, polling=STILL_MS)
    idle(page)


def settled_in(page: Page, step, story, attempts: int = 3) -> tuple[float, float, float]:
    """Wait until the map shows the step's events and has flown into its extent.

    The map's iframe may be remounted while a step is applied: a frame that never comes to
    show the step is dropped for the newest one, a few times.
    """
    shown = step_data(step, story)
    expected, zones = len(shown.events), len(shown.zones)
    box = step.view.extent
    for attempt in range(attempts):
        frame = map_frame(page)
        try:
            frame.wait_for_function(
                f"() => ({COUNT})('atlas-event') === {expected}", timeout=TIMEOUT_MS
            )
            frame.wait_for_function(
                f"() => ({COUNT})('atlas-highlight') === {len(step.highlight)}",
                timeout=TIMEOUT_MS,
            )
            frame.wait_for_function(  # the zones are added once the map is drawn
                f"() => ({COUNT})('atlas-zone') === {zones}", timeout=TIMEOUT_MS
            )
            wait_on_extent(frame, box)
            return tuple(frame.evaluate(WHERE))
        except PlaywrightError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}-{page.size_name}.png")


@pytest.mark.browser
@pytest.mark.server
def test_a_link_to_step_four_opens_on_step_four(page, server, bundled, story):
    page.goto(f"{server.url}/?page=story&step=4")
    step = bundled.step(4)
    on_step(page, 4, step.title)
    settled_in(page, step, story)
    idle(page)
    shoot(page, "01-link-step-4")
    assert "step=4" in page.url and "page=story" in page.url
    assert page.locator(".atlas-story-text strong").first.inner_text() == "The date is disputed."
    assert page.get_by_test_id("stException").count() == 0
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.server
def test_next_and_previous_change_what_the_map_shows(page, server, bundled, story):
    page.goto(f"{server.url}/story?step=2")
    on_step(page, 2, bundled.step(2).title)
    second = settled_in(page, bundled.step(2), story)
    idle(page)
    page.get_by_role("button", name=story_mode.NEXT).click()
    on_step(page, 3, bundled.step(3).title)
    third = settled_in(page, bundled.step(3), story)
    assert third != second, "the map moved to the third step"
    # settled_in saw the map draw the step's zones
    assert len(step_data(bundled.step(3), story).zones) > 0, "the siege step draws the enclave"
    idle(page)
    shoot(page, "02-next-step-3")
    assert "step=3" in page.url
    # the arrow keys press the same buttons (focus on the page, not in a field)
    page.locator("[data-testid='stMain'] h1").click()
    page.keyboard.press("ArrowRight")
    on_step(page, 4, bundled.step(4).title)
    settled_in(page, bundled.step(4), story)
    idle(page)
    page.locator("[data-testid='stMain'] h1").click()
    page.keyboard.press("ArrowLeft")
    on_step(page, 3, bundled.step(3).title)
    idle(page)
    page.get_by_role("button", name=story_mode.PREVIOUS).click()
    on_step(page, 2, bundled.step(2).title)
    back = settled_in(page, bundled.step(2), story)
    assert abs(back[0] - second[0]) < 0.5 and abs(back[1] - second[1]) < 0.5
    idle(page)
    shoot(page, "03-previous-step-2")
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.server
def test_leaving_story_mode_keeps_the_steps_view_on_the_map_page(page, server, bundled, story):
    step = bundled.step(6)
    page.goto(f"{server.url}/story?step=6")
    on_step(page, 6, step.title)
    settled_in(page, step, story)
    idle(page)
    page.get_by_role("link", name="Map", exact=True).click()
    page.wait_for_function("() => !location.pathname.endsWith('/story')")
    # the story's map frame stays on screen until the Map page is drawn: not that one
    page.get_by_text("Step 6 of").wait_for(state="detached")
    frame = map_frame(page)
    # the Map page opens where the story's map was: on the step's extent, not the world
    box = step.view.extent
    wait_on_extent(frame, box)
    # the address bar as the page has it (Playwright's page.url can lag behind it here),
    # once the Map page wrote it: no story, no step
    page.wait_for_function("() => !/[?&](page|step)=/.test(location.search)")
    address = page.evaluate("() => location.href")
    assert "zoom=0" not in address
    # the step's window, as-of day and layers are now the Map page's filters
    expected = len(step_data(step, story).events)
    frame.wait_for_function(f"() => ({COUNT})('atlas-event') === {expected}")
    frame.wait_for_function(f"() => ({COUNT})('atlas-route') > 0")
    assert frame.evaluate(f"() => ({COUNT})('atlas-zone')") == 0  # step 6 draws no zones
    for part in (
        "start=2016-12-15",
        "end=2016-12-22",
        "as_of=2016-12-19",
        "layers=events%2Cplaces%2Croutes",
    ):
        assert part in address, part
    idle(page)
    shoot(page, "04-map-after-story")
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.server
def test_a_readers_drag_starts_no_rerun_and_editing_adds_the_view_dragged_to(
    page, server, bundled, story
):
    """Reading, the map sends nothing back: no rerun can undo a click made meanwhile.

    Each message the page sends the server (a rerun) is counted off its web socket.  The
    drag's view is kept in the browser: turning on *Edit this story* sends it, and *Add
    this view as a step* then takes the extent dragged to, not the step's.
    """
    sent: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    step = bundled.step(3)
    page.goto(f"{server.url}/story?step=3")
    on_step(page, 3, step.title)
    _, start_lng, _ = settled_in(page, step, story)
    idle(page)
    frame = map_frame(page)
    before = len(sent)
    box = page.locator(MAP_IFRAME).last.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 250, box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()
    # st_folium has taken the view it would send (its copy of the last value sent) ...
    frame.wait_for_function(
        """(start) => { const d = window.__GLOBAL_DATA__.previous_data, c = map_div.getCenter();
          return d && d.center && Math.abs(d.center.lng - c.lng) < 1e-9 && c.lng > start; }""",
        arg=start_lng + 0.01,
        polling=STILL_MS,
    )
    dragged = frame.evaluate("() => map_div.getBounds().getEast()")
    # ... and the page has since handled whatever the frame posted to it
    page.evaluate("() => new Promise(r => setTimeout(r, 0))")
    idle(page)
    assert len(sent) == before, "a reader's drag sent the server nothing"
    assert dragged > step.view.extent.east + 0.05, "the map did move east"
    shoot(page, "06-dragged-while-reading")
    page.get_by_text("Edit this story").click()
    page.get_by_role("button", name="Add this view as a step").click()
    on_step(page, 4, "New step 9")
    idle(page)
    assert len(sent) > before
    shoot(page, "07-added-the-dragged-view")
    # the new step's extent is the dragged one: it is the Map page's after leaving, too.
    # A person clicks once the map has landed.  On CI the click once left the page on the
    # story (not seen in 6 local runs); the likeliest cause is a rerun from the map's report
    # of the view as it lands on the new step, redrawing the sidebar under the click
    quiet(page)
    page.get_by_role("link", name="Map", exact=True).click()
    page.get_by_text("Step 4 of").wait_for(state="detached")
    frame = map_frame(page)
    frame.wait_for_function(
        "(east) => map_div.getCenter && map_div.getBounds().getEast() > east",
        arg=step.view.extent.east + 0.05,
    )
    assert page.errors == []


def new_page(browser, size: str) -> Page:
    width, height = SIZES[size]
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.size_name = size
    return page


@pytest.mark.browser
@pytest.mark.server
def test_authoring_adds_the_view_as_a_step_that_the_saved_file_holds(
    browser, server, bundled, story, story_copy
):
    """At each size in turn, a new session adds a step after the last and saves the file."""
    for size, number in zip(SIZES, (9, 10), strict=True):
        page = new_page(browser, size)
        page.goto(f"{server.url}/story?step={number - 1}")
        last = bundled.step(8) if number == 9 else read_story(story_copy).step(9)
        on_step(page, number - 1, last.title)
        if number == 9:
            settled_in(page, last, story)
        idle(page)
        page.get_by_text("Edit this story").click()
        page.get_by_role("button", name="Add this view as a step").click()
        on_step(page, number, f"New step {number}")
        quiet(page)
        page.get_by_label("Step title").fill(f"Astana, and after <b> {number}")
        page.get_by_label("Step text (Markdown)").fill("The talks **opened** <script>x</script>.")
        page.get_by_role("button", name="Keep these changes").click()
        on_step(page, number, f"Astana, and after <b> {number}")
        quiet(page)
        page.get_by_role("button", name=f"Save to {story_copy.name}").click()
        # told where the eye is (a toast in the window), and kept below the buttons
        toast = page.get_by_test_id("stToast").filter(has_text=f"Saved {number} steps")
        expect(toast).to_be_in_viewport()
        page.get_by_test_id("stAlert").filter(has_text=f"Saved {number} steps").wait_for()
        shoot(page, f"05-authored-step-{number}")
        saved = read_story(story_copy)
        assert len(saved.steps) == number
        added = saved.steps[-1]
        assert added.title == f"Astana, and after <b> {number}"
        assert added.text == "The talks **opened** <script>x</script>."
        assert added.view.filters["start"] == "2016-12-29"
        assert added.view.filters["end"] == "2017-01-23"
        assert added.view.extent is not None and added.view.layers == ("events", "places")
        assert saved.steps[:8] == bundled.steps
        # the text shows as text: the <script> in it is not a tag on the page
        text = page.locator(".atlas-story-text").inner_text()
        assert "<script>x</script>" in text
        assert page.locator(".atlas-story-text script").count() == 0
        assert page.errors == []
        page.context.close()


#: A story file a user brings: two steps, one of them with markup in its title.
UPLOADED = """title: 'Idlib, after Aleppo'
steps:
- title: 'The buses leave <img src=x onerror=alert(1)>'
  text: Evacuees were taken **west**.
  view: {start: 2016-12-15, end: 2016-12-22, layers: [events, routes]}
- title: 'Astana'
  view: {start: 2016-12-29, end: 2017-01-23}
"""


@pytest.mark.browser
@pytest.mark.server
def test_a_story_file_opened_with_the_file_chooser_is_told_and_a_bad_one_named(
    page, server, tmp_path
):
    """The user's own story, picked in the file chooser; then one with a misspelt layer."""
    good = tmp_path / "idlib.yaml"
    good.write_text(UPLOADED, encoding="utf-8")
    bad = tmp_path / "broken.yaml"
    bad.write_text(UPLOADED.replace("[events, routes]", "[events, rutes]"), encoding="utf-8")
    page.goto(f"{server.url}/story?step=2")
    page.get_by_text("Step 2 of").wait_for()  # the module's story copy may have grown
    idle(page)
    page.get_by_text("Edit this story").click()
    page.get_by_text("Open a story file").wait_for()
    pages.choose_file(page, good)
    on_step(page, 1, "The buses leave <img src=x onerror=alert(1)>")
    page.get_by_text("Step 1 of 2").wait_for()
    idle(page)
    assert page.locator("[data-testid='stMain'] h1").inner_text() == "Idlib, after Aleppo"
    assert page.locator("[data-testid='stMain'] img[src='x']").count() == 0
    shoot(page, "08-opened-a-story-file")
    pages.choose_file(page, bad)
    error = page.get_by_test_id("stAlertContentError")
    error.wait_for()
    message = error.inner_text()
    assert "broken.yaml" in message and "rutes" in message, message
    page.get_by_text("Step 1 of 2").wait_for()  # the story told is still the good one
    idle(page)
    shoot(page, "09-a-bad-story-file-named")
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.server
def test_the_first_steps_notes_sit_on_its_map_one_line_each(page, server, bundled, story):
    """Step 1's two labels: styled by the map's own stylesheet (inside the map's frame), on
    one line each, inside the map (the narrow one too) and over no place's name."""
    step = bundled.step(1)
    page.goto(f"{server.url}/story?step=1")
    on_step(page, 1, step.title)
    settled_in(page, step, story)
    idle(page)
    shoot(page, "09-step-1-notes")
    notes = map_frame(page).evaluate(pages.NOTES)
    assert sorted(n["text"] for n in notes) == sorted(a.text for a in step.annotations)
    for note in notes:
        # unstyled, a label wraps one word to a line in Leaflet's 12px-wide icon box
        assert note["wrap"] == "nowrap" and note["border"] == "1px", note
        assert note["height"] < 24 and note["width"] > 100, note
        assert note["inside"], f"the note is cut off by the map's edge: {note}"
        assert note["covers"] == 0, f"a place's name is drawn under the note: {note}"
    # the credit line is one line, clear of the scale bar (at 1280x720 it wrapped over it)
    credit, scale = (
        map_frame(page).locator(selector).bounding_box()
        for selector in (".leaflet-control-attribution", ".leaflet-control-scale")
    )
    assert credit["height"] < 24, credit
    assert (
        credit["x"] >= scale["x"] + scale["width"] or credit["y"] >= scale["y"] + scale["height"]
    ), (credit, scale)
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.server
def test_publish_as_a_site_downloads_a_zip_of_the_static_site(
    page, server, bundled, story, tmp_path
):
    """The Story page's *Publish as a site*, clicked through to the downloaded file."""
    import zipfile

    page.goto(f"{server.url}/story?step=1")
    on_step(page, 1, bundled.step(1).title)
    settled_in(page, bundled.step(1), story)
    idle(page)
    named = map_frame(page).evaluate(SHOWN_LABELS)
    assert "Turkmen Mountain" in named
    page.get_by_role("button", name="Publish as a site").click()
    page.get_by_role("button", name="Make the site").click()
    download_button = page.get_by_role("button", name="Download the site (.zip)")
    download_button.wait_for(timeout=4 * TIMEOUT_MS)
    # the rerun redraws the map's layers: their names come back with them
    map_frame(page).wait_for_function(
        f"(named) => ({SHOWN_LABELS})().join() === named.join()", arg=named, timeout=10_000
    )
    shoot(page, "10-publish-ready")
    with page.expect_download() as download:
        download_button.click()
    assert download.value.suggested_filename == f"{bundled.id}-site.zip"
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        names = set(archive.namelist())
        assert {"site/index.html", "site/provenance.json"} <= names, sorted(names)
        index = archive.read("site/index.html").decode("utf-8")
    assert bundled.title in index and bundled.step(8).title in index
    assert not any(name.endswith(".gif") for name in names), "pictures were not asked for"
    assert page.errors == []


# --- without a browser -------------------------------------------------------------------


def choices() -> Choices:
    return Choices(dt.date(2015, 11, 24), dt.date(2017, 1, 23), ("Russia",), ("Battles",))


def test_a_steps_state_is_its_window_as_of_day_types_and_layers():
    told = parse_story(
        "title: T\nsteps:\n- title: One\n  view: {start: 2016-12-13, end: 2016-12-16,"
        " as_of: 2016-12-14, event_types: [battles], layers: [zones, events]}\n"
    )
    state = story_mode.step_state(told.steps[0], choices())
    assert (state.start, state.end, state.as_of) == (
        dt.date(2016, 12, 13),
        dt.date(2016, 12, 16),
        dt.date(2016, 12, 14),
    )
    assert state.types == ("Battles",)  # the dataset's spelling
    assert state.layers == ("events", "zones")  # the registry's order


def test_a_step_that_leaves_the_window_open_shows_the_datas_span_clamped():
    told = parse_story("title: T\nsteps:\n- title: One\n  view: {end: 2030-01-01}\n")
    state = story_mode.step_state(told.steps[0], choices())
    assert (state.start, state.end, state.as_of) == (
        dt.date(2015, 11, 24),
        dt.date(2017, 1, 23),
        None,
    )


#: What st_folium reported, seen in a real run, from the story map drawn in a frame with no
#: height yet: a line across the world at zoom 0.
NO_HEIGHT_REPORT = {
    "bounds": {
        "_southWest": {"lat": 36.59788913307022, "lng": -433.12500000000006},
        "_northEast": {"lat": 36.59788913307022, "lng": 506.25000000000006},
    },
    "zoom": 0,
    "center": {"lat": 36.075321863784296, "lng": 36.925000000000026},
}


def test_a_map_with_no_height_yet_reports_no_view():
    """Else leaving story mode right after a step opened the Map page on the whole world."""
    from dashboard.maps import leaflet_bounds, reported_view

    assert reported_view(NO_HEIGHT_REPORT) is None
    assert leaflet_bounds(NO_HEIGHT_REPORT["bounds"]) is None
    laid_out = {
        **NO_HEIGHT_REPORT,
        "zoom": 9.75,
        "bounds": {
            "_southWest": {"lat": 35.71814, "lng": 36.53637},
            "_northEast": {"lat": 36.43092, "lng": 37.31374},
        },
    }
    assert reported_view(laid_out) == (36.07532, 36.925, 9.75)


def test_a_step_holds_when_a_rerun_from_the_browser_interrupts_the_run_that_set_it(
    monkeypatch, bundled, story
):
    """The browser's rerun carries the old step's filter values: the step's still win.

    In the browser, Next's run is interrupted when the map reports that it moved before the
    sidebar is drawn; the rerun that follows brings the values the browser's widgets still
    hold (the previous step's), and Streamlit lets them win over what Next's callback set.
    Here Next's run stops before the sidebar, and the next run is sent the widget values of
    the run before Next, as the browser sends them.
    """
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard import state as S
    from dashboard.components import sidebar

    monkeypatch.delenv(STORY.variable, raising=False)  # the bundled story, not the server's
    at = AppTest.from_file(str(Path(S.__file__).with_name("app.py")), default_timeout=120)
    at.query_params["page"], at.query_params["step"] = "story", "2"
    at.run()
    assert not at.exception
    assert at.session_state[S.K_STEP] == 2 and not at.session_state[S.layer_key("zones")]
    held_by_the_browser = at._tree.get_widget_states()  # private API: a browser's rerun
    with monkeypatch.context() as interrupted:
        interrupted.setattr(sidebar, "render_filters", lambda *args: st.stop())
        at.button(key="story_next").click().run()
    at._run(held_by_the_browser)
    third = story_mode.step_state(bundled.step(3), Choices.for_dataset(story))
    assert at.session_state[S.K_STEP] == 3
    assert at.session_state[S.K_WINDOW] == (third.start, third.end)
    assert at.session_state[S.layer_key("zones")], "step 3 shows the enclave's zones"
    assert not at.exception


def test_the_map_page_opens_on_the_steps_extent_until_the_filters_change(monkeypatch, bundled):
    """Leaving story mode before the map reported its view: the step's extent, not the data's."""
    from streamlit.testing.v1 import AppTest

    from dashboard import state as S

    monkeypatch.delenv(STORY.variable, raising=False)
    at = AppTest.from_file(str(Path(S.__file__).with_name("app.py")), default_timeout=120)
    at.query_params["page"], at.query_params["step"] = "story", "6"
    at.run()
    assert not at.exception and at.session_state[S.K_STEP] == 6
    at.switch_page("screens/map_page.py").run()
    extent, _ = at.session_state[S.K_ARRIVAL]
    assert extent == bundled.step(6).view.bounds(), "the step's extent (no map reported one)"
    at.sidebar.multiselect(key=S.K_ACTORS).select("Turkey").run()
    assert S.K_ARRIVAL not in at.session_state, "other filters: the Map page fits their data"
    assert not at.exception


def _story_app_on_last_step(monkeypatch, tmp_path):
    """The app (AppTest) on step 8 of a copy of the bundled story, started with --story."""
    from streamlit.testing.v1 import AppTest

    from dashboard import state as S

    copy = tmp_path / "aleppo.yaml"
    shutil.copy(story_file(), copy)
    monkeypatch.setenv(STORY.variable, str(copy))
    at = AppTest.from_file(str(Path(S.__file__).with_name("app.py")), default_timeout=120)
    at.query_params["page"], at.query_params["step"] = "story", "8"
    at.run()
    return at, copy


def test_the_saved_note_stays_through_the_reruns_that_follow_until_the_story_changes(
    monkeypatch, tmp_path
):
    """A rerun right after Save (the map reporting its view) used to take the note away."""
    from dashboard.components.text import md_text

    at, _ = _story_app_on_last_step(monkeypatch, tmp_path)
    assert "story_save" not in [b.key for b in at.button], "the tools wait for Edit this story"
    at.toggle(key="story_editing").set_value(True).run()
    at.button(key="story_save").click().run()
    saved = md_text("Saved 8 steps to aleppo.yaml.")  # as Markdown, escaped
    assert [m.value for m in at.success] == [saved]
    at.run()  # a rerun nobody asked for
    assert [m.value for m in at.success] == [saved]
    at.button(key="story_add").click().run()
    assert saved not in [m.value for m in at.success], "the story changed since it was saved"
    assert not at.exception


def test_a_click_acts_on_the_sessions_story_not_on_the_one_its_button_was_drawn_with(
    monkeypatch, tmp_path
):
    """A click that lands before the run of an earlier one has redrawn the buttons.

    Streamlit calls a button's callback with the arguments of the run that drew it: *Keep
    these changes* then *Save* at once wrote the story without the changes just kept (and
    the note on it never showed).  Here the session's story changes with no run between.
    """
    from dashboard.components.text import md_text

    at, copy = _story_app_on_last_step(monkeypatch, tmp_path)
    at.toggle(key="story_editing").set_value(True).run()
    told = at.session_state[story_mode.K_STORY]
    steps = [*told.steps[:-1], replace(told.steps[-1], title="Kept, not yet redrawn")]
    at.session_state[story_mode.K_STORY] = told.with_steps(steps)
    at.button(key="story_save").click().run()
    assert read_story(copy).steps[-1].title == "Kept, not yet redrawn"
    assert [m.value for m in at.success] == [md_text("Saved 8 steps to aleppo.yaml.")]
    at.button(key="story_up").click().run()
    assert [s.title for s in at.session_state[story_mode.K_STORY].steps[-2:]] == [
        "Kept, not yet redrawn",
        told.steps[-2].title,
    ], "moved up: the session's last step, not the drawn story's"
    assert not at.exception


def test_the_view_on_screen_becomes_a_step_view_that_reads_back():
    state = story_mode.step_state(read_story(story_file()).step(3), choices())
    view = story_mode.view_of(state, [[36.1, 37.0], [36.3, 37.3]])
    assert view.filters == {"start": "2016-11-15", "end": "2016-12-12"}
    assert view.bounds() == [[36.1, 37.0], [36.3, 37.3]]
    assert view.layers == ("events", "places", "zones")
