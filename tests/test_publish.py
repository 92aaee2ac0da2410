"""``atlas publish``: a static site of the story that works from disk with no network.

The browser tests open ``index.html`` from ``file://`` in Chromium with every request that
is not a file aborted and recorded, go through every step with the keyboard and the
buttons, and check that no page error and no request happened.  Screenshots in
``tests/artifacts/publish/``.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from html import unescape
from pathlib import Path

import pytest
from playwright.sync_api import Page

from dashboard.cli import main
from dashboard.publish import (
    MOTION_WRITERS,
    embed_snippet,
    publish_zip,
    site_html,
    step_picture_request,
)
from geo.narrative import parse_story, read_story, step_data
from geo.schema import Column
from geo.story import story_file
from tests.pages import NOTES, SIZES, sized_page
from tests.servers import atlas_command

ARTIFACTS = Path(__file__).parent / "artifacts" / "publish"
COUNT = """(c) => { let n = 0; const m = window[Object.keys(window).find(k => k.startsWith('map_')
  && window[k] && window[k].eachLayer)]; m.eachLayer(l => { if (l.options &&
  l.options.className === c) n++; }); return n; }"""
HOSTILE = """
title: '<img src=x onerror="window.hacked=1">Hostile'
subtitle: '</script><script>window.hacked=2</script>'
steps:
- title: '<script>window.hacked=3</script>One'
  text: |
    <img src=x onerror="window.hacked=4"> **bold** [link](javascript:window.hacked=5)
    {{ 6 * 7 }} ${7*7}
  view: {start: 2016-12-13, end: 2016-12-14, layers: [events]}
  highlight: [2016-12-13-aleppo-ceasefire-evacuation-deal]
  annotations:
  - label: '<b onmouseover="window.hacked=6">note</b>'
    at: [36.2, 37.1]
- title: Two
  view: {start: 2016-12-15, end: 2016-12-15, layers: [events, routes]}
