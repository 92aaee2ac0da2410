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

from dashboard.maps.base import SETTLE_MS
from dashboard.snapshot import READY_ATTRIBUTE, SnapshotRequest, snapshot_html
from dashboard.views import VIEWS
from geo.filters import Filters

#: st_folium's component API as the map's script finds it, recording each value sent.
STAND_IN = "window.Streamlit = {sent: [], setComponentValue(value) { this.sent.push(value); }};"
REPORT = "(value) => { window.Streamlit.setComponentValue(value); }"
SENT = "() => window.Streamlit.sent.length"
HEIGHT = """(px) => { const map = document.querySelector('.leaflet-container');
  map.style.setProperty('height', px, 'important');
  map.style.setProperty('min-height', '0', 'important');
  return map.clientHeight; }"""
#: Leaflet reads its size again (as on a window resize).
INVALIDATE = "() => Object.values(window).find(v => v instanceof L.Map).invalidateSize()"


def stop_the_clock(page) -> None:
    """From now on the page's timers run only when :func:`send` moves its clock on."""
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)


def send(page, value) -> int:
    """Report ``value`` as st_folium does, let the view settle: how many values were sent."""
    page.evaluate(REPORT, value)
    page.clock.run_for(SETTLE_MS)
    return page.evaluate(SENT)


def _snapshot_page(browser, tmp_path, story, basemap):
    """The app's base map as a snapshot page, on a clock the test moves (``page.errors``)."""
    request = SnapshotRequest(
        dataset=story,
        filters=Filters.make(start="2016-12-01", end="2016-12-22"),
        bounds=VIEWS["aleppo"].bounds,
    )
    json_text, attribution = basemap
    path = tmp_path / "map.html"
    path.write_text(snapshot_html(request, json_text, attribution=attribution), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.add_init_script(STAND_IN)
    page.clock.install()
    page.goto(path.as_uri())
    page.wait_for_selector(f"html[{READY_ATTRIBUTE}]", state="attached")
    return page


@pytest.mark.browser
def test_a_map_without_height_sends_nothing_and_sends_again_once_it_has_one(
    browser, tmp_path, story, basemap
):
    page = _snapshot_page(browser, tmp_path, story, basemap)
    stop_the_clock(page)
    view = {
        "zoom": 9.75,
        "center": {"lat": 36.1, "lng": 36.9},
        "bounds": [[35.7, 36.5], [36.4, 37.3]],
    }
    assert send(page, view) == 1, "a map on screen sends its view"
    resized = {**view, "bounds": [[35.8, 36.5], [36.3, 37.3]]}
    assert send(page, resized) == 1, "the same view in a resized frame is not sent"
    assert page.evaluate(HEIGHT, "0px") == 0
    page.evaluate(INVALIDATE)
    moved = {**view, "zoom": 11}
    assert send(page, moved) == 1, "a map with no height sends nothing"
    page.evaluate(HEIGHT, "400px")
    page.evaluate(INVALIDATE)
    assert send(page, moved) == 2, "it sends again once it has a height"
    assert page.errors == []
    page.close()


@pytest.mark.browser
def test_the_reports_of_one_move_are_sent_once_it_has_settled_as_its_last_view(
    browser, tmp_path, story, basemap
):
    """A flight ends with zoomend then moveend, a wheel zoom with one zoomend per notch.

    Each report sent starts a rerun; a move that starts three reruns makes the page busy
    under the user's next click.  Only the view the map settled on is sent, once.
    """
    page = _snapshot_page(browser, tmp_path, story, basemap)
    stop_the_clock(page)
    views = [{"zoom": z, "center": {"lat": 36.2, "lng": 37.1}, "bounds": []} for z in (10, 11, 12)]
    for view in views:
        page.evaluate(REPORT, view)
        page.clock.run_for(SETTLE_MS // 2)  # the next notch, before the map settles
    assert page.evaluate(SENT) == 0, "nothing is sent while the map moves"
    page.clock.run_for(SETTLE_MS)
    assert page.evaluate("() => window.Streamlit.sent") == [views[-1]], "the last view, once"
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
    page.clock.install()
    page.goto(path.as_uri())
    page.wait_for_function("() => window.Streamlit.__atlasReports !== undefined")
    stop_the_clock(page)
    first = {"zoom": 9, "center": {"lat": 36.1, "lng": 36.9}, "bounds": []}
    last = {**first, "zoom": 10}
    assert send(page, first) == 0, "a held map sends nothing"
    assert send(page, last) == 0
    page.evaluate("() => window.Streamlit.__atlasReports(true)")
    page.clock.run_for(SETTLE_MS)
    assert page.evaluate("() => window.Streamlit.sent") == [last], "the last view, once"
    assert send(page, {**last, "zoom": 11}) == 2, "then each new view"
    page.evaluate("() => window.Streamlit.__atlasReports(false)")
    assert send(page, {**last, "zoom": 12}) == 2, "held again"
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
