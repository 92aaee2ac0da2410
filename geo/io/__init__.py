"""Read and write layers and datasets: CSV, Excel, GeoJSON, GeoPackage, GeoParquet, shapefiles.

One public reader and writer per granularity (:func:`read_layer`, :func:`read_dataset`,
:func:`write_layer`, :func:`write_dataset`); the format-specific work is in private helpers.
Everything read is validated (see :mod:`geo.validation`); everything written is written to a
temporary file beside the target and moved into place, so a failed write never leaves a
half-written file where the user's file was.

Every file read is treated as hostile: nothing in it is evaluated or unpickled (Excel
formulas are read as the values the workbook saved), text is decoded strictly, and zip
archives (``.xlsx`` workbooks, zipped shapefiles) are checked before anything in them is
inflated (see :mod:`geo.archives`).  A file that cannot be read at all is one
:class:`~geo.problems.DataError`; a bad record is a :class:`~geo.problems.Problem`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import itertools
import json
import math
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import charset_normalizer
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pyogrio.errors
import pyogrio.raw
import pyproj.exceptions
import shapely
import shapely.geometry
from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.cell.cell import TYPE_ERROR, TYPE_NUMERIC
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from pandas.io.parsers import TextParser

from geo.archives import MB, extract_members, megabytes_text, member_path, zip_members
from geo.dataset import Dataset
from geo.dates import MIXED, read_date_column
from geo.layouts import detect_layout
from geo.mapping import ColumnMapping
from geo.parsing import decode_json_list, neutralise_formula
from geo.placement import place_by_name
from geo.problems import DataError, LayerReport, LoadReport, Problem, encoding_label
from geo.raw import RawTable
from geo.schema import (
    CRS,
    DATASET_LAYERS,
    LAYER_SPECS,
    OUR_LAYOUT,
    Column,
    FieldType,
    Layer,
    LayerSpec,
)
from geo.validation import match_columns, validate_table

CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
EXCEL_SUFFIXES = {".xlsx"}
GEOJSON_SUFFIXES = {".geojson", ".json"}
GPKG_SUFFIXES = {".gpkg"}
PARQUET_SUFFIXES = {".parquet", ".geoparquet"}
ZIP_SUFFIXES = {".zip"}
#: Formats refused outright, with what they are: old binary workbooks, and workbooks that
#: can carry macros.
REFUSED_SUFFIXES = {
    ".xls": "a legacy Excel workbook (.xls)",
    ".xlsb": "a binary Excel workbook (.xlsb)",
    ".xlsm": "a macro-enabled Excel workbook (.xlsm)",
    ".xltm": "a macro-enabled Excel template (.xltm)",
    ".ods": "an OpenDocument spreadsheet (.ods)",
}
#: Python pickles: loading one runs whatever code it names, so one is never opened.
PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib"}
_READABLE = ".csv, .tsv, .xlsx, .geojson, .json, .gpkg, .parquet or .zip (a zipped shapefile)"
_JSON_TYPES = {FieldType.SOURCES, FieldType.PERIODS, FieldType.PEOPLE_MOVED}


# --- reading --------------------------------------------------------------------------


def read_layer(
    path: str | Path,
    layer: Layer | str | None = None,
    *,
    mapping: ColumnMapping | None = None,
    limits: UploadLimits | None = None,
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Read and validate one layer from a file.

    Parameters
    ----------
    path
        A CSV or TSV (point layers: ``latitude``/``longitude`` columns; other layers: a WKT
        ``geometry`` column), an Excel ``.xlsx`` workbook (laid out as the CSV), a GeoJSON
        FeatureCollection, a GeoPackage, a GeoParquet file, or a ``.zip`` holding one
        shapefile (or one of the other files).
    layer
        Which layer the file holds; by default taken from the file name (``zones.csv``), a
        GeoJSON ``layer`` property, a GeoPackage layer or workbook sheet name, a
        shapefile's geometry type, or else ``events``.
    mapping
        For an events table in a layout the atlas does not know: which of its columns
        holds which of ours (see :mod:`geo.mapping`).
    limits
        What the file may make the reader do (an upload's, see :class:`UploadLimits`);
        None reads it whole.

    Events with a place name and no coordinates are placed offline (see
    :mod:`geo.placement`).

    Returns
    -------
    The valid rows (EPSG:4326, the layer's columns in schema order) and a report of the
    rejected ones.

    Raises
    ------
    DataError
        When the file cannot be read at all.
    """
    path = Path(path)
    wanted = Layer(layer) if layer is not None else None
    tables = _read_raw(path, wanted, limits)
    if wanted is None:
        wanted = Layer.EVENTS if Layer.EVENTS in tables or len(tables) != 1 else next(iter(tables))
    if wanted not in tables:
        found = ", ".join(str(k) for k in tables) or "none"
        raise DataError(path, f"holds no {wanted} layer (layers found: {found})")
    _check_rows(path, len(tables[wanted].cells), limits)
    return _validate(tables[wanted], wanted, mapping, limits)


def read_dataset(
    path: str | Path,
    *,
    mapping: ColumnMapping | None = None,
    limits: UploadLimits | None = None,
) -> tuple[Dataset, LoadReport]:
    """Read and validate every layer of a dataset.

    ``path`` is a folder (``events.csv``, ``places.geojson``, ``zones.gpkg`` ...: one file
    per layer, named after it), a GeoPackage with a table per layer, a GeoJSON
    FeatureCollection whose features carry a ``layer`` property, an Excel workbook with a
    sheet per layer, a zip of layer files, or any single-layer file (taken as events unless
    its name or content says otherwise).  Layers not found are empty.  All geometry is
    EPSG:4326.  ``mapping``, ``limits`` and placing by name work as in :func:`read_layer`;
    the row limit counts every layer together.
    """
    path = Path(path)
    tables: list[tuple[Layer, RawTable]] = []
    if path.is_dir():
        for layer, file in _layer_files(path).items():
            tables.append((layer, _read_raw(file, layer, limits)[layer]))
        if not tables:
            raise DataError(
                path,
                "holds no layer files: expected events, places, zones or routes "
                "(.csv, .xlsx, .geojson, .gpkg or .parquet)",
            )
    else:
        tables = [
            (layer, table)
            for layer, table in _read_raw(path, None, limits).items()
            if layer in DATASET_LAYERS
        ]
    rows = sum(len(table.cells) for _, table in tables)
    held = f"holds {rows:,} rows" + (" in its layers" if len(tables) > 1 else "")
    _check_rows(path, rows, limits, held=held)
    report = LoadReport()
    frames: dict[Layer, gpd.GeoDataFrame] = {}
    for layer, table in tables:
        frame, layer_report = _validate(table, layer, mapping, limits)
        frames[layer] = frame
        report.layers.append(layer_report)
    return Dataset.from_layers(frames, name=path.stem, source=str(path)), report


