"""Text files: their encoding and delimiter told apart, CSV and TSV read and written.

A file named ``.csv`` may be anything: its first bytes are checked for binary formats, its
encoding is sniffed (:func:`text_encoding`) and the whole file then decoded strictly, and
its delimiter (comma, semicolon or tab) sniffed from its header (:func:`csv_delimiter`).
The helpers a sheet shares with a CSV (blank rows, unique headers, WKT geometry) live
here too, for :mod:`geo.io.excel`.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from dataclasses import replace
from pathlib import Path

import charset_normalizer
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.io.limits import UploadLimits, check_rows
from geo.io.tables import as_ours, iso_dates, layer_from_name
from geo.layouts import gdelt_headers_for
from geo.parsing import neutralise_formula
from geo.problems import DataError, Problem, encoding_label
from geo.raw import RawTable
from geo.schema import LAYER_SPECS, Column, FieldType, Layer, LayerSpec

#: How much of a text file its encoding and delimiter are judged by.
_SNIFF_BYTES = 64 * 1024
#: How much of a file is read at a time (a text checked, a sheet's XML counted).
CHUNK_BYTES = 1 << 20

#: Files users name .csv that are not text, told apart by their first bytes.
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook, or a zipped shapefile?)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Excel .xls workbook"),
    (b"SQLite format 3\x00", "an SQLite database (a GeoPackage?)"),
    (b"PAR1", "a Parquet file"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\x80\x04\x95", "a Python pickle"),
    (b"\x80\x05\x95", "a Python pickle"),
)

#: Control characters text never holds (tab, line feed, vertical tab, form feed and
#: carriage return excepted): a file holding one is binary, or in another encoding.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20)])

#: The letters Windows-1254 (Turkish) has where Windows-1252 has Icelandic ones:
#: Ğ ğ İ ı Ş ş decode as Ð ð Ý ý Þ þ.
_TURKISH_AS_1252 = frozenset("ÐðÝýÞþ")

#: The Windows-1252 marks typed among letters (quotes, dashes, ellipsis, bullet): bytes the
#: Central European and Western code pages share, so that they do not decide between them.
_TYPOGRAPHIC_1252 = frozenset("‘’‚“”„–—…•")

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def file_kind(head: bytes) -> str | None:
    """What a file is by its first bytes, when that is a binary format."""
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def text_encoding(path: Path) -> str:
    """The text encoding of a file (a Python codec name).

    UTF-8 with or without BOM, UTF-16 by its BOM or its pattern of zero bytes, then the
    Windows code pages users' spreadsheets are saved in: Windows-1256 for Arabic,
    Windows-1252 for Western European names (Latin-1 read the same), Windows-1254 for
    Turkish; otherwise charset-normalizer's guess.  A file whose first 64 KB are ASCII is
    judged by 64 KB around its first non-ASCII byte.

    Raises
    ------
    DataError
        When the bytes are not text in any encoding that can be told apart.
    """
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    wide = _bomless_utf16(head)
    if wide is not None:
        return wide
    sample = head if not head.isascii() else _first_non_ascii(path)
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":
            return "utf-8"  # a character cut by the sample's end (the full read checks)
    single = _single_byte_encoding(sample)
    if single is not None:
        return single
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        raise DataError(
            path,
            "is not text in an encoding that can be recognised: save it as UTF-8 "
            "(CSV UTF-8 in spreadsheet programs)",
        )
    return best.encoding


def _bomless_utf16(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when every other byte is mostly zero (ASCII as UTF-16)."""
    pairs = len(head) // 2
    if pairs < 2 or b"\x00" not in head:
        return None
    even, odd = head[: 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    if odd >= 0.3 * pairs and even <= 0.05 * pairs:
        return "utf-16-le"
    if even >= 0.3 * pairs and odd <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _first_non_ascii(path: Path) -> bytes:
    """64 KB of the file from just before its first non-ASCII byte (b"" if it has none)."""
    offset = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            if not chunk.isascii():
                first = next(i for i, b in enumerate(chunk) if b >= 0x80)
                # everything before it is ASCII, so the sample starts on a character
                f.seek(max(offset + first - 1024, 0))
                return f.read(_SNIFF_BYTES)
            offset += len(chunk)
    return b""


def _single_byte_encoding(raw: bytes) -> str | None:
    """The Windows code page of a Latin or Arabic text sample, when it can be told; or None.

    ``cp1256`` (Arabic), ``cp1252`` (Western), ``cp1254`` (Turkish), ``cp1250`` (Central
    European).
    In Arabic text the non-ASCII bytes make whole words; in a Latin script they are letters
    inside words of ASCII letters (``Café``).  General detectors, given a short sample,
    mistake one for the other: ``Saint-Étienne`` alone reads as Arabic to them, and
    ``export’s “curly” quotes`` as Central European.
    """
    marks = set("".join(_TYPOGRAPHIC_1252).encode("cp1252"))
    high = [i for i, b in enumerate(raw) if b >= 0x80 and b not in marks]
    if not high:  # typographic marks alone: the Latin code pages read them alike
        return None if raw.isascii() else "cp1252"
    in_words = [i for i in high if _ascii_letter_at(raw, i - 1) or _ascii_letter_at(raw, i + 1)]
    if 2 * len(in_words) < len(high):
        return "cp1256" if _looks_arabic(raw, "cp1256") else None
    # inside a word, a byte of the right code page is a letter or a typographic mark (a
    # curly quote in "export’s"); a symbol there is another code page's letter (Polish Ł is
    # £ in Windows-1252)
    for encoding in ("cp1252", "cp1250"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if all(_fits_in_a_word(text, i) for i in high):
            if encoding == "cp1252" and not _TURKISH_AS_1252.isdisjoint(text):
                return "cp1254"
            return encoding
    return None


def _fits_in_a_word(text: str, i: int) -> bool:
    """``text[i]`` is a letter, a typographic mark, or a symbol standing apart from letters."""
    char = text[i]
    if char.isalpha() or char in _TYPOGRAPHIC_1252:
        return True
    return not any(0 <= j < len(text) and text[j].isalpha() for j in (i - 1, i + 1))


def _ascii_letter_at(raw: bytes, i: int) -> bool:
    return 0 <= i < len(raw) and (65 <= raw[i] <= 90 or 97 <= raw[i] <= 122)


def _looks_arabic(raw: bytes, encoding: str) -> bool:
    """Most non-ASCII letters of ``raw`` decoded as ``encoding`` are Arabic."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    letters = [c for c in text if ord(c) > 127 and c.isalpha()]
    arabic = [c for c in letters if "\u0600" <= c <= "\u06ff"]
    return len(letters) > 0 and len(arabic) / len(letters) > 0.8


def _check_text(path: Path, encoding: str) -> str:
    """Decode the whole file strictly; return its first 64 KB of text.

    Raises
    ------
    DataError
        At the first byte the encoding does not allow, or the first control character,
        naming its line.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    label = encoding_label(encoding)
    # in UTF-8 and the code pages a control character is its own byte, found in the raw
    # bytes far faster than in text; in UTF-16 it is not
    probe = "\t\n\x00\x1fAz".encode(encoding).removeprefix(codecs.BOM_UTF8)
    bytewise = probe == b"\t\n\x00\x1fAz"
    line, sample = 1, ""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                before = exc.object[: exc.start].decode(encoding, errors="replace")
                raise DataError(
                    path,
                    f"is not readable as {label} text: line {line + before.count(chr(10))} "
                    f"holds bytes that {label} does not allow ({exc.reason}); "
                    "save it as UTF-8",
                ) from exc
            maybe = not bytewise or len(chunk.translate(None, _CONTROL_BYTES)) < len(chunk)
            control = _CONTROL.search(text) if maybe else None
            if control is not None:
                where = line + text.count("\n", 0, control.start())
                raise DataError(
                    path,
                    f"is not CSV text: line {where} holds the control character "
                    f"U+{ord(control.group()):04X}; is it a binary file, or another format?",
                )
            if len(sample) < _SNIFF_BYTES:
                sample += text[: _SNIFF_BYTES - len(sample)]
            line += text.count("\n")
            if not chunk:
                return sample


def csv_delimiter(sample: str, default: str) -> str:
    """The delimiter of a CSV sample: comma, semicolon or tab (the suffix's when unsure)."""
    try:
        return csv.Sniffer().sniff(sample.split("\n", 20)[0], delimiters=",;\t").delimiter
    except csv.Error:
        return default


def read_csv_file(
    path: Path, layer: Layer | None, limits: UploadLimits | None = None
) -> dict[Layer, RawTable]:
    """A CSV or TSV file as the layer asked for, else the one its name says, else events."""
    target = layer or layer_from_name(path) or Layer.EVENTS
    return {target: as_ours(_read_csv(path, LAYER_SPECS[target], _delimiter_of(path), limits))}


def _delimiter_of(path: Path) -> str:
    """The delimiter a file's suffix implies: tab for ``.tsv``, else comma (sniffing may differ)."""
    return "\t" if path.suffix.lower() == ".tsv" else ","


def _read_csv(
    path: Path, spec: LayerSpec, sep: str, limits: UploadLimits | None = None
) -> RawTable:
    with open(path, "rb") as f:
        kind = file_kind(f.read(32))
    if kind is not None:
        raise DataError(path, f"is {kind}, not CSV text")
    encoding = text_encoding(path)
    sample = _check_text(path, encoding)
    # a header-less GDELT row has commas inside its place names: its tabs decide
    headerless = gdelt_headers_for(_first_line(sample).split("\t"))
    sep = "\t" if headerless else csv_delimiter(sample, sep)
    cells, problems = _csv_cells(path, encoding, sep, spec, limits)
    table = RawTable(str(path), cells, problems=problems, encoding=encoding, delimiter=sep)
    if spec.layer is Layer.EVENTS:
        table = _headerless_gdelt(table, sample, sep)
    return table if spec.point_columns else with_wkt_geometry(table, spec)


def _first_line(sample: str) -> str:
    """The first line of a text, whatever its line ends (CR alone too, as old Macs wrote)."""
    return next(iter(sample.splitlines()), "")


def _headerless_gdelt(table: RawTable, sample: str, sep: str) -> RawTable:
    """A GDELT event file without its header row, given GDELT's column names.

    GDELT's daily files start with data: the reader took their first row for headers.  It
    becomes the first record again (line 1), and every row keeps its own line number.
    """
    first = next(csv.reader(io.StringIO(_first_line(sample)), delimiter=sep), [])
    names = gdelt_headers_for(first)
    if names is None or len(first) != len(table.cells.columns):
        return table
    body = table.cells.set_axis(names, axis=1)
    body.index = body.index + 1  # line = label + 1 now that line 1 is a record
    cells = pd.concat([pd.DataFrame([first], columns=names, index=[0], dtype=str), body])
    return replace(table, cells=cells, first_row=1)


def _csv_cells(
    path: Path, encoding: str, sep: str, spec: LayerSpec, limits: UploadLimits | None = None
) -> tuple[pd.DataFrame, tuple[Problem, ...]]:
    """A CSV's cells as text, each row labelled by its spreadsheet row number less 2.

    Blank rows are dropped but still counted, so that the rows after them keep their
    numbers; a row with more cells than the header is rejected on its own (see
    :func:`_ragged_csv_cells`).  With ``limits``, no more rows are parsed than one past
    the row limit.
    """
    problems: tuple[Problem, ...] = ()
    most = None if limits is None else limits.rows + 1
    try:
        cells = pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            encoding=encoding,
            skip_blank_lines=False,
            nrows=most,
        )
    except pd.errors.EmptyDataError as exc:
        raise DataError(path, "is empty: expected a header row and data rows") from exc
    except pd.errors.ParserError as exc:
        message = str(exc).strip()
        unclosed = re.search(r"EOF inside string starting at row (\d+)", message)
        if unclosed:
            raise DataError(
                path,
                f'has a quote (") that is never closed: the cell it opens on line '
                f"{int(unclosed[1]) + 1} runs to the end of the file",
            ) from exc
        if not re.search(r"Expected \d+ fields", message):
            raise DataError(path, f"is not a readable CSV: {message}") from exc
        cells, problems = _ragged_csv_cells(path, encoding, sep, spec, most)
    except (UnicodeDecodeError, UnicodeError) as exc:
        raise DataError(
            path, f"is not {encoding} text throughout ({exc}): save it as UTF-8"
        ) from exc
    except ValueError as exc:
        raise DataError(path, f"is not a readable CSV: {exc}") from exc
    if not isinstance(cells.index, pd.RangeIndex):
        # the first row has one cell more than the header, and pandas took the first
        # column for an index (shifting every cell): read row by row instead
        cells, problems = _ragged_csv_cells(path, encoding, sep, spec, most)
    check_rows(path, len(cells), limits, held=f"holds more than {len(cells) - 1:,} rows")
    return without_blank_rows(cells, keep={p.row - 2 for p in problems}), problems


def _ragged_csv_cells(
    path: Path, encoding: str, sep: str, spec: LayerSpec, most: int | None = None
) -> tuple[pd.DataFrame, tuple[Problem, ...]]:
    """Read, row by row, a CSV in which some rows have more cells than the header.

    Pandas' fast parser stops at the first such row; here each is kept, blank, and
    rejected with its reason, so that the rest of the file still loads.  Shorter rows are
    padded with blank cells, as pandas pads them.  ``most`` rows at most are read after
    the header.
    """
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=sep)
        try:
            records = list(itertools.islice(reader, None if most is None else most + 1))
        except csv.Error as exc:
            raise DataError(path, f"is not a readable CSV (line {reader.line_num}: {exc})") from exc
    if not records:
        raise DataError(path, "is empty: expected a header row and data rows")
    # a blank first line is a header of one blank name, as pandas reads it
    columns = unique_names([h or f"Unnamed: {i}" for i, h in enumerate(records[0] or [""])])
    width = len(columns)
    rows: list[list[str | None]] = []
    problems = []
    hint = f"a cell holding a {_DELIMITER_NAMES.get(sep, repr(sep))} must be in double quotes"
    for number, record in enumerate(records[1:], start=2):
        if len(record) > width:
            message = f"has {len(record)} cells where the header has {width}: {hint}"
            problems.append(Problem(str(path), number, "", message, str(spec.layer)))
            rows.append([None] * width)
        else:
            rows.append(record + [""] * (width - len(record)))
    cells = pd.DataFrame(rows, columns=columns, dtype=str)
    return cells, tuple(problems)


