"""Large tables: synthetic ACLED events, the ACLED layout, counts per cell on the map."""

from __future__ import annotations

import base64
import json
import re

import h3
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from dashboard.cli import main
from dashboard.maps import (
    COARSE_PRECISIONS,
    EVENT_ID_LABEL,
    MAX_MARKERS,
    Aggregation,
    Palette,
    build_data_layers,
    redrawn_for_view,
)
from geo.filters import Filters, filter_dataset
from geo.grid import (
    FINEST_RESOLUTION,
    HexagonIndex,
    cell_size,
    count_per_cell,
    count_per_hexagon,
    hexagon_resolution,
    hexagon_ring,
)
from geo.io import read_dataset, read_layer
from geo.synth import ACLED_COLUMNS, synth_acled
from tests.map_parts import children, event_features, geojson_data, rendered

ALEPPO = [[35.9, 36.9], [36.5, 37.4]]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / "acled.parquet"
    assert main(["synth", "--rows", "20000", "--out", str(path)]) == 0
    dataset, report = read_dataset(path)
    assert report.ok
    return dataset


def test_synthetic_events_are_seeded_and_in_acled_layout():
    first, again = synth_acled(500, seed=7), synth_acled(500, seed=7)
    pd.testing.assert_frame_equal(first, again)
    assert tuple(first.columns) == ACLED_COLUMNS
    assert not synth_acled(500, seed=8).equals(first)
    assert first["notes"].str.contains("SYNTHETIC").all()
    assert first["event_type"].value_counts().index[0] == "Explosions/Remote violence"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_acled_export_maps_onto_our_columns(tmp_path, suffix):
    path = tmp_path / f"acled{suffix}"
    assert main(["synth", "--rows", "300", "--out", str(path)]) == 0
    events, report = read_layer(path)
    raw = synth_acled(300)
    assert report.layout == "ACLED" and report.problems == []
    assert list(events["id"]) == list(raw["event_id_cnty"])
    assert set(events["date_precision"].astype(str)) <= {"day", "week", "month"}
    assert set(events["location_precision"].astype(str)) <= {"locality", "near", "region"}
    assert (events.geometry.y.to_numpy() == raw["latitude"].to_numpy()).all()
    first = raw.iloc[0]
    assert events["actor1"].iloc[0] == first["actor1"]
    assert "SYNTHETIC" in events["sources"].iloc[0]


def test_bad_rows_in_an_acled_file_are_named_by_their_own_line(tmp_path):
    raw = synth_acled(5)
    raw.loc[2, "geo_precision"] = 7
    raw.loc[3, "event_date"] = "31/02/2020"
    path = tmp_path / "acled.csv"
    raw.to_csv(path, index=False)
    _, report = read_layer(path)
    assert [str(p) for p in report.problems] == [
        f"{path}:4: location_precision: expected one of: site, district, locality, near, "
        "region, area, country (got '7')",
        f"{path}:5: date_start: expected a date as YYYY-MM-DD (got '31/02/2020')",
    ]


@pytest.mark.parametrize(
    ("shape", "corners", "cell"),
    [("squares", 4, "0.01° cell"), ("hexagons", 6, "H3 hexagon (resolution 7, about 5.2 km²)")],
)
def test_many_events_in_view_are_counted_per_cell_when_the_user_asks(
    synthetic, shape, corners, cell
):
    data = filter_dataset(synthetic, Filters())
    groups, how = build_data_layers(
        data,
        palette=Palette.for_dataset(synthetic),
        as_of=None,
        view=ALEPPO,
        layers=["events"],
        count_in=shape,
    )
    (group,) = groups
    cells = geojson_data(rendered(group), children(group, "GeoJson")[0])
    counts = [f["properties"]["count"] for f in cells["features"]]
    assert how.aggregated and how.cells == len(counts) and how.cell == cell
    rings = [f["geometry"]["coordinates"][0] for f in cells["features"]]
    assert {len(ring) for ring in rings} == {corners + 1}, "closed rings of the cell's shape"
    x, y = data.events.geometry.x, data.events.geometry.y
    margin_w, margin_h = 0.5 * 0.15, 0.6 * 0.15
    in_view = (
        (x >= 36.9 - margin_w)
        & (x <= 37.4 + margin_w)
        & (y >= 35.9 - margin_h)
        & (y <= 36.5 + margin_h)
    ).sum()
    assert sum(counts) == how.events == in_view > MAX_MARKERS
    assert f"counted per {cell}" in how.describe()


