"""Labels: who is named first, what each label says, and, in the browser, that none collide."""

from __future__ import annotations

import itertools

import folium
import pandas as pd
import pytest

from dashboard.maps import map_html
from dashboard.maps.labels import (
    PRIORITY_MINOR_PLACE,
    PRIORITY_PLACE,
    PRIORITY_STORY,
    LabelTooltip,
    destination_name,
    held_by,
    place_priority,
)
from dashboard.maps.zones import zone_label
from dashboard.snapshot import SnapshotRequest
from dashboard.views import VIEWS
from geo.filters import Filters
from geo.schema import Column
from tests.pages import open_snapshot

SIZES = [(1280, 720), (1600, 1000)]
#: The names each view must show, whatever else gives way.
TOP_NAMES = {
    "region": {"Aleppo", "Moscow", "Ankara", "Tehran"},
    "corridor": {"Aleppo", "Idlib"},
    "aleppo": {"Aleppo", "Opposition-held, 13 Dec"},
}


@pytest.mark.parametrize(
    ("name", "kind", "priority"),
    [
        ("Aleppo (city, NE point)", "city", PRIORITY_STORY),
        ("Idlib (city)", "city", PRIORITY_STORY),
        ("Moscow", "capital", PRIORITY_STORY),
        ("Ankara", "capital", PRIORITY_STORY),
        ("Tehran", "capital", PRIORITY_STORY),
        ("Turkmen Mountain (Jabal Turkman), Latakia - Su-24 crash area", "site", PRIORITY_STORY),
        ("Damascus", "capital", PRIORITY_PLACE),
        ("Latakia (Al Ladhiqiyah)", "city", PRIORITY_PLACE),
        ("Moscow Kremlin", "site", PRIORITY_MINOR_PLACE),
        ("al-Sukkari", "district", PRIORITY_MINOR_PLACE),
    ],
)
def test_the_story_places_come_first_then_cities_then_the_rest(name, kind, priority):
    assert place_priority(name, kind) == priority


def test_every_story_place_of_the_brief_is_named_first(story):
    first = {
        row[Column.ID]
        for _, row in story.places.iterrows()
        if place_priority(row[Column.NAME], row[Column.KIND]) == PRIORITY_STORY
    }
    assert first == {"aleppo_city", "idlib_city", "moscow", "ankara", "tehran", "turkmen_mountain"}


@pytest.mark.parametrize(
    ("controller", "day", "text"),
    [
        ("Syrian opposition", "2016-12-13", "Opposition-held, 13 Dec"),
        ("Syrian government", "2016-12-02", "Government-held, 2 Dec"),
        ("YPG", None, "YPG-held"),
    ],
)
def test_a_zone_is_labelled_by_who_holds_it_on_the_day(controller, day, text):
    assert zone_label(controller, pd.Timestamp(day) if day else None) == text
    assert held_by(controller) == text.split(",")[0]


@pytest.mark.parametrize(
    ("destination", "name"),
    [
        ("Idlib governorate", "Idlib"),
        ("Jibrin temporary housing centre, east of Aleppo", "Jibrin"),
        ("Moscow", "Moscow"),
    ],
)
def test_a_route_is_labelled_by_where_it_goes(destination, name):
    assert destination_name(destination) == name


def test_a_label_is_set_as_text_with_its_priority_never_as_html():
    m = folium.Map(tiles=None)
    marker = folium.CircleMarker((36.2, 37.1), radius=3)
    LabelTooltip("<img src=x onerror=alert(1)>{{ 7*7 }}", 3, kind="place").add_to(marker)
    marker.add_to(m)
    html = map_html(m)
    # set as text, from a JSON string: no markup, and the template never evaluated (the map's
    # random element ids may hold "49", so the text itself is looked for)
    assert "<img src=x" not in html
    assert 'tip.textContent = "\\u003cimg src=x onerror=alert(1)\\u003e{{ 7*7 }}";' in html
    assert "tip.textContent" in html and '"data-priority", 3' in html
    assert '"permanent": true' in html and "atlas-label atlas-label-place" in html


# --- in the browser -------------------------------------------------------------------

