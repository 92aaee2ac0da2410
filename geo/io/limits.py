"""Upload limits: what one upload may make the server do.

One server process serves every viewer, so what one upload may make it do is bounded.
Each limit has a default and an environment variable that changes it, both declared in
:mod:`geo.settings` and read when an upload arrives (see :meth:`UploadLimits.from_env`).
The readers take the limits as ``limits=``; without them (the command line, and
``--data``) a file is read whole: the user named it on their own machine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.archives import megabytes_text
from geo.problems import DataError, Problem
from geo.raw import RawTable
from geo.schema import Column, Layer

# Each limit's default and variable is declared in geo/settings.py; these names stay for
# the readers and for geo.io's users.
MAX_UPLOAD_MB = settings.UPLOAD_SIZE_MB.default
MAX_UPLOAD_ROWS = settings.UPLOAD_ROWS.default
MAX_UPLOAD_CELLS = settings.UPLOAD_CELLS.default
MAX_SHARED_STRINGS_MB = settings.SHARED_STRINGS_MB.default
MAX_GEOMETRY_VERTICES = settings.GEOMETRY_VERTICES.default
MAX_GEOMETRY_HOLES = settings.GEOMETRY_HOLES.default
UPLOAD_MEMORY_MB = settings.UPLOAD_MEMORY.default
#: The XML a workbook's sheets may take per cell of :data:`MAX_UPLOAD_CELLS`, in bytes.  A
#: cell takes 20 to 40 (``<c r="B2" t="s"><v>7</v></c>``), or its text more where it is
#: inlined (openpyxl and pandas write text so): the story's events take 100 a cell.
SHEET_XML_BYTES_PER_CELL = 256
#: The variable of the upload size limit (the first limit the app had).
UPLOAD_LIMIT_VARIABLE = settings.UPLOAD_SIZE_MB.variable

#: Each limit's setting by its field name.
_LIMITS = {setting.name: setting for setting in settings.UPLOAD_LIMITS}


@dataclass(frozen=True)
class UploadLimits:
    """What one upload may make the server do (each default is in ``geo.settings``).

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
        return {name: setting.variable for name, setting in _LIMITS.items()}

    @classmethod
    def from_env(cls) -> UploadLimits:
        """The limits the environment sets (``ATLAS_MAX_UPLOAD_ROWS=500000``...), or defaults.

        Raises
        ------
        ValueError
            When a variable is set to anything but a positive number, naming it.
        """
        return cls(**{name: setting.value() for name, setting in _LIMITS.items()})

    def hint(self, name: str) -> str:
        """How to raise one limit: ``set ATLAS_MAX_UPLOAD_ROWS to raise it``."""
        return f"set {_LIMITS[name].variable} to raise it"


def upload_limit_mb() -> float:
    """The upload limit in MB: ``ATLAS_MAX_UPLOAD_MB`` when set, else :data:`MAX_UPLOAD_MB`.

    Raises
    ------
    ValueError
        When the variable is set to anything but a positive number.
    """
    return settings.UPLOAD_SIZE_MB.value()


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


def check_rows(
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


def bounded_shapes(table: RawTable, layer: Layer, limits: UploadLimits) -> RawTable:
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