def read_headers(path: str | Path, *, limits: UploadLimits | None = None) -> list[str]:
    """The column headers of a file's events table (``geometry`` too, where it has shapes).

    Known layouts (ACLED, UCDP GED) come back as our columns: they need no mapping.
    ``limits`` bound the reading as in :func:`read_layer`.

    Raises
    ------
    DataError
        When the file cannot be read at all, or passes a limit.
    """
    tables = _read_raw(Path(path), None, limits)
    table = tables.get(Layer.EVENTS) or next(iter(tables.values()))
    headers = [str(c) for c in table.cells.columns]
    if table.geometry is not None:
        headers.append(Column.GEOMETRY.value)
    return headers


def _validate(
    table: RawTable,
    layer: Layer,
    mapping: ColumnMapping | None,
    limits: UploadLimits | None = None,
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Validate one raw table; an events table is mapped and placed by name first.

    With ``limits``, a shape over the vertex or hole limit rejects its row before anything
    looks at it.
    """
    notes: list[str] = []
    geocoded = 0
    if limits is not None and table.geometry is not None:
        table = _bounded_shapes(table, layer, limits)
    if layer is Layer.EVENTS:
        if mapping is not None:
            table, notes = _mapped(table, mapping)
        elif table.layout == OUR_LAYOUT:
            table, notes = _date_forms(table)
        table, geocoded = place_by_name(table)
    frame, report = validate_table(table, LAYER_SPECS[layer])
    report.geocoded, report.notes = geocoded, notes
    return frame, report


def _date_forms(table: RawTable) -> tuple[RawTable, list[str]]:
    """Our layout's event dates in the forms spreadsheets write them, read as YYYY-MM-DD.

    15/12/2016, 15 December 2016, Excel serials...: see :mod:`geo.dates`; an ambiguous
    order (03/04/2016) is read day first and noted.  Typed dates (Parquet) are left alone.
    """
    matched, _ = match_columns(table.cells.columns, LAYER_SPECS[Layer.EVENTS])
    cells, notes = table.cells, []
    for header, column in matched.items():
        values = cells[header]
        if column not in (Column.DATE_START, Column.DATE_END) or values.dtype.kind == "M":
            continue
        read, form = read_date_column(values, column=str(header))
        if form.ambiguous or form.name == MIXED:
            notes.append(form.note)
        if cells is table.cells:
            cells = cells.copy()
        cells[header] = read
    return (table if cells is table.cells else replace(table, cells=cells)), notes


def _mapped(table: RawTable, mapping: ColumnMapping) -> tuple[RawTable, list[str]]:
    """A table in an unknown layout through its mapping (a known layout needs none)."""
    if table.layout != OUR_LAYOUT:
        return table, [f"recognised as the {table.layout} layout: the mapping was not used"]
    cells, notes = mapping.apply(table.cells, path=table.path)
    positioned = {Column.LATITUDE.value, Column.LONGITUDE.value} & set(mapping.columns)
    # shapes (GeoJSON, shapefile) place rows unless the mapping names coordinate columns
    geometry = None if positioned else table.geometry
    return replace(table, cells=cells, geometry=geometry, layout="mapped"), notes


def _layer_files(folder: Path) -> dict[Layer, Path]:
    found: dict[Layer, Path] = {}
    suffixes = [
        *CSV_SUFFIXES,
        *EXCEL_SUFFIXES,
        *GEOJSON_SUFFIXES,
        *GPKG_SUFFIXES,
        *PARQUET_SUFFIXES,
    ]
    for layer in DATASET_LAYERS:
        candidates = [folder / f"{layer}{suffix}" for suffix in suffixes]
        existing = [c for c in candidates if c.is_file()]
        if len(existing) > 1:
            names = ", ".join(c.name for c in existing)
            raise DataError(folder, f"has more than one {layer} file ({names}): keep one")
        if existing:
            found[layer] = existing[0]
    return found


def _read_raw(
    path: Path, layer: Layer | None, limits: UploadLimits | None = None
) -> dict[Layer, RawTable]:
    """A file's tables, as read (before validation), by the layer each holds."""
    if not path.exists():
        raise DataError(path, "no such file")
    if path.is_dir():
        raise DataError(path, "is a folder; give a file, or use it as a dataset")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        target = layer or _layer_from_name(path) or Layer.EVENTS
        spec, sep = LAYER_SPECS[target], CSV_SUFFIXES[suffix]
        return {target: _as_ours(_read_csv(path, spec, sep, limits))}
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, layer, limits)
    if suffix in GEOJSON_SUFFIXES:
        return _read_geojson(path, layer, limits)
    if suffix in GPKG_SUFFIXES:
        return _read_gpkg(path, layer, limits)
    if suffix in PARQUET_SUFFIXES:
        target = layer or _layer_from_name(path) or Layer.EVENTS
        return {target: _as_ours(_read_parquet(path, LAYER_SPECS[target], limits))}
    if suffix in ZIP_SUFFIXES:
        return _read_zip(path, layer, limits)
    if suffix in REFUSED_SUFFIXES:
        raise DataError(
            path,
            f"is {REFUSED_SUFFIXES[suffix]}, which is not read: save it as an Excel "
            "Workbook (.xlsx) or as CSV UTF-8",
        )
    if suffix in PICKLE_SUFFIXES:
        raise DataError(
            path,
            "is a Python pickle, which is never opened (loading one can run any code): "
            "save the table as CSV, GeoPackage or GeoParquet",
        )
    raise DataError(path, f"unknown file type {suffix or '(none)'}: expected {_READABLE}")


