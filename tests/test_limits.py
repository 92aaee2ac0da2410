"""Limits on what one upload may make the shared server do, and errors that never trace back.

One Streamlit process serves every viewer, so an upload is bounded in rows, workbook cells
and shared strings, vertices and holes per shape, and in the memory all sessions' uploads
hold together; each limit names its value and the environment variable that raises it.
The command line reads the files its user names, and is not limited.  Then: names and
mapping files that used to end in a traceback, dates the dashboard cannot show, server
paths on screen, and formula cells in the rejected-rows download.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter
from shapely.geometry import Polygon
from streamlit.testing.v1 import AppTest

import geo.uploads
from geo.io import read_dataset, read_layer, to_text_table, write_layer
from geo.mapping import ColumnMapping, read_mapping
from geo.problems import DataError, LayerReport, LoadReport, Problem
from geo.schema import LAYER_SPECS, Layer
from geo.uploads import read_upload, upload_headers
from tests.tables import EVENT_HEADER, event_row

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
DATA = Path(__file__).parent / "data"
LIMIT_VARIABLES = (
    "ATLAS_MAX_UPLOAD_MB",
    "ATLAS_MAX_UPLOAD_ROWS",
    "ATLAS_MAX_UPLOAD_CELLS",
    "ATLAS_MAX_SHARED_STRINGS_MB",
    "ATLAS_MAX_GEOMETRY_VERTICES",
    "ATLAS_MAX_GEOMETRY_HOLES",
    "ATLAS_UPLOAD_MEMORY_MB",
)


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch):
    """Every test starts from the default limits, whatever the shell running it sets."""
    for name in LIMIT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _csv(*rows: str) -> bytes:
    return "\n".join([EVENT_HEADER, *rows]).encode() + b"\n"


def _events(n: int) -> bytes:
    return _csv(*(event_row(id=f"e{i}") for i in range(n)))


def _run_isolated(code: str, *, memory_gb: float = 3, seconds: int = 120):
    """Run Python code in a child process that may use only so much memory and time.

    For what would exhaust this machine if the limit under test did not hold (a read of
    ``/dev/zero``; a workbook of two cells spanning a whole sheet).
    """
    limit = int(memory_gb * 2**30)
    prelude = (
        "import resource\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        capture_output=True,
        text=True,
        timeout=seconds,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in LIMIT_VARIABLES},
    )


# --- the limits: each named in its message, with its value and its variable -----------


def test_every_limit_has_a_default_and_an_environment_variable(monkeypatch):
    from geo.io import UploadLimits

    defaults = UploadLimits.from_env()
    assert defaults == UploadLimits()
    assert sorted(UploadLimits.variables().values()) == sorted(LIMIT_VARIABLES)
    for field, variable in UploadLimits.variables().items():
        monkeypatch.setenv(variable, "7")
        assert getattr(UploadLimits.from_env(), field) == 7, variable
        monkeypatch.delenv(variable)


@pytest.mark.parametrize("value", ["lots", "0", "-3", "nan", "inf"])
def test_a_limit_set_to_nonsense_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_ROWS", value)
    with pytest.raises(DataError) as raised:
        read_upload("mine.csv", _events(2))
    assert str(raised.value) == (
        f"mine.csv: cannot be checked: ATLAS_MAX_UPLOAD_ROWS must be a positive number "
        f"of rows, got {value!r}"
    )


def _layer_file(tmp_path: Path, story, suffix: str) -> Path:
    return write_layer(story.events, tmp_path / f"events{suffix}", Layer.EVENTS)


def _workbook_bytes(frame: pd.DataFrame, *, far_cell: str | None = None) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if pd.isna(v) else v for v in row])
    if far_cell:
        sheet[far_cell] = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload_bytes(tmp_path: Path, story, kind: str) -> tuple[str, bytes]:
    """The story's 38 events as an upload of one kind."""
    if kind == ".xlsx":
        cells = to_text_table(story.events, LAYER_SPECS[Layer.EVENTS])
        return "events.xlsx", _workbook_bytes(cells)
    if kind == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.write(_layer_file(tmp_path, story, ".csv"), "events.csv")
        return "events.zip", buffer.getvalue()
    return f"events{kind}", _layer_file(tmp_path, story, kind).read_bytes()


