"""Excel workbooks (``.xlsx``): a sheet per layer, or one sheet, read as CSV text would hold it.

A workbook is a zip of XML parts: it is checked before openpyxl opens it (see
:mod:`geo.archives`), and, with upload limits, the sizes and cells its parts declare are
counted before openpyxl parses a byte.  Cells are read as the values the workbook saved:
formulas are never evaluated, and links to other files never fetched.

A layer is written (:func:`write_excel`) as a sheet named after it, laid out as its CSV:
text that a spreadsheet would run as a formula apostrophed, as in CSV, dates as Excel
dates, numbers as numbers.  Unlike CSV, a workbook says its text is Unicode, so Arabic
and other non-Latin text opens as it is in every spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import geopandas as gpd
import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import (
    ILLEGAL_CHARACTERS_RE,
    TYPE_ERROR,
    TYPE_NUMERIC,
    TYPE_STRING,
    WriteOnlyCell,
)
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from pandas.io.parsers import TextParser

from geo.archives import MB, megabytes_text, member_path, zip_members
from geo.io.limits import SHEET_XML_BYTES_PER_CELL, UploadLimits, check_rows
from geo.io.tables import as_ours, layer_from_name
from geo.io.text import (
    CHUNK_BYTES,
    file_kind,
    to_text_table,
    unique_names,
    with_wkt_geometry,
    without_blank_rows,
)
from geo.problems import DataError
from geo.raw import RawTable
from geo.schema import LAYER_SPECS, FieldType, Layer, LayerSpec

#: How openpyxl opens a workbook: cells' saved values, never their formulas (nothing is
#: evaluated), no links to other files fetched.
_OPENPYXL_SAFE = {"read_only": True, "data_only": True, "keep_links": False}
#: What openpyxl raises on a damaged workbook.
_WORKBOOK_ERRORS = (
    InvalidFileException,
    ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    TypeError,
    ValueError,
)


def read_excel(
    path: Path, layer: Layer | None, limits: UploadLimits | None = None
) -> dict[Layer, RawTable]:
    """An .xlsx workbook's sheets named after layers, or else its first sheet.

    With ``limits``, the sizes its directory declares are checked before openpyxl parses a
    byte (see :func:`_check_workbook_parts`), and a sheet is read only as far as the cell
    and row limits allow.
    """
    with open(path, "rb") as f:
        head = f.read(32)
    if not zipfile.is_zipfile(path):
        kind = file_kind(head)
        raise DataError(
            path,
            f"is {kind}, not an .xlsx workbook"
            if kind
            else "is not an .xlsx workbook (those are zip archives, and this is not one): "
            "if it is CSV text, name it .csv",
        )
    members = zip_members(path, what="Excel workbook")
    if limits is not None:
        _check_workbook_parts(path, members, limits)
    try:
        book = load_workbook(path, **_OPENPYXL_SAFE)
        try:
            names = [str(sheet.title) for sheet in book.worksheets]
            sheets, by_name = _layer_sheets(names, layer, path)
            # a sheet named after a layer may be empty (no routes yet); the first sheet of a
            # workbook without such names is the table, and must hold one
            tables = {
                target: _sheet_table(
                    path, book, sheet, LAYER_SPECS[target], empty_ok=by_name, limits=limits
                )
                for target, sheet in sheets.items()
            }
        finally:
            book.close()
    except _WORKBOOK_ERRORS as exc:
        cause = exc if isinstance(exc, DefusedXmlException) else exc.__cause__
        reason = (
            "its XML declares entities, which are refused: they can expand to gigabytes"
            if isinstance(cause, DefusedXmlException)
            else str(exc).splitlines()[0]
        )
        raise DataError(path, f"is not a readable Excel workbook ({reason})") from exc
    return tables


_CSV_IS_FASTER = "a larger table reads far faster as CSV"


def _check_workbook_parts(path: Path, members: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    """Refuse a workbook too large for the limits before openpyxl parses a byte of it.

    openpyxl parses every part but the sheets whole when it opens a workbook (the shared
    strings above all: the text of every cell), and it parses a sheet that does not say
    its size whole too, to find it.  So, from the zip directory, the parts other than
    sheets are held to ``limits.shared_strings_mb`` and the sheets' XML to
    :data:`SHEET_XML_BYTES_PER_CELL` bytes a cell; then the cells the sheets hold are
    counted in their XML (fast: no parsing), all sheets together, against ``limits.cells``.
    Every part counts, whatever its name claims: a part is what the workbook's content
    types say it is, and they could call an ``image.png`` the shared strings.

    Raises
    ------
    DataError
        Naming the limit passed, its value and its variable.
    """
    files = [m for m in members if not m.is_dir()]
    sheets = [m for m in files if member_path(m).parent.as_posix().lower() == "xl/worksheets"]
    others = [m for m in files if m not in sheets]
    whole = sum(m.file_size for m in others)
    if others and whole > limits.shared_strings_mb * MB:
        largest = max(others, key=lambda m: m.file_size)
        raise DataError(
            path,
            f"its parts other than sheets (shared strings, styles, images...) are "
            f"{megabytes_text(whole)} MB, the largest {member_path(largest)} "
            f"({megabytes_text(largest.file_size)} MB): the limit is "
            f"{limits.shared_strings_mb:,g} MB per workbook "
            f"({limits.hint('shared_strings_mb')}; {_CSV_IS_FASTER})",
        )
    cells_limit = f"the limit is {limits.cells:,} cells per workbook ({limits.hint('cells')}"
    xml = sum(m.file_size for m in sheets)
    if xml > limits.cells * SHEET_XML_BYTES_PER_CELL:
        raise DataError(
            path,
            f"its sheets are {megabytes_text(xml)} MB of XML, more than {limits.cells:,} "
            f"cells take (allowing {SHEET_XML_BYTES_PER_CELL} bytes a cell): {cells_limit}; "
            f"{_CSV_IS_FASTER})",
        )
    written = sum(_written_cells(path, member) for member in sheets)
    if written > limits.cells:
        raise DataError(
            path, f"its sheets hold {written:,} cells: {cells_limit}; {_CSV_IS_FASTER})"
        )


#: The start of a cell element in a sheet's XML, whatever namespace prefix it has.
_CELL_START = re.compile(rb"<(?:[^\s<>/:!?]+:)?c[\s/>]")


def _written_cells(path: Path, member: zipfile.ZipInfo) -> int:
    """How many cells a sheet's XML holds, counted in its text (at the speed of inflating).

    Each chunk is cut at its last ``<``, which no cell's start straddles.  A comment or
    CDATA holding ``<c `` counts too: an overcount errs towards refusing.
    """
    count, carry = 0, b""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as source:
            while chunk := source.read(CHUNK_BYTES):
                text = carry + chunk
                cut = max(text.rfind(b"<"), 0)
                count += len(_CELL_START.findall(text, 0, cut))
                carry = text[cut:]
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise DataError(path, f"is not a readable Excel workbook ({exc})") from exc
    return count + len(_CELL_START.findall(carry))


def _layer_sheets(
    names: list[str], layer: Layer | None, path: Path
) -> tuple[dict[Layer, str], bool]:
    """Which sheet holds which layer: sheets named after layers, else the first sheet.

    The flag says whether the sheets were chosen by their names.
    """
    named: dict[Layer, str] = {}
    for name in names:
        key = name.strip().lower()
        if key in {x.value for x in Layer} and Layer(key) not in named:
            named[Layer(key)] = name
    if named:
        return (named if layer is None else {k: v for k, v in named.items() if k == layer}), True
    if not names:
        raise DataError(path, "holds no sheets")
    return {layer or layer_from_name(path) or Layer.EVENTS: names[0]}, False


def _sheet_table(
    path: Path,
    book: Any,
    sheet: str,
    spec: LayerSpec,
    *,
    empty_ok: bool,
    limits: UploadLimits | None = None,
) -> RawTable:
    """A sheet as text cells, each row labelled by its Excel row number less 1.

    The header is the first row that holds anything; blank rows are dropped but still
    counted, so that every problem names the row Excel shows.  An empty sheet is an empty
    table if ``empty_ok``, else a :class:`DataError`.
    """
    raw = _sheet_frame(path, book[sheet], sheet, limits)
    cells = raw.map(_cell_text) if not raw.empty else raw
    filled = cells.notna().any(axis=1)
    if not filled.any():
        if empty_ok:
            return RawTable(str(path), pd.DataFrame(), None, "line", 1)
        raise DataError(path, f"sheet {sheet!r} is empty: expected a header row and data rows")
    top = int(filled.idxmax())
    body = cells.loc[top + 1 :].copy()
    headers = list(cells.loc[top])
    body.columns = _sheet_headers(headers)
    # a column without header or cells is formatting left behind, not data
    body = body.loc[
        :,
        [pd.notna(h) or body[c].notna().any() for c, h in zip(body.columns, headers, strict=True)],
    ]
    table = RawTable(str(path), without_blank_rows(body), None, "line", 1)
    table = as_ours(table)
    return table if spec.point_columns else with_wkt_geometry(table, spec)


def _sheet_frame(path: Path, sheet: Any, name: str, limits: UploadLimits | None) -> pd.DataFrame:
    """A sheet's cells as ``pandas.read_excel(header=None, dtype=object)`` gives them.

    Read row by row as pandas reads them, but within ``limits``: pandas makes every row as
    wide as the widest, and counts every row up to the last, so that two cells, at A1 and
    XFD1048576, would make 17 billion.  Here the rows up to each row that holds something,
    times the widest row so far, are counted before that row is kept, and the sheet is
    refused as soon as they pass the cell or the row limit; blank rows after the last one
    holding something cost nothing.

    Raises
    ------
    DataError
        When the sheet spans more cells than ``limits.cells`` or more rows than
        ``limits.rows`` (its header row aside).
    """
    sheet.reset_dimensions()  # a declared size can be wrong: read what the sheet holds
    rows: list[list[Any]] = []
    blank, width = 0, 0
    for row in sheet.rows:
        values = [_excel_value(cell) for cell in row]
        while values and values[-1] == "":
            values.pop()
        if not values:
            blank += 1
            continue
        height, width = len(rows) + blank + 1, max(width, len(values))
        if limits is not None:
            _check_sheet_size(path, name, height, width, limits)
        rows.extend([] for _ in range(blank))
        rows.append(values)
        blank = 0
    if not rows:
        return pd.DataFrame()
    rows = [r + [""] * (width - len(r)) if len(r) < width else r for r in rows]
    try:
        return TextParser(rows, header=None, dtype=object, skip_blank_lines=False).read()
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _check_sheet_size(path: Path, name: str, height: int, width: int, limits: UploadLimits) -> None:
    """Refuse a sheet spanning more cells, or more rows (the header aside), than the limits."""
    if height * width > limits.cells:
        raise DataError(
            path,
            f"sheet {name!r} holds more than {limits.cells:,} cells (rows × columns, blank "
            f"ones included): the limit is {limits.cells:,} cells per workbook "
            f"({limits.hint('cells')}; {_CSV_IS_FASTER})",
        )
    held = f"sheet {name!r} holds more than {limits.rows:,} rows"
    check_rows(path, height - 1, limits, held=held)


def _excel_value(cell: Any) -> Any:
    """A cell's value as pandas reads it: "" when blank, NaN for an error, whole numbers as int."""
    value = cell.value
    if value is None:
        return ""
    if cell.data_type == TYPE_ERROR:
        return np.nan
    if cell.data_type == TYPE_NUMERIC and isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return value
        whole = int(value)
        return whole if whole == value else float(value)
    return value


