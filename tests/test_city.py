"""Aleppo at city scale: the bundled context data, its licences, and the map layer drawing it.

The data (geo/data/aleppo_city/, read by geo/context.py) and the layer
(dashboard/maps/city.py): what it holds and where it comes from, that its names reach the
map as text with a position and a priority for labels, that it fades out when zoomed out,
and, in the app at 1280x720 and 1600x1000, that the Aleppo view shows it (screenshots in
tests/artifacts/city/).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
import shapely

from dashboard.maps import MAP_LAYERS, Palette, basemap_geojson, build_data_layers, legend_html
from dashboard.maps import city as city_module
from dashboard.maps.city import label_features
from dashboard.snapshot import SnapshotRequest, snapshot_html
from dashboard.views import VIEWS
from geo import DataError
from geo.context import (
    CITY_DIR,
    CONTEXT_COLUMNS,
    built_up_area,
    city_context,
    neighbourhood_control,
    neighbourhoods,
)
from geo.filters import Filters, filter_dataset
from geo.story import load_basemap
from geo.zones import equal_area_km2

ARTIFACTS = Path(__file__).parent / "artifacts" / "city"
TIMEOUT_MS = 60_000
SIZES = {"laptop": (1280, 720), "desktop": (1600, 1000)}
HOSTILE = "</script><img src=x onerror=window.__pwned=1>{{7*191}}"


# --- the data ---------------------------------------------------------------------------


def test_the_city_context_is_one_frame_in_epsg_4326_with_its_documented_columns():
    context = city_context()
    assert context.crs.to_epsg() == 4326
    assert list(context.columns) == [*CONTEXT_COLUMNS, "geometry"]
    counts = context["kind"].value_counts().to_dict()
    assert counts == {
        "neighbourhood": 133,
        "landmark": 3,
        "urban_area": 1,
        "built_up": 1,
        "river": 1,
    }
    assert context["source"].str.len().gt(20).all()
    assert context.is_valid.all() and not context.is_empty.any()


def test_the_neighbourhoods_have_english_and_arabic_names():
    hoods = neighbourhoods()
    assert len(hoods) == 133
    assert hoods["name"].str.strip().ne("").all()
    arabic = hoods["name_ar"].fillna("").str.contains(r"[\u0600-\u06ff]")
    # the source has an Arabic name for all but one (al-Besel)
    assert list(hoods.loc[~arabic, "name"]) == ["al-Besel"]
    assert hoods.set_index("name").at["al-Besel", "name_ar"] in ("", None)
    names = set(hoods["name"])
    assert {"Bustan al-Qaser", "as-Sukkari", "ash-Sheikh Maqsoud", "Aleppo Citadel"} <= names


def test_the_landmarks_are_the_citadel_the_airport_and_ramouseh_placed_by_the_project():
    context = city_context()
    marks = context[context["kind"] == "landmark"].set_index("name")
    assert set(marks.index) == {"Citadel", "Aleppo airport", "Ramouseh"}
    assert set(marks["symbol"]) == {"citadel", "airport", "junction"}
    assert marks["drawn_by_project"].all()
    citadel = marks.at["Citadel", "geometry"]
    # the reference research puts the Citadel at 36.1992 N, 37.1628 E (~50 m)
    assert citadel.distance(shapely.Point(37.1628, 36.1992)) < 0.001
    hoods = neighbourhoods().set_index("name")
    airport = hoods.at["Aleppo International Airport", "geometry"]
    assert airport.contains(marks.at["Aleppo airport", "geometry"])


def test_the_queiq_is_drawn_by_the_project_through_the_city_and_says_so():
    context = city_context()
    river = context[context["kind"] == "river"].iloc[0]
    assert river["drawn_by_project"]
    assert "drawn by conflict-atlas" in river["source"]
    assert river.geometry.geom_type == "LineString"
    city = built_up_area()
    # it runs north to south through the city, between the pocket and Bustan al-Qasr
    assert river.geometry.intersection(city.buffer(0.005)).length > 0.9 * river.geometry.length
    ys = [y for _, y in river.geometry.coords]
    assert ys[0] > ys[-1]
    # the last pocket lay west of the river, Bustan al-Qasr and Sheikh Saeed east of it
    hoods = neighbourhoods().dissolve(by="name").geometry

    def river_x_at(latitude: float) -> float:
        across = shapely.LineString([(37.0, latitude), (37.3, latitude)])
        return shapely.get_coordinates(river.geometry.intersection(across))[:, 0].mean()

    for name in ("as-Sukkari", "az-Zebdiyeh", "Ansari Sharqi", "al-Ansari Mashhad"):
        point = hoods.loc[name].representative_point()
        assert point.x < river_x_at(point.y), f"{name} lies west of the Queiq"
    for name in ("Bustan al-Qaser", "Sheikh Sa’eed", "Karm ad-Da'ada'a"):
        point = hoods.loc[name].representative_point()
        assert point.x > river_x_at(point.y), f"{name} lies east of the Queiq"
    # schematic, but in the gaps the outlines leave: it never runs far across a neighbourhood
    metric = gpd.GeoSeries(hoods, crs=4326).to_crs(32637)
    line = gpd.GeoSeries([river.geometry], crs=4326).to_crs(32637).iloc[0]
    assert max(g.intersection(line).length for g in metric) < 500
    assert line.intersection(shapely.union_all(metric.to_numpy())).length < 0.2 * line.length


def test_the_built_up_area_is_the_joined_outlines_not_open_country():
    area = equal_area_km2(built_up_area())
    outlines = sum(equal_area_km2(g) for g in neighbourhoods().geometry)
    assert outlines <= area <= 1.1 * outlines


def test_every_data_file_is_named_in_sources_with_its_origin_and_licence():
    text = (CITY_DIR / "SOURCES.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)` \|.*$", text, re.M)}
    data_files = sorted(
        p.name for p in CITY_DIR.iterdir() if p.suffix in (".geojson", ".csv", ".json")
    )
    assert data_files, "the folder holds data"
    for name in data_files:
        assert name in rows, f"{name} is not in SOURCES.md"
        row = rows[name]
        assert re.search(r"MIT|public domain|CC0", row), f"{name}: no licence named"
        assert re.search(r"github\.com/|the project", row), f"{name}: no origin named"
    # the MIT notice of the neighbourhood outlines travels with them
    notice = (CITY_DIR / "LICENSE-CSR-MIT.txt").read_text(encoding="utf-8")
    assert "Columbia Center for Spatial Research" in notice and "MIT License" in notice
    assert "commit 3f750b94c646839365f93b41d23d4db99fc32d45" in text


@pytest.mark.parametrize("name", ["neighbourhoods", "built_up", "queiq", "landmarks"])
def test_the_geojson_files_are_small_and_rounded_to_6_decimals(name):
    path = CITY_DIR / f"{name}.geojson"
    assert path.stat().st_size < 400_000
    document = json.loads(path.read_text(encoding="utf-8"))
    for feature in document["features"]:
        for value in shapely.get_coordinates(shapely.geometry.shape(feature["geometry"])).ravel():
            assert round(value, 6) == value


def test_the_control_table_reads_and_names_only_known_outlines():
    control = neighbourhood_control()
    assert set(control["held_by"]) == {"opposition", "ypg"}
    assert control["basis"].str.match(r"(capture_dates\.csv \d{4}-\d{2}-\d{2}|project): ").all()
    assert (control["lost_to"] == "ypg").sum() == 1  # Sheikh Fares, 28 Nov


@pytest.mark.parametrize(
    "cell, column, expected",
    [
        ({"neighbourhood": "Atlantis"}, "neighbourhood", "a name in neighbourhoods.geojson"),
        ({"lost_on": "2016-13-45"}, "lost_on", "a date as YYYY-MM-DD"),
        ({"held_by": "rebels"}, "held_by", "one of opposition, ypg"),
        ({"part": "middle"}, "part", "empty or one of north"),
        ({"lost_to": ""}, "lost_to", "government or ypg when lost_on is set"),
        ({"basis": ""}, "basis", "the capture_dates.csv row or the project's reason"),
    ],
)
def test_a_bad_control_row_names_the_file_row_and_column(tmp_path, cell, column, expected):
    good = {
        "neighbourhood": "Hanano",
        "held_by": "opposition",
        "lost_on": "2016-11-26",
        "lost_to": "government",
        "part": "",
        "basis": "capture_dates.csv 2016-11-26: Hanano",
    }
    rows = [good, {**good, **cell}]
    path = tmp_path / "control.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(DataError) as caught:
        neighbourhood_control(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: row 3: {column}: expected {expected}")


# --- the layer --------------------------------------------------------------------------


def test_the_layer_is_registered_under_zones_with_a_legend(story):
    assert "city" in MAP_LAYERS.names()
    layer = next(layer for layer in MAP_LAYERS if layer.name == "city")
    zones = next(layer for layer in MAP_LAYERS if layer.name == "zones")
    assert layer.draw_order < zones.draw_order, "the ground goes under the zones"
    legend = legend_html(Palette.for_dataset(story), shown=story, layers=["city"])
    assert "built-up area" in legend and "Queiq river" in legend


def test_every_label_has_its_text_position_and_priority():
    context = city_context()
    features = label_features(context)
    hoods = context[context["kind"] == "neighbourhood"]
    assert len(features) == len(hoods) + 1 + 3  # neighbourhoods, the river, landmarks
    by_label = {}
    for feature in features:
        props = feature["properties"]
        assert props["label"] and props["priority"] in (1, 2, 3)
        by_label.setdefault(props["label"], []).append(feature)
    assert by_label["Citadel"][0]["properties"]["priority"] == 1
    assert by_label["as-Sukkari"][0]["properties"]["priority"] == 2  # a story district
    assert by_label["New Aleppo"][0]["properties"]["priority"] == 3
    # each neighbourhood's label lies inside its outline
    outlines = dict(zip(hoods["name"], hoods.geometry, strict=False))
    for name, feats in by_label.items():
        if name in outlines:
            point = shapely.geometry.shape(feats[0]["geometry"])
            assert hoods[hoods["name"] == name].geometry.contains(point).any(), name


def test_a_dataset_far_from_aleppo_gets_no_city_context(story):
    far = story.with_layers(
        events=story.events.iloc[:0],
        zones=story.zones.iloc[:0],
        routes=story.routes.iloc[:0],
        places=story.places[story.places["id"] == "moscow"],
    )
    assert len(far.places) == 1
    groups, _ = build_data_layers(far, palette=Palette.for_dataset(story), as_of=None)
    city_group = next(g for g in groups if g.layer_name == "City context")
    assert not city_group._children
    assert legend_html(Palette.for_dataset(story), shown=far, layers=["city"]) == (
        "<div class='atlas-muted'>Nothing on the map for these filters.</div>"
    )


def test_the_drawn_layer_holds_the_names_as_json_data_and_no_markup(story, monkeypatch):
    context = city_context()
    context.loc[context["name"] == "as-Sukkari", "name"] = HOSTILE
    monkeypatch.setattr(city_module, "city_context", lambda: context)
    group = city_module.draw(story, None).group
    m = folium.Map()
    group.add_to(m)
    html = m.get_root().render()
    assert "<img src=x" not in html, "the payload reaches the page only as escaped JSON"
    assert "{{7*191}}" in html, "the template payload stays as typed (never evaluated)"
    assert "atlas-city-label" in html and "data-priority" in html


def test_the_drawn_outlines_stay_within_three_metres_of_the_bundled_ones_in_half_the_bytes(story):
    from tests.map_parts import children, geojson_data

    group = city_module.draw(story, None).group
    m = folium.Map()
    group.add_to(m)
    html = m.get_root().render()
    drawn = [geojson_data(html, n)["features"] for n in children(group, "GeoJson", deep=True)]
    outlines = next(f for f in drawn if len(f) > 100)  # the neighbourhoods
    bundled = city_context().query("kind == 'neighbourhood'").geometry.to_numpy()
    shapes = [shapely.geometry.shape(f["geometry"]) for f in outlines]
    assert len(shapes) == len(bundled)
    # within ~3 m (1e-5 deg is about 1 m here): the topology-keeping simplifier strays a
    # little past its tolerance of 2e-5 deg
    strays = [shapely.hausdorff_distance(a, b) for a, b in zip(shapes, bundled, strict=True)]
    assert max(strays) <= 3e-5
    sent = len(json.dumps([f["geometry"] for f in outlines]))
    full = len(json.dumps([shapely.geometry.mapping(g) for g in bundled]))
    assert sent < 0.6 * full, (sent, full)


# --- in the browser ---------------------------------------------------------------------

#: The city layer's visible labels, with the city's own priority (the class that says from
#: which zoom they show; ``data-priority`` is their rank among every layer's labels).
LABELS = r"""() => Array.from(document.querySelectorAll('.atlas-label.atlas-city-label'))
  .filter(e => e.offsetParent !== null)
  .map(e => [e.textContent, (e.className.match(/atlas-priority-(\d+)/) || [])[1] || null,
    e.getAttribute('data-name-ar')])"""
PARTS_ON = """() => { const names = []; map_div.eachLayer(l => {
  if (l.feature === undefined && l.options && l.options.name) names.push(l.options.name); });
  return names; }"""


def _standalone(tmp_path: Path, story, *, context=None, monkeypatch=None) -> Path:
    if context is not None:
        monkeypatch.setattr(city_module, "city_context", lambda: context)
    html = snapshot_html(
        SnapshotRequest(
            dataset=story,
            filters=Filters.make(start="2016-11-15", end="2016-12-13", as_of="2016-12-13"),
            bounds=VIEWS["aleppo"].bounds,
        ),
        basemap_geojson(load_basemap()),
        attribution="Natural Earth",
    )
    out = tmp_path / "aleppo.html"
    out.write_text(html, encoding="utf-8")
    return out


def _open(browser, path: Path, size=(1600, 1000)):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_function("() => window.L && document.querySelector('.leaflet-container')")
    name = page.evaluate("() => Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))")
    page.evaluate(f"() => {{ window.map_div = window[{name!r}]; }}")
    return page


#: Whether the legend shows the heading or entry with this text at the map's zoom.
KEYED = """(text) => { const found = [...document.querySelectorAll(
  '#atlas-legend-body h4, #atlas-legend-body div')].find(e => e.textContent.trim() === text);
  const holder = found && found.closest('[data-min-zoom]');
  return holder ? getComputedStyle(holder).display !== 'none' : !!found; }"""


def _zoom(page, zoom: int) -> None:
    page.evaluate(f"() => {{ map_div.setView([36.19, 37.15], {zoom}, {{animate: false}}); }}")
    page.wait_for_function(f"() => map_div.getZoom() === {zoom}")
    page.wait_for_timeout(150)


@pytest.mark.browser
def test_labels_show_by_priority_as_the_map_zooms_and_the_context_fades_out(
    browser, story, tmp_path
):
    page = _open(browser, _standalone(tmp_path, story))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _zoom(page, 14)
    close = page.evaluate(LABELS)
    page.screenshot(path=ARTIFACTS / "standalone-zoom14.png")
    texts = {t for t, _, _ in close}
    assert {"Citadel", "Aleppo airport", "Ramouseh", "Bustan al-Qaser", "as-Sukkari"} <= texts
    assert {p for _, p, _ in close} == {"1", "2"}, "priority 3 waits for zoom 15"
    assert ["Citadel", "1", "قلعة حلب"] in close
    assert page.evaluate(KEYED, "City"), "the built-up area and river have a key"
    assert page.evaluate(KEYED, "highway (M4, M5: schematic)")
    _zoom(page, 15)
    assert "New Aleppo" in {t for t, _, _ in page.evaluate(LABELS)}
    _zoom(page, 12)
    assert {p for _, p, _ in page.evaluate(LABELS)} == {"1"}
    assert page.locator(".atlas-landmark").count() == 3
    _zoom(page, 9)
    page.screenshot(path=ARTIFACTS / "standalone-zoom9.png")
    assert page.evaluate(LABELS) == []
    assert page.locator(".atlas-landmark").count() == 0
    assert not page.evaluate(KEYED, "City"), "no key for what is not drawn"
    assert page.evaluate(KEYED, "highway (M4, M5: schematic)"), "drawn from zoom 7"
    _zoom(page, 5)
    assert not page.evaluate(KEYED, "highway (M4, M5: schematic)")
    assert page.evaluate(KEYED, "town") and page.evaluate(KEYED, "river")
    assert page.errors == []
    page.context.close()


@pytest.mark.browser
def test_a_hostile_neighbourhood_name_is_shown_as_text_and_runs_nothing(
    browser, story, tmp_path, monkeypatch
):
    context = city_context()
    context.loc[context["name"] == "as-Sukkari", "name"] = HOSTILE
    context.loc[context["name"] == "Citadel", "name_ar"] = '"><img src=x onerror=alert(1)>'
    page = _open(browser, _standalone(tmp_path, story, context=context, monkeypatch=monkeypatch))
    _zoom(page, 14)
    texts = [t for t, _, _ in page.evaluate(LABELS)]
    assert HOSTILE in texts
    assert page.locator("img[onerror]").count() == 0
    assert not page.evaluate("() => window.__pwned === 1")
    assert page.dialogs == [] and page.errors == []
    page.context.close()


MAP_IFRAME = "iframe[title*='streamlit_folium']"


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.parametrize("size", list(SIZES))
def test_the_aleppo_view_in_the_app_shows_the_city_context(browser, server, size):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(
        f"{server.url}/?start=2016-11-15&end=2016-12-13&as_of=2016-12-13&view=aleppo"
        "&center=36.19500,37.15500&zoom=13"
    )
    page.wait_for_function(
        """(selector) => { const all = document.querySelectorAll(selector);
        const last = all[all.length - 1];
        return !!(last && last.contentWindow && last.contentWindow.map_div); }""",
        arg=MAP_IFRAME,
    )
    frame = page.locator(MAP_IFRAME).last.element_handle().content_frame()
    frame.wait_for_function(
        "() => Array.from(document.querySelectorAll('.atlas-city-label'))"
        ".some(e => e.textContent === 'Citadel' && e.offsetParent !== null)"
    )
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    page.locator(MAP_IFRAME).last.scroll_into_view_if_needed()
    labels = frame.evaluate(LABELS)
    texts = {t for t, _, _ in labels}
    assert {"Citadel", "Bustan al-Qaser", "as-Sukkari", "Queiq"} <= texts
    assert frame.evaluate("() => map_div.getZoom()") == 13
    # the city's label boxes lie inside the map, and none is covered by the legend's box
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"app-aleppo-13dec-{size}.png")
    assert errors == []
    context.close()


def test_the_zones_follow_the_outlines_they_are_drawn_from(story):
    # the 13 Dec pocket is the outlines of the districts still held, not a blob around them
    data = filter_dataset(story, Filters.make(as_of="2016-12-13"))
    pocket = data.zones[data.zones["id"] == "east-aleppo-enclave-2016-12-13"].geometry.iloc[0]
    hoods = neighbourhoods().dissolve(by="name").geometry
    for name in ("al-Ansari Mashhad", "az-Zebdiyeh", "al-‘Amiriyeh"):
        inside = hoods.loc[name].intersection(pocket).area / hoods.loc[name].area
        assert inside > 0.95, name
    for name in ("Bustan al-Qaser", "Sheikh Sa’eed", "al-Kallaseh"):
        assert hoods.loc[name].intersection(pocket).area / hoods.loc[name].area < 0.02, name
    assert isinstance(pocket, shapely.geometry.base.BaseGeometry)
    assert gpd.GeoSeries([pocket], crs=4326).is_valid.all()