@pytest.mark.parametrize("kind", [".csv", ".geojson", ".gpkg", ".parquet", ".xlsx", ".zip"])
def test_an_upload_of_more_rows_than_the_limit_is_refused_naming_the_limit(
    tmp_path, story, monkeypatch, kind
):
    name, data = _upload_bytes(tmp_path, story, kind)
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_ROWS", "10")
    with pytest.raises(DataError) as raised:
        read_upload(name, data)
    message = str(raised.value)
    assert message.startswith(f"{name}")
    assert message.endswith(
        ": the limit is 10 rows per upload (set ATLAS_MAX_UPLOAD_ROWS to raise it)"
    )
    held = [f"holds {len(story.events)} rows", f"holds {len(story.events)} features"]
    assert any(h in message for h in held) or "holds more than 10 rows" in message
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_ROWS", str(len(story.events)))
    dataset, _ = read_upload(name, data)
    assert len(dataset.events) == len(story.events)


def test_the_row_limit_counts_every_layer_of_an_upload(tmp_path, story, monkeypatch):
    from geo.io import write_dataset

    path = write_dataset(story, tmp_path / "story.gpkg")
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_ROWS", str(len(story.events) + 1))
    with pytest.raises(DataError, match=r"story\.gpkg: holds \d+ rows in its layers: the limit"):
        read_upload("story.gpkg", path.read_bytes())


def test_the_command_line_reads_what_its_user_names_without_the_upload_limits(
    tmp_path, story, monkeypatch
):
    """A decision: the limits protect a shared server from uploads, not a user's own files."""
    from dashboard.cli import main

    path = _layer_file(tmp_path, story, ".csv")
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_ROWS", "10")
    events, report = read_layer(path)
    assert len(events) == len(story.events) and not report.problems
    assert main(["validate", str(path)]) == 0
    with pytest.raises(DataError, match="ATLAS_MAX_UPLOAD_ROWS"):
        read_upload("events.csv", path.read_bytes())


def test_a_workbook_whose_sheets_hold_more_cells_than_the_limit_is_refused_unparsed(
    story, monkeypatch
):
    import geo.io.excel

    cells = to_text_table(story.events, LAYER_SPECS[Layer.EVENTS])
    data = _workbook_bytes(cells)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    written = len(re.findall(rb"<c[ >]", xml))
    limit = len(xml) // 256 + 1  # its XML passes the directory's check; its cells do not
    assert limit < written
    opened = []
    monkeypatch.setattr(geo.io.excel, "load_workbook", lambda *a, **k: opened.append(a))
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_CELLS", str(limit))
    with pytest.raises(DataError) as raised:
        read_upload("events.xlsx", data)
    assert opened == [], "counted in the XML, before openpyxl parsed a byte"
    assert str(raised.value) == (
        f"events.xlsx: its sheets hold {written:,} cells: the limit is {limit:,} cells per "
        "workbook (set ATLAS_MAX_UPLOAD_CELLS to raise it; a larger table reads far faster "
        "as CSV)"
    )
    monkeypatch.undo()
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_CELLS", str((len(cells) + 1) * len(cells.columns)))
    dataset, _ = read_upload("events.xlsx", data)
    assert len(dataset.events) == len(story.events)


def test_blank_cells_far_from_the_table_count_as_the_cells_they_make(story, monkeypatch):
    # one cell at Z6000 makes every row 26 cells wide and the table 6,000 rows long
    cells = to_text_table(story.events.head(3), LAYER_SPECS[Layer.EVENTS])
    data = _workbook_bytes(cells, far_cell="Z6000")
    assert len(data) < 10_000
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_CELLS", "100000")
    with pytest.raises(DataError) as raised:
        read_upload("events.xlsx", data)
    assert str(raised.value) == (
        "events.xlsx: sheet 'Sheet' holds more than 100,000 cells (rows × columns, blank "
        "ones included): the limit is 100,000 cells per workbook (set ATLAS_MAX_UPLOAD_CELLS "
        "to raise it; a larger table reads far faster as CSV)"
    )