def _as_ours(table: RawTable) -> RawTable:
    """An events table in a known layout (ACLED, ...) mapped onto our columns."""
    layout = detect_layout(table.cells.columns)
    if layout is None:
        return table
    cells = layout.to_ours(table.cells)
    # a point's position comes from the layout's own latitude/longitude columns
    return replace(table, cells=cells, geometry=None, layout=layout.name)


def _layer_from_name(path: Path) -> Layer | None:
    stem = path.stem.lower()
    return next((layer for layer in Layer if stem == layer.value), None)


# --- upload limits --------------------------------------------------------------------
#
# One server process serves every viewer, so what one upload may make it do is bounded.
# Each limit has a default here and an environment variable that changes it, read when an
# upload arrives (see :meth:`UploadLimits.from_env`).  The readers take the limits as
# ``limits=``; without them (the command line, and ``--data``) a file is read whole: the
# user named it on their own machine.

#: The largest file the app accepts, in MB (2**20 bytes, as Streamlit counts its
#: ``server.maxUploadSize``).
MAX_UPLOAD_MB = 200
#: The most rows one upload may hold, all its layers together.  A sheet's rows are counted
#: as Excel numbers them (blank rows between records included), a GeoJSON's features.
MAX_UPLOAD_ROWS = 250_000
#: The most cells (rows × columns, blank ones included) a workbook's sheets may hold, and
#: a sheet may span.  openpyxl reads about 50,000 cells a second, holding the interpreter
#: every viewer shares: this is some two seconds of it (four for a sheet that does not
#: state its size, which openpyxl reads twice).
MAX_UPLOAD_CELLS = 100_000
#: The most MB of a workbook's parts other than its sheets (its shared strings, the text
#: of its cells, above all): openpyxl parses them whole before reading a single cell.
MAX_SHARED_STRINGS_MB = 8
#: The most vertices one shape may have (the story's most detailed zone has 413, the
#: basemap's most detailed outline 1,482): validating a shape grows faster than its size.
MAX_GEOMETRY_VERTICES = 100_000
#: The most holes (interior rings, all parts together) one shape may have.
MAX_GEOMETRY_HOLES = 1_000
#: The most MB the uploads open in all sessions of one server may hold together.
UPLOAD_MEMORY_MB = 1_024
#: The XML a workbook's sheets may take per cell of :data:`MAX_UPLOAD_CELLS`, in bytes.  A
#: cell takes 20 to 40 (``<c r="B2" t="s"><v>7</v></c>``), or its text more where it is
#: inlined (openpyxl and pandas write text so): the story's events take 100 a cell.
SHEET_XML_BYTES_PER_CELL = 256
#: The variable of the upload size limit (the first limit the app had).
UPLOAD_LIMIT_VARIABLE = "ATLAS_MAX_UPLOAD_MB"

#: Each limit's field: its environment variable, and what its number counts.
_LIMIT_VARIABLES = {
    "upload_mb": (UPLOAD_LIMIT_VARIABLE, "megabytes"),
    "rows": ("ATLAS_MAX_UPLOAD_ROWS", "rows"),
    "cells": ("ATLAS_MAX_UPLOAD_CELLS", "cells"),
    "shared_strings_mb": ("ATLAS_MAX_SHARED_STRINGS_MB", "megabytes"),
    "vertices": ("ATLAS_MAX_GEOMETRY_VERTICES", "vertices"),
    "holes": ("ATLAS_MAX_GEOMETRY_HOLES", "holes"),
    "memory_mb": ("ATLAS_UPLOAD_MEMORY_MB", "megabytes"),
}


@dataclass(frozen=True)
class UploadLimits:
    """What one upload may make the server do (see the constants above for each default).

    ``upload_mb`` bounds the file, ``rows`` every layer together, ``cells`` and
    ``shared_strings_mb`` a workbook, ``vertices`` and ``holes`` each shape (a shape over
    either rejects its row), and ``memory_mb`` the memory all open uploads of the server
    hold together (checked by :mod:`geo.uploads`).
    """

    upload_mb: float = MAX_UPLOAD_MB
    rows: int = MAX_UPLOAD_ROWS
    cells: int = MAX_UPLOAD_CELLS
    shared_strings_mb: float = MAX_SHARED_STRINGS_MB
    vertices: int = MAX_GEOMETRY_VERTICES
    holes: int = MAX_GEOMETRY_HOLES
    memory_mb: float = UPLOAD_MEMORY_MB

    @staticmethod
    def variables() -> dict[str, str]:
        """Each limit's field name and the environment variable that sets it."""
        return {name: variable for name, (variable, _) in _LIMIT_VARIABLES.items()}

    @classmethod
    def from_env(cls) -> UploadLimits:
        """The limits the environment sets (``ATLAS_MAX_UPLOAD_ROWS=500000``...), or defaults.

        Raises
        ------
        ValueError
            When a variable is set to anything but a positive number, naming it.
        """
        return cls(**{name: _limit_from_env(name) for name in _LIMIT_VARIABLES})

    def hint(self, name: str) -> str:
        """How to raise one limit: ``set ATLAS_MAX_UPLOAD_ROWS to raise it``."""
        return f"set {_LIMIT_VARIABLES[name][0]} to raise it"


def _limit_from_env(name: str) -> float:
    """One limit from its environment variable, else its default."""
    variable, unit = _LIMIT_VARIABLES[name]
    default = getattr(UploadLimits, name)
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    whole = not name.endswith("_mb")
    if not (math.isfinite(value) and value > 0 and (not whole or value >= 1)):
        raise ValueError(f"{variable} must be a positive number of {unit}, got {text!r}")
    return int(value) if whole else value


def upload_limit_mb() -> float:
    """The upload limit in MB: ``ATLAS_MAX_UPLOAD_MB`` when set, else :data:`MAX_UPLOAD_MB`.

    Raises
    ------
    ValueError
        When the variable is set to anything but a positive number.
    """
    return _limit_from_env("upload_mb")


