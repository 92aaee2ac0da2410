"""Large tables: synthetic ACLED events, the ACLED layout, counts per cell on the map."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pandas as pd
import pytest

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
from geo.grid import cell_size, count_per_cell
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


def test_many_events_in_view_are_counted_per_cell_when_the_user_asks(synthetic):
    data = filter_dataset(synthetic, Filters())
    groups, how = build_data_layers(
        data,
        palette=Palette.for_dataset(synthetic),
        as_of=None,
        view=ALEPPO,
        layers=["events"],
        counts=True,
    )
    (group,) = groups
    cells = geojson_data(rendered(group), children(group, "GeoJson")[0])
    counts = [f["properties"]["count"] for f in cells["features"]]
    assert how.aggregated and how.cells == len(counts)
    x, y = data.events.geometry.x, data.events.geometry.y
    margin_w, margin_h = 0.5 * 0.15, 0.6 * 0.15
    in_view = (
        (x >= 36.9 - margin_w)
        & (x <= 37.4 + margin_w)
        & (y >= 35.9 - margin_h)
        & (y <= 36.5 + margin_h)
    ).sum()
    assert sum(counts) == how.events == in_view > MAX_MARKERS
    assert "counted in" in how.describe()


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
    assert redrawn_for_view(events, Aggregation(events=9000, cells=60, cell_degrees=0.2), syria)
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
            counts=True,
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