def test_two_cells_spanning_a_whole_sheet_are_refused_without_exhausting_memory():
    # A1 and XFD1048576: 17 billion cells once pandas squares the table up
    code = (
        "import io, openpyxl\n"
        "from geo.uploads import read_upload\n"
        "from geo.problems import DataError\n"
        "book = openpyxl.Workbook(); sheet = book.active\n"
        "sheet['A1'] = 'id'; sheet['XFD1048576'] = 1\n"
        "buffer = io.BytesIO(); book.save(buffer)\n"
        "try:\n"
        "    read_upload('wide.xlsx', buffer.getvalue())\n"
        "except DataError as error:\n"
        "    print(error)\n"
    )
    done = _run_isolated(code, seconds=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("wide.xlsx: sheet 'Sheet' holds more than "), done.stdout
    assert "set ATLAS_MAX_UPLOAD_CELLS to raise it" in done.stdout


def test_a_workbook_too_large_for_its_cells_is_refused_from_its_directory(story, monkeypatch):
    import geo.io.excel

    cells = to_text_table(story.events, LAYER_SPECS[Layer.EVENTS])
    data = _workbook_bytes(cells)
    opened = []
    monkeypatch.setattr(geo.io.excel, "load_workbook", lambda *a, **k: opened.append(a))
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_CELLS", "10")
    with pytest.raises(DataError) as raised:
        read_upload("events.xlsx", data)
    assert opened == [], "refused before openpyxl parsed a byte"
    assert re.fullmatch(
        r"events\.xlsx: its sheets are [\d.]+ MB of XML, more than 10 cells take \(allowing "
        r"256 bytes a cell\): the limit is 10 cells per workbook \(set ATLAS_MAX_UPLOAD_CELLS "
        r"to raise it; a larger table reads far faster as CSV\)",
        str(raised.value),
    )


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _shared_strings_workbook(rows: list[list[str]]) -> bytes:
    """A workbook as Excel writes one: every text in the shared strings, cells pointing there.

    (openpyxl writes text into the sheet itself.)
    """
    strings = sorted({v for row in rows for v in row if v})
    index = {v: i for i, v in enumerate(strings)}
    sheet_rows = "".join(
        f'<row r="{r}">'
        + "".join(
            f'<c r="{get_column_letter(c)}{r}" t="s"><v>{index[v]}</v></c>'
            for c, v in enumerate(row, start=1)
            if v  # a blank cell is not written
        )
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    last = f"{get_column_letter(len(rows[0]))}{len(rows)}"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{_TYPES}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{_TYPES}.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_RELATIONS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONS}"><sheets>'
            '<sheet name="events" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_RELATIONS}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_RELATIONS}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(v)}</t></si>" for v in strings)
            + "</sst>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{_MAIN}"><dimension ref="A1:{last}"/><sheetData>{sheet_rows}'
            "</sheetData></worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _story_rows(story, *, description: str | None = None) -> list[list[str]]:
    cells = to_text_table(story.events, LAYER_SPECS[Layer.EVENTS]).astype(object)
    if description is not None:
        cells["description"] = [f"{i} {description}" for i in range(len(cells))]
    text = [["" if pd.isna(v) else str(v) for v in row] for row in cells.to_numpy().tolist()]
    return [list(cells.columns), *text]


def test_a_workbook_in_shared_strings_reads_as_the_same_table(story):
    dataset, report = read_upload("events.xlsx", _shared_strings_workbook(_story_rows(story)))
    assert report.ok and len(dataset.events) == len(story.events)
    assert list(dataset.events["description"]) == list(story.events["description"])


def test_a_workbook_with_too_many_shared_strings_is_refused_before_they_are_parsed(
    story, monkeypatch
):
    import geo.io.excel

    data = _shared_strings_workbook(_story_rows(story, description="x" * 2_000))
    opened = []
    monkeypatch.setattr(geo.io.excel, "load_workbook", lambda *a, **k: opened.append(a))
    monkeypatch.setenv("ATLAS_MAX_SHARED_STRINGS_MB", "0.05")
    with pytest.raises(DataError) as raised:
        read_upload("events.xlsx", data)
    assert opened == []
    assert re.fullmatch(
        r"events\.xlsx: its parts other than sheets \(shared strings, styles, images\.\.\.\) "
        r"are 0\.\d MB, the largest xl/sharedStrings\.xml \(0\.\d MB\): the limit is 0\.05 "
        r"MB per workbook \(set ATLAS_MAX_SHARED_STRINGS_MB to raise it; a larger table reads "
        r"far faster as CSV\)",
        str(raised.value),
    )


def _ring(n: int, x: float = 37.1, y: float = 36.2, r: float = 0.05) -> list[tuple]:
    angles = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return [(x + r * math.cos(a), y + r * math.sin(a)) for a in angles]


def _zones(polygons: list[Polygon]) -> gpd.GeoDataFrame:
    n = len(polygons)
    return gpd.GeoDataFrame(
        {
            "id": [f"z{i}" for i in range(n)],
            "name": [f"zone {i}" for i in range(n)],
            "controller": ["Government"] * n,
            "valid_from": ["2016-11-15"] * n,
            "valid_to": [""] * n,
            "method": ["traced"] * n,
            "sources": ["Reuters"] * n,
        },
        geometry=polygons,
        crs="EPSG:4326",
    )


def _zones_upload(tmp_path: Path, frame: gpd.GeoDataFrame, kind: str) -> tuple[str, bytes]:
    if kind == ".zip":
        folder = tmp_path / "shapefile"
        folder.mkdir()
        frame.to_file(folder / "zones.shp", engine="pyogrio")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for part in folder.iterdir():
                archive.write(part, part.name)
        return "zones.zip", buffer.getvalue()
    path = tmp_path / f"zones{kind}"
    if kind == ".geojson":
        frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    else:
        frame.to_file(path, layer="zones", driver="GPKG", engine="pyogrio")
    return path.name, path.read_bytes()


@pytest.mark.parametrize("kind", [".geojson", ".gpkg", ".zip"])
def test_a_shape_with_too_many_vertices_or_holes_rejects_its_row_alone(tmp_path, monkeypatch, kind):
    small = Polygon(_ring(8))
    detailed = Polygon(_ring(1_500, x=37.3))
    holes = [_ring(4, x=37.5 + 0.01 * i, r=0.002) for i in range(-2, 3)]
    holed = Polygon(_ring(16, x=37.5), holes)
    name, data = _zones_upload(tmp_path, _zones([small, detailed, holed]), kind)
    monkeypatch.setenv("ATLAS_MAX_GEOMETRY_VERTICES", "1000")
    monkeypatch.setenv("ATLAS_MAX_GEOMETRY_HOLES", "4")
    dataset, report = read_upload(name, data)
    assert list(dataset.zones["id"]) == ["z0"]
    label = "feature" if kind == ".geojson" else "row"  # numbered from 1 in either
    shown = f"{name}/zones.shp" if kind == ".zip" else name
    assert [str(p) for p in report.problems] == [
        f"{shown}:{label} 2: geometry: has 1,500 vertices: the limit is 1,000 per geometry "
        "(set ATLAS_MAX_GEOMETRY_VERTICES to raise it)",
        f"{shown}:{label} 3: geometry: has 5 holes: the limit is 4 per geometry "
        "(set ATLAS_MAX_GEOMETRY_HOLES to raise it)",
    ]
    # the command line is not limited
    if kind != ".zip":
        back, plain = read_dataset(tmp_path / name)
        assert len(back.zones) == 3 and plain.ok


def test_uploads_share_one_memory_limit_across_every_session(monkeypatch):
    gc.collect()
    memory = geo.uploads.upload_memory()
    before = memory.held_bytes()
    data = _events(2_000)
    first, _ = read_upload("first.csv", data)
    size = memory.held_bytes() - before
    assert size > 2_000 * 100, "the upload's frames are counted"
    # room for the first upload and its copy combined for the map, not for a second
    monkeypatch.setenv("ATLAS_UPLOAD_MEMORY_MB", f"{(before + 2.5 * size) / 2**20:.6f}")
    with pytest.raises(DataError) as raised:
        read_upload("second.csv", data)
    assert re.fullmatch(
        r"second\.csv: would hold about [\d.]+ MB in memory \(the table, and its copy combined "
        r"with the other open datasets for the map\), and the uploads open on this "
        r"server \(every session's together\) hold [\d.]+ MB: the limit is [\d.]+ MB for all "
        r"of them \(set ATLAS_UPLOAD_MEMORY_MB to raise it, or close datasets no longer "
        r"needed\)",
        str(raised.value),
    )
    del first
    gc.collect()
    assert memory.held_bytes() == before, "a dataset no longer held is no longer counted"
    second, _ = read_upload("second.csv", data)
    memory.release(second)
    assert memory.held_bytes() == before, "a closed dataset is no longer counted"


def test_a_renamed_upload_is_counted_until_its_last_copy_goes(monkeypatch):
    gc.collect()
    memory = geo.uploads.upload_memory()
    before = memory.held_bytes()
    dataset, _ = read_upload("mine.csv", _events(100))
    renamed = dataset.renamed("mine.csv (2)")
    del dataset
    gc.collect()
    assert memory.held_bytes() > before, "the renamed copy shares the frames"
    del renamed
    gc.collect()
    assert memory.held_bytes() == before


# --- file names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown", "code"),
    [
        ("a\x00b.csv", "a\\x00b.csv", "U+0000"),
        ("\x1b[31mred.csv", "\\x1b[31mred.csv", "U+001B"),
        ("new\nline.csv", "new\\nline.csv", "U+000A"),
        ("fake\u202evsc.csv", "fake\\u202evsc.csv", "U+202E"),
    ],
)
def test_an_upload_whose_name_holds_a_control_character_is_refused(name, shown, code):
    for read in (read_upload, upload_headers):
        with pytest.raises(DataError) as raised:
            read(name, _events(1))
        assert str(raised.value) == (
            f"{shown}: the file's name holds a control character ({code}): rename the file "
            "and add it again"
        )


