"""Map builders without a browser: what each layer holds, as of a day, and that text is escaped."""

from __future__ import annotations

import json
import re

import folium
import pandas as pd
import pytest

from dashboard.assets import LOCAL_ASSETS, localize_assets
from dashboard.maps import (
    Palette,
    arrow_bearings,
    attribution_text,
    basemap_geojson,
    build_base_map,
    build_data_layers,
    build_event_map,
    event_id_from_popup,
    event_popup_html,
    legend_html,
    map_html,
    outline_styles,
    safe_url,
)
from dashboard.views import VIEWS, fit_bounds
from geo.dataset import combine_datasets
from geo.filters import Filters, filter_dataset
from geo.schema import LAYER_SPECS, Column, Layer
from geo.story import load_basemap
from geo.validation import normalise
from tests.map_parts import children, event_features, options, rendered

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def basemap_json():
    return basemap_geojson(load_basemap())


def _events_drawn(group: folium.FeatureGroup) -> int:
    """How many event markers a group draws (one GeoJSON layer of points)."""
    return len(event_features(group))


def _count(group: folium.FeatureGroup, kind: str, class_name: str | None = None) -> int:
    """How many of the group's children are drawn as ``kind`` (with that class)."""
    names = children(group, kind)
    if class_name is None:
        return len(names)
    html = rendered(group)
    return sum(1 for name in names if options(html, name).get("className") == class_name)


@pytest.mark.parametrize("as_of", ["2016-11-20", "2016-12-13", "2016-12-16", "2016-12-22"])
def test_data_layers_hold_the_filtered_features_as_of_the_day(story, as_of):
    filters = Filters.make(start="2016-11-15", end="2016-12-22", as_of=as_of)
    data = filter_dataset(story, filters)
    (context, _city, zones, routes, places, events), _ = build_data_layers(
        data, palette=Palette.for_dataset(story), as_of=pd.Timestamp(as_of)
    )
    assert context.layer_name == "Context"
    assert _events_drawn(events) == len(data.events) > 0
    assert _count(zones, "GeoJson") == len(data.zones)
    assert _count(places, "CircleMarker", "atlas-place") == len(story.places)
    assert _count(routes, "PolyLine") == sum(
        len(__import__("shapely").get_parts(g)) for g in data.routes.geometry
    )
    enclave = [z for z in data.zones[Column.ID] if z.startswith("east-aleppo-enclave")]
    assert len(enclave) == (0 if as_of == "2016-12-22" else 1)


def test_route_lines_are_styled_by_their_status_on_the_day(story):
    palette = Palette.for_dataset(story)

    def route_style(as_of: str):
        data = filter_dataset(story, Filters.make(as_of=as_of))
        (_, _, _, routes, _, _), _ = build_data_layers(
            data, palette=palette, as_of=pd.Timestamp(as_of)
        )
        line = options(rendered(routes), children(routes, "PolyLine")[0])
        return line.get("dashArray"), line["color"]

    active, suspended = route_style("2016-12-15"), route_style("2016-12-17")
    assert active[0] is None
    assert suspended[0] == "8 6"
    assert active[1] != suspended[1]


def test_only_the_chosen_layers_are_built(story):
    groups, _ = build_data_layers(
        story, palette=Palette.for_dataset(story), as_of=None, layers=["events", "zones"]
    )
    assert [g.layer_name for g in groups] == ["Control zones", "Events"]


def _hostile_event() -> pd.Series:
    cells = pd.DataFrame(
        [
            {
                "id": "x<script>",
                "date_start": "2016-12-15",
                "event_type": HOSTILE,
                "sub_event_type": "<b>bold</b>",
                "actor1": HOSTILE,
                "actor2": "A & B",
                "assoc_actors": "<i>c</i>",
                "place_name": "<svg onload=alert(2)>",
                "latitude": 36.2,
                "longitude": 37.1,
                "description": HOSTILE,
                "notes": "</div>",
                "sources": json.dumps(
                    [
                        {
                            "publisher": HOSTILE,
                            "title": "<script>alert(3)</script>",
                            "url": "javascript:alert(4)",
                            "quote": '"><img src=y onerror=alert(5)>',
                            "claim": "<b>",
                            "note": "<u>",
                        },
                        {"publisher": "Ok", "url": 'https://example.org/a"onmouseover="x'},
                        {"publisher": "Good", "url": "https://example.org/story?a=1&b=2"},
                    ]
                ),
            }
        ]
    )
    return normalise(cells, LAYER_SPECS[Layer.EVENTS]).iloc[0]


