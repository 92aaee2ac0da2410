"""Zip archives: one shapefile, one table, or one file per layer named after it.

Only the files read are extracted (into a temporary folder, after :mod:`geo.archives` has
checked the archive), and what is read is named by its place in the archive.  A zip holds
files of the other formats, so its reader is handed the table of formats' reader (see
:func:`geo.io.formats.read_raw`) rather than importing it.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import pyogrio.raw
import shapely

from geo.archives import extract_members, member_path, zip_members
from geo.io.limits import UploadLimits, check_rows
from geo.io.tables import as_ours, layer_from_name, table_from_frame
from geo.problems import DataError, Problem
from geo.raw import RawTable
from geo.schema import CRS, LAYER_SPECS, Column, FieldType, Layer, LayerSpec

#: Reads one file extracted from the archive (see :data:`geo.io.formats.Reader`).
FileReader = Callable[[Path, Layer | None, UploadLimits | None], dict[Layer, RawTable]]
#: A shapefile's files that are read; without the first two it cannot be read at all.
_SHAPEFILE_NEEDS = (".shx", ".dbf")
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def read_zip(
    path: Path,
    layer: Layer | None,
    limits: UploadLimits | None,
    *,
    table_suffixes: Collection[str],
    table_kinds: Sequence[str],
    read_file: FileReader,
) -> dict[Layer, RawTable]:
    """A zip holding one shapefile, one table, or one file per layer named after it.

    Only the files read are extracted, into a temporary folder removed afterwards; their
    problems name them inside the archive (``upload.zip/roads.shp``).  ``limits`` apply
    to the files inside as to the files themselves.  A member is a table when its suffix
    is one of ``table_suffixes`` (messages list ``table_kinds``), and ``read_file`` reads
    it.
    """
    members = [m for m in zip_members(path) if not m.is_dir() and not _is_clutter(m)]
    shapefiles = [m for m in members if _suffix(m) == ".shp"]
    tables = [m for m in members if _suffix(m) in table_suffixes]
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
            f"holds no shapefile (.shp) and no table ({', '.join(table_kinds)}): it holds "
            f"{_names(members) or 'nothing'}",
        )
    if len(tables) == 1:
        return _read_extracted(path, tables, tables, lambda p: read_file(p, layer, limits))
    layers = [layer_from_name(Path(m.filename)) for m in tables]
    if None in layers or len(set(layers)) < len(layers):
        raise DataError(
            path,
            f"holds {len(tables)} tables ({_names(tables)}): zip one table, or one file per "
            "layer named after it (events.csv, zones.geojson ...)",
        )
    wanted = [m for m, x in zip(tables, layers, strict=True) if layer is None or x == layer]
    return _read_extracted(path, wanted, wanted, lambda p: read_file(p, layer_from_name(p), limits))


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
            check_rows(path, int(pyogrio.read_info(path)["features"]), limits)
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
    target = layer or layer_from_name(path) or _layer_from_geometry(frame)
    table = table_from_frame(path, frame)
    damaged = np.flatnonzero(pd.notna(shapes) & pd.isna(geoms))
    problems = tuple(
        Problem(str(path), int(i) + 1, Column.GEOMETRY, _DAMAGED_SHAPE, str(target), "row")
        for i in damaged
    )
    cells = _untruncated(table.cells, LAYER_SPECS[target])
    problems += _cut_structured_cells(path, cells, LAYER_SPECS[target], target)
    return {target: as_ours(replace(table, cells=cells, problems=problems))}


_DAMAGED_SHAPE = "not a readable shape (the .shp file is damaged here)"
#: The most bytes a shapefile's text field holds (a .dbf field is at most 254 wide):
#: GDAL, and so ``ogr2ogr`` and QGIS, cut a longer value to it, with a warning the reader
#: of the file never sees.
SHAPEFILE_TEXT_LIMIT = 254
_CUT_BY_SHAPEFILE = (
    f"cut short by the shapefile format (a shapefile's text field holds at most "
    f"{SHAPEFILE_TEXT_LIMIT} bytes: {SHAPEFILE_TEXT_LIMIT} Latin characters, fewer in other "
    "scripts): send the data as a GeoPackage (.gpkg), which keeps every character"
)
#: UTF-8 characters are up to 4 bytes: GDAL drops a character cut in two, so a cut value
#: ends up to 3 bytes short of the limit.
_LONGEST_CHARACTER = 4
_STRUCTURED = {FieldType.SOURCES, FieldType.PERIODS, FieldType.PEOPLE_MOVED}


def _cut_structured_cells(
    path: Path, cells: pd.DataFrame, spec: LayerSpec, layer: Layer
) -> tuple[Problem, ...]:
    """Rows whose JSON cells (sources, periods ...) the shapefile cut short, as problems.

    Such a cell is exactly as long as the field holds and is not whole JSON; without this,
    its row would be rejected as broken JSON ("Unterminated string"), which sends the user
    looking for a fault in their data rather than in the format it travelled through.
    """
    problems = []
    for field in spec.fields:
        if field.type not in _STRUCTURED or field.column not in cells:
            continue
        for row, value in enumerate(cells[field.column], start=1):
            if isinstance(value, str) and _cut_short(value):
                problems.append(
                    Problem(str(path), row, field.column, _CUT_BY_SHAPEFILE, str(layer), "row")
                )
    return tuple(problems)


def _cut_short(value: str) -> bool:
    size = len(value.encode("utf-8"))
    if not SHAPEFILE_TEXT_LIMIT - _LONGEST_CHARACTER < size <= SHAPEFILE_TEXT_LIMIT:
        return False
    try:
        json.loads(value)
    except json.JSONDecodeError:
        return True
    return False


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