def test_an_upload_named_with_path_separators_is_never_a_path():
    # a browser sends a file's own name; a crafted name with slashes is only text here
    dataset, report = read_upload("..\\..\\x/events.csv", _events(1))
    assert report.ok and dataset.name == "..\\..\\x/events.csv"


def test_a_damaged_shapefile_upload_names_no_temporary_path():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("roads.shp", b"not a shapefile" * 10)
        archive.writestr("roads.shx", b"x" * 100)
        archive.writestr("roads.dbf", b"y" * 100)
    with pytest.raises(DataError) as raised:
        read_upload("roads.zip", buffer.getvalue())
    message = str(raised.value)
    assert tempfile.gettempdir() not in message and "atlas-" not in message, message
    assert message.startswith("roads.zip/roads.shp: is not a readable shapefile: ")
    assert "'roads.zip/roads.shp' not recognized" in message


# --- mapping files -----------------------------------------------------------------------


def test_a_mapping_nested_a_hundred_thousand_deep_is_a_clear_error(tmp_path):
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(DataError) as raised:
        ColumnMapping.from_json(text, path="deep.json")
    assert str(raised.value) == (
        "deep.json: is nested too deeply to be a mapping file (lists or objects within each "
        "other thousands deep)"
    )
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(DataError, match="nested too deeply"):
        read_mapping(path)


