"""A file a user uploads, read as hostile: its size checked, its name never used as a path.

The app hands over the bytes and the name the browser gave; the bytes are written to a
fresh temporary folder under a fixed name carrying only the suffix (a name such as
``../../etc/passwd.csv`` or ``<script>.csv`` never becomes a path), read with the usual
readers, and the folder is removed.  Reports and errors then name the file as the user
knows it, never the temporary path.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from geo.dataset import Dataset
from geo.io import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    GEOJSON_SUFFIXES,
    GPKG_SUFFIXES,
    PARQUET_SUFFIXES,
    ZIP_SUFFIXES,
    check_upload_size,
    read_dataset,
    read_headers,
)
from geo.mapping import ColumnMapping
from geo.problems import DataError, LoadReport
from geo.schema import DATASET_LAYERS

#: The suffixes an upload may have.
UPLOAD_SUFFIXES = (
    *CSV_SUFFIXES,
    *EXCEL_SUFFIXES,
    *GEOJSON_SUFFIXES,
    *GPKG_SUFFIXES,
    *PARQUET_SUFFIXES,
    *ZIP_SUFFIXES,
)
_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}$")

T = TypeVar("T")


def _suffix(name: str) -> str:
    match = _SUFFIX.search(name.strip().lower())
    return match.group(0) if match else ""


@contextmanager
def _saved(name: str, data: bytes) -> Iterator[Path]:
    """The upload as a file in a temporary folder, removed afterwards."""
    check_upload_size(len(data), name)
    suffix = _suffix(name)
    if suffix not in UPLOAD_SUFFIXES:
        raise DataError(
            name,
            f"unknown file type {suffix or '(none)'}: expected one of {', '.join(UPLOAD_SUFFIXES)}",
        )
    # a layer's name (zones.csv) says which layer the file holds; any other name is unused
    stem = name.strip().lower()[: -len(suffix)].rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    base = stem if stem in {layer.value for layer in DATASET_LAYERS} else "upload"
    with tempfile.TemporaryDirectory(prefix="atlas-upload-") as folder:
        path = Path(folder) / f"{base}{suffix}"
        path.write_bytes(data)
        yield path


def _as_named(path: Path, name: str, work: Callable[[], T]) -> T:
    """Run ``work``; a DataError names ``name`` rather than the temporary path."""
    try:
        return work()
    except DataError as error:
        raise DataError(name, error.reason.replace(str(path), name)) from error


def upload_headers(name: str, data: bytes) -> list[str]:
    """The column headers of an uploaded file's events table (see ``geo.io.read_headers``).

    Raises
    ------
    DataError
        When the file is too large, of an unknown type, or cannot be read at all.
    """
    with _saved(name, data) as path:
        return _as_named(path, name, lambda: read_headers(path))


def read_upload(
    name: str, data: bytes, *, mapping: ColumnMapping | None = None
) -> tuple[Dataset, LoadReport]:
    """Read and validate an uploaded file as a dataset (EPSG:4326), named after the file.

    The report's rows name the file as ``name`` (its problems' paths too).

    Raises
    ------
    DataError
        When the file is too large, of an unknown type, or cannot be read at all.
    """
    with _saved(name, data) as path:
        dataset, report = _as_named(path, name, lambda: read_dataset(path, mapping=mapping))
    temporary = str(path)
    for layer in report.layers:
        layer.path = layer.path.replace(temporary, name)
        layer.problems = [replace(p, path=p.path.replace(temporary, name)) for p in layer.problems]
        layer.notes = [note.replace(temporary, name) for note in layer.notes]
    return replace(dataset, name=name, source=f"upload: {name}"), report