"""


@pytest.fixture(scope="module")
def bundled():
    return read_story(story_file())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The bundled story published by the command line, pictures included.

    In its own process, as a user runs it (and one Playwright per thread: the browser
    fixture's is running here).
    """
    out = tmp_path_factory.mktemp("published") / "site"
    done = subprocess.run(
        atlas_command("publish", "--out", str(out), "--url", "https://news.example/aleppo/"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == embed_snippet(
        "https://news.example/aleppo/", "Aleppo, December 2016"
    )
    return out


# --- without a browser -------------------------------------------------------------------


def test_the_site_carries_only_the_events_its_steps_show(story):
    told = parse_story(HOSTILE)
    html, _ = site_html(told, story, story_text=HOSTILE)
    shown = set()
    for step in told.steps:
        shown |= set(step_data(step, story).events[Column.ID])
    assert shown
    for event_id in story.events[Column.ID]:
        assert (f"Event id: {event_id}" in html) == (event_id in shown), event_id
    assert "atlas-zone" not in html  # no step draws zones


def test_the_site_holds_every_asset_and_names_no_other_host(story):
    told = parse_story(HOSTILE)
    html, facts = site_html(told, story, story_text=HOSTILE)
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    assert "cdn.jsdelivr" not in html and "unpkg" not in html and "file://" not in html
    assert "connect-src 'none'" in unescape(html)  # the page may fetch nothing
    assert facts["Data"].endswith(f"(version {story.content_hash()})")
    assert "story file" in facts["Story"] and "conflict-atlas" in facts["Made with"]


def test_hostile_story_text_reaches_the_page_escaped(story):
    told = parse_story(HOSTILE)
    html, _ = site_html(told, story, story_text=HOSTILE)
    assert "<script>window.hacked" not in html
    assert "<title>&lt;img src=x onerror=&quot;window.hacked=1&quot;&gt;Hostile</title>" in html
    assert 'onerror="window.hacked' not in html
    assert "&lt;img src=x onerror=&quot;window.hacked=4&quot;&gt;" in html
    assert 'href="javascript:' not in html
    assert "{{ 6 * 7 }}" in html  # shown as written, never a template


def test_the_embed_snippet_is_an_escaped_iframe():
    assert embed_snippet("https://news.example/a/", 'A "story" <b>') == (
        '<iframe src="https://news.example/a/index.html" title="A &quot;story&quot; &lt;b&gt;" '
        'width="100%" height="640" style="border:0" loading="lazy" allowfullscreen></iframe>'
    )


def test_publish_refuses_a_story_naming_events_the_data_lacks(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: T\nsteps:\n- title: One\n  highlight: [no-such-event]\n")
    code = main(["publish", "--story", str(bad), "--out", str(tmp_path / "out"), "--no-pictures"])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"atlas publish: {bad}: step 1 ('One'): highlight: no event 'no-such-event' in the dataset"
    )
    assert not (tmp_path / "out" / "index.html").exists()


def test_publish_names_the_step_and_field_of_an_invalid_story(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: T\nsteps:\n- title: One\n  view: {as_of: tomorrow}\n")
    code = main(["publish", "--story", str(bad), "--out", str(tmp_path / "out"), "--no-pictures"])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"atlas publish: {bad}, step 1 ('One'): view.as_of: expected a date as YYYY-MM-DD, "
        "got 'tomorrow'"
    )


def test_a_gif_and_an_mp4_are_the_moving_pictures_and_others_plug_in_by_suffix():
    assert set(MOTION_WRITERS) == {".gif", ".mp4"}


# --- in the browser ----------------------------------------------------------------------


@pytest.mark.browser
def test_publish_writes_the_site_its_pictures_and_provenance(site, bundled, capsys):
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    steps = {f"steps/step-{n:02d}.png" for n in range(1, len(bundled.steps) + 1)}
    published = {"index.html", "story.yaml", "embed.html", "provenance.json"}
    assert published | {"steps.gif", "steps.mp4"} | steps == names
    from PIL import Image

    with Image.open(site / "steps.gif") as gif:
        assert gif.n_frames == len(bundled.steps)
    provenance = json.loads((site / "provenance.json").read_text())
    assert provenance["steps"] == len(bundled.steps)
    assert (site / "story.yaml").read_text(encoding="utf-8") == story_file().read_text(
        encoding="utf-8"
    )
    assert 'src="https://news.example/aleppo/index.html"' in (site / "embed.html").read_text()


def open_offline(page: Page, path: Path) -> list[str]:
    """Open ``path`` from disk with every request that is not a file aborted (and listed)."""
    asked: list[str] = []

    def refuse(route):
        asked.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith("file://"), refuse)
    page.on(
        "request", lambda r: None if r.url.startswith(("file://", "data:")) else asked.append(r.url)
    )
    page.goto(path.as_uri())
    page.wait_for_function("() => document.documentElement.dataset.atlasStep === '1'")
    return asked


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def page(browser, request):
    with sized_page(browser, request.param) as page:
        yield page


def _where(page: Page) -> str:
    return page.evaluate(
        """() => { const m = window[Object.keys(window).find(k => k.startsWith('map_')
        && window[k] && window[k].getCenter)]; const c = m.getCenter();
        return c.lat.toFixed(3) + ',' + c.lng.toFixed(3) + ',' + m.getZoom(); }"""
    )


@pytest.mark.browser
@pytest.mark.parametrize("number", [1, 6])
def test_a_steps_picture_draws_its_highlights_and_notes(browser, story, bundled, basemap, number):
    """The page a step's PNG is shot from: the step's rings and labels, inside the picture.

    Step 1 has two labels, step 6 an arrow with its label; both highlight events.
    """
    from dashboard.snapshot import READY_ATTRIBUTE, snapshot_html

    step = bundled.step(number)
    request = step_picture_request(bundled, story, number)
    html = snapshot_html(request, basemap[0], attribution=basemap[1], interactive=False)
    page = browser.new_page(viewport={"width": request.width, "height": request.height})
    try:
        page.set_content(html, wait_until="load")
        page.wait_for_selector(f"html[{READY_ATTRIBUTE}]", state="attached")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"step-picture-{number}.png")
        notes = page.evaluate(NOTES)
        rings = page.locator("path.atlas-highlight").count()
        arrows = page.locator(".atlas-annotation-arrow").count()
    finally:
        page.close()
    labels = [note.text for note in step.annotations if note.text]
    assert sorted(n["text"] for n in notes) == sorted(labels)
    assert all(n["inside"] and n["height"] < 24 and n["covers"] == 0 for n in notes), notes
    shown = step_data(step, story)
    expected_rings = shown.events[Column.ID].isin(step.highlight).sum()
    assert rings == expected_rings > 0
    assert arrows == sum(note.kind == "arrow" for note in step.annotations)