def test_a_mapping_file_larger_than_a_megabyte_is_refused_unread(tmp_path):
    document = json.loads(ColumnMapping({"date_start": "Date"}).to_json())
    document["constants"] = {"notes": "x" * (1 << 20)}
    path = tmp_path / "big.mapping.json"
    path.write_text(json.dumps(document))
    with pytest.raises(DataError) as raised:
        read_mapping(path)
    assert str(raised.value) == (
        f"{path}: is larger than 1 MB, which no mapping file is (they are a few hundred "
        "bytes): is it the right file?"
    )


def test_a_mapping_read_from_dev_zero_stops_at_a_megabyte():
    code = (
        "from geo.mapping import read_mapping\n"
        "from geo.problems import DataError\n"
        "try:\n"
        "    read_mapping('/dev/zero')\n"
        "except DataError as error:\n"
        "    print(error)\n"
    )
    done = _run_isolated(code, memory_gb=2, seconds=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("/dev/zero: is larger than 1 MB"), done.stdout


def test_atlas_validate_with_a_mapping_from_dev_zero_exits_with_the_message(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(_events(1))
    code = (
        "import sys\n"
        "from dashboard.cli import main\n"
        f"sys.exit(main(['validate', '--mapping', '/dev/zero', {str(path)!r}]))\n"
    )
    done = _run_isolated(code, memory_gb=2, seconds=60)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "atlas: /dev/zero: is larger than 1 MB" in done.stderr


# --- dates the dashboard can show --------------------------------------------------------


def test_dates_outside_the_accepted_range_are_rejected_naming_row_column_and_range(tmp_path):
    from geo.parsing import FIRST_DATE, LAST_DATE

    assert (str(FIRST_DATE.date()), str(LAST_DATE.date())) == ("1700-01-01", "2250-12-31")
    path = tmp_path / "far.csv"
    path.write_bytes(
        _csv(
            event_row(id="ok"),
            event_row(id="e1500", date_start="1500-01-01"),
            event_row(id="e2300", date_start="2300-06-01"),
            event_row(id="e1690", date_start="1690-01-01"),
            event_row(id="e2260", date_start="2016-12-15", date_end="2260-01-01"),
            event_row(id="edge", date_start="1700-01-01", date_end="2250-12-31"),
        )
    )
    events, report = read_layer(path)
    assert list(events["id"]) == ["ok", "edge"]
    expected = "expected a date from 1700-01-01 to 2250-12-31"
    assert [str(p) for p in report.problems] == [
        f"{path}:3: date_start: {expected} (got '1500-01-01')",
        f"{path}:4: date_start: {expected} (got '2300-06-01')",
        f"{path}:5: date_start: {expected} (got '1690-01-01')",
        f"{path}:6: date_end: {expected} (got '2260-01-01')",
    ]


def test_far_dates_in_other_forms_and_typed_files_are_rejected_too(tmp_path, story):
    events = story.events.head(3).copy()
    events["date_start"] = pd.to_datetime(["2016-12-15", "1500-01-01", "2300-01-01"]).astype(
        "datetime64[us]"
    )
    path = tmp_path / "events.parquet"
    gpd.GeoDataFrame(events).to_parquet(path)
    back, report = read_layer(path)
    assert len(back) == 1
    # a GeoParquet's rows are numbered from 1 (it has no header row)
    assert [(p.row, p.column) for p in report.problems] == [(2, "date_start"), (3, "date_start")]
    assert all(
        "expected a date from 1700-01-01 to 2250-12-31" in p.message for p in report.problems
    )
    written = tmp_path / "written.csv"
    written.write_bytes(_csv(event_row(date_start="15 December 1500")))
    _, report = read_layer(written)
    assert [p.message for p in report.problems] == [
        "expected a date from 1700-01-01 to 2250-12-31 (got '1500-12-15')"
    ]


def test_route_periods_outside_the_range_are_rejected():
    from geo.parsing import InvalidValue, canonical_periods

    with pytest.raises(InvalidValue, match="period start must be a date from 1700-01-01"):
        canonical_periods([{"start": "1500-01-01", "status": "active"}])


# --- the rejected-rows download ----------------------------------------------------------


def test_the_rejected_rows_csv_holds_no_formula_cell():
    report = LoadReport(
        [
            LayerReport(
                "=1+2.csv",
                "events",
                rows_read=2,
                problems=[
                    Problem("=1+2.csv", 2, "actor1", "=HYPERLINK(evil)", "events"),
                    Problem("@SUM.csv", 3, "+cmd", "-2 is too small", "-events"),
                ],
            )
        ]
    )
    rows = list(csv.reader(io.StringIO(report.problems_csv())))
    assert rows[1:] == [
        ["'=1+2.csv", "events", "2", "actor1", "'=HYPERLINK(evil)"],
        ["'@SUM.csv", "'-events", "3", "'+cmd", "'-2 is too small"],
    ]


def test_an_upload_named_like_a_formula_gets_a_neutral_rejected_rows_csv():
    _, report = read_upload("=1+2.csv", _csv(event_row(latitude="200")))
    rows = list(csv.reader(io.StringIO(report.problems_csv())))
    assert rows[1][0] == "'=1+2.csv"


# --- the app -----------------------------------------------------------------------------


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=120).run()


def _data_page() -> AppTest:
    at = _app()
    return at.switch_page("screens/data_page.py").run()


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv"))
    return at.run()


def _everything_shown(at: AppTest) -> str:
    parts = []
    for kind in ("title", "subheader", "markdown", "text", "caption", "error", "warning", "info"):
        parts.extend(str(e.value) for e in at.get(kind))
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    parts.extend(str(m.value) for m in at.metric)
    return "\n".join(parts)


def test_an_upload_whose_name_holds_a_nul_byte_gets_a_message_not_a_traceback(story):
    at = _upload(_data_page(), "a\x00b.csv", _events(1))
    assert not at.exception
    assert any("holds a control character" in e.value for e in at.error)
    at.switch_page("screens/map_page.py").run()
    assert not at.exception


def test_an_upload_over_a_limit_is_a_message_naming_the_limit(monkeypatch):
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_ROWS", "3")
    at = _upload(_data_page(), "five.csv", _events(5))
    assert not at.exception
    [error] = at.error
    assert "ATLAS\\_MAX\\_UPLOAD\\_ROWS" in error.value and "the limit is 3 rows" in error.value
    assert not any(m.label == "Rows read" for m in at.metric)


def test_a_saved_mapping_nested_too_deeply_is_a_message_not_a_traceback():
    at = _upload(_data_page(), "newsroom.csv", (DATA / "newsroom_log.csv").read_bytes())
    at.file_uploader(key="mapping_upload").set_value(
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "application/json")
    )
    at.run()
    assert not at.exception
    assert any("nested too deeply" in e.value for e in at.error)
    assert at.subheader[0].value == "Which column is which?"


