"""Many events as WebGL points, in the real app, clicked as a person clicks them.

A synthetic ACLED table of 20,000 events (seeded) is served for real.  At both window sizes:
the points given to the GPU are the filter's count, before and after the actor filter is
changed in the sidebar; a mouse click on a point opens that event's popup, which the
browser asked of the server; a browser without WebGL draws the same points on a plain
canvas and says so.  (The snapshots of the points: ``tests/test_points_snapshot.py``.)  The screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from dashboard.browser import CHROMIUM_FLAGS, chromium_path
from geo.filters import Filters, filter_dataset
from geo.io import read_dataset
from tests.pages import MAP_IFRAME, SIZES, idle, map_frame, sized_page
from tests.servers import dashboard_server

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
ACTOR = "Houthi Movement"
#: Central Syria at zoom 7: thousands of the synthetic events are in view.
QUERY = "start=2017-01-01&end=2024-12-31&center=35.0,38.5&zoom=7"

#: The points layer's count and mode (-1: not drawn yet).
POINTS = """() => { const l = window.map_div && window.map_div._atlasPoints;
  return l ? {count: l.count, mode: l.mode} : {count: -1, mode: null}; }"""
#: A point well inside the map with no other within 12 px (a click on it is not ambiguous):
#: its index, position and place in the map's frame, to whole pixels as a mouse clicks.
LONE_POINT = """() => { const l = map_div._atlasPoints, size = map_div.getSize();
  const at = i => map_div.latLngToContainerPoint([l._lat[i], l._lon[i]]);
  const all = Array.from({length: l.count}, (_, i) => at(i));
  for (let v = l.count - 1; v >= 0; v--) {
    const i = l._order[v], p = all[i];
    if (p.x < 80 || p.y < 80 || p.x > size.x - 200 || p.y > size.y - 80) continue;
    if (all.some((q, j) => j !== i && Math.abs(q.x - p.x) < 12 && Math.abs(q.y - p.y) < 12)) continue;
    return {i: i, x: Math.round(p.x), y: Math.round(p.y), lat: l._lat[i], lon: l._lon[i]}; }
  return null; }"""


#: True once the open popup overlaps none of the map's buttons at its top-left.
POPUP_CLEAR_OF_BUTTONS = """() => { const p = document.querySelector('.leaflet-popup');
  if (!p) return false; const a = p.getBoundingClientRect();
  return [...document.querySelectorAll('.leaflet-top.leaflet-left .leaflet-control')]
    .every(c => { const b = c.getBoundingClientRect();
      return a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top; }); }"""


@pytest.fixture(scope="module")
def points_server(synthetic_table):
    with dashboard_server(synthetic_table, timeout=300) as running:
        yield running


def _points(page: Page, count: int | None = None) -> dict:
    """The points layer once drawn (with ``count`` points, if given).

    A change of filters may mount a new map frame while the old one goes: look again then.
    """
    wanted = f"() => ({POINTS})().count {'>= 0' if count is None else f'=== {count}'}"
    for _ in range(5):
        frame = map_frame(page, layer=None)
        try:
            frame.wait_for_function(wanted)
            return frame.evaluate(POINTS)
        except PlaywrightError:
            if not frame.is_detached():
                raise
    raise AssertionError("no map frame stayed long enough to be read")


def _click_a_point(page: Page) -> tuple[dict, str]:
    """Click a lone point with the mouse; the popup's text once it has loaded."""
    frame = map_frame(page, layer=None)
    point = frame.evaluate(LONE_POINT)
    assert point is not None, "no lone point in the middle of the map"
    box = page.locator(MAP_IFRAME).last.bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    popup = frame.locator(".leaflet-popup-content")
    popup.get_by_text(re.compile(r"Event id: ")).wait_for()
    # the map pans the popup clear of the buttons at its top-left, which would hide its words
    frame.wait_for_function(POPUP_CLEAR_OF_BUTTONS)
    return point, popup.inner_text()


def _clicked_event_is_the_point(text: str, point: dict, events) -> str:
    event_id = re.search(r"Event id: (\S+)", text).group(1)
    (row,) = events[events["id"] == event_id].itertuples()
    assert abs(row.geometry.x - point["lon"]) < 1e-4 and abs(row.geometry.y - point["lat"]) < 1e-4
    return event_id


