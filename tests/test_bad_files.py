"""Hostile and damaged files: each gets the report it should, and nothing else escapes.

``tests/data/bad/`` holds one small file per kind of damage (written by its
``make_corpus.py``) and beside each its expected report, ``<stem>.expected.txt``: the load's
summary and every problem, or ``DataError: <message>``.  Adding a file and its report adds
a test.  ``ATLAS_UPDATE_EXPECTED=1`` writes the reports instead of checking them; read
every changed line before committing it, since these are the messages users see.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from geo import DataError, LayerReport, read_dataset, read_layer
from geo.archives import MAX_COMPRESSION_RATIO, zip_members
from geo.io import to_text_table
from geo.schema import LAYER_SPECS, Layer
from tests.tables import EVENT_HEADER, event_row

CORPUS = Path(__file__).parent / "data" / "bad"
EXPECTED = ".expected.txt"
DATA_FILES = sorted(
    p.name
    for p in CORPUS.iterdir()
    if p.is_file() and not p.name.endswith(EXPECTED) and p.name != "make_corpus.py"
)


def report_text(path: Path) -> str:
    """What a user is told about a file: the summary and each problem, or the error."""
    try:
        _, report = read_dataset(path)
    except DataError as exc:
        return f"DataError: {exc}\n"
    return "\n".join([report.summary(), *map(str, report.problems)]) + "\n"


def test_every_corpus_file_has_its_expected_report_and_every_report_its_file():
    stems = [Path(name).stem for name in DATA_FILES]
    assert len(stems) == len(set(stems)), "two corpus files share a name: their reports would too"
    reports = {p.name.removesuffix(EXPECTED) for p in CORPUS.glob(f"*{EXPECTED}")}
    assert reports == set(stems)


@pytest.mark.parametrize("name", DATA_FILES)
def test_a_bad_file_gets_its_expected_report(name, monkeypatch):
    monkeypatch.chdir(CORPUS)  # paths in messages as the user gave them: relative
    got = report_text(Path(name))
    expected = CORPUS / f"{Path(name).stem}{EXPECTED}"
    if os.environ.get("ATLAS_UPDATE_EXPECTED"):
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")


# --- what the corpus cannot hold: limits, and exports of what was accepted -----------


def test_a_formula_cell_read_from_csv_is_neutralised_when_written_back(tmp_path):
    events, report = read_layer(CORPUS / "formula_injection.csv")
    assert report.problems == []
    assert events["description"].iloc[0] == '=HYPERLINK("http://evil.example","click")'
    cells = to_text_table(events, LAYER_SPECS[Layer.EVENTS])
    assert cells["description"].iloc[0] == '\'=HYPERLINK("http://evil.example","click")'
    assert cells["place_name"].iloc[1] == "'@SUM(A1)"
    assert cells["actor1"].iloc[1] == "'+cmd|' /C calc'!A0"


def test_an_excel_formula_is_read_as_its_saved_value_never_evaluated():
    events, _ = read_layer(CORPUS / "formula_cell.xlsx")
    assert list(events["fatalities"]) == [3, 4]  # =1+2, saved as 3
    assert list(events["description"]) == [
        "click",  # =HYPERLINK(...), saved as its text
        '=HYPERLINK("http://evil.example","typed as text")',  # text that looks like one
    ]


def test_excel_cells_arrive_as_csv_text_would_hold_them():
    events, report = read_layer(CORPUS / "typed_cells.xlsx")
    assert list(events["id"]) == ["e1"]
    assert events["date_start"].iloc[0] == pd.Timestamp("2016-12-15")
    assert events["fatalities"].iloc[0] == 3  # 3.0 in the workbook
    assert [p.row for p in report.problems] == [4, 5], "Excel's own row numbers"


def test_script_in_text_fields_is_kept_as_text():
    events, _ = read_layer(CORPUS / "script_in_text.csv")
    assert events["description"].iloc[0] == "<script>alert(1)</script>"


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path, monkeypatch):
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.shp", "w") as member,
    ):
        for _ in range(200):
            member.write(bytes(1 << 20))
    assert path.stat().st_size < 1 << 20
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as raised:
        read_dataset("bomb.zip")
    # how many times depends on zlib's version: about a thousand
    assert re.fullmatch(
        r"bomb\.zip: holds 'zeros\.shp', which would inflate 1,0\d\d times \(to 200 MB\): "
        rf"refused as a decompression bomb \(the limit is {MAX_COMPRESSION_RATIO} times\)",
        str(raised.value),
    )


def test_an_archive_too_large_unpacked_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("geo.archives.MAX_UNZIPPED_MB", 1)
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("events.csv", bytes(700_000))
        archive.writestr("places.csv", bytes(700_000))
    with pytest.raises(DataError, match=r"big\.zip: would unpack to 1\.4 MB: the limit is 1 MB$"):
        zip_members(path)


def test_an_archive_of_too_many_files_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("geo.archives.MAX_ZIP_MEMBERS", 3)
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(4):
            archive.writestr(f"f{i}.txt", "x")
    with pytest.raises(DataError, match=r"many\.zip: holds 4 files: the limit is 3 per archive$"):
        read_dataset(path)


def test_nothing_is_left_behind_after_reading_a_zip(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    read_dataset(CORPUS / "shapefile_projected.zip")
    with pytest.raises(DataError):
        read_dataset(CORPUS / "shapefile_without_prj.zip")
    assert list(tmp_path.iterdir()) == []


# --- regressions: each found by the corpus or by hypothesis --------------------------


def test_rows_after_a_blank_line_keep_their_numbers(tmp_path):
    # pandas skips blank lines, and every row after one was reported a line too early
    path = tmp_path / "events.csv"
    path.write_text(EVENT_HEADER + "\n\n" + event_row(latitude="95") + "\n", encoding="utf-8")
    _, report = read_layer(path)
    assert [p.row for p in report.problems] == [3]


def test_a_first_row_with_one_cell_too_many_does_not_become_the_index(tmp_path):
    # pandas took the first column for the index, shifting every cell (and crashing later)
    path = tmp_path / "events.csv"
    path.write_text(f"{EVENT_HEADER}\n{event_row()},extra\n{event_row(id='e2')}\n")
    events, report = read_layer(path)
    assert list(events["id"]) == ["e2"]
    assert [(p.row, p.column) for p in report.problems] == [(2, "")]


def test_a_blank_header_line_before_a_longer_row_is_a_data_error(tmp_path):
    # the row-by-row reader asked pandas to name an empty header, which raised EmptyDataError
    path = tmp_path / "events.csv"
    path.write_bytes(b"\nx,y\n")
    with pytest.raises(DataError, match="the events table has no id, no date_start"):
        read_layer(path)


def test_a_header_of_other_columns_without_rows_is_a_data_error(tmp_path):
    # an empty table was accepted whatever its columns
    path = tmp_path / "events.csv"
    path.write_text("locked\n")
    with pytest.raises(DataError, match=r"has no id, .* \(its columns are: locked; expected"):
        read_layer(path)


def test_a_geojson_point_out_of_range_is_quoted_as_a_plain_number(tmp_path):
    # numpy 2 wrote np.float64(95.0) into the message
    path = tmp_path / "events.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"id": "e1", "date_start": "2016-12-15", "event_type": "Battles", "actor1": "A", '
        '"sources": "Reuters"}, "geometry": {"type": "Point", "coordinates": [37, 95]}}]}'
    )
    _, report = read_layer(path)
    assert [p.message for p in report.problems] == ["expected a number from -90 to 90 (got 95.0)"]


# --- hypothesis: any bytes give a table or the project's own error --------------------

SEEDS = [
    (EVENT_HEADER + ",description\n" + event_row() + ",plain\n").encode(),
    (
        EVENT_HEADER
        + ",description\n"
        + event_row(id="e1", sources='"[{""publisher"": ""Reuters""}]"')
        + ',"two\nlines, quoted"\n'
        + event_row(id="e2", latitude="-91", fatalities="3")
        + ",\n\n"
        + event_row(id="e1", date_end="2016-12-01")
        + ",=1+1\n"
    ).encode(),
    (EVENT_HEADER.replace(",", ";") + "\n" + event_row().replace(",", ";") + "\n").encode("cp1256"),
    b"\xff\xfe" + (EVENT_HEADER + "\n" + event_row(actor1="الجيش") + "\n").encode("utf-16-le"),
]
PIECES = [
    b'"',
    b'""',
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b",",
    b";",
    b"\t",
    b"\r",
    b"\n",
    b"\r\n",
    b"\xe9",
    b"\xd8\xa8",
    b"=",
    b"'",
    b"[",
    b"{",
    b"1e999",
    b"-",
]


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed with bytes flipped, inserted, deleted, repeated or cut."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "insert", "piece", "delete", "repeat", "cut"]))
        if op == "flip" and data:
            data[min(at, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "piece":
            data[at:at] = draw(st.sampled_from(PIECES))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif op == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 60))]
        elif op == "cut":
            del data[at:]
    return bytes(data)


def _check_outcome(path: Path) -> None:
    """Reading ``path`` gives a consistent table and report, or a DataError naming it."""
    try:
        frame, report = read_layer(path, "events")
    except DataError as exc:
        assert str(exc).startswith(f"{path}"), exc
    else:
        assert isinstance(frame, gpd.GeoDataFrame) and isinstance(report, LayerReport)
        assert len(frame) == report.rows_accepted >= 0
        assert report.rows_rejected <= report.rows_read
        assert all(p.row >= 1 and p.message for p in report.problems)
        assert frame.crs == "EPSG:4326"
    try:
        dataset, load = read_dataset(path)
    except DataError as exc:
        assert str(exc).startswith(f"{path}"), exc
    else:
        assert len(dataset.events) == sum(
            r.rows_accepted for r in load.layers if r.layer == "events"
        )


#: ``ATLAS_FUZZ_EXAMPLES=5000`` for a longer hunt than the suite's.
EXAMPLES = int(os.environ.get("ATLAS_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis folder in the working tree
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(data=st.one_of(st.binary(max_size=2048), mutated(SEEDS)))
def test_any_bytes_named_csv_give_a_table_or_a_data_error(data):
    _check_bytes(data, "events.csv")


def _check_bytes(data: bytes, name: str) -> None:
    """Write ``data`` as a file called ``name`` and check what reading it gives."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        _check_outcome(path)