def test_an_upload_and_its_copy_for_the_map_are_counted_while_the_session_holds_them():
    gc.collect()
    before = geo.uploads.upload_memory().held_bytes()
    at = _upload(_data_page(), "mine.csv", _events(500))
    assert not at.exception
    at.switch_page("screens/map_page.py").run()
    held = geo.uploads.upload_memory().held_bytes() - before
    dataset = next(iter(at.session_state["uploaded_datasets"])).dataset
    assert held >= 2 * geo.uploads.dataset_bytes(dataset), (
        "the upload, and its copy combined for the map"
    )
    close = next(b for b in _data_page_of(at).button if b.label == "Close this dataset")
    close.click().run()
    at.switch_page("screens/map_page.py").run()
    del dataset
    gc.collect()
    assert geo.uploads.upload_memory().held_bytes() == before


def _data_page_of(at: AppTest) -> AppTest:
    return at.switch_page("screens/data_page.py").run()


def _far_story(story):
    """The story with dates no validated table may hold (as if validation had let them by)."""
    events = story.events.copy()
    days = np.resize(np.array(["1680-01-01", "2260-06-01"], dtype="datetime64[ns]"), len(events))
    events["date_start"] = days
    events["date_end"] = pd.NaT
    return story.with_layers(events=events)


def test_the_sidebar_never_raises_whatever_dates_the_data_hold(monkeypatch, story):
    import dashboard.cache

    far = _far_story(story)
    monkeypatch.setattr(dashboard.cache, "load_dataset", lambda: (far, LoadReport()))
    monkeypatch.setattr(dashboard.cache, "data_path", lambda: Path("far.csv"))
    at = _app()
    assert not at.exception, at.exception
    assert at.date_input(key="window").value == (dt.date(1700, 1, 1), dt.date(2250, 12, 31))
    assert at.slider(key="as_of").value == dt.date(2250, 12, 31)


