"""Helpers for driving the dashboard in Chromium as a person does: the map, the uploader.

Plain functions over Playwright pages, for the browser tests (``test_journeys``,
``test_replicas``...).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page

MAP_IFRAME = "iframe[title*='streamlit_folium']"
#: The two screens a person uses: a laptop's and a desktop's (CSS pixels).
SIZES = {"laptop": (1280, 720), "desktop": (1600, 1000)}
TIMEOUT_MS = 60_000

#: How many of the map's layers have the class name ``c`` (-1 before the map is drawn).
COUNT = """(c) => { let n = 0; if (!window.map_div || !window.map_div.eachLayer) return -1;
  map_div.eachLayer(l => { if (l.options && l.options.className === c) n++; }); return n; }"""


#: A story step's notes on the map in the page: each one's text, size, style, whether it is
#: wholly inside the map, and how many shown labels it covers.
NOTES = """() => { const map = document.querySelector('.leaflet-container').getBoundingClientRect();
  const labels = [...document.querySelectorAll('.atlas-label:not(.atlas-label-hidden)')]
    .map(l => l.getBoundingClientRect());
  return [...document.querySelectorAll('.atlas-annotation')].map(n => {
    const b = n.getBoundingClientRect(), style = getComputedStyle(n);
    return {text: n.textContent, width: b.width, height: b.height, wrap: style.whiteSpace,
      border: style.borderTopWidth, inside: b.left >= map.left && b.right <= map.right
        && b.top >= map.top && b.bottom <= map.bottom,
      covers: labels.filter(l => l.left < b.right && b.left < l.right && l.top < b.bottom
        && b.top < l.bottom).length}; }); }"""


def map_frame(page: Page, layer: str | None = "atlas-event", attempts: int = 5) -> Frame:
    """The map's frame, once Leaflet has drawn ``layer`` in it (None: once it holds a map)."""
    # A change of datasets or basemap mounts a new map iframe while the old one is removed,
    # and Streamlit may remount it again meanwhile: take the newest one holding a drawn map,
    # and look again when the one taken goes away before it is read.
    for attempt in range(attempts):
        page.wait_for_function(
            """(selector) => { const all = document.querySelectorAll(selector);
            const last = all[all.length - 1];
            return !!(last && last.contentWindow && last.contentWindow.map_div); }""",
            arg=MAP_IFRAME,
        )
        handle = page.locator(MAP_IFRAME).last.element_handle()
        frame = handle.content_frame() if handle is not None else None
        if frame is None:
            continue  # removed between the wait and the look
        if layer is None:
            return frame
        try:
            frame.wait_for_function(f"() => ({COUNT})({layer!r}) > 0")
        except PlaywrightError:
            if frame.is_detached() and attempt < attempts - 1:
                continue
            raise
        return frame
    raise AssertionError(f"no map iframe stayed long enough to be read ({attempts} tries)")


#: The page is idle: no run shown as running, at this look and at the one before.
QUIET = """() => { const running = !!document.querySelector('[data-testid="stStatusWidget"]');
  const quiet = !running && window.__atlasWasQuiet === true;
  window.__atlasWasQuiet = !running; return quiet; }"""
#: How often QUIET looks (ms).  One look between two runs (the map reporting its view
#: starts the next a moment after the last ends) would let a click land mid-rerun.
QUIET_MS = 250


def idle(page: Page) -> None:
    """Wait until no run has been shown as running for two looks in a row."""
    page.evaluate("() => { window.__atlasWasQuiet = false; }")
    page.wait_for_function(QUIET, polling=QUIET_MS)


def choose_file(page: Page, path: Path) -> None:
    """Click the uploader's button and pick ``path`` in the file chooser it opens.

    The button is *Upload* while the uploader holds no file, then *Add files* (the ``+``
    beside the file it holds), which replaces it in a one-file uploader.
    """
    with page.expect_file_chooser() as chooser:
        uploader = page.get_by_test_id("stFileUploader").first
        uploader.get_by_role("button", name=re.compile(r"^(Upload|Add files)$")).click()
    chooser.value.set_files(path)


def selected(page: Page, label: str) -> str:
    """The value a selectbox labelled ``label`` shows."""
    return page.get_by_role("combobox", name=label, exact=True).input_value()


@contextlib.contextmanager
def sized_page(browser, size_name: str) -> Iterator[Page]:
    """A fresh page at one of :data:`SIZES`, collecting its errors in ``page.errors``."""
    width, height = SIZES[size_name]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.size_name = size_name
    try:
        yield page
    finally:
        context.close()


def open_snapshot(
    browser, folder: Path, request, basemap: tuple[str, str], size: tuple[int, int], **options
) -> Page:
    """A snapshot page (``dashboard.snapshot.snapshot_html``) opened from disk at SIZE, drawn.

    ``basemap`` is the conftest fixture's (GeoJSON text, credit); ``options`` go to
    ``snapshot_html`` (``interactive=False``...). The page's errors are in ``page.errors``.
    """
    from dashboard.snapshot import READY_ATTRIBUTE, snapshot_html

    json_text, attribution = basemap
    path = folder / f"snapshot-{len(list(folder.glob('snapshot-*.html')))}.html"
    path.write_text(
        snapshot_html(request, json_text, attribution=attribution, **options), encoding="utf-8"
    )
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector(f"html[{READY_ATTRIBUTE}]", state="attached")
    return page


def bring_to_mapping_step(page: Page, url: str, path: Path) -> None:
    """Open the dashboard, go to Your data and pick PATH in the file chooser, up to the
    mapping step (a table in no known layout)."""
    page.goto(url)
    map_frame(page)
    page.get_by_role("link", name="Your data").click()
    page.get_by_text("Add an event table").first.wait_for()
    choose_file(page, path)
    page.get_by_text("Which column is which?").wait_for()
    idle(page)