@pytest.mark.parametrize("size", list(SIZES))
def test_every_event_of_the_filter_is_a_point_and_a_click_opens_its_own_popup(
    browser, points_server, synthetic_table, size
):
    dataset, _ = read_dataset(synthetic_table)
    window = Filters.make(start="2017-01-01", end="2024-12-31")
    every = filter_dataset(dataset, window).events
    houthi = filter_dataset(
        dataset, Filters.make(start="2017-01-01", end="2024-12-31", actors=[ACTOR])
    ).events
    with sized_page(browser, size) as page:
        page.goto(f"{points_server.url}/?{QUERY}")
        assert _points(page) == {"count": len(every), "mode": "webgl"}
        idle(page)
        status = page.get_by_text(re.compile(r"drawn as points: click one")).inner_text()
        assert f"{len(every):,} drawn as points" in status
        page.screenshot(path=ARTIFACTS / f"points-{size}-1-every-event.png")

        point, text = _click_a_point(page)
        event_id = _clicked_event_is_the_point(text, point, every)
        assert "Sources" in text
        idle(page)  # the click made no rerun that would close the popup
        assert map_frame(page, layer=None).locator(".leaflet-popup-content").is_visible()
        page.screenshot(path=ARTIFACTS / f"points-{size}-2-clicked.png")

        # the actor filter, chosen in the sidebar as a person does: the points follow it
        actors = page.get_by_test_id("stMultiSelect").filter(has_text="Actors")
        actors.locator("input").click()
        actors.locator("input").fill(ACTOR)
        page.keyboard.press("Enter")
        assert _points(page, len(houthi))["count"] == len(houthi) < len(every)
        idle(page)
        point, text = _click_a_point(page)
        clicked = _clicked_event_is_the_point(text, point, houthi)
        assert ACTOR in text and clicked in set(houthi["id"]) and event_id
        page.screenshot(path=ARTIFACTS / f"points-{size}-3-filtered-clicked.png")
        assert page.errors == []


#: The corners of each count cell on the map (its outline's points).
CELL_CORNERS = """() => { const out = [];
  window.map_div.eachLayer(l => { if (l.options && l.options.className === 'atlas-cell')
    out.push(l.getLatLngs()[0].length); });
  return out; }"""


#: The count cell nearest the map's middle: where it is on the map, and its label.
MIDDLE_CELL = """() => { const map = window.map_div, size = map.getSize();
  let best = null, bestDistance = Infinity;
  map.eachLayer(l => {
    if (!(l.options && l.options.className === 'atlas-cell' && l.feature)) return;
    const p = map.latLngToContainerPoint(l.getCenter());
    const d = Math.hypot(p.x - size.x / 2, p.y - size.y / 2);
    if (d < bestDistance) { bestDistance = d; best = {x: p.x, y: p.y,
      label: l.feature.properties.label}; }
  });
  return best; }"""


@pytest.mark.parametrize("size", list(SIZES))
def test_counts_per_square_or_hexagon_are_one_click_away_in_the_sidebar(
    browser, points_server, size
):
    with sized_page(browser, size) as page:
        page.goto(f"{points_server.url}/?{QUERY}")
        _points(page)
        idle(page)
        page.get_by_text("Counts per square", exact=True).click()
        frame = map_frame(page, layer="atlas-cell")
        frame.wait_for_function(f"() => ({POINTS})().count === -1")
        assert "draw=counts" in page.url
        assert set(frame.evaluate(CELL_CORNERS)) == {4}, "squares"
        idle(page)
        page.screenshot(path=ARTIFACTS / f"points-{size}-4-counts.png")
        page.get_by_text("Counts per hexagon (H3)", exact=True).click()
        page.wait_for_url(re.compile(r"draw=hexagons"))
        frame = map_frame(page, layer="atlas-cell")
        frame.wait_for_function(
            f"() => {{ const c = ({CELL_CORNERS})(); return c.length && c.every(n => n === 6); }}"
        )
        expect(
            page.get_by_text(re.compile(r"counted per H3 hexagon \(resolution \d"))
        ).to_be_visible()
        # a hexagon's tooltip, as the mouse finds it: its count, commonest type and H3 index
        cell = frame.evaluate(MIDDLE_CELL)
        assert cell is not None, "no hexagon in the middle of the map"
        box = page.locator(MAP_IFRAME).last.bounding_box()
        page.mouse.move(box["x"] + cell["x"], box["y"] + cell["y"])
        tooltip = frame.locator(".leaflet-tooltip:not(.atlas-label)")  # not a place's label
        expect(tooltip).to_have_text(cell["label"])
        expect(tooltip).to_contain_text(re.compile(r"events?; most: .+ \(H3 8[0-9a-f]{14}\)"))
        idle(page)
        page.screenshot(path=ARTIFACTS / f"points-{size}-5-hexagons.png")
        assert page.errors == []


def test_without_webgl_the_same_points_are_drawn_on_a_canvas_and_the_map_says_so(
    browser, points_server, synthetic_table
):
    dataset, _ = read_dataset(synthetic_table)
    every = filter_dataset(dataset, Filters.make(start="2017-01-01", end="2024-12-31")).events
    # a second Chromium, from the same Playwright, with WebGL switched off
    no_webgl = browser.browser_type.launch(
        executable_path=chromium_path(),
        args=[*CHROMIUM_FLAGS, "--disable-webgl", "--disable-3d-apis"],
    )
    try:
        with sized_page(no_webgl, "desktop") as page:
            page.goto(f"{points_server.url}/?{QUERY}")
            assert _points(page) == {"count": len(every), "mode": "canvas"}
            notice = map_frame(page, layer=None).locator(".atlas-points-notice")
            assert notice.inner_text() == (
                f"This browser has no WebGL: the {len(every):,} events are drawn on a "
                "plain canvas, more slowly."
            )
            idle(page)
            point, text = _click_a_point(page)
            _clicked_event_is_the_point(text, point, every)
            page.screenshot(path=ARTIFACTS / "points-desktop-5-no-webgl.png")
            assert page.errors == []
    finally:
        no_webgl.close()