def test_a_table_with_far_dates_opens_with_those_rows_rejected(monkeypatch, tmp_path):
    path = tmp_path / "far.csv"
    path.write_bytes(
        _csv(
            event_row(id="ok"),
            event_row(id="a", date_start="1500-01-01"),
            event_row(id="b", date_start="2300-01-01"),
            event_row(id="c", date_start="1690-01-01"),
            event_row(id="d", date_start="2260-01-01"),
        )
    )
    monkeypatch.setenv("ATLAS_DATA", str(path))
    at = _app()
    assert not at.exception, at.exception
    assert at.slider(key="as_of").value == pd.Timestamp("2016-12-15").date()
    at.switch_page("screens/about_page.py").run()
    assert not at.exception
    assert "5 read, 1 accepted, 4 rejected" in at.text[0].value


def test_the_about_page_names_the_data_file_never_its_folder_on_the_server(monkeypatch, tmp_path):
    folder = tmp_path / "private-server-folder"
    folder.mkdir()
    path = folder / "mine.csv"
    path.write_bytes(_csv(event_row(id="a"), event_row(id="b", latitude="200")))
    monkeypatch.setenv("ATLAS_DATA", str(path))
    at = _app()
    at.switch_page("screens/about_page.py").run()
    assert not at.exception
    shown = _everything_shown(at)
    assert "mine.csv" in shown
    assert "private-server-folder" not in shown and str(tmp_path) not in shown, shown
    assert "mine.csv [events]: 2 read, 1 accepted, 1 rejected" in at.text[0].value


def test_the_about_page_of_the_bundled_story_shows_no_server_path():
    at = _app()
    at.switch_page("screens/about_page.py").run()
    shown = _everything_shown(at)
    assert str(ROOT) not in shown and "site-packages" not in shown, shown
    assert "aleppo\\_2016 \\(the bundled story\\)" in shown  # Markdown-escaped