def _sheet_headers(values: list[Any]) -> list[str]:
    """Header cells as names: a blank one named by its Excel column, repeats numbered."""
    return unique_names(
        [
            f"(column {get_column_letter(i + 1)})" if pd.isna(value) else str(value)
            for i, value in enumerate(values)
        ]
    )


def _cell_text(value: Any) -> str | None:
    """An Excel cell's value as CSV text would hold it (None for a blank cell).

    Dates as ``YYYY-MM-DD`` (with the time when there is one), whole numbers without
    ``.0``, true/false for booleans, everything else as Python writes it.
    """
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(float(value))
    text = str(value)
    return text if text.strip() else None


#: The most characters an Excel cell holds; Excel cuts a longer one without a word.
EXCEL_CELL_CHARACTERS = 32_767
_DATE_FORMAT = "yyyy-mm-dd"


def write_excel(
    frame: gpd.GeoDataFrame, spec: LayerSpec, path: Path, indent: int | None = None
) -> None:
    """Write a layer as a workbook of one sheet named after it (``indent`` is for JSON, unused).

    The cells are the CSV's (:func:`~geo.io.text.to_text_table`: formula-looking text
    apostrophed, non-point shapes as WKT), with dates as Excel dates and numbers as
    numbers.  Written in openpyxl's write-only mode, a row at a time.

    Raises
    ------
    DataError
        When a cell is longer than Excel holds (:data:`EXCEL_CELL_CHARACTERS`), or holds a
        control character a workbook cannot: that table is written as CSV or GeoPackage.
    """
    table = to_text_table(frame, spec)
    _check_excel_text(table, path)
    for field in spec.fields:
        if field.type is FieldType.DATE:
            # real dates, not their text, so that a spreadsheet sorts and filters them
            table[field.column] = frame[field.column]
    dates = {str(f.column) for f in spec.fields if f.type is FieldType.DATE}
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(spec.layer))
    columns = [str(column) for column in table.columns]
    sheet.append(columns)
    for row in table.itertuples(index=False, name=None):
        sheet.append(
            [
                _excel_cell(sheet, value, is_date=column in dates)
                for column, value in zip(columns, row, strict=True)
            ]
        )
    book.save(path)


def _check_excel_text(table: pd.DataFrame, path: Path) -> None:
    """Refuse text a workbook would cut (Excel, silently) or cannot hold (openpyxl)."""
    for column in table.columns:
        values = table[column]
        if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
            continue
        text = values.astype("string")
        too_long = (text.str.len() > EXCEL_CELL_CHARACTERS).fillna(False)
        control = text.str.contains(ILLEGAL_CHARACTERS_RE, regex=True).fillna(False)
        for bad, reason in (
            (
                too_long,
                f"is longer than the {EXCEL_CELL_CHARACTERS:,} characters an Excel cell holds",
            ),
            (control, "holds a control character that a workbook cannot hold"),
        ):
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy(dtype=bool))[0]) + 1
                raise DataError(
                    path,
                    f"row {row}'s {column} {reason}: export this table as CSV or GeoPackage",
                )


def _excel_cell(sheet: Any, value: Any, *, is_date: bool) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if is_date:
        cell = WriteOnlyCell(sheet, value=pd.Timestamp(value).to_pydatetime())
        cell.number_format = _DATE_FORMAT
        return cell
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, str):
        return value
    # a string cell, always: openpyxl would store text starting with "=" as a formula
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = TYPE_STRING
    return cell
