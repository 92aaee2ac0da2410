"""The environment variables the data layer reads (the upload limits), each declared once.

A :class:`Setting` is one variable: the name the code knows it by, the variable, its
default, the function that parses its text and a one-line doc.  :data:`DATA_SETTINGS`
lists the data layer's; ``dashboard.settings`` declares the app's the same way and lists
them all (for the README's table and ``atlas --help``).  A variable is read when its value
is asked for, never at import: each upload reads the limits afresh, and tests change them.

To add a setting the data layer reads: one ``Setting(...)`` here, listed in
:data:`DATA_SETTINGS` (a setting only the app reads goes in ``dashboard/settings.py``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable and how it is read.

    Attributes
    ----------
    name
        What the code calls it (for an upload limit, its ``UploadLimits`` field).
    variable
        The environment variable.
    default
        Its value when the variable is unset or blank (None: nothing set).
    parse
        Its value from the variable's text.  It raises ValueError with a message that
        reads after the variable's name: ``must be a positive number of rows, got 'x'``.
    doc
        One line: what it sets.
    """

    name: str
    variable: str
    default: T
    parse: Callable[[str], T]
    doc: str

    def value(self, environ: Mapping[str, str] | None = None) -> T:
        """Its value in ENVIRON (default: this process's environment), else its default.

        Raises
        ------
        ValueError
            When the variable's text cannot be parsed, naming the variable.

        Examples
        --------
        >>> rows = Setting("rows", "ROWS", 10, positive("rows", whole=True), "at most")
        >>> rows.value({}), rows.value({"ROWS": " 25 "})
        (10, 25)
        >>> rows.value({"ROWS": "lots"})
        Traceback (most recent call last):
        ...
        ValueError: ROWS must be a positive number of rows, got 'lots'
        """
        text = (os.environ if environ is None else environ).get(self.variable, "").strip()
        if not text:
            return self.default
        try:
            return self.parse(text)
        except ValueError as error:
            raise ValueError(f"{self.variable} {error}") from error

    @property
    def default_text(self) -> str:
        """The default as the README and ``atlas --help`` show it (``unset`` for None)."""
        return "unset" if self.default is None else str(self.default)


def text(value: str) -> str:
    """A setting's text as it is (stripped of surrounding blanks by :meth:`Setting.value`)."""
    return value


def positive(unit: str, *, whole: bool) -> Callable[[str], float]:
    """A parser of positive numbers of UNIT, whole ones (at least 1, truncated) if WHOLE.

    >>> positive("rows", whole=True)("7.9"), positive("megabytes", whole=False)("0.5")
    (7, 0.5)
    """

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number > 0 and (not whole or number >= 1)):
            raise ValueError(f"must be a positive number of {unit}, got {value!r}")
        return int(number) if whole else number

    return parse


# --- the upload limits: what one upload may make the server do (geo.io.UploadLimits) --------
# One server process serves every viewer, so each default bounds what one upload costs it.

#: MB are 2**20 bytes, as Streamlit counts its ``server.maxUploadSize``.
UPLOAD_SIZE_MB = Setting(
    "upload_mb",
    "ATLAS_MAX_UPLOAD_MB",
    200,
    positive("megabytes", whole=False),
    "the largest file the app accepts, in MB",
)
#: A sheet's rows are counted as Excel numbers them (blank rows between records included),
#: a GeoJSON's features.
UPLOAD_ROWS = Setting(
    "rows",
    "ATLAS_MAX_UPLOAD_ROWS",
    250_000,
    positive("rows", whole=True),
    "the most rows one upload may hold, all its layers together",
)
#: Blank cells count too.  openpyxl reads about 50,000 cells a second, holding the
#: interpreter every viewer shares: this is some two seconds of it (four for a sheet that
#: does not state its size, which openpyxl reads twice).
UPLOAD_CELLS = Setting(
    "cells",
    "ATLAS_MAX_UPLOAD_CELLS",
    100_000,
    positive("cells", whole=True),
    "the most cells (rows × columns) a workbook's sheets may hold, and a sheet may span",
)
#: The shared strings (the text of a workbook's cells) above all: openpyxl parses those
#: parts whole before reading a single cell.
SHARED_STRINGS_MB = Setting(
    "shared_strings_mb",
    "ATLAS_MAX_SHARED_STRINGS_MB",
    8,
    positive("megabytes", whole=False),
    "the most MB of a workbook's parts other than its sheets",
)
#: The story's most detailed zone has 413, the basemap's most detailed outline 1,482:
#: validating a shape grows faster than its size.
GEOMETRY_VERTICES = Setting(
    "vertices",
    "ATLAS_MAX_GEOMETRY_VERTICES",
    100_000,
    positive("vertices", whole=True),
    "the most vertices one shape may have (a shape with more rejects its row)",
)
GEOMETRY_HOLES = Setting(
    "holes",
    "ATLAS_MAX_GEOMETRY_HOLES",
    1_000,
    positive("holes", whole=True),
    "the most holes (interior rings, all parts together) one shape may have",
)
#: Checked by ``geo.uploads.UploadMemory``.
UPLOAD_MEMORY = Setting(
    "memory_mb",
    "ATLAS_UPLOAD_MEMORY_MB",
    1_024,
    positive("megabytes", whole=False),
    "the most MB the uploads open in all sessions of one server may hold together",
)

#: The upload limits, in the order of ``geo.io.UploadLimits``' fields.
UPLOAD_LIMITS: tuple[Setting[float], ...] = (
    UPLOAD_SIZE_MB,
    UPLOAD_ROWS,
    UPLOAD_CELLS,
    SHARED_STRINGS_MB,
    GEOMETRY_VERTICES,
    GEOMETRY_HOLES,
    UPLOAD_MEMORY,
)

# --- caches ---------------------------------------------------------------------------------

#: The gazetteer's built index is kept there (``geo.gazetteer_index``): a few tens of MB,
#: rebuilt whenever it is stale or not sound.  Unset: ``$XDG_CACHE_HOME/conflict-atlas``,
#: or ``~/.cache/conflict-atlas`` when XDG_CACHE_HOME is unset too.
CACHE_DIR = Setting(
    "cache_dir",
    "ATLAS_CACHE_DIR",
    None,
    text,
    "the folder of cached place-name indexes and validated tables (default: the user's cache)",
)


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The cache folder: ``ATLAS_CACHE_DIR``, else the XDG cache folder's ``conflict-atlas``.

    None when neither it nor a home folder is known (then nothing is cached).

    >>> cache_dir({"ATLAS_CACHE_DIR": "/srv/atlas-cache"})
    PosixPath('/srv/atlas-cache')
    >>> cache_dir({"XDG_CACHE_HOME": "/tmp/xdg", "HOME": "/home/a"})
    PosixPath('/tmp/xdg/conflict-atlas')
    >>> cache_dir({"HOME": "/home/a"})
    PosixPath('/home/a/.cache/conflict-atlas')
    """
    env = os.environ if environ is None else environ
    chosen = CACHE_DIR.value(env)
    if chosen:
        return Path(chosen).expanduser()
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    # the XDG spec: a relative XDG_CACHE_HOME is invalid and ignored
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "conflict-atlas"
    home = env.get("HOME", "").strip()
    return Path(home) / ".cache" / "conflict-atlas" if home else None


#: Every setting the data layer reads.
DATA_SETTINGS: tuple[Setting, ...] = (*UPLOAD_LIMITS, CACHE_DIR)
