"""What a map sends back to Streamlit (through st_folium's component API), in Chromium.

A map whose frame has no height (just mounted, or its page being left) sends nothing: its
view is a line across the world at zoom 0.  A frame that only changed size sends nothing
either (the same centre and zoom, other bounds).  Each value sent starts a rerun that carries
the page the map was drawn on, which Streamlit lets win over the page the user just clicked.  Here the map
is a snapshot page (the same base map the app draws), with a stand-in for st_folium's
``window.Streamlit`` that records what it is sent.  (Without one, as in every export, the
script does nothing: the snapshot tests would see its errors.)
"""

from __future__ import annotations

import pytest

from dashboard.snapshot import READY_ATTRIBUTE, SnapshotRequest, snapshot_html
from dashboard.views import VIEWS
from geo.filters import Filters

#: st_folium's component API as the map's script finds it, recording each value sent.
STAND_IN = "window.Streamlit = {sent: [], setComponentValue(value) { this.sent.push(value); }};"
SEND = """(value) => { window.Streamlit.setComponentValue(value);
  return window.Streamlit.sent.length; }"""
HEIGHT = """(px) => { const map = document.querySelector('.leaflet-container');
  map.style.setProperty('height', px, 'important');
  map.style.setProperty('min-height', '0', 'important');
  return map.clientHeight; }"""
#: Leaflet reads its size again (as on a window resize).
INVALIDATE = "() => Object.values(window).find(v => v instanceof L.Map).invalidateSize()"


@pytest.mark.browser
def test_a_map_without_height_sends_nothing_and_sends_again_once_it_has_one(
    browser, tmp_path, story, basemap
):
    request = SnapshotRequest(
        dataset=story,
        filters=Filters.make(start="2016-12-01", end="2016-12-22"),
        bounds=VIEWS["aleppo"].bounds,
    )
    json_text, attribution = basemap
    path = tmp_path / "map.html"
    path.write_text(snapshot_html(request, json_text, attribution=attribution), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(STAND_IN)
    page.goto(path.as_uri())
    page.wait_for_selector(f"html[{READY_ATTRIBUTE}]", state="attached")
    view = {
        "zoom": 9.75,
        "center": {"lat": 36.1, "lng": 36.9},
        "bounds": [[35.7, 36.5], [36.4, 37.3]],
    }
    assert page.evaluate(SEND, view) == 1, "a map on screen sends its view"
    resized = {**view, "bounds": [[35.8, 36.5], [36.3, 37.3]]}
    assert page.evaluate(SEND, resized) == 1, "the same view in a resized frame is not sent"
    assert page.evaluate(HEIGHT, "0px") == 0
    page.evaluate(INVALIDATE)
    moved = {**view, "zoom": 11}
    assert page.evaluate(SEND, moved) == 1, "a map with no height sends nothing"
    page.evaluate(HEIGHT, "400px")
    page.evaluate(INVALIDATE)
    assert page.evaluate(SEND, moved) == 2, "it sends again once it has a height"
    assert errors == []
    page.close()
