"""The table of formats: each suffix the atlas reads or writes, and what reads and writes it.

:data:`FORMATS` holds one :class:`Format` per format family, in the order messages list
them.  Everything that depends on which formats exist is derived from it: which reader
:func:`read_raw` hands a file to, the writers :func:`~geo.io.write.write_layer` and
:func:`~geo.io.write.write_dataset` use, the layer files of a dataset folder or of a zip,
the "expected ..." messages, the suffixes an upload may have (:mod:`geo.uploads` and the
upload page), and the command line's help on what it writes.  Lookups read the table when
they are called, never at import, so a format registered later (a test's) is seen too.

Adding a format: a module with its reader (and writers, if the atlas writes it), and one
line in :data:`FORMATS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geo.io import zipped
from geo.io.excel import read_excel, write_excel
from geo.io.geojson import read_geojson, write_geojson, write_geojson_dataset
from geo.io.gpkg_parquet import (
    read_gpkg,
    read_parquet,
    write_gpkg,
    write_gpkg_dataset,
    write_parquet,
)
from geo.io.limits import UploadLimits
from geo.io.text import read_csv_file, write_csv
from geo.problems import DataError
from geo.raw import RawTable
from geo.schema import Layer, LayerSpec

#: Reads one file into its tables, by the layer each holds.  ``layer`` is the layer asked
#: for (None: whatever the file holds); ``limits`` bound an upload (None: read it whole).
Reader = Callable[[Path, Layer | None, UploadLimits | None], dict[Layer, RawTable]]
#: Writes one layer to a path with the format's suffix; the last argument is the ``indent``
#: that pretty-prints JSON (None: compact), which other formats ignore.
LayerWriter = Callable[[gpd.GeoDataFrame, LayerSpec, Path, int | None], None]
#: Writes every layer of a dataset into one file (arguments as for :data:`LayerWriter`).
DatasetWriter = Callable[[dict[Layer, gpd.GeoDataFrame], Path, int | None], None]


@dataclass(frozen=True)
class Format:
    """One format family: its suffixes, how messages name it, its reader and writers.

    Attributes
    ----------
    name
        A short name (``"csv"``).
    suffixes
        Lower case, with the dot; the first is the one that short lists of formats name.
    reader
        Reads a file of the format.
    writer
        Writes one layer; None where the atlas does not write the format.
    dataset_writer
        Writes every layer into one file; None where a dataset is written as its events
        alone (by ``writer``).
    label
        How "expected ..." messages name the format, when not by its suffixes
        (``.zip (a zipped shapefile)``); see :attr:`listed`.
    is_table
        A file of it holds its own tables, so it can be a layer's file in a dataset folder
        or a zip (a zip is not: it holds files).
    upload
        The app accepts it as an upload.
    """

    name: str
    suffixes: tuple[str, ...]
    reader: Reader
    writer: LayerWriter | None = None
    dataset_writer: DatasetWriter | None = None
    label: str = ""
    is_table: bool = True
    upload: bool = True

    @property
    def listed(self) -> str:
        """How messages name the format: its label, else its suffixes (``.csv, .tsv``)."""
        return self.label or ", ".join(self.suffixes)


def _read_zip(
    path: Path, layer: Layer | None, limits: UploadLimits | None
) -> dict[Layer, RawTable]:
    """A zip's files, read through this table (a zip holds files of the other formats)."""
    return zipped.read_zip(
        path,
        layer,
        limits,
        table_suffixes=table_suffixes(),
        table_kinds=table_kinds(),
        read_file=read_raw,
    )


#: Every format read, in the order messages list them: one line registers a format.
FORMATS: tuple[Format, ...] = (
    Format("csv", (".csv", ".tsv"), read_csv_file, write_csv),
    Format("excel", (".xlsx",), read_excel, write_excel),
    Format("geojson", (".geojson", ".json"), read_geojson, write_geojson, write_geojson_dataset),
    Format("gpkg", (".gpkg",), read_gpkg, write_gpkg, write_gpkg_dataset),
    Format("parquet", (".parquet", ".geoparquet"), read_parquet, write_parquet, label=".parquet"),
    Format("zip", (".zip",), _read_zip, label=".zip (a zipped shapefile)", is_table=False),
)

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


def format_of(suffix: str) -> Format | None:
    """The format a suffix (``.CSV`` or ``.csv``) names, or None."""
    suffix = suffix.lower()
    return next((f for f in FORMATS if suffix in f.suffixes), None)


def table_suffixes() -> list[str]:
    """Every suffix of a file that holds its own tables, in the table's order."""
    return [suffix for f in FORMATS if f.is_table for suffix in f.suffixes]


def table_kinds() -> list[str]:
    """One suffix per format of table files, as short lists name them (``.csv``, ``.xlsx``...)."""
    return [f.suffixes[0] for f in FORMATS if f.is_table]


def upload_suffixes() -> tuple[str, ...]:
    """The suffixes an upload may have, in the table's order."""
    return tuple(suffix for f in FORMATS if f.upload for suffix in f.suffixes)


def readable_formats() -> str:
    """Every format read, as messages list them (``.csv, .tsv, ... or .zip (...)``)."""
    return either([f.listed for f in FORMATS])


def dataset_outputs() -> str:
    """What a dataset may be written as, for help texts.

    >>> dataset_outputs()
    '.geojson or .gpkg (all layers), .csv, .xlsx or .parquet (events)'
    """
    whole = [f.suffixes[0] for f in FORMATS if f.dataset_writer is not None]
    events = [f.suffixes[0] for f in FORMATS if f.writer is not None and f.dataset_writer is None]
    return f"{either(whole)} (all layers), {either(events)} (events)"


def either(items: Sequence[str]) -> str:
    """Items listed as a choice: ``a, b or c``.

    >>> either([".csv", ".xlsx", ".gpkg"])
    '.csv, .xlsx or .gpkg'
    """
    return " or ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def read_raw(
    path: Path, layer: Layer | None, limits: UploadLimits | None = None
) -> dict[Layer, RawTable]:
    """A file's tables, as read (before validation), by the layer each holds.

    Raises
    ------
    DataError
        When the file is missing, a folder, or not of a format in :data:`FORMATS` (a
        refused one is named, with what to save it as instead).
    """
    if not path.exists():
        raise DataError(path, "no such file")
    if path.is_dir():
        raise DataError(path, "is a folder; give a file, or use it as a dataset")
    suffix = path.suffix.lower()
    found = format_of(suffix)
    if found is not None:
        return found.reader(path, layer, limits)
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
    raise DataError(path, f"unknown file type {suffix or '(none)'}: expected {readable_formats()}")
