"""A file a user uploads, read as hostile: its size checked, its name never used as a path.

The app hands over the bytes and the name the browser gave; the bytes are written to a
fresh temporary folder under a fixed name carrying only the suffix (a name such as
``../../etc/passwd.csv`` or ``<script>.csv`` never becomes a path), read with the usual
readers, and the folder is removed.  Reports and errors then name the file as the user
knows it, never the temporary path.

One server process serves every viewer, so an upload is read within limits (see
``geo.io.UploadLimits``: its size, rows, a workbook's cells and shared strings, the
vertices and holes of each shape), and the memory every session's uploads hold together
is counted by :class:`UploadMemory`: an upload that would take it past
``ATLAS_UPLOAD_MEMORY_MB`` is refused.  A dataset is counted until the last of its frames
is freed (its session ends, or it is closed).
"""

from __future__ import annotations

import gc
import re
import tempfile
import threading
import unicodedata
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import shapely

from geo import settings
from geo.archives import MB, megabytes_text
from geo.dataset import Dataset
from geo.io import (
    TablePreview,
    UploadLimits,
    check_upload_size,
    read_dataset,
    read_preview,
    upload_suffixes,
)
from geo.mapping import ColumnMapping
from geo.problems import DataError, LoadReport
from geo.schema import DATASET_LAYERS

_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}$")
#: Characters that change how the text around them shows (right-to-left overrides make
#: ``evil\u202ecsv.exe`` read as ``evilexe.csv``): refused in a name, like control characters.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: An upload held in memory costs about this many times its frames: it is combined with
#: the other open datasets into one copy for the map (see ``dashboard.cache.combined``).
HELD_COPIES = 2

T = TypeVar("T")


def _suffix(name: str) -> str:
    match = _SUFFIX.search(name.strip().lower())
    return match.group(0) if match else ""


def _control(character: str) -> bool:
    return unicodedata.category(character) == "Cc" or character in _BIDI_CONTROLS


def printable_name(name: str) -> str:
    r"""A file name as a message may show it: each control character as its escape.

    >>> printable_name("a\x00b.csv")
    'a\\x00b.csv'
    """
    return "".join(c.encode("unicode_escape").decode("ascii") if _control(c) else c for c in name)


def check_upload_name(name: str) -> None:
    """Refuse a file name holding a control character (NUL, escape, line break...).

    Browsers send a file's own name; one holding such characters was made to confuse
    whatever shows or logs it.  A name with slashes is only text here: it never becomes a
    path (see the module docstring).

    Raises
    ------
    DataError
        Naming the character, with the name shown escaped.
    """
    bad = next((c for c in name if _control(c)), None)
    if bad is not None:
        raise DataError(
            printable_name(name),
            f"the file's name holds a control character (U+{ord(bad):04X}): rename the "
            "file and add it again",
        )


def upload_limits(name: str) -> UploadLimits:
    """The limits an upload is read within (``geo.io.UploadLimits.from_env``).

    Raises
    ------
    DataError
        When a limit's environment variable is set to nonsense (the server's setting, so
        the upload cannot be checked).
    """
    try:
        return UploadLimits.from_env()
    except ValueError as error:
        raise DataError(name, f"cannot be checked: {error}") from error


@contextmanager
def _saved(name: str, data: bytes, limits: UploadLimits) -> Iterator[Path]:
    """The upload as a file in a temporary folder, removed afterwards."""
    check_upload_size(len(data), name, limit_mb=limits.upload_mb)
    suffix = _suffix(name)
    accepted = upload_suffixes()
    if suffix not in accepted:
        raise DataError(
            name,
            f"unknown file type {suffix or '(none)'}: expected one of {', '.join(accepted)}",
        )
    # a layer's name (zones.csv) says which layer the file holds; any other name is unused
    stem = name.strip().lower()[: -len(suffix)].rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    base = stem if stem in {layer.value for layer in DATASET_LAYERS} else "upload"
    with tempfile.TemporaryDirectory(prefix="atlas-upload-") as folder:
        path = Path(folder) / f"{base}{suffix}"
        path.write_bytes(data)
        yield path


def _as_named(path: Path, name: str, work: Callable[[], T]) -> T:
    """Run ``work``; a DataError names ``name`` rather than the temporary path.

    A file inside an uploaded zip keeps its place in it (``upload.zip/roads.shp``).
    """
    temporary = str(path)
    try:
        return work()
    except DataError as error:
        where = error.path.replace(temporary, name) if temporary in error.path else name
        raise DataError(where, error.reason.replace(temporary, name)) from error


def upload_headers(name: str, data: bytes) -> list[str]:
    """The column headers of an uploaded file's events table (see ``geo.io.read_headers``).

    Raises
    ------
    DataError
        As :func:`upload_preview`.
    """
    return upload_preview(name, data).headers


def upload_preview(name: str, data: bytes) -> TablePreview:
    """The headers and first rows of an uploaded file's events table (``geo.io.read_preview``).

    Raises
    ------
    DataError
        When the file's name holds a control character, when it is too large, of an
        unknown type, passes a limit, or cannot be read at all.
    """
    check_upload_name(name)
    limits = upload_limits(name)
    with _saved(name, data, limits) as path:
        return _as_named(path, name, lambda: read_preview(path, limits=limits))