def test_event_popups_escape_every_piece_of_user_text():
    html = event_popup_html(_hostile_event())
    assert "<img" not in html and "<script" not in html and "<svg" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html, "a javascript: link is dropped, not linked"
    assert 'onmouseover="x' not in html, "a URL cannot break out of its attribute"
    assert 'href="https://example.org/story?a=1&amp;b=2"' in html


def test_a_whole_map_with_hostile_text_renders_it_inert(story, basemap_json):
    event = _hostile_event()
    hostile = story.with_layers(
        events=pd.concat([story.events.iloc[:0], event.to_frame().T]).pipe(
            lambda f: normalise(f.drop(columns="geometry"), LAYER_SPECS[Layer.EVENTS])
        )
    )
    m = build_event_map(
        hostile,
        basemap_json,
        bounds=VIEWS["aleppo"].bounds,
        palette=Palette.for_dataset(hostile),
        as_of=None,
    )
    html = map_html(m)
    assert "<img src=x onerror" not in html
    # popups travel as JSON of escaped HTML: a raw tag would appear as \u003cimg, an
    # escaped one as \u0026lt;img (the entity, shown as text)
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    features = event_features(m, html)
    assert features and all("<img" not in f["properties"]["popup"] for f in features)
    # tooltips are plain text, set as text in the browser (never as HTML)
    assert all("<img src=x" in f["properties"]["tooltip"] for f in features)
    assert "tip.textContent = feature.properties.tooltip" in html
    assert "innerHTML = feature.properties.tooltip" not in html


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.org/x", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("//example.org", False),
        ("https://example.org/ spaced", False),
        (None, False),
        (42, False),
    ],
)
def test_only_http_links_are_kept(url, kept):
    assert (safe_url(url) is not None) == kept


def test_the_event_id_is_read_back_from_a_clicked_popup(story):
    event = story.events.iloc[5]
    text = re.sub(r"<[^>]+>", "\n", event_popup_html(event))  # roughly what innerText gives
    assert event_id_from_popup(text) == event[Column.ID]
    assert event_id_from_popup(None) is None
    assert event_id_from_popup("a zone popup") is None


def _story_map(story, basemap_json, view="region", **options):
    return build_event_map(
        story,
        basemap_json,
        bounds=VIEWS[view].bounds,
        palette=Palette.for_dataset(story),
        as_of=None,
        **options,
    )


def test_localized_maps_load_nothing_from_a_cdn(story, basemap_json):
    m = _story_map(story, basemap_json, asset_base_url="/app/static")
    html = map_html(m)
    loaded = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert loaded, "the map loads Leaflet from somewhere"
    assert all(url.startswith("/app/static/node_modules/") for url in loaded), loaded
    assert {u.split("/")[-1] for u in loaded} == {p.split("/")[-1] for p in LOCAL_ASSETS.values()}


def test_localizing_twice_gives_the_same_map(story, basemap_json):
    def loaded(m) -> list[str]:
        return re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', map_html(m))

    m = _story_map(story, basemap_json, asset_base_url="/s")
    first = loaded(m)
    localize_assets(m, "/s")
    assert loaded(m) == first and first
    assert [a for _, a in m.default_js] == [
        "/s/node_modules/leaflet/dist/leaflet.js",
        "/s/node_modules/jquery/dist/jquery.min.js",
    ]


def test_an_asset_without_an_offline_copy_is_an_error_not_a_cdn_request():
    m = folium.Map(tiles=None)
    folium.plugins.MousePosition().add_to(m)
    with pytest.raises(KeyError, match="no offline copy of the map asset"):
        localize_assets(m, "/app/static")


def test_the_map_uses_a_canvas_a_scale_bar_and_no_tiles_offline(story, basemap_json):
    m = _story_map(story, basemap_json, "aleppo", attribution=attribution_text(load_basemap()))
    html = map_html(m)
    assert m.options["prefer_canvas"] is True
    assert '"preferCanvas": true' in html
    assert "L.control.scale" in html
    assert "tile.openstreetmap.org" not in html and "cartocdn" not in html
    assert "Legend" in html and "Syrian opposition" in html
    assert "Basemap: Natural Earth" in html, "the basemap's attribution is on the map"


def test_a_tile_basemap_is_added_only_when_chosen(story, basemap_json):
    m = _story_map(story, basemap_json, "aleppo", tiles="osm")
    assert "tile.openstreetmap.org" in map_html(m)


def test_the_map_opens_on_the_view_bounds(story, basemap_json):
    m = _story_map(story, basemap_json, "border")
    assert m.location == pytest.approx([35.85, 36.05])
    assert "fitBounds" in map_html(m) and "[[35.7, 35.85], [36.0, 36.25]]" in map_html(m)