def _points_payload(group) -> dict:
    """What the page hands ``atlasPoints.add``, read from the rendered script."""
    (call,) = re.findall(r"atlasPoints\.add\(\w+, (\{.*\})\);", rendered(group))
    return json.loads(call)


def _columns(body: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Longitudes, latitudes and kinds from the points' binary body."""
    n = len(body) // 9
    lon = np.frombuffer(body, dtype="<f4", count=n)
    lat = np.frombuffer(body, dtype="<f4", count=n, offset=4 * n)
    return lon, lat, np.frombuffer(body, dtype=np.uint8, offset=8 * n)


def test_many_events_in_view_are_each_a_point_with_its_position_type_and_status(synthetic):
    palette = Palette.for_dataset(synthetic)
    data = filter_dataset(synthetic, Filters.make(start="2017-01-01", end="2020-12-31"))
    seen = []
    groups, how = build_data_layers(
        data,
        palette=palette,
        as_of=None,
        view=ALEPPO,
        layers=["events"],
        details=lambda shown, body: seen.append((shown, body)) or {"columns": "C", "details": "D"},
    )
    payload = _points_payload(groups[0])
    events = data.events
    # every filtered event, not only those in view: a pan needs no new data
    assert payload["count"] == how.points == len(events) > MAX_MARKERS
    assert not how.aggregated and "drawn as points" in how.describe()
    ((shown, body),) = seen
    assert len(body) == 9 * len(events)
    lon, lat, kind = _columns(body)
    np.testing.assert_allclose(lon, events.geometry.x, atol=1e-5)
    np.testing.assert_allclose(lat, events.geometry.y, atol=1e-5)
    types = [payload["types"][k] for k in kind & 127]
    assert types == list(events["event_type"])
    assert payload["colours"] == [palette.event_types[t] for t in payload["types"]]
    doubtful = events["status"].isin(["disputed", "rescheduled", "planned"]).to_numpy()
    assert ((kind & 128) > 0).tolist() == doubtful.tolist()
    # their legend has no halo: points have none (the popups say how uncertain they are)
    uncertain = events["estimate"] | events["location_precision"].isin(COARSE_PRECISIONS)
    assert uncertain.any() and "Events by type" in rendered(groups[0])
    assert "faint halo" not in rendered(groups[0])
    # the server is told which rows the points are, in the page's order; the page holds
    # only where to fetch the points and ask a popup: no columns, no popups
    assert (payload["columns"], payload["details"]) == ("C", "D")
    assert "inline" not in payload and "popups" not in payload
    assert list(shown["id"]) == list(events["id"])


def test_points_are_drawn_again_only_when_a_view_holds_few_enough_for_markers(synthetic):
    events = filter_dataset(synthetic, Filters()).events
    points = Aggregation(events=len(events), points=len(events))
    syria = [[32.0, 35.5], [37.5, 42.5]]
    assert not redrawn_for_view(events, points, syria)  # a pan: the points hold it all
    assert redrawn_for_view(events, points, [[36.19, 37.15], [36.2, 37.16]])  # markers now
    # markers and counts belong to their view
    assert redrawn_for_view(events, Aggregation(events=40), syria)
    assert redrawn_for_view(events, Aggregation(events=9000, cells=60, cell="0.2° cell"), syria)
    # few events are markers whatever the view
    assert not redrawn_for_view(events.iloc[:MAX_MARKERS], Aggregation(events=20), syria)


def test_an_exported_map_of_few_points_carries_their_popups(synthetic):
    data = filter_dataset(synthetic, Filters.make(actors=["Houthi Movement"]))
    few = data.with_layers(events=data.events.iloc[: MAX_MARKERS + 20])
    groups, _ = build_data_layers(
        few, palette=Palette.for_dataset(synthetic), as_of=None, view=None, layers=["events"]
    )
    payload = _points_payload(groups[0])
    assert "details" not in payload and len(payload["popups"]) == payload["count"]
    lon, _, _ = _columns(base64.b64decode(payload["inline"]))
    np.testing.assert_allclose(lon, few.events.geometry.x, atol=1e-5)
    assert all(
        f"Event id: {event_id}" in popup
        for event_id, popup in zip(few.events["id"], payload["popups"], strict=True)
    )


def test_few_events_in_view_are_drawn_one_by_one(synthetic):
    data = filter_dataset(synthetic, Filters())
    tiny = [[36.19, 37.15], [36.2, 37.16]]
    groups, how = build_data_layers(
        data, palette=Palette.for_dataset(synthetic), as_of=None, view=tiny, layers=["events"]
    )
    events = event_features(groups[0])
    assert not how.aggregated
    assert 0 < len(events) == how.events <= MAX_MARKERS


def test_counts_per_cell_add_up_and_name_the_commonest_type(synthetic):
    events = synthetic.events
    cells = count_per_cell(events, 1.0)
    assert cells["count"].sum() == len(events)
    biggest = cells.sort_values("count").iloc[-1]
    inside = events[
        (events.geometry.x // 1 == biggest.west) & (events.geometry.y // 1 == biggest.south)
    ]
    assert biggest["top_type"] == inside["event_type"].astype(str).value_counts().index[0]


def test_counts_per_hexagon_put_each_event_in_its_own_h3_cell(synthetic):
    events = synthetic.events
    cells = count_per_hexagon(events, 5)
    assert cells["count"].sum() == len(events) and cells["cell"].is_unique
    # the cell of each event, asked of H3 one by one, as another tool would
    own = pd.Series([h3.latlng_to_cell(p.y, p.x, 5) for p in events.geometry], index=events.index)
    assert cells.set_index("cell")["count"].to_dict() == own.value_counts().to_dict()
    biggest = cells.sort_values("count").iloc[-1]
    inside = events[own == biggest["cell"]]
    assert biggest["top_type"] == inside["event_type"].astype(str).value_counts().index[0]
    # its outline holds the events counted in it
    ring = Polygon(hexagon_ring(biggest["cell"]))
    assert all(ring.buffer(1e-9).contains(Point(p.x, p.y)) for p in inside.geometry)


def test_a_kept_index_gives_the_same_counts_and_indexes_a_position_it_lacks(synthetic):
    events = synthetic.events
    index = HexagonIndex.of(events.iloc[:15000])  # the last 5,000 are new to it
    for resolution in (3, 6, FINEST_RESOLUTION, 3, 2, 1, 0, 6):  # more than it keeps
        fresh = count_per_hexagon(events, resolution).sort_values("cell", ignore_index=True)
        kept = count_per_hexagon(events, resolution, index).sort_values("cell", ignore_index=True)
        pd.testing.assert_frame_equal(kept, fresh)
    assert len(index.kept) == HexagonIndex.KEPT_RESOLUTIONS
    with pytest.raises(ValueError, match="from 0 to 9"):
        count_per_hexagon(events, FINEST_RESOLUTION + 1)


def test_events_sharing_a_position_are_counted_in_one_hexagon_and_none_is_lost():
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {"event_type": ["Battles", None, "Riots", "Battles"]},
        geometry=gpd.points_from_xy([37.16, 37.16, 37.16, -179.99], [36.2, 36.2, 36.2, -16.5]),
        crs="EPSG:4326",
    )
    cells = count_per_hexagon(frame, 8).sort_values("count").to_dict("records")
    assert [c["count"] for c in cells] == [1, 3]
    assert cells[1]["top_type"] in {"Battles", "Riots"}
    assert count_per_hexagon(frame.iloc[:0], 8).empty


def test_a_hexagon_across_the_antimeridian_is_drawn_as_one_small_shape():
    cell = h3.latlng_to_cell(-16.5, 179.99, 3)
    lngs = [lng for lng, _ in hexagon_ring(cell)]
    assert max(lngs) > 180 and max(lngs) - min(lngs) < 5
    assert hexagon_ring(cell)[0] == hexagon_ring(cell)[-1]


def test_hexagons_grow_with_the_view_and_stop_at_the_finest_resolution():
    widths = [0.001, 0.05, 0.5, 5.0, 50.0, 300.0]
    resolutions = [hexagon_resolution([[36.0, 37.0], [36.0 + w / 2, 37.0 + w]]) for w in widths]
    assert resolutions == sorted(resolutions, reverse=True)
    assert resolutions[0] == FINEST_RESOLUTION
    assert hexagon_resolution([[-85.0, -180.0], [85.0, 180.0]]) <= 1, "the world"
    # about 64 across: never finer than a view's width over 64 (flat side to flat side)
    view = [[35.9, 36.9], [36.5, 37.4]]
    width_km = max(0.5 * 111.2 * np.cos(np.radians(36.2)), 0.6 * 111.2)  # the longer side
    chosen = hexagon_resolution(view)
    assert 3**0.5 * h3.average_hexagon_edge_length(chosen, unit="km") >= width_km / 64
    assert 3**0.5 * h3.average_hexagon_edge_length(chosen + 1, unit="km") < width_km / 64


@pytest.mark.parametrize(("width", "size"), [(40.0, 1.0), (0.5, 0.01), (6.0, 0.1)])
def test_cells_are_round_numbers_of_degrees(width, size):
    assert cell_size([[0, 0], [width / 2, width]]) == size


DATA = __import__("pathlib").Path(__file__).parent / "data"


def test_the_older_acled_layout_is_recognised_and_its_date_forms_read():
    events, report = read_layer(DATA / "acled_old_layout.csv")
    assert report.layout == "ACLED (older upper-case layout)" and report.problems == []
    assert [d.strftime("%Y-%m-%d") for d in events["date_start"]] == [
        "2023-02-16",
        "2020-03-02",
        "2021-07-09",
        "2019-12-31",
        "2018-01-01",
        "2022-11-05",
    ], "ACLED writes day first"
    assert "EVENT_ID_NO_CNTY" not in events.columns


def test_ucdp_ged_is_recognised_with_its_precisions_sides_and_estimates():
    events, report = read_layer(DATA / "ucdp_ged.csv")
    assert report.layout == "UCDP GED" and report.problems == []
    first, second, third = (events.iloc[i] for i in range(3))
    assert (first["actor1"], first["actor2"]) == ("Government of Syria", "Syrian insurgents")
    assert first["event_type"] == "State-based conflict" and third["event_type"] == (
        "One-sided violence"
    )
    assert second["date_start"].strftime("%Y-%m-%d") == "2016-12-14"
    assert second["date_end"].strftime("%Y-%m-%d") == "2016-12-16"
    assert (second["date_precision"], second["location_precision"]) == ("days", "near")
    assert (third["date_precision"], third["location_precision"]) == ("month", "region")
    assert first["fatalities"] == 12 and "low 10, high 20" in first["notes"]
    assert [s["publisher"] for s in __import__("json").loads(first["sources"])] == [
        "Synthetic fixture source 1",
        "Second source 1",
    ]


def test_ucdp_events_filter_and_export_like_any_other(tmp_path):
    out = tmp_path / "ucdp.geojson"
    assert (
        main(
            [
                "export",
                "--data",
                str(DATA / "ucdp_ged.csv"),
                "--start",
                "2016-12-01",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    dataset, _ = read_dataset(out)
    assert set(dataset.events["id"]) == {"UCDP1", "UCDP2"}


def test_the_legend_explains_counts_per_cell_for_large_tables(synthetic, story):
    from dashboard.maps import basemap_geojson, build_event_map, map_html
    from dashboard.views import VIEWS
    from geo.story import load_basemap

    outlines = basemap_geojson(load_basemap())
    big = map_html(
        build_event_map(
            synthetic,
            outlines,
            bounds=ALEPPO,
            palette=Palette.for_dataset(synthetic),
            as_of=None,
            count_in="squares",
        )
    )
    points = map_html(
        build_event_map(
            synthetic, outlines, bounds=ALEPPO, palette=Palette.for_dataset(synthetic), as_of=None
        )
    )
    small = map_html(
        build_event_map(
            story,
            outlines,
            bounds=VIEWS["aleppo"].bounds,
            palette=Palette.for_dataset(story),
            as_of=None,
        )
    )
    assert "Counts per cell" in big and "few → many" in big
    assert "Counts per cell" not in small
    assert "Counts per cell" not in points and "Events by type" in points


@pytest.mark.parametrize("name", ["acled_old_layout.csv", "ucdp_ged.csv", "acled_current"])
def test_each_layouts_rows_are_the_markers_on_the_map(name, tmp_path):
    if name == "acled_current":
        path = tmp_path / "acled.csv"
        synth_acled(40, seed=7).to_csv(path, index=False)
    else:
        path = DATA / name
    dataset, report = read_dataset(path)
    assert report.ok and len(dataset.events) > 0
    groups, aggregation = build_data_layers(
        dataset, palette=Palette.for_dataset(dataset), as_of=None, layers=["events"]
    )
    assert not aggregation.aggregated
    popups = [f["properties"]["popup"] for f in event_features(groups[-1])]
    assert sorted(p.split(EVENT_ID_LABEL)[1].split("<")[0] for p in popups) == sorted(
        dataset.events["id"]
    )


def _count_cells(html: str) -> list[dict]:
    """The count cells of a map page: the features of its GeoJSON layers that have a count."""
    decoder = json.JSONDecoder()
    cells = []
    for found in re.finditer(r"_add\((?=\{\"features\")", html):
        collection, _ = decoder.raw_decode(html, found.end())
        cells += [f for f in collection["features"] if "count" in f["properties"]]
    return cells


@pytest.mark.parametrize(
    ("draw", "corners", "cell"),
    [
        ("counts", 4, r"1° cell"),
        ("hexagons", 6, r"H3 hexagon \(resolution 3, about 12,000 km²\)"),
    ],
)
def test_atlas_snapshot_draw_counts_the_events_in_the_cells_it_names(tmp_path, draw, corners, cell):
    table = tmp_path / "acled.parquet"
    assert main(["synth", "--rows", "3000", "--out", str(table)]) == 0
    out = tmp_path / "map.html"
    args = ["snapshot", "--data", str(table), "--view", "region", "--draw", draw, "--out"]
    assert main([*args, str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    said = re.search(rf"events counted per {cell}: ([\d,]+) in view", html)
    assert said, "the caption says what a cell is"
    cells = _count_cells(html)
    assert sum(c["properties"]["count"] for c in cells) == int(said.group(1).replace(",", ""))
    assert {len(c["geometry"]["coordinates"][0]) for c in cells} == {corners + 1}
    if draw == "hexagons":
        assert all(re.search(r"\(H3 8[0-9a-f]{14}\)$", c["properties"]["label"]) for c in cells)


def test_a_shared_index_survives_another_viewer_evicting_the_resolution_it_is_reading(
    synthetic,
):
    """The app shares one index between viewers' threads: another's count may evict the
    resolution this count just stored, before it reads it.  Here that other count runs at
    the very moment in between (when the positions are looked up)."""
    events = synthetic.events.iloc[:2000]
    index = HexagonIndex.of(events)
    positions, lookup = index.positions, index.positions.get_indexer
    others = iter([[0, 1, 2, 3]])  # more resolutions than the index keeps, once

    def another_viewer_counts_meanwhile(*args, **kwargs):
        for resolution in next(others, []):
            index.cells(positions.to_numpy()[:10], resolution)
        return lookup(*args, **kwargs)

    object.__setattr__(positions, "get_indexer", another_viewer_counts_meanwhile)
    kept = count_per_hexagon(events, 6, index).sort_values("cell", ignore_index=True)
    fresh = count_per_hexagon(events, 6).sort_values("cell", ignore_index=True)
    pd.testing.assert_frame_equal(kept, fresh)
    assert 6 not in index.kept, "evicted meanwhile, as the other viewer's counts asked"