_VISIBLE = """() => [...document.querySelectorAll('.leaflet-tooltip.atlas-label')]
  .filter(e => !e.classList.contains('atlas-label-hidden')
    && getComputedStyle(e).visibility !== 'hidden' && e.getBoundingClientRect().width > 0)
  .map(e => { const r = e.getBoundingClientRect();
    return {text: e.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom}; })"""
_HIDDEN = """() => [...document.querySelectorAll('.leaflet-tooltip.atlas-label.atlas-label-hidden')]
  .map(e => { const r = e.getBoundingClientRect();
    return {text: e.textContent, x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2}; })"""
#: Hidden labels that gave way to another label (not to the map's edge or a control).
_CROWDED = """() => {
  const map = document.querySelector('.leaflet-container').getBoundingClientRect();
  const controls = [...document.querySelectorAll('.leaflet-control')]
    .map(c => c.getBoundingClientRect());
  const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  return [...document.querySelectorAll('.leaflet-tooltip.atlas-label.atlas-label-hidden')]
    .map(e => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.left > map.left + 40 && r.right < map.right - 40
      && r.top > map.top + 40 && r.bottom < map.bottom - 40 && !controls.some(c => meets(c, r)))
    .map(([e, r]) => ({text: e.textContent, x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2}));
}"""
_ZOOM = "() => Object.values(window).find(v => v instanceof L.Map).getZoom()"
_SETTLED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [
        (a["text"], b["text"])
        for a, b in itertools.combinations(boxes, 2)
        if a["left"] < b["right"] - 0.5
        and b["left"] < a["right"] - 0.5
        and a["top"] < b["bottom"] - 0.5
        and b["top"] < a["bottom"] - 0.5
    ]


def _open(browser, tmp_path, story, basemap, view, size, *, interactive=False):
    request = SnapshotRequest(
        dataset=story,
        filters=Filters.make(start="2015-11-24", end="2016-12-31", as_of="2016-12-13"),
        bounds=VIEWS[view].bounds,
    )
    page = open_snapshot(browser, tmp_path, request, basemap, size, interactive=interactive)
    return page, page.errors


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", ["region", "corridor", "aleppo"])
def test_labels_do_not_overlap_and_the_story_is_named_at_every_view(
    browser, tmp_path, story, basemap, view, size
):
    page, errors = _open(browser, tmp_path, story, basemap, view, size)
    # as the page says it is ready: what a PNG shows
    shown, hidden = page.evaluate(_VISIBLE), page.evaluate(_HIDDEN)
    page.screenshot(path=f"tests/artifacts/labels-{view}-{size[0]}x{size[1]}.png")
    page.close()
    assert errors == []
    assert _overlapping(shown) == []
    texts = {box["text"] for box in shown}
    assert TOP_NAMES[view] <= texts, f"missing: {TOP_NAMES[view] - texts}"
    if view != "region":
        assert hidden, "the corridor and the city have more names than room: some give way"


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_label_that_gave_way_returns_when_the_map_is_zoomed_in(
    browser, tmp_path, story, basemap, size
):
    page, errors = _open(browser, tmp_path, story, basemap, "aleppo", size, interactive=True)
    crowded = page.evaluate(_CROWDED)
    assert crowded, "at the city view some names give way to others"
    target = crowded[0]
    zoom = page.evaluate(_ZOOM)
    # the mouse wheel over the hidden label, as a reader zooms in there (a click would open
    # the zone beneath it): Leaflet zooms around the pointer, by two levels in all
    page.mouse.move(target["x"], target["y"])
    for _ in range(20):
        page.mouse.wheel(0, -120)
        page.wait_for_timeout(150)  # Leaflet gathers wheel steps for 40 ms, then animates
        if page.evaluate(_ZOOM) >= zoom + 2:
            break
    page.wait_for_function(
        f"() => ({_ZOOM})() >= {zoom + 2} && !document.querySelector('.leaflet-zoom-anim')"
    )
    page.evaluate(_SETTLED)
    shown = page.evaluate(_VISIBLE)
    page.screenshot(path=f"tests/artifacts/labels-zoomed-{size[0]}x{size[1]}.png")
    page.close()
    assert errors == []
    assert target["text"] in {box["text"] for box in shown}
    assert _overlapping(shown) == []