def test_fit_bounds_surrounds_the_data(story):
    south_west, north_east = fit_bounds(story.events)
    assert south_west[0] < story.events.geometry.y.min() < north_east[0]
    assert south_west[1] < story.events.geometry.x.max() < north_east[1]
    assert fit_bounds(story.events.iloc[:0]) is None


@pytest.mark.parametrize(
    ("coords", "angle"),
    [
        ([(0, 0), (1, 0)], 0.0),
        ([(0, 0), (0, 1)], -90.0),
        ([(0, 0), (-1, 0)], 180.0),
        ([(0, 1), (0, 0)], 90.0),
    ],
)
def test_arrows_point_along_the_line_as_drawn_on_screen(coords, angle):
    import shapely

    ((_, _, got),) = arrow_bearings(shapely.LineString(coords))
    assert got == pytest.approx(angle, abs=0.2)


def test_palette_colours_differ_within_a_legend(story):
    palette = Palette.for_dataset(story)
    assert len(set(palette.event_types.values())) == len(palette.event_types)
    assert len(set(palette.controllers.values())) == len(palette.controllers)


def test_with_several_datasets_each_has_its_outline_legend_entry_and_popup_line(story):
    hostile_name = f"{HOSTILE}.csv"
    combined = combine_datasets(
        [
            story.renamed("story"),
            story.with_layers(events=story.events.head(3)).renamed(hostile_name),
        ]
    )
    palette = Palette.for_dataset(combined)
    assert list(palette.datasets) == ["story", hostile_name]
    assert len(set(palette.datasets.values())) == 2
    groups, _ = build_data_layers(combined, palette=palette, as_of=None, layers=["events"])
    features = event_features(groups[-1])
    outlines = {f["properties"]["outline"] for f in features}
    assert outlines == set(palette.datasets.values())
    popups = [f["properties"]["popup"] for f in features]
    assert sum("Dataset: story" in p for p in popups) == len(story.events)
    assert all(HOSTILE not in p for p in popups)
    legend = legend_html(palette)
    assert "Datasets (marker outline)" in legend
    assert HOSTILE not in legend and "&lt;img src=x" in legend


def test_a_lone_dataset_has_no_dataset_legend_or_outline(story):
    palette = Palette.for_dataset(story)
    assert palette.datasets == {}
    assert "Datasets" not in legend_html(palette)


def test_a_geocoded_event_says_what_its_name_matched(story):
    event = story.events.iloc[0].copy()
    event[Column.GEOCODE] = f"GeoNames 170063: Aleppo, SY {HOSTILE}"
    html = event_popup_html(event)
    assert "Placed by name: GeoNames 170063: Aleppo, SY" in html
    assert HOSTILE not in html


def test_the_outlines_fetched_by_the_browser_are_styled_by_the_python_styles(story):
    """One source for the outline styles: the JavaScript receives the Python dicts as JSON."""
    palette = Palette.for_dataset(story)
    for tiles, filled in (("offline", True), ("osm", False)):
        html = map_html(
            build_base_map(
                "/app/basemap.json", bounds=VIEWS["aleppo"].bounds, palette=palette, tiles=tiles
            )
        )
        styles = re.search(r"var styles = (\{.*\});\n", html)
        assert json.loads(styles.group(1)) == outline_styles(filled=filled)
        assert "styles.country : styles.region" in html
    # the tile-failure notice's button fills the countries as the offline outlines are
    filled = re.search(r"l\.setStyle\((\{.*\})\);\n", html)
    assert json.loads(filled.group(1)) == outline_styles(filled=True)["country"]


def test_uncertainty_is_a_faint_halo_that_gives_way_and_the_popup_says_so(story):
    from dashboard.maps.events import RING_SHARE, RING_STYLE, event_layer

    uncertain = story.events[story.events[Column.ESTIMATE].astype(bool)]
    group = event_layer(uncertain, Palette.for_dataset(story))
    html = rendered(group)
    assert "dashArray" not in json.dumps(RING_STYLE)
    assert RING_STYLE["fillOpacity"] <= 0.05 and RING_STYLE["weight"] < 1
    assert "atlasLabels.limitRings(" in html and f"{RING_SHARE}" in html
    popups = [f["properties"]["popup"] for f in event_features(group, html)]
    assert popups and all("Position uncertain" in p and "a fifth of the view" in p for p in popups)
    # the id stays the popup's last line: a clicked popup is traced to its event by it
    assert all(
        p.rstrip().endswith("</div>") and "Event id: " in p.rsplit("<div", 1)[1] for p in popups
    )
    assert "faint halo: position uncertain" in legend_html(Palette.for_dataset(story))
