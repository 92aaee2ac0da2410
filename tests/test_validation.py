"""Every message a user can see from validation, pinned."""

from __future__ import annotations

import json

import pytest

from geo import DataError, read_layer
from geo.schema import Layer
from tests.tables import EVENT_HEADER, event_row


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


SOURCES_MISSING_PUBLISHER = _csv_cell(json.dumps([{"title": "no publisher"}]))
SOURCES_NOT_A_LIST = _csv_cell('[{"publisher": "x"')
SOURCES_EMPTY = _csv_cell("[]")


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"id": ""}, "id", "required, but empty"),
        (
            {"date_start": "15/13/2016"},  # neither day first nor month first
            "date_start",
            "expected a date as YYYY-MM-DD (got '15/13/2016')",
        ),
        (
            {"date_start": "2016-02-30"},
            "date_start",
            "expected a date as YYYY-MM-DD (got '2016-02-30')",
        ),
        ({"date_start": ""}, "date_start", "required, but empty"),
        (
            {"date_end": "2016-12-01"},
            "date_end",
            "is before date_start ('2016-12-15') (got '2016-12-01')",
        ),
        (
            {"date_precision": "hour"},
            "date_precision",
            "expected one of: day, days, week, month, year (got 'hour')",
        ),
        ({"event_type": " "}, "event_type", "required, but empty"),
        ({"actor1": ""}, "actor1", "required, but empty"),
        ({"latitude": "200"}, "latitude", "expected a number from -90 to 90 (got '200')"),
        ({"latitude": "north"}, "latitude", "expected a number from -90 to 90 (got 'north')"),
        ({"longitude": "-181"}, "longitude", "expected a number from -180 to 180 (got '-181')"),
        ({"longitude": ""}, "longitude", "required, but empty"),
        (
            {"location_precision": "3"},
            "location_precision",
            "expected one of: site, district, locality, near, region, area, country (got '3')",
        ),
        (
            {"estimate": "maybe"},
            "estimate",
            "expected true or false (or yes/no, 1/0) (got 'maybe')",
        ),
        ({"fatalities": "-2"}, "fatalities", "expected a whole number ≥ 0 (got '-2')"),
        ({"fatalities": "2.5"}, "fatalities", "expected a whole number ≥ 0 (got '2.5')"),
        (
            {"status": "rumoured"},
            "status",
            "expected one of: reported, confirmed, disputed, planned, rescheduled (got 'rumoured')",
        ),
        ({"sources": ""}, "sources", "required, but empty"),
        ({"sources": SOURCES_MISSING_PUBLISHER}, "sources", "each source needs a publisher"),
        (
            {"sources": SOURCES_NOT_A_LIST},
            "sources",
            "expected a JSON list of sources: Expecting ',' delimiter",
        ),
        ({"sources": SOURCES_EMPTY}, "sources", "expected at least one source"),
    ],
)
def test_each_bad_cell_rejects_its_row_with_a_pinned_message(
    write_text, overrides, column, message
):
    path = write_text(
        "events.csv", f"{EVENT_HEADER}\n{event_row(id='good')}\n{event_row(**overrides)}\n"
    )
    frame, report = read_layer(path)
    assert [str(p) for p in report.problems] == [f"{path}:3: {column}: {message}"]
    assert list(frame["id"]) == ["good"]
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)


def test_a_duplicate_id_names_the_line_it_was_first_used_on(write_text):
    path = write_text("events.csv", f"{EVENT_HEADER}\n{event_row()}\n{event_row()}\n")
    frame, report = read_layer(path)
    assert [str(p) for p in report.problems] == [
        f"{path}:3: id: duplicate id, first used on line 2 (got 'e1')"
    ]
    assert len(frame) == 1


def test_every_problem_of_a_row_is_listed_and_the_row_counted_once(write_text):
    bad = event_row(date_start="soon", latitude="200", actor1="", location_precision="7")
    path = write_text("events.csv", f"{EVENT_HEADER}\n{bad}\n{event_row(id='e2')}\n")
    frame, report = read_layer(path)
    assert {p.column for p in report.problems} == {
        "date_start",
        "latitude",
        "actor1",
        "location_precision",
    }
    assert {p.row for p in report.problems} == {2}
    assert report.rows_rejected == 1
    assert list(frame["id"]) == ["e2"]


def test_text_longer_than_the_limit_is_rejected(write_text):
    header = EVENT_HEADER + ",description"
    path = write_text("events.csv", f"{header}\n{event_row()},{'x' * 10_001}\n")
    _, report = read_layer(path)
    assert str(report.problems[0]).endswith(
        "description: expected at most 10,000 characters (got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...')"
    )


def test_headers_match_in_any_case_and_unknown_columns_are_reported_not_loaded(write_text):
    header = EVENT_HEADER.upper() + ",Mood"
    path = write_text("events.csv", f"{header}\n{event_row()},grim\n")
    frame, report = read_layer(path)
    assert len(frame) == 1
    assert report.ignored_columns == ["Mood"]
    assert "columns not loaded: Mood" in __import__("geo").LoadReport([report]).summary()


