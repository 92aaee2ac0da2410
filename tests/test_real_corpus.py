"""The real-world corpus (tests/data/real): every file loads, every row accepted or rejected
for its stated reason.

The corpus holds real GDELT rows (open data) and fixtures of our own that reproduce the
layouts, date forms and quirks of ACLED and GTD exports seen in public repositories (their
terms do not allow redistributing the rows themselves); each file's ``.source.md`` says
where it comes from.  The counts below are exact: a reader change that accepts or rejects a
row differently must say why here.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from geo.io import read_dataset
from geo.layouts import GDELT1_COLUMNS, GDELT2_COLUMNS
from geo.mapping import ColumnMapping, read_mapping

REAL = Path(__file__).parent / "data" / "real"
GDELT_SCHEMAS = Path(__file__).parent / "data" / "real" / "schemas"

#: file -> (layout, rows read, accepted, {reason: rows}), a reason being "column: message".
CORPUS = {
    "acled_export_tool_2021.csv": (
        "ACLED",
        4,
        2,
        {
            "id: required, but empty": 1,
            "date_start: expected a date as YYYY-MM-DD (got '31 November 2021')": 1,
        },
    ),
    "acled_semicolon_resaved.csv": ("ACLED", 3, 2, {"actor1: required, but empty": 1}),
    "acled_semicolon_decimal_comma.csv": ("ACLED", 3, 3, {}),
    "acled_older_ally_actor.csv": ("ACLED (older upper-case layout)", 3, 3, {}),
    "acled_middle_east_2016_2018.csv": ("ACLED (older upper-case layout)", 3, 3, {}),
    "gtd_layout_syria.csv": (
        "GTD",
        6,
        4,
        {
            "date_start: expected a date as YYYY-MM-DD (got '2016-13-1')": 1,
            # GTD's city "Unknown" names no place: the row has no position at all
            "latitude: required, but empty": 1,
            "longitude: required, but empty": 1,
        },
    ),
    # read through the mapping the app's mapping step saves for it (a date split over
    # Year/Month/Day, a source for every row)
    "gtd_renamed_columns.csv": ("mapped", 4, 4, {}),
    # real UCDP GED rows (CC BY 4.0), also the geocoding benchmark's sample
    "ged_syria_places.csv": ("UCDP GED", 2000, 2000, {}),
    # real UCDP candidate GED rows from four continents (CC BY 4.0)
    "ged_candidate_world_sample.csv": ("UCDP GED", 20, 20, {}),
    "gdelt1_events_headerless.tsv": (
        "GDELT",
        4,
        1,
        {
            "actor1: required, but empty": 3,
            "id: duplicate id, first used on line 1 (got '324845984')": 1,
            "sources: required, but empty": 1,
            "latitude: required, but empty": 1,
            "longitude: required, but empty": 1,
        },
    ),
}


def _mapping_of(name: str) -> ColumnMapping | None:
    """The mapping a corpus file in no known layout is read through (``X.mapping.json``)."""
    path = REAL / f"{Path(name).stem}.mapping.json"
    return read_mapping(path) if path.is_file() else None


def test_the_corpus_lists_every_file_and_each_has_its_source():
    tables = {
        p.name
        for p in REAL.iterdir()
        if p.is_file() and not p.name.endswith((".md", ".mapping.json"))
    }
    assert tables == set(CORPUS)
    for name in tables:
        source = (REAL / f"{Path(name).stem}.source.md").read_text(encoding="utf-8")
        assert "Licence" in source and "Repository" in source, name


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_corpus_file_loads_with_every_row_accepted_or_rejected_for_its_reason(name):
    layout, read, accepted, reasons = CORPUS[name]
    dataset, report = read_dataset(REAL / name, mapping=_mapping_of(name))
    (layer,) = report.layers
    assert layer.layout == layout
    assert (layer.rows_read, layer.rows_accepted) == (read, accepted)
    assert len(dataset.events) == accepted
    found = Counter(f"{p.column}: {p.message}" for p in layer.problems)
    assert found == reasons
    assert layer.rows_rejected == read - accepted


def test_acled_date_forms_of_the_export_tool_and_of_spreadsheets_load():
    export, _ = read_dataset(REAL / "acled_export_tool_2021.csv")
    resaved, report = read_dataset(REAL / "acled_semicolon_resaved.csv")
    older, _ = read_dataset(REAL / "acled_middle_east_2016_2018.csv")
    day = pd.Timestamp
    assert list(export.events.date_start) == [day("2021-11-04"), day("2021-11-05")]
    assert list(resaved.events.date_start) == [day("2020-05-09"), day("2020-05-10")]
    assert report.layers[0].delimiter == ";"
    assert list(older.events.date_start) == [
        day("2017-01-01"),
        day("2017-02-02"),
        day("2017-02-16"),
    ]
    assert any("two-digit years" in note for note in report.notes)


def test_an_actor_named_only_in_ally_actor_is_an_associated_actor():
    dataset, _ = read_dataset(REAL / "acled_older_ally_actor.csv")
    assoc = dataset.events.set_index("id").assoc_actors
    assert assoc["1001RTA"] == "Shabiha Militia; Defected Military Forces of Syria"


def test_a_blank_event_id_cnty_keeps_the_row_under_data_id():
    dataset, _ = read_dataset(REAL / "acled_middle_east_2016_2018.csv")
    assert list(dataset.events.id) == ["SYR8001", "7002", "SYR8003"]


def test_every_column_a_layout_does_not_read_is_reported_as_not_loaded():
    _, report = read_dataset(REAL / "acled_older_ally_actor.csv")
    (layer,) = report.layers
    assert layer.ignored_columns == [
        "GWNO",
        "YEAR",
        "INTER1",
        "INTER2",
        "INTERACTION",
        "ADMIN1",
        "ADMIN2",
        "ADMIN3",
    ]
    assert "columns not loaded: GWNO, YEAR, INTER1" in report.summary()


def test_gtd_unknown_day_or_month_becomes_a_coarser_range_not_a_rejection():
    dataset, report = read_dataset(REAL / "gtd_layout_syria.csv")
    events = dataset.events.set_index("id")
    month, year = events.loc["201506000001"], events.loc["201500000001"]
    assert (month.date_start, month.date_end, month.date_precision) == (
        pd.Timestamp("2015-06-01"),
        pd.Timestamp("2015-06-30"),
        "month",
    )
    assert (year.date_start, year.date_end, year.date_precision) == (
        pd.Timestamp("2015-01-01"),
        pd.Timestamp("2015-12-31"),
        "year",
    )
    assert events.loc["201501010001"].actor1 == "Islamic State of Iraq and the Levant (ISIL)"
    assert events.loc["201501010001"].country == "Syria"
    assert events.loc["201501010001"].event_type == "Bombing/Explosion"
    assert any("each spans its month or year" in note for note in report.notes)


def test_headerless_gdelt_rows_keep_their_own_line_numbers():
    dataset, report = read_dataset(REAL / "gdelt1_events_headerless.tsv")
    rows = sorted({p.row for p in report.problems})
    assert rows == [1, 2, 4]
    (event,) = dataset.events.itertuples()
    assert (event.id, event.date_start, event.event_type) == (
        "324845987",
        pd.Timestamp("2004-11-26"),
        "Engage in diplomatic cooperation",
    )
    assert event.place_name == "Port Moresby, National Capital, Papua New Guinea"
    assert "FIPS 10-4): PP" in event.notes


def test_gdelt_column_lists_match_gdelts_own_header_files():
    # the header files GDELT publishes, as kept by gdeltPyR (see schemas/SOURCE.md)
    one = (GDELT_SCHEMAS / "gdelt1_event_headers.txt").read_text().split()
    two = (GDELT_SCHEMAS / "gdelt2_event_headers.txt").read_text().split()
    assert [*GDELT1_COLUMNS, "SOURCEURL"] == one
    assert list(GDELT2_COLUMNS) == two


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_mapping_wins_over_a_recognised_layout(suffix, tmp_path):
    # the user says the place is admin2, not location: the layout's reading is set aside
    source = REAL / "acled_older_ally_actor.csv"
    if suffix == ".parquet":  # a known layout in Parquet reads only the layout's columns
        path = tmp_path / "acled.parquet"
        pd.read_csv(source, dtype=str, keep_default_na=False).to_parquet(path)
    else:
        path = source
    mapping = ColumnMapping(
        {
            "id": "EVENT_ID_CNTY",
            "date_start": "EVENT_DATE",
            "event_type": "EVENT_TYPE",
            "actor1": "ACTOR1",
            "place_name": "ADMIN2",
            "latitude": "LATITUDE",
            "longitude": "LONGITUDE",
            "sources": "SOURCE",
        }
    )
    dataset, report = read_dataset(path, mapping=mapping)
    assert list(dataset.events.place_name) == ["Al Rastan", "Dar'a", "Hama"]
    assert report.layers[0].layout == "mapped"
    assert any("the mapping given was used instead" in note for note in report.notes)


def test_a_ged_side_of_several_parties_lets_each_party_find_its_events(tmp_path):
    from geo.filters import Filters, filter_events
    from geo.io import read_dataset

    fixture = Path(__file__).parent / "data" / "ucdp_ged.csv"
    lines = fixture.read_text(encoding="utf-8").splitlines()
    # GED separates the parties of one side with commas (seen in the real Syria sample)
    lines[1] = lines[1].replace(",Syrian insurgents,", ',"Syrian insurgents, Sham Legion",', 1)
    path = tmp_path / "ged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = read_dataset(path)[0].events
    found = filter_events(events, Filters.make(actors=["Sham Legion"]))
    assert list(found["id"]) == ["UCDP1"]


def _as_binary(csv: Path, suffix: str, folder: Path) -> Path:
    """The CSV's cells, all as text, saved as Parquet, or as a GeoPackage or GeoJSON of points."""
    import geopandas as gpd

    cells = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    out = folder / f"{csv.stem}{suffix}"
    if suffix == ".parquet":
        cells.to_parquet(out)
        return out
    lon = pd.to_numeric(cells.filter(regex="(?i)^longitude$").iloc[:, 0])
    lat = pd.to_numeric(cells.filter(regex="(?i)^latitude$").iloc[:, 0])
    points = gpd.GeoDataFrame(cells, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    if suffix == ".gpkg":
        # a layer named as QGIS names an export, not after one of ours
        points.to_file(out, layer="acled_export")
    else:  # GeoJSON as GDAL writes it (ogr2ogr, QGIS' "Save as")
        points.to_file(out, driver="GeoJSON")
    return out


@pytest.mark.parametrize("suffix", [".parquet", ".gpkg", ".geojson"])
@pytest.mark.parametrize("name", ["acled_older_ally_actor.csv", "acled_export_tool_2021.csv"])
def test_a_known_layout_in_parquet_geopackage_or_geojson_is_read_as_its_csv_is(
    name, suffix, tmp_path
):
    _, from_csv = read_dataset(REAL / name)
    dataset, report = read_dataset(_as_binary(REAL / name, suffix, tmp_path))
    (csv_layer,), (layer,) = from_csv.layers, report.layers
    assert layer.layout == csv_layer.layout
    assert layer.ignored_columns == csv_layer.ignored_columns != []
    assert f"columns not loaded: {', '.join(layer.ignored_columns)}" in report.summary()
    assert (layer.rows_read, len(dataset.events)) == (csv_layer.rows_read, csv_layer.rows_accepted)


def test_the_columns_a_mapping_does_not_read_are_listed_as_not_loaded():
    _, report = read_dataset(
        REAL / "gtd_renamed_columns.csv", mapping=_mapping_of("gtd_renamed_columns.csv")
    )
    (layer,) = report.layers
    assert layer.ignored_columns == ["Region", "Wounded", "Target_type", "Weapon_type", "Motive"]
    assert "columns not loaded: Region, Wounded, Target_type" in report.summary()


def test_an_acled_export_re_saved_with_semicolons_and_decimal_commas_loads_every_row():
    dataset, report = read_dataset(REAL / "acled_semicolon_decimal_comma.csv")
    (layer,) = report.layers
    assert (layer.delimiter, layer.rows_accepted, layer.rows_rejected) == (";", 3, 0)
    assert layer.encoding == "cp1252", "named as saved, not as Windows-1250"
    events = dataset.events.set_index("id")
    assert list(events.date_start) == [pd.Timestamp(f"2016-12-{d}") for d in (13, 14, 15)]
    # 36,1989 is 36.1989, not a rejection, and the report says how it was read
    assert (events.loc["SYR900201"].latitude, events.loc["SYR900201"].longitude) == (
        36.1989,
        37.1422,
    )
    assert any("decimal comma (36,1989)" in note for note in report.notes)
    # the quoted cell's "; " separates two sources; the Windows-1252 quotes read as quotes
    first = events.loc["SYR900201"]
    assert [s["publisher"] for s in json.loads(first.sources)] == [
        "SYNTHETIC Monitor",
        "SYNTHETIC Agency",
    ]
    assert "export’s “curly” quotes and a semicolon; inside" in first.description
    assert "data_id" not in layer.ignored_columns  # it stands in for a blank event_id_cnty
    assert layer.ignored_columns[:2] == ["iso", "year"]


def test_ged_citations_become_sources_with_their_publisher_date_and_headline():
    dataset, _ = read_dataset(REAL / "ged_syria_places.csv")
    sources = [s for cell in dataset.events.sources for s in json.loads(cell)]
    publishers = Counter(s["publisher"] for s in sources)
    # "SOHR,2016-01-01,Human losses in Shekh Meskin" is a citation of SOHR, not a publisher
    assert publishers.most_common(2) == [("SOHR", 2240), ("Airwars", 208)]
    assert all(set(s) <= {"publisher", "date", "title"} and "date" in s for s in sources)
    first = json.loads(dataset.events.set_index("id").sources.iloc[0])
    assert first[0]["publisher"] == "SOHR" and first[0]["date"].startswith("2016-")
    # a headline's own commas and quotes stay in the headline (seen in the candidate file)
    world, _ = read_dataset(REAL / "ged_candidate_world_sample.csv")
    (sayghan,) = json.loads(world.events.set_index("id").sources.loc["628272"])
    assert sayghan == {
        "publisher": "Etilaat Roz",
        "date": "2026-05-06",
        "title": '"Afghan Republican Front": A Taliban member was killed in an attack in '
        "Sayghan, Bamyan.",
    }


def test_a_ged_source_not_written_as_a_citation_is_read_as_plain_sources():
    # the hand-written fixture writes "Source one; Source two", with no date
    dataset, _ = read_dataset(Path(__file__).parent / "data" / "ucdp_ged.csv")
    assert json.loads(dataset.events.sources.iloc[0]) == [
        {"publisher": "Synthetic fixture source 1"},
        {"publisher": "Second source 1"},
    ]


def test_only_a_coordinate_with_one_decimal_comma_is_read_as_a_number(tmp_path):
    # the export tool's layout, comma-separated, its coordinates quoted with decimal commas
    lines = (REAL / "acled_export_tool_2021.csv").read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    lat, lon = header.index("latitude"), header.index("longitude")
    rows = []
    for line, (y, x) in zip(lines[1:3], [("36,2021", "37,1343"), ("36,2,1", "37.1")], strict=True):
        cells = next(iter(pd.read_csv(io.StringIO(f"{lines[0]}\n{line}"), dtype=str).itertuples()))
        cells = ["" if pd.isna(c) else str(c) for c in cells[1:]]
        cells[lat], cells[lon] = y, x
        rows.append(",".join(f'"{c}"' for c in cells))
    path = tmp_path / "acled.csv"
    path.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    dataset, report = read_dataset(path)
    assert list(dataset.events.latitude) == [36.2021]
    # two commas is no coordinate: rejected for it, not guessed
    assert [(p.row, p.column) for p in report.problems] == [(3, "latitude")]
    assert any(
        "latitude: 1 value written with a decimal comma (36,2021)" in n for n in report.notes
    )