def _corpus_bytes(*names: str) -> list[bytes]:
    return [(CORPUS / name).read_bytes() for name in names]


@settings(FUZZ, max_examples=EXAMPLES // 2)
@given(data=mutated(_corpus_bytes("typed_cells.xlsx", "formula_cell.xlsx")))
def test_any_damage_to_a_workbook_gives_a_table_or_a_data_error(data):
    _check_bytes(data, "events.xlsx")


@settings(FUZZ, max_examples=EXAMPLES // 2)
@given(data=mutated(_corpus_bytes("shapefile_projected.zip", "layer_files.zip")))
def test_any_damage_to_a_zip_gives_a_table_or_a_data_error(data):
    _check_bytes(data, "upload.zip")


@settings(FUZZ, max_examples=EXAMPLES // 2)
@given(data=mutated(_corpus_bytes("feature_without_geometry.geojson", "invalid_polygon.geojson")))
def test_any_damage_to_a_geojson_gives_a_table_or_a_data_error(data):
    _check_bytes(data, "events.geojson")


def _members(name: str) -> dict[str, bytes]:
    with zipfile.ZipFile(CORPUS / name) as archive:
        return {m.filename: archive.read(m) for m in archive.infolist()}


@st.composite
def damaged_shapefile(draw) -> bytes:
    """A zipped shapefile with one of its files damaged before zipping (so its CRC holds)."""
    parts = _members("shapefile_projected.zip")
    name = draw(st.sampled_from(sorted(parts)))
    parts[name] = draw(mutated([parts[name]]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in parts.items():
            archive.writestr(member, data)
    return buffer.getvalue()


@settings(FUZZ, max_examples=EXAMPLES // 2)
@given(data=damaged_shapefile())
def test_any_damage_to_a_shapefile_gives_a_table_or_a_data_error(data):
    _check_bytes(data, "upload.zip")