def test_a_missing_required_column_is_one_clear_error_for_the_file(write_text):
    path = write_text("events.csv", "id,date_start\ne1,2016-12-15\n")
    with pytest.raises(
        DataError,
        match=r"events\.csv: the events table has no event_type, no "
        r"actor1, no latitude, no longitude, no sources column",
    ):
        read_layer(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty: expected a header row and data rows"),
        ("broken.geojson", b'{"type": "FeatureCollection", "features": [', "is not valid JSON"),
        ("list.geojson", b"[1, 2]", "is not a GeoJSON FeatureCollection"),
        ("notes.txt", b"hello", r"unknown file type \.txt"),
        ("fake.gpkg", b"not a database", "is not a readable GeoPackage"),
        ("fake.parquet", b"PAR1 nope", "is not a readable Parquet file"),
    ],
)
def test_an_unreadable_file_is_one_error_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as caught:
        read_layer(path)
    assert str(caught.value).startswith(str(path))


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_layer(tmp_path / "nope.csv")


def test_geojson_problems_are_numbered_by_feature(tmp_path):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [37.1, 36.2]},
            "properties": {
                "id": "a",
                "date_start": "2016-12-15",
                "event_type": "Battles",
                "actor1": "Turkey",
                "sources": [{"publisher": "AP"}],
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": "nonsense"},
            "properties": {
                "id": "b",
                "date_start": "2016-12-15",
                "event_type": "Battles",
                "actor1": "Turkey",
                "sources": [{"publisher": "AP"}],
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            "properties": {
                "id": "c",
                "date_start": "2016-12-15",
                "event_type": "Battles",
                "actor1": "Turkey",
                "sources": "AP",
            },
        },
    ]
    path = tmp_path / "events.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    frame, report = read_layer(path)
    assert list(frame["id"]) == ["a"]
    messages = [str(p) for p in report.problems]
    assert (
        f"{path}:feature 2: geometry: not a readable GeoJSON geometry (check its type and coordinates)"
        in messages
    )
    assert f"{path}:feature 3: geometry: expected a geometry of type Point" in messages
    assert len(messages) == 2


@pytest.mark.parametrize(
    ("wkt", "message"),
    [
        (
            "POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))",
            "geometry: geometry is not valid (self-intersecting or degenerate)",
        ),
        ("POINT (1 1)", "geometry: expected a geometry of type Polygon or MultiPolygon"),
        (
            "POLYGON ((500000 0, 500100 0, 500100 100, 500000 0))",
            "geometry: coordinates outside WGS84 longitude/latitude (EPSG:4326): reproject first?",
        ),
        (
            "POLYGON ((0 0, 1 0",
            "geometry: not readable as WKT (expected e.g. POLYGON ((lon lat, ...)))",
        ),
        ("", "geometry: required, but empty"),
    ],
)
def test_zone_geometry_problems_are_named(write_text, wkt, message):
    header = "id,name,controller,valid_from,valid_to,method,sources,geometry"
    good = 'z1,Zone,Turkey,2016-01-01,,drawn by hand,AP,"POLYGON ((0 0, 1 0, 1 1, 0 0))"'
    path = write_text(
        "zones.csv", f'{header}\n{good}\nz2,Zone,Turkey,2016-01-01,,drawn,AP,"{wkt}"\n'
    )
    frame, report = read_layer(path)
    assert [str(p) for p in report.problems] == [f"{path}:3: {message}"]
    assert list(frame["id"]) == ["z1"]


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        (
            '[{"start": "2016-12-15", "status": "paused"}]',
            "period status must be one of active, suspended, got 'paused'",
        ),
        (
            '[{"start": "15 Dec", "status": "active"}]',
            "period start must be a date as YYYY-MM-DD, got '15 Dec'",
        ),
        (
            '[{"start": "2016-12-15", "end": "2016-12-01", "status": "active"}]',
            "period ends (2016-12-01) before it starts",
        ),
    ],
)
def test_route_period_problems_are_named(write_text, periods, message):
    header = "id,name,kind,periods,sources,geometry"
    cell = periods.replace('"', '""')
    path = write_text(
        "routes.csv", f'{header}\nr1,Route,evacuation,"{cell}",AP,"LINESTRING (0 0, 1 1)"\n'
    )
    _, report = read_layer(path, Layer.ROUTES)
    assert [p.message for p in report.problems] == [message]


def test_people_moved_needs_a_count_and_a_source(write_text):
    header = "id,name,kind,people_moved,sources,geometry"
    cell = '[{""count"": ""many"", ""source"": {""publisher"": ""UN""}}]'
    path = write_text(
        "routes.csv", f'{header}\nr1,Route,evacuation,"{cell}",AP,"LINESTRING (0 0, 1 1)"\n'
    )
    _, report = read_layer(path, Layer.ROUTES)
    assert [p.message for p in report.problems] == ["count must be a whole number ≥ 0, got 'many'"]


def test_plain_text_sources_become_publishers_and_urls(write_text):
    path = write_text(
        "events.csv",
        f"{EVENT_HEADER}\n{event_row(sources='Reuters; https://www.bbc.co.uk/news/x')}\n",
    )
    frame, _ = read_layer(path)
    assert json.loads(frame["sources"][0]) == [
        {"publisher": "Reuters"},
        {"publisher": "bbc.co.uk", "url": "https://www.bbc.co.uk/news/x"},
    ]