def read_upload(
    name: str, data: bytes, *, mapping: ColumnMapping | None = None, country: str | None = None
) -> tuple[Dataset, LoadReport]:
    """Read and validate an uploaded file as a dataset (EPSG:4326), named after the file.

    ``mapping`` and ``country`` work as in ``geo.io.read_dataset``.

    The report's rows name the file as ``name`` (its problems' paths too).  The dataset
    is counted in :func:`upload_memory` until it is freed or released.

    Raises
    ------
    DataError
        When the file's name holds a control character, when it is too large, of an
        unknown type, passes a limit (rows, cells, shared strings; the memory all uploads
        of the server hold), or cannot be read at all.
    """
    check_upload_name(name)
    limits = upload_limits(name)
    upload_memory().check_room(name, 0, limits.memory_mb)
    with _saved(name, data, limits) as path:
        dataset, report = _as_named(
            path, name, lambda: read_dataset(path, mapping=mapping, limits=limits, country=country)
        )
    temporary = str(path)
    for layer in report.layers:
        layer.path = layer.path.replace(temporary, name)
        layer.problems = [replace(p, path=p.path.replace(temporary, name)) for p in layer.problems]
        layer.notes = [note.replace(temporary, name) for note in layer.notes]
    dataset = replace(dataset, name=name, source=f"upload: {name}")
    upload_memory().admit(dataset, name, limits.memory_mb)
    return dataset, report


# --- the memory every session's uploads hold ---------------------------------------------


def frame_bytes(frame: gpd.GeoDataFrame) -> int:
    """What one layer holds in memory, roughly.

    Its cells as ``memory_usage(deep=True)`` counts them, and its shapes as GEOS holds them
    (which pandas does not see): 16 bytes a coordinate and 100 a shape.
    """
    cells = int(frame.memory_usage(index=True, deep=True).sum())
    shapes = frame.geometry.to_numpy()
    coordinates = int(shapely.get_num_coordinates(shapes).sum())
    return cells + 16 * coordinates + 100 * int(np.count_nonzero(~shapely.is_missing(shapes)))


def dataset_bytes(dataset: Dataset) -> int:
    """What a dataset holds in memory, every layer together (see :func:`frame_bytes`)."""
    return sum(frame_bytes(dataset.layer(layer)) for layer in DATASET_LAYERS)


class UploadMemory:
    """The memory held by the datasets uploaded in every session of this server.

    Each layer frame of a dataset counted here is followed with :func:`weakref.finalize`:
    when the last reference to it goes (its session ended, the dataset was closed, a
    renamed copy sharing it was dropped), it stops counting.  :meth:`release` stops the
    count at once, for a dataset closed while something may still refer to it.  Safe to
    use from every session's thread: checking for room and counting a new upload are one
    step, so two uploads at once cannot both take the last room.
    """

    def __init__(self) -> None:
        # re-entrant: a frame freed while the lock is held (garbage collection runs when it
        # will) forgets itself from the same thread
        self._lock = threading.RLock()
        self._held: dict[int, tuple[int, weakref.finalize]] = {}  # id(frame): (bytes, ...)

    def held_bytes(self) -> int:
        """The bytes held by every dataset counted."""
        with self._lock:
            return sum(size for size, _ in list(self._held.values()))

    def check_room(self, name: str, size: int, limit_mb: float) -> None:
        """Refuse an upload of ``size`` bytes (held :data:`HELD_COPIES` times) past the limit.

        ``size`` 0 asks whether anything more fits at all (before an upload is read).

        Raises
        ------
        DataError
            When what is held, with this upload, would pass ``limit_mb``.
        """
        need = HELD_COPIES * size
        with self._lock:
            if self.held_bytes() + need <= limit_mb * MB:
                return
            gc.collect()  # frames in reference cycles are freed (and forgotten) only now
            held = self.held_bytes()
        if held + need <= limit_mb * MB:
            return
        would = (
            f"would hold about {megabytes_text(need)} MB in memory (the table, and its copy "
            "combined with the other open datasets for the map), and the"
            if size
            else "cannot be read now: the"
        )
        raise DataError(
            name,
            f"{would} uploads open on this server (every session's together) hold "
            f"{megabytes_text(held)} MB: the limit is {limit_mb:,g} MB for all of them "
            f"(set {settings.UPLOAD_MEMORY.variable} to raise it, or close datasets no longer "
            "needed)",
        )

    def admit(self, dataset: Dataset, name: str, limit_mb: float) -> None:
        """Count a newly read upload, or refuse it when it does not fit under the limit.

        Raises
        ------
        DataError
            See :meth:`check_room`.
        """
        size = dataset_bytes(dataset)
        with self._lock:
            self.check_room(name, size, limit_mb)
            self.hold(dataset)

    def hold(self, dataset: Dataset) -> None:
        """Count a dataset (an upload, or a copy made of uploads) until its frames are freed."""
        for layer in DATASET_LAYERS:
            frame = dataset.layer(layer)
            size = frame_bytes(frame)
            with self._lock:
                if id(frame) in self._held:
                    continue  # shared with a dataset already counted (a renamed copy)
                done = weakref.finalize(frame, self._forget, id(frame))
                done.atexit = False
                self._held[id(frame)] = (size, done)

    def release(self, dataset: Dataset) -> None:
        """Stop counting a dataset now (it was closed), whoever still refers to it."""
        for layer in DATASET_LAYERS:
            with self._lock:
                entry = self._held.pop(id(dataset.layer(layer)), None)
            if entry is not None:
                entry[1].detach()

    def _forget(self, key: int) -> None:
        with self._lock:
            self._held.pop(key, None)


_MEMORY = UploadMemory()


def upload_memory() -> UploadMemory:
    """The one count of upload memory of this server process, shared by every session."""
    return _MEMORY