def without_blank_rows(cells: pd.DataFrame, keep: set[int] = frozenset()) -> pd.DataFrame:
    """The rows holding something, each keeping its label (and so its row number).

    ``keep`` labels rows kept however blank (rows rejected while reading).
    """
    if cells.empty or not len(cells.columns):
        return cells
    # only rows whose first cell is blank can be blank: check the rest for those alone
    candidates = cells.index[_blank(cells.iloc[:, 0]).to_numpy()]
    if not len(candidates):
        return cells
    subset = cells.loc[candidates]
    blank = np.logical_and.reduce([_blank(subset[c]).to_numpy() for c in subset.columns])
    drop = [label for label, b in zip(candidates, blank, strict=True) if b and label not in keep]
    return cells.drop(index=drop) if drop else cells


def _blank(values: pd.Series) -> pd.Series:
    text = values.astype("string")
    return (text.isna() | (text.str.strip() == "")).fillna(True).astype(bool)


def with_wkt_geometry(table: RawTable, spec: LayerSpec) -> RawTable:
    """A non-point table with its WKT ``geometry`` column parsed into shapely geometries."""
    cells = table.cells
    header = {str(c).strip().lower(): c for c in cells.columns}
    if Column.GEOMETRY not in header:
        raise DataError(table.path, f"the {spec.layer} table needs a geometry column (WKT)")
    text = cells[header[Column.GEOMETRY]].astype("string").str.strip().fillna("")
    blank = (text == "").to_numpy()
    geoms = shapely.from_wkt(
        np.where(blank, None, text.to_numpy(dtype=object)), on_invalid="ignore"
    )
    unreadable = cells.index[pd.isna(geoms) & ~blank]
    problems = tuple(
        Problem(
            table.path,
            int(label) + table.first_row,
            Column.GEOMETRY,
            "not readable as WKT (expected e.g. POLYGON ((lon lat, ...)))",
            str(spec.layer),
            table.record_label,
        )
        for label in unreadable
    )
    geometry = pd.Series(geoms, index=cells.index, dtype=object)
    return replace(table, geometry=geometry, problems=table.problems + problems)