def check_upload_size(size: int | str | Path, name: str, *, limit_mb: float | None = None) -> None:
    """Refuse an upload larger than the limit, before anything reads it.

    Parameters
    ----------
    size
        The upload's size in bytes, or the path of the file holding it.
    name
        The file's name as the user knows it, for the message.
    limit_mb
        The limit in MB; by default :func:`upload_limit_mb`.

    Raises
    ------
    DataError
        When the upload is larger than the limit.
    """
    size_bytes = size if isinstance(size, int) else Path(size).stat().st_size
    limit = upload_limit_mb() if limit_mb is None else limit_mb
    if size_bytes > limit * (1 << 20):
        raise DataError(
            name,
            f"is {megabytes_text(size_bytes)} MB: the limit is {limit:,g} MB "
            f"(set {UPLOAD_LIMIT_VARIABLE} to raise it)",
        )


def _check_rows(
    path: str | Path, count: int, limits: UploadLimits | None, *, held: str | None = None
) -> None:
    """Refuse a table of more rows than the limit (``held`` says how, by default exactly)."""
    if limits is not None and count > limits.rows:
        held = held or f"holds {count:,} rows"
        raise DataError(
            path,
            f"{held}: the limit is {limits.rows:,} rows per upload ({limits.hint('rows')})",
        )


