"""Helpers for driving the dashboard in Chromium as a person does: the map, the uploader.

Plain functions over Playwright pages, for the browser tests (``test_journeys``,
``test_replicas``...).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Frame, Page

MAP_IFRAME = "iframe[title*='streamlit_folium']"

#: How many of the map's layers have the class name ``c`` (-1 before the map is drawn).
COUNT = """(c) => { let n = 0; if (!window.map_div || !window.map_div.eachLayer) return -1;
  map_div.eachLayer(l => { if (l.options && l.options.className === c) n++; }); return n; }"""


def map_frame(page: Page, layer: str = "atlas-event") -> Frame:
    """The map's frame, once Leaflet has drawn ``layer`` in it."""
    # a change of datasets or basemap mounts a new map iframe while the old one is removed:
    # wait until the newest one holds a drawn map, then take that one
    page.wait_for_function(
        """(selector) => { const all = document.querySelectorAll(selector);
        const last = all[all.length - 1];
        return !!(last && last.contentWindow && last.contentWindow.map_div); }""",
        arg=MAP_IFRAME,
    )
    frame = page.locator(MAP_IFRAME).last.element_handle().content_frame()
    frame.wait_for_function(f"() => ({COUNT})({layer!r}) > 0")
    return frame


def idle(page: Page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")


def choose_file(page: Page, path: Path) -> None:
    """Click the uploader's button and pick ``path`` in the file chooser it opens."""
    with page.expect_file_chooser() as chooser:
        dropzone = page.get_by_test_id("stFileUploaderDropzone").first
        dropzone.get_by_role("button", name="Upload", exact=True).click()
    chooser.value.set_files(path)


def selected(page: Page, label: str) -> str:
    """The value a selectbox labelled ``label`` shows."""
    return page.get_by_role("combobox", name=label, exact=True).input_value()
