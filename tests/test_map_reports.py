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


@pytest.mark.browser
def test_a_held_map_sends_nothing_until_let_go_then_its_last_view(
    browser, tmp_path, basemap, story
):
    """The Story page's map while read: no value sent, so no rerun races a reader's click.

    Let go (the story is being edited), it sends the last view it held back, once, and then
    each new one; held again, nothing.
    """
    import folium

    from dashboard.assets import STATIC_DIR
    from dashboard.maps import Palette, ViewReportSwitch, build_base_map, map_html
    from dashboard.snapshot.page import inline_assets

    json_text, attribution = basemap
    m = build_base_map(
        json_text,
        bounds=VIEWS["aleppo"].bounds,
        palette=Palette.for_dataset(story),
        attribution=attribution,
        asset_base_url=STATIC_DIR.as_uri(),
        hold_view_reports=True,
    )
    switch = folium.FeatureGroup(name="View reports", control=False)
    ViewReportSwitch(on=False).add_to(switch)
    switch.add_to(m)
    path = tmp_path / "held.html"
    path.write_text(inline_assets(map_html(m)), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(STAND_IN)
    page.goto(path.as_uri())
    page.wait_for_function("() => window.Streamlit.__atlasReports !== undefined")
    first = {"zoom": 9, "center": {"lat": 36.1, "lng": 36.9}, "bounds": []}
    last = {**first, "zoom": 10}
    assert page.evaluate(SEND, first) == 0, "a held map sends nothing"
    assert page.evaluate(SEND, last) == 0
    page.evaluate("() => window.Streamlit.__atlasReports(true)")
    assert page.evaluate("() => window.Streamlit.sent") == [last], "the last view, once"
    assert page.evaluate(SEND, {**last, "zoom": 11}) == 2, "then each new view"
    page.evaluate("() => window.Streamlit.__atlasReports(false)")
    assert page.evaluate(SEND, {**last, "zoom": 12}) == 2, "held again"
    assert errors == []
    page.close()


def test_the_switch_in_a_layer_calls_the_maps_report_switch():
    """What st_folium runs when the Story page's layers change (its on/off as JSON)."""
    import folium

    from dashboard.maps import ViewReportSwitch

    m = folium.Map()
    group = folium.FeatureGroup(name="View reports", control=False).add_to(m)
    ViewReportSwitch(on=True).add_to(group)
    assert "window.Streamlit.__atlasReports(true)" in m.get_root().render()