def shape_sizes(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each shape's vertices and holes.

    Parameters
    ----------
    geometries
        Shapely geometries (None where there is none).

    Returns
    -------
    The vertices (a ring's closing point repeats its first and is not counted) and the
    holes (the interior rings of every polygon of a shape, however its collections nest)
    of each, 0 and 0 for None or an empty shape.
    """
    n = len(geometries)
    coordinates = shapely.get_num_coordinates(geometries).astype(np.int64)
    parts, owner = shapely.get_parts(geometries, return_index=True)
    multi = (4, 5, 6, 7)  # MultiPoint, MultiLineString, MultiPolygon, GeometryCollection
    while len(parts) and np.isin(shapely.get_type_id(parts), multi).any():
        parts, inner = shapely.get_parts(parts, return_index=True)
        owner = owner[inner]
    polygon = shapely.get_type_id(parts) == 3
    interior = np.where(polygon, shapely.get_num_interior_rings(parts), 0)
    holes = np.bincount(owner, weights=interior, minlength=n).astype(np.int64)
    rings = np.bincount(owner, weights=np.where(polygon, interior + 1, 0), minlength=n)
    return np.maximum(coordinates - rings.astype(np.int64), 0), holes


def _bounded_shapes(table: RawTable, layer: Layer, limits: UploadLimits) -> RawTable:
    """The table with each shape over the vertex or hole limit removed, and its row rejected.

    The shape is dropped before validation, whose checks of a shape grow faster than its
    size; the row's problem says which limit it passed.
    """
    geometry = table.geometry
    vertices, holes = shape_sizes(geometry.to_numpy())
    too_detailed, too_holed = vertices > limits.vertices, holes > limits.holes
    over = too_detailed | too_holed
    if not over.any():
        return table
    problems = []
    for i in np.flatnonzero(over):
        if too_detailed[i]:
            message = (
                f"has {vertices[i]:,} vertices: the limit is {limits.vertices:,} per geometry "
                f"({limits.hint('vertices')})"
            )
        else:
            message = (
                f"has {holes[i]:,} holes: the limit is {limits.holes:,} per geometry "
                f"({limits.hint('holes')})"
            )
        row = int(geometry.index[i]) + table.first_row
        problems.append(
            Problem(table.path, row, Column.GEOMETRY, message, str(layer), table.record_label)
        )
    kept = geometry.to_numpy().copy()
    kept[over] = None
    bounded = pd.Series(kept, index=geometry.index, dtype=object)
    return replace(table, geometry=bounded, problems=table.problems + tuple(problems))


# --- text: encodings, delimiters, CSV -------------------------------------------------

_SNIFF_BYTES = 64 * 1024
_CHUNK_BYTES = 1 << 20

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

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def _file_kind(head: bytes) -> str | None:
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
        while chunk := f.read(_CHUNK_BYTES):
            if not chunk.isascii():
                first = next(i for i, b in enumerate(chunk) if b >= 0x80)
                # everything before it is ASCII, so the sample starts on a character
                f.seek(max(offset + first - 1024, 0))
                return f.read(_SNIFF_BYTES)
            offset += len(chunk)
    return b""


def _single_byte_encoding(raw: bytes) -> str | None:
    """``cp1256`` (Arabic), ``cp1252`` (Western European) or ``cp1254`` (Turkish), or None.

    In Arabic text the non-ASCII bytes make whole words; in a Latin script they are letters
    inside words of ASCII letters (``Café``).  General detectors, given a short sample,
    mistake one for the other: ``Saint-Étienne`` alone reads as Arabic to them.
    """
    high = [i for i, b in enumerate(raw) if b >= 0x80]
    if not high:
        return None
    in_words = [i for i in high if _ascii_letter_at(raw, i - 1) or _ascii_letter_at(raw, i + 1)]
    if 2 * len(in_words) < len(high):
        return "cp1256" if _looks_arabic(raw, "cp1256") else None
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return None
    # inside a word, a Western European byte is a letter (Polish Ł would be £ here)
    if not all(text[i].isalpha() for i in in_words):
        return None
    return "cp1254" if not _TURKISH_AS_1252.isdisjoint(text) else "cp1252"


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
            chunk = f.read(_CHUNK_BYTES)
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


def _read_csv(
    path: Path, spec: LayerSpec, sep: str, limits: UploadLimits | None = None
) -> RawTable:
    with open(path, "rb") as f:
        kind = _file_kind(f.read(32))
    if kind is not None:
        raise DataError(path, f"is {kind}, not CSV text")
    encoding = text_encoding(path)
    sep = csv_delimiter(_check_text(path, encoding), sep)
    cells, problems = _csv_cells(path, encoding, sep, spec, limits)
    table = RawTable(str(path), cells, problems=problems, encoding=encoding, delimiter=sep)
    return table if spec.point_columns else _with_wkt_geometry(table, spec)


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
    _check_rows(path, len(cells), limits, held=f"holds more than {len(cells) - 1:,} rows")
    return _without_blank_rows(cells, keep={p.row - 2 for p in problems}), problems


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
    columns = _unique_names([h or f"Unnamed: {i}" for i, h in enumerate(records[0] or [""])])
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


def _without_blank_rows(cells: pd.DataFrame, keep: set[int] = frozenset()) -> pd.DataFrame:
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


def _with_wkt_geometry(table: RawTable, spec: LayerSpec) -> RawTable:
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


# --- Excel ----------------------------------------------------------------------------

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


def _read_excel(
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
        kind = _file_kind(head)
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
            while chunk := source.read(_CHUNK_BYTES):
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
    return {layer or _layer_from_name(path) or Layer.EVENTS: names[0]}, False


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
    table = RawTable(str(path), _without_blank_rows(body), None, "line", 1)
    table = _as_ours(table)
    return table if spec.point_columns else _with_wkt_geometry(table, spec)


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
    _check_rows(path, height - 1, limits, held=held)


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
    return _unique_names(
        [
            f"(column {get_column_letter(i + 1)})" if pd.isna(value) else str(value)
            for i, value in enumerate(values)
        ]
    )


def _unique_names(names: list[str]) -> list[str]:
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


# --- zip archives: shapefiles ---------------------------------------------------------

_TABLE_SUFFIXES = {
    *CSV_SUFFIXES,
    *EXCEL_SUFFIXES,
    *GEOJSON_SUFFIXES,
    *GPKG_SUFFIXES,
    *PARQUET_SUFFIXES,
}
#: A shapefile's files that are read; without the first two it cannot be read at all.
_SHAPEFILE_NEEDS = (".shx", ".dbf")
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _read_zip(
    path: Path, layer: Layer | None, limits: UploadLimits | None = None
) -> dict[Layer, RawTable]:
    """A zip holding one shapefile, one table, or one file per layer named after it.

    Only the files read are extracted, into a temporary folder removed afterwards; their
    problems name them inside the archive (``upload.zip/roads.shp``).  ``limits`` apply
    to the files inside as to the files themselves.
    """
    members = [m for m in zip_members(path) if not m.is_dir() and not _is_clutter(m)]
    shapefiles = [m for m in members if _suffix(m) == ".shp"]
    tables = [m for m in members if _suffix(m) in _TABLE_SUFFIXES]
    if len(shapefiles) > 1:
        raise DataError(
            path,
            f"holds {len(shapefiles)} shapefiles ({_names(shapefiles)}): "
            "zip one shapefile per archive",
        )
    if shapefiles:
        parts = _shapefile_parts(path, shapefiles[0], members)
        return _read_extracted(
            path, parts, [shapefiles[0]], lambda p: _read_shapefile(p, layer, limits)
        )
    if not tables:
        raise DataError(
            path,
            "holds no shapefile (.shp) and no table (.csv, .xlsx, .geojson, .gpkg, .parquet)"
            f": it holds {_names(members) or 'nothing'}",
        )
    if len(tables) == 1:
        return _read_extracted(path, tables, tables, lambda p: _read_raw(p, layer, limits))
    layers = [_layer_from_name(Path(m.filename)) for m in tables]
    if None in layers or len(set(layers)) < len(layers):
        raise DataError(
            path,
            f"holds {len(tables)} tables ({_names(tables)}): zip one table, or one file per "
            "layer named after it (events.csv, zones.geojson ...)",
        )
    wanted = [m for m, x in zip(tables, layers, strict=True) if layer is None or x == layer]
    return _read_extracted(
        path, wanted, wanted, lambda p: _read_raw(p, _layer_from_name(p), limits)
    )


def _read_extracted(
    path: Path,
    extract: list[zipfile.ZipInfo],
    read: list[zipfile.ZipInfo],
    reader: Callable[[Path], dict[Layer, RawTable]],
) -> dict[Layer, RawTable]:
    """Extract members, read some of them, and name what was read by its place in the zip."""
    tables: dict[Layer, RawTable] = {}
    with tempfile.TemporaryDirectory(prefix="atlas-zip-") as tmp:
        folder = Path(tmp)
        extract_members(path, extract, folder)
        for member in read:
            inside = member_path(member)
            shown = f"{path}/{inside}"
            extracted = folder.joinpath(*inside.parts)
            try:
                found = reader(extracted)
            except DataError as exc:
                # a message quoting the file (GDAL's do) names it inside the archive, never
                # by the temporary folder it was extracted to
                reason = exc.reason.replace(str(extracted), shown).replace(str(folder), str(path))
                raise DataError(shown, reason) from exc
            for layer, table in found.items():
                tables[layer] = replace(
                    table,
                    path=shown,
                    problems=tuple(replace(p, path=shown) for p in table.problems),
                )
    return tables


def _shapefile_parts(
    path: Path, shapefile: zipfile.ZipInfo, members: list[zipfile.ZipInfo]
) -> list[zipfile.ZipInfo]:
    stem = member_path(shapefile).with_suffix("").as_posix().lower()
    parts = {
        _suffix(m): m
        for m in members
        if _suffix(m) in _SHAPEFILE_PARTS
        and member_path(m).with_suffix("").as_posix().lower() == stem
    }
    missing = [s for s in _SHAPEFILE_NEEDS if s not in parts]
    if missing:
        name = member_path(shapefile).with_suffix("").name
        raise DataError(
            path,
            f"holds the shapefile {member_path(shapefile)} without its "
            f"{' and '.join(name + s for s in missing)}: zip the .shp together with its "
            ".shx, .dbf and .prj files",
        )
    return list(parts.values())


def _read_shapefile(
    path: Path, layer: Layer | None, limits: UploadLimits | None = None
) -> dict[Layer, RawTable]:
    """A shapefile's features, in EPSG:4326, as the layer its name or geometry says.

    Each shape is parsed on its own, so that a damaged one rejects its row, not the file.
    With ``limits``, the features are counted from the file's header before any is read.
    """
    for prj in path.parent.iterdir():
        if prj.stem != path.stem or prj.suffix.lower() != ".prj":
            continue
        try:
            prj.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            # pyogrio fails on such a file with an error of its own making (0.13)
            raise DataError(
                path, f"has a .prj file that is not text ({exc.reason}): zip a readable one"
            ) from exc
    try:
        if limits is not None:
            _check_rows(path, int(pyogrio.read_info(path)["features"]), limits)
        cells = pyogrio.read_dataframe(path, read_geometry=False)
        meta, _, shapes, _ = pyogrio.raw.read(path, columns=[])
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataError(path, f"is not a readable shapefile: {exc}") from exc
    except UnicodeDecodeError as exc:
        # GDAL decodes names and text as the .cpg file (or the .dbf's header) says
        raise DataError(
            path,
            f"holds text not in the encoding it declares ({exc.encoding}: {exc.reason}): "
            "save the shapefile with UTF-8 text",
        ) from exc
    if shapes is None:
        shapes = np.full(len(cells), None, dtype=object)
    geoms = shapely.from_wkb(shapes, on_invalid="ignore")
    frame = gpd.GeoDataFrame(cells, geometry=geoms, crs=meta["crs"])
    if frame.crs is None and len(frame):
        x0, y0, x1, y1 = bounds = frame.total_bounds
        # without any geometry there is nothing to place: validation rejects each row
        fits = -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
        if np.isfinite(bounds).all() and not fits:
            x, y = f"{_number(x0)} to {_number(x1)}", f"{_number(y0)} to {_number(y1)}"
            raise DataError(
                path,
                f"has no .prj file (its coordinate system), and its coordinates "
                f"(x {x}, y {y}) are not longitude and latitude: zip the shapefile's .prj "
                "with it",
            )
        frame = frame.set_crs(CRS)
    target = layer or _layer_from_name(path) or _layer_from_geometry(frame)
    table = _table_from_frame(path, frame)
    damaged = np.flatnonzero(pd.notna(shapes) & pd.isna(geoms))
    problems = tuple(
        Problem(str(path), int(i) + 1, Column.GEOMETRY, _DAMAGED_SHAPE, str(target), "row")
        for i in damaged
    )
    cells = _untruncated(table.cells, LAYER_SPECS[target])
    return {target: _as_ours(replace(table, cells=cells, problems=problems))}


_DAMAGED_SHAPE = "not a readable shape (the .shp file is damaged here)"


def _number(value: float) -> str:
    """A coordinate for a message: grouped, at most two decimals (``4,007,631.1``)."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _layer_from_geometry(frame: gpd.GeoDataFrame) -> Layer:
    """Zones for polygons, routes for lines, else events."""
    types = set(frame.geom_type.dropna())
    if types and types <= {"Polygon", "MultiPolygon"}:
        return Layer.ZONES
    if types and types <= {"LineString", "MultiLineString"}:
        return Layer.ROUTES
    return Layer.EVENTS


def _untruncated(cells: pd.DataFrame, spec: LayerSpec) -> pd.DataFrame:
    """Our column names that a shapefile cut to ten characters (``date_preci``), restored."""
    ours = [c.value for c in spec.columns]
    renames = {}
    for header in cells.columns:
        name = str(header).strip().lower()
        if len(name) == 10 and name not in ours:
            matches = [c for c in ours if c.startswith(name)]
            if len(matches) == 1:
                renames[header] = matches[0]
    return cells.rename(columns=renames)


def _suffix(member: zipfile.ZipInfo) -> str:
    return member_path(member).suffix.lower()


def _is_clutter(member: zipfile.ZipInfo) -> bool:
    """Files that archivers and file browsers add (``__MACOSX/``, ``.DS_Store``)."""
    inside = member_path(member)
    return (
        "__MACOSX" in inside.parts
        or inside.name.startswith(".")
        or inside.name
        in {
            "Thumbs.db",
            "desktop.ini",
        }
    )


def _names(members: list[zipfile.ZipInfo], most: int = 10) -> str:
    names = [str(member_path(m)) for m in members]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


# --- GeoJSON, GeoPackage, Parquet -----------------------------------------------------


def _json_int(text: str) -> int | float:
    """A JSON integer; one too long for Python to read as int becomes a float (inf)."""
    return int(text) if len(text) <= 300 else float(text)


def _read_geojson(
    path: Path, layer: Layer | None, limits: UploadLimits | None = None
) -> dict[Layer, RawTable]:
    """A GeoJSON FeatureCollection's features by layer (their ``layer`` property, or one).

    With ``limits``, the features are counted before any shape is made.
    """
    try:
        with open(path, encoding="utf-8-sig") as f:
            document = json.load(f, parse_int=_json_int)
    except UnicodeDecodeError as exc:
        raise DataError(path, "is not UTF-8 text: GeoJSON must be UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise DataError(
            path, f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise DataError(
            path, "is nested too deeply to be GeoJSON (lists within lists thousands deep)"
        ) from exc
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    if not (
        isinstance(document, dict)
        and document.get("type") == "FeatureCollection"
        and isinstance(document.get("features"), list)
    ):
        raise DataError(path, "is not a GeoJSON FeatureCollection")
    features = len(document["features"])
    _check_rows(path, features, limits, held=f"holds {features:,} features")
    records: dict[Layer, list[tuple[int, dict[str, Any], Any, Problem | None]]] = {}
    default = layer or _layer_from_name(path) or Layer.EVENTS
    layer_names = {x.value for x in Layer}
    for number, feature in enumerate(document["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        named = props.get(Column.LAYER)
        # a hostile "layer" may be a list or an object: only a layer's name names a layer
        target = Layer(named) if isinstance(named, str) and named in layer_names else default
        if layer is not None and named is not None and target != layer:
            continue
        geometry, problem = _geojson_geometry(feature, path, number, target)
        if named is not None and target.value != named:
            # an unknown layer is refused, never read as the default layer in silence
            shown = str(named) if len(str(named)) <= 80 else f"{str(named)[:80]}…"
            geometry, problem = (
                None,
                Problem(
                    str(path),
                    number,
                    Column.LAYER,
                    f"expected one of: {', '.join(x.value for x in DATASET_LAYERS)} "
                    f"(got {shown!r})",
                    str(target),
                    "feature",
                ),
            )
        records.setdefault(target, []).append((number, props, geometry, problem))
    if not records:
        records[default] = []
    tables = {}
    for target, rows in records.items():
        index = pd.Index([n - 1 for n, *_ in rows], dtype="int64")
        cells = pd.DataFrame.from_records([p for _, p, _, _ in rows], index=index)
        cells = cells.astype(object) if len(cells.columns) else cells
        geometry = pd.Series([g for *_, g, _ in rows], index=index, dtype=object)
        problems = tuple(p for *_, p in rows if p is not None)
        tables[target] = RawTable(str(path), cells, geometry, "feature", 1, problems)
    return tables


def _geojson_geometry(feature: Any, path: Path, number: int, layer: Layer):
    raw = feature.get("geometry") if isinstance(feature, dict) else None
    if raw is None:
        return None, None  # reported by validation as a required, empty geometry
    try:
        return shapely.geometry.shape(raw), None
    except Exception:
        message = "not a readable GeoJSON geometry (check its type and coordinates)"
        return None, Problem(str(path), number, Column.GEOMETRY, message, str(layer), "feature")


def _read_gpkg(
    path: Path, layer: Layer | None, limits: UploadLimits | None = None
) -> dict[Layer, RawTable]:
    """A GeoPackage's tables named after layers, or its only table as events.

    With ``limits``, the rows of the tables to read are counted before any is read.
    """
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise DataError(path, f"is not a readable GeoPackage: {exc}") from exc
    targets = [x for x in Layer if x.value in names and (layer is None or x == layer)]
    if layer is None and not targets and len(names) == 1:
        targets_named = {Layer.EVENTS: names[0]}
    else:
        targets_named = {x: x.value for x in targets}
    if limits is not None:
        try:
            counts = [
                int(pyogrio.read_info(path, layer=n)["features"]) for n in targets_named.values()
            ]
        except Exception as exc:
            raise DataError(path, f"is not a readable GeoPackage: {exc}") from exc
        rows = sum(counts)
        held = f"holds {rows:,} rows" + (" in its layers" if len(counts) > 1 else "")
        _check_rows(path, rows, limits, held=held)
    tables = {}
    for target, name in targets_named.items():
        try:
            frame = pyogrio.read_dataframe(path, layer=name)
        except Exception as exc:
            raise DataError(path, f"layer {name} is not readable: {exc}") from exc
        tables[target] = _table_from_frame(path, frame)
    return tables


def _read_parquet(path: Path, spec: LayerSpec, limits: UploadLimits | None = None) -> RawTable:
    """A Parquet or GeoParquet table (a known layout's columns alone).

    With ``limits``, the rows are counted from the file's footer before any is read.
    """
    try:
        columns = pq.read_schema(path).names
        rows = pq.read_metadata(path).num_rows if limits is not None else 0
    except Exception as exc:  # pyarrow raises many types on damage
        raise DataError(path, f"is not a readable Parquet file: {exc}") from exc
    _check_rows(path, rows, limits)
    layout = detect_layout(columns)
    if layout is not None:
        # a known layout places points by latitude/longitude: read just the columns it maps
        used = [c for c in layout.used if c in columns]
        repetitive = [c for c in layout.repetitive if c in used]
        try:
            # repetitive text arrives as categories straight from Parquet's dictionaries
            cells = pd.read_parquet(path, columns=used, read_dictionary=repetitive)
            return RawTable(str(path), cells, None, "row", 1)
        except Exception as exc:
            raise DataError(path, f"is not a readable Parquet file: {exc}") from exc
    try:
        frame = gpd.read_parquet(path)
    except ValueError:
        # a plain Parquet table without GeoParquet metadata: points from lat/lon columns
        try:
            return RawTable(str(path), pd.read_parquet(path), None, "row", 1)
        except Exception as exc:
            raise DataError(path, f"is not a readable Parquet file: {exc}") from exc
    except Exception as exc:
        raise DataError(path, f"is not a readable Parquet file: {exc}") from exc
    return _table_from_frame(path, frame)


def _table_from_frame(path: Path, frame: gpd.GeoDataFrame) -> RawTable:
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        if frame.crs is not None and not frame.crs.equals(CRS):
            try:
                frame = frame.to_crs(CRS)
            except (pyproj.exceptions.CRSError, pyproj.exceptions.ProjError) as exc:
                raise DataError(
                    path, f"cannot be reprojected to longitude and latitude ({CRS}): {exc}"
                ) from exc
        geometry = pd.Series(frame.geometry.to_numpy(), index=frame.index, dtype=object)
        cells = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    else:
        geometry, cells = None, pd.DataFrame(frame)
    return RawTable(str(path), cells.reset_index(drop=True), geometry, "row", 1)


# --- writing --------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # some writers (GDAL) refuse to write over an existing file
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_layer(
    frame: gpd.GeoDataFrame, path: str | Path, layer: Layer | str, *, indent: int | None = None
) -> Path:
    """Write one layer (EPSG:4326, the layer's columns) to CSV, GeoJSON, GeoPackage or Parquet.

    The format follows the suffix; ``indent`` pretty-prints GeoJSON.  Returns the path written.
    """
    path, spec = Path(path), LAYER_SPECS[Layer(layer)]
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix in CSV_SUFFIXES:
            to_text_table(frame, spec).to_csv(
                tmp, index=False, sep=CSV_SUFFIXES[suffix], lineterminator="\n"
            )
        elif suffix in GEOJSON_SUFFIXES:
            _write_json(tmp, feature_collection({spec.layer: frame}), indent=indent)
        elif suffix in GPKG_SUFFIXES:
            _write_gpkg_layer(frame, spec, tmp)
        elif suffix in PARQUET_SUFFIXES:
            _for_binary(frame, spec).to_parquet(tmp, index=False)
        else:
            raise DataError(path, f"cannot write {suffix or 'a file without suffix'}")
    return path


def write_dataset(dataset: Dataset, path: str | Path, *, indent: int | None = None) -> Path:
    """Write a dataset.

    ``.gpkg`` writes a table per non-empty layer; ``.geojson`` one FeatureCollection whose
    features carry a ``layer`` property; ``.csv`` and ``.parquet`` the events alone; a path
    without suffix a folder with one GeoJSON file per layer.  Returns the path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    layers = {layer: dataset.layer(layer) for layer in DATASET_LAYERS}
    if suffix in GPKG_SUFFIXES:
        with atomic_path(path) as tmp:
            for layer, frame in layers.items():
                if len(frame):
                    _write_gpkg_layer(frame, LAYER_SPECS[layer], tmp)
            if not tmp.exists():
                _write_gpkg_layer(layers[Layer.EVENTS], LAYER_SPECS[Layer.EVENTS], tmp)
        return path
    if suffix in GEOJSON_SUFFIXES:
        with atomic_path(path) as tmp:
            _write_json(tmp, feature_collection(layers, tag_layer=True), indent=indent)
        return path
    if suffix in CSV_SUFFIXES or suffix in PARQUET_SUFFIXES:
        return write_layer(dataset.events, path, Layer.EVENTS)
    if suffix:
        raise DataError(path, f"cannot write a dataset as {suffix}")
    path.mkdir(parents=True, exist_ok=True)
    for layer, frame in layers.items():
        with atomic_path(path / f"{layer}.geojson") as tmp:
            _write_json(tmp, feature_collection({layer: frame}), indent=indent)
    return path


def _write_json(path: Path, document: dict[str, Any], indent: int | None = None) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False, indent=indent, allow_nan=False)
        f.write("\n")


def _write_gpkg_layer(frame: gpd.GeoDataFrame, spec: LayerSpec, path: Path) -> None:
    # keep Polygon and MultiPolygon apart (GDAL would promote a mixed layer to Multi*)
    pyogrio.write_dataframe(
        _for_binary(frame, spec),
        path,
        layer=str(spec.layer),
        driver="GPKG",
        append=path.exists(),
        promote_to_multi=False,
        geometry_type="Unknown",
    )


def _for_binary(frame: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Dates as ISO text (every reader gets the same day back), categories as plain text."""
    out = frame[[*spec.columns, frame.geometry.name]].copy()
    for field in spec.fields:
        if field.type is FieldType.DATE:
            out[field.column] = _iso_dates(out[field.column])
        elif field.is_category:
            out[field.column] = out[field.column].astype("string")
    return out


def _iso_dates(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").astype("string")


#: Two events in the atlas's own layout, for the template a person fills in (our own words).
_TEMPLATE_EVENTS = (
    {
        Column.ID: "2016-12-13-ceasefire-announced",
        Column.DATE_START: "2016-12-13",
        Column.DATE_PRECISION: "day",
        Column.EVENT_TYPE: "Strategic developments",
        Column.SUB_EVENT_TYPE: "Agreement",
        Column.ACTOR1: "Russia",
        Column.ACTOR2: "Turkey",
        Column.PLACE_NAME: "Aleppo",
        Column.COUNTRY: "Syria",
        Column.LATITUDE: "36.2021",
        Column.LONGITUDE: "37.1343",
        Column.LOCATION_PRECISION: "locality",
        Column.ESTIMATE: "false",
        Column.DESCRIPTION: "A ceasefire for east Aleppo is announced (replace with your own).",
        Column.STATUS: "reported",
        Column.SOURCES: "Your newsroom log; https://example.org/your-story",
    },
    {
        Column.ID: "2016-12-15-first-convoy",
        Column.DATE_START: "2016-12-15",
        Column.DATE_END: "2016-12-16",
        Column.DATE_PRECISION: "days",
        Column.EVENT_TYPE: "Strategic developments",
        Column.ACTOR1: "ICRC",
        Column.PLACE_NAME: "Ramouseh",
        Column.LATITUDE: "36.17",
        Column.LONGITUDE: "37.13",
        Column.LOCATION_PRECISION: "near",
        Column.ESTIMATE: "true",
        Column.UNCERTAINTY_KM: "2",
        Column.FATALITIES: "",
        Column.DESCRIPTION: "A place without coordinates may give place_name and country alone.",
        Column.STATUS: "reported",
        Column.SOURCES: "Reuters",
    },
)


def template_events_csv() -> bytes:
    """A small CSV in the atlas's own events layout: every column, two example rows.

    >>> template_events_csv().decode().splitlines()[0].startswith("id,date_start,")
    True
    """
    columns = [c.value for c in LAYER_SPECS[Layer.EVENTS].columns if c != Column.GEOCODE]
    rows = [{c.value: v for c, v in row.items()} for row in _TEMPLATE_EVENTS]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    return frame.fillna("").to_csv(index=False).encode()


def to_text_table(frame: gpd.GeoDataFrame, spec: LayerSpec) -> pd.DataFrame:
    """The layer as text cells, as CSV holds it (non-point geometry as WKT)."""
    out = pd.DataFrame(index=frame.index)
    for field in spec.fields:
        values = frame[field.column]
        if field.type is FieldType.DATE:
            values = _iso_dates(values)
        elif field.type is FieldType.BOOLEAN:
            values = values.map({True: "true", False: "false"}, na_action="ignore")
        elif field.type is FieldType.TEXT:
            # a spreadsheet must never run a cell as a formula; the reader undoes this
            values = values.astype("string").map(neutralise_formula, na_action="ignore")
        out[field.column] = values
    if not spec.point_columns:
        out[Column.GEOMETRY] = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=-1)
    return out


def feature_collection(
    layers: dict[Layer, gpd.GeoDataFrame], *, tag_layer: bool = False
) -> dict[str, Any]:
    """Layers as one GeoJSON FeatureCollection (structured cells as nested JSON).

    With ``tag_layer`` every feature's properties start with ``"layer": <name>``.
    """
    features = []
    for layer, frame in layers.items():
        spec = LAYER_SPECS[Layer(layer)]
        columns = [c for c in spec.columns if not (spec.point_columns and c in _LAT_LON)]
        for props, geom in zip(
            _json_records(frame, spec, columns), frame.geometry.to_numpy(), strict=True
        ):
            if tag_layer:
                props = {Column.LAYER.value: str(layer), **props}
            features.append(
                {
                    "type": "Feature",
                    "properties": props,
                    "geometry": None if geom is None else shapely.geometry.mapping(geom),
                }
            )
    return {"type": "FeatureCollection", "features": features}


_LAT_LON = (Column.LATITUDE, Column.LONGITUDE)


def _json_records(frame: pd.DataFrame, spec: LayerSpec, columns: list[Column]):
    converters = {}
    for column in columns:
        field_type = spec.field(column).type
        if field_type is FieldType.DATE:
            converters[column] = _iso_dates(frame[column]).tolist()
        elif field_type in _JSON_TYPES:
            converters[column] = [decode_json_list(v) or None for v in frame[column]]
        else:
            converters[column] = [_plain(v) for v in frame[column]]
    for i in range(len(frame)):
        yield {str(c): _plain(converters[c][i]) for c in columns}


def _plain(value: Any) -> Any:
    """A JSON-ready Python value: NA becomes None, numpy scalars become Python ones."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value