@pytest.mark.browser
def test_the_published_site_goes_through_every_step_from_disk_with_no_request(
    page, site, bundled, story
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    asked = open_offline(page, site / "index.html")
    seen = []
    for number, step in enumerate(bundled.steps, start=1):
        page.wait_for_function(f"() => document.documentElement.dataset.atlasStep === '{number}'")
        section = page.locator(f"#step-{number}")
        assert section.is_visible()
        assert step.title in section.locator("h2").inner_text()
        expected = len(step_data(step, story).events)
        page.wait_for_function(f"() => ({COUNT})('atlas-event') === {expected}")
        highlighted = page.evaluate(f"() => ({COUNT})('atlas-highlight')")
        assert highlighted == len(step.highlight), number
        # the map flies to the step's extent: wait until it has arrived there
        page.wait_for_function(
            f"() => document.documentElement.dataset.atlasArrived === '{number}'"
        )
        box = step.view.extent
        lat, lon, _ = (float(v) for v in _where(page).split(","))
        assert box.south < lat < box.north and box.west < lon < box.east, number
        seen.append(_where(page))
        if number in (1, 3, 6):
            page.screenshot(path=ARTIFACTS / f"step-{number}-{page.size_name}.png")
        if number < len(bundled.steps):
            if number % 2:
                page.keyboard.press("ArrowRight")
            else:
                page.get_by_role("button", name="Next step").click()
    assert len(set(seen)) == len(seen), "every step moved the map"
    page.get_by_role("button", name="Previous step").click()
    page.wait_for_function(
        f"() => document.documentElement.dataset.atlasStep === '{len(bundled.steps) - 1}'"
    )
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        f"() => document.documentElement.dataset.atlasStep === '{len(bundled.steps) - 2}'"
    )
    assert page.errors == []
    assert asked == [], f"the site asked the network for {asked}"


@pytest.mark.browser
def test_a_link_to_a_step_of_the_published_site_opens_on_it(page, site):
    asked: list[str] = []
    page.route(
        lambda url: not url.startswith("file://"),
        lambda r: (asked.append(r.request.url), r.abort()),
    )
    page.goto((site / "index.html").as_uri() + "#step-4")
    page.wait_for_function("() => document.documentElement.dataset.atlasStep === '4'")
    assert page.locator("#step-4").is_visible() and not page.locator("#step-1").is_visible()
    page.locator(".atlas-steps").locator("xpath=..").locator("summary").click()
    page.locator(".atlas-steps button").nth(6).click()
    page.wait_for_function("() => document.documentElement.dataset.atlasStep === '7'")
    assert page.url.endswith("#step-7")
    assert page.errors == [] and asked == []


@pytest.fixture
def static_host(site):
    """The site on a plain static web server (Python's), in a folder of the host's."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site.parent))
    handler.func.log_message = lambda *args: None  # quiet: the test lists what was asked
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{site.name}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.browser
@pytest.mark.server
def test_the_published_site_works_from_a_static_web_host(page, static_host, bundled):
    """Served over HTTP from a folder: every file it asks for is the host's, and is there."""
    answers: list[tuple[int, str]] = []
    page.on("response", lambda r: answers.append((r.status, r.url)))
    page.goto(static_host + "index.html#step-6")
    page.wait_for_function("() => document.documentElement.dataset.atlasStep === '6'")
    page.wait_for_function("() => document.documentElement.dataset.atlasArrived === '6'")
    assert page.locator("#step-6").is_visible()
    assert page.locator(".atlas-annotation").count() == 1
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.documentElement.dataset.atlasArrived === '7'")
    page.screenshot(path=ARTIFACTS / f"static-host-step-7-{page.size_name}.png")
    assert answers and all(url.startswith(static_host) for _, url in answers), answers
    assert all(status == 200 for status, _ in answers), answers
    assert page.errors == []


@pytest.mark.browser
def test_hostile_story_text_shows_as_text_in_the_published_site(page, story, tmp_path):
    from dashboard.publish import publish_site

    told = parse_story(HOSTILE)
    published = publish_site(told, story, tmp_path / "site", story_text=HOSTILE, pictures=False)
    asked = open_offline(page, published.folder / "index.html")
    text = page.locator("#step-1").inner_text()
    assert '<img src=x onerror="window.hacked=4">' in text
    assert "{{ 6 * 7 }}" in text
    assert page.locator("#atlas-story h1").inner_text().startswith("<img src=x onerror=")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.documentElement.dataset.atlasStep === '2'")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => document.documentElement.dataset.atlasArrived === '1'")
    page.screenshot(path=ARTIFACTS / f"hostile-{page.size_name}.png")
    assert page.evaluate("() => window.hacked") is None
    assert page.locator("#atlas-story a[href^='javascript']").count() == 0
    assert page.errors == [] and asked == []


def test_the_app_download_is_the_site_as_a_zip(story):
    told = parse_story(HOSTILE)
    data = publish_zip(told, story, story_text=HOSTILE, pictures=False)
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == [
            "site/embed.html",
            "site/index.html",
            "site/provenance.json",
            "site/story.yaml",
        ]
        assert "atlas-story" in archive.read("site/index.html").decode()