def unique_names(names: list[str]) -> list[str]:
    """Names made unique as pandas makes a CSV's headers: ``id``, ``id.1``, ``id.2``."""
    unique: list[str] = []
    taken: set[str] = set()
    for name in names:
        candidate, n = name, 0
        while candidate in taken:
            n += 1
            candidate = f"{name}.{n}"
        unique.append(candidate)
        taken.add(candidate)
    return unique


def to_text_table(frame: gpd.GeoDataFrame, spec: LayerSpec) -> pd.DataFrame:
    """The layer as text cells, as CSV holds it (non-point geometry as WKT)."""
    out = pd.DataFrame(index=frame.index)
    for field in spec.fields:
        values = frame[field.column]
        if field.type is FieldType.DATE:
            values = iso_dates(values)
        elif field.type is FieldType.BOOLEAN:
            values = values.map({True: "true", False: "false"}, na_action="ignore")
        elif field.type is FieldType.TEXT:
            # a spreadsheet must never run a cell as a formula; the reader undoes this
            values = values.astype("string").map(neutralise_formula, na_action="ignore")
        out[field.column] = values
    if not spec.point_columns:
        out[Column.GEOMETRY] = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=-1)
    return out


def write_csv(
    frame: gpd.GeoDataFrame, spec: LayerSpec, path: Path, indent: int | None = None
) -> None:
    """Write a layer as CSV (as TSV to a ``.tsv`` path); ``indent`` is for JSON, unused."""
    to_text_table(frame, spec).to_csv(
        path, index=False, sep=_delimiter_of(path), lineterminator="\n"
    )
