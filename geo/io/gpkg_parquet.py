"""GeoPackage and (Geo)Parquet: the typed, binary formats, read and written.

A GeoPackage holds a table per layer (read and written through pyogrio); a Parquet file
one layer (through pyarrow), a GeoParquet one with its geometry.  Dates are written as
ISO text and categories as plain text, so that every reader gets the same values back.
Each GeoPackage table declares its geometry type (POINT, MULTIPOLYGON ...), as QGIS and
GDAL expect of a table, rather than the generic GEOMETRY (see :func:`declared_type`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import shapely

from geo.io.limits import UploadLimits, check_rows
from geo.io.tables import as_ours, iso_dates, layer_from_name, table_from_frame
from geo.layouts import detect_layout, unread_columns
from geo.problems import DataError
from geo.raw import RawTable
from geo.schema import LAYER_SPECS, FieldType, Layer, LayerSpec


def read_gpkg(
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
        check_rows(path, rows, limits, held=held)
    tables = {}
    for target, name in targets_named.items():
        try:
            frame = pyogrio.read_dataframe(path, layer=name)
            declared = str(pyogrio.read_info(path, layer=name)["geometry_type"])
        except Exception as exc:
            raise DataError(path, f"layer {name} is not readable: {exc}") from exc
        if declared.startswith("Multi") and isinstance(frame, gpd.GeoDataFrame):
            frame = frame.set_geometry(_single_parts(frame.geometry.to_numpy()))
        table = table_from_frame(path, frame)
        # an events table in a known layout (ACLED saved from QGIS...) is read as that
        # layout, as from CSV: its position from its latitude/longitude, its other columns
        # listed as not loaded
        tables[target] = as_ours(table) if target is Layer.EVENTS else table
    return tables


def _single_parts(geometries: np.ndarray) -> np.ndarray:
    """One-part Multi shapes as their part.

    A table declared MULTIPOLYGON (MULTILINESTRING ...) holds every shape as a Multi one,
    so its writer (the atlas, QGIS, ``ogr2ogr -nlt PROMOTE_TO_MULTI``) promoted each
    single shape: read back as the shape it was, a dataset's version does not depend on
    whether it travelled through a GeoPackage.
    """
    out = np.array(geometries, dtype=object)
    multi = np.isin(shapely.get_type_id(out), _MULTI_TYPE_IDS)
    one_part = multi & (shapely.get_num_geometries(out) == 1)
    out[one_part] = shapely.get_geometry(out[one_part], 0)
    return out


def read_parquet(
    path: Path, layer: Layer | None, limits: UploadLimits | None = None
) -> dict[Layer, RawTable]:
    """A Parquet file as the layer asked for, else the one its name says, else events."""
    target = layer or layer_from_name(path) or Layer.EVENTS
    table = as_ours(_parquet_table(path, LAYER_SPECS[target], limits))
    layout = detect_layout(table.as_read.columns) if table.as_read is not None else None
    if layout is not None:
        # only the layout's own columns were read (a wide export stays small in memory):
        # the others are named from the file's schema, as a CSV's report names them
        table = replace(table, unread_columns=unread_columns(layout, _schema_names(path)))
    return {target: table}


def _schema_names(path: Path) -> list[str]:
    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises many types on damage
        raise DataError(path, f"is not a readable Parquet file: {exc}") from exc


def _parquet_table(path: Path, spec: LayerSpec, limits: UploadLimits | None = None) -> RawTable:
    """A Parquet or GeoParquet table (a known layout's columns alone).

    With ``limits``, the rows are counted from the file's footer before any is read.
    """
    try:
        columns = pq.read_schema(path).names
        rows = pq.read_metadata(path).num_rows if limits is not None else 0
    except Exception as exc:  # pyarrow raises many types on damage
        raise DataError(path, f"is not a readable Parquet file: {exc}") from exc
    check_rows(path, rows, limits)
    layout = detect_layout(columns)
    if layout is not None:
        # a known layout places points by latitude/longitude: read just the columns it maps
        used = [c for c in layout.used if c in columns]
        repetitive = [c for c in layout.repetitive if c in used]
        try:
            # repetitive text arrives as categories straight from Parquet's dictionaries
            cells = pd.read_parquet(path, columns=used, read_dictionary=repetitive)
        except Exception as exc:
            raise DataError(path, f"is not a readable Parquet file: {exc}") from exc
        return RawTable(
            str(path), cells, None, "row", 1, read_every_column=lambda: _every_column(path)
        )
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
    return table_from_frame(path, frame)


def write_gpkg(
    frame: gpd.GeoDataFrame, spec: LayerSpec, path: Path, indent: int | None = None
) -> None:
    """Write one layer as a GeoPackage table named after it (``indent`` is for JSON, unused)."""
    _write_gpkg_layer(frame, spec, path)


def write_gpkg_dataset(
    layers: dict[Layer, gpd.GeoDataFrame], path: Path, indent: int | None = None
) -> None:
    """Write a table per non-empty layer (the empty events table when all are empty)."""
    for layer, frame in layers.items():
        if len(frame):
            _write_gpkg_layer(frame, LAYER_SPECS[layer], path)
    if not path.exists():
        _write_gpkg_layer(layers[Layer.EVENTS], LAYER_SPECS[Layer.EVENTS], path)


def write_parquet(
    frame: gpd.GeoDataFrame, spec: LayerSpec, path: Path, indent: int | None = None
) -> None:
    """Write one layer as GeoParquet (``indent`` is for JSON, unused)."""
    _for_binary(frame, spec).to_parquet(path, index=False)


def _every_column(path: Path) -> pd.DataFrame:
    """Every column of a Parquet file (for a mapping that names columns a layout skips)."""
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types on damage
        raise DataError(path, f"is not a readable Parquet file: {exc}") from exc


def _write_gpkg_layer(frame: gpd.GeoDataFrame, spec: LayerSpec, path: Path) -> None:
    out = _for_binary(frame, spec)
    kind = declared_type(out.geometry.to_numpy(), spec)
    if kind.startswith("Multi"):
        out = out.set_geometry(_promoted(out.geometry.to_numpy(), kind))
    pyogrio.write_dataframe(
        out,
        path,
        layer=str(spec.layer),
        driver="GPKG",
        append=path.exists(),
        promote_to_multi=False,  # promoted above, only where the declared type needs it
        geometry_type=kind,
        # GeoPackage 1.2, which every GDAL since 2.2 reads without a word; the 1.4 that new
        # GDALs write by default makes the GDAL of Debian 12 (3.6) warn on opening
        **({} if path.exists() else {"dataset_options": {"VERSION": "1.2"}}),
    )


def declared_type(geometries: np.ndarray, spec: LayerSpec) -> str:
    """The geometry type a GeoPackage table of these shapes declares (pyogrio's name).

    The one type they share (``Point``); ``MultiPolygon`` for Polygons and MultiPolygons
    together (the singles are promoted to it); for an empty table the layer's widest
    type.  ``Unknown`` (GEOMETRY) is left for shapes no one type holds.
    """
    present = geometries[pd.notna(geometries)]
    kinds = {shapely.GeometryType(int(k)) for k in np.unique(shapely.get_type_id(present))}
    if not kinds:
        return spec.geometry_types[-1]
    multi = {_MULTI_OF.get(k, k) for k in kinds}
    if len(kinds) == 1:
        return _TYPE_NAMES.get(kinds.pop(), "Unknown")
    if len(multi) == 1 and (kind := multi.pop()) in _MAKE_MULTI:
        return _TYPE_NAMES[kind]
    return "Unknown"


_MULTI_OF = {
    shapely.GeometryType.POINT: shapely.GeometryType.MULTIPOINT,
    shapely.GeometryType.LINESTRING: shapely.GeometryType.MULTILINESTRING,
    shapely.GeometryType.POLYGON: shapely.GeometryType.MULTIPOLYGON,
}
_MULTI_TYPE_IDS = list(_MULTI_OF.values())
_MAKE_MULTI = {
    shapely.GeometryType.MULTIPOINT: shapely.multipoints,
    shapely.GeometryType.MULTILINESTRING: shapely.multilinestrings,
    shapely.GeometryType.MULTIPOLYGON: shapely.multipolygons,
}
#: pyogrio's names of the types a table may declare.
_TYPE_NAMES = {
    shapely.GeometryType.POINT: "Point",
    shapely.GeometryType.LINESTRING: "LineString",
    shapely.GeometryType.POLYGON: "Polygon",
    shapely.GeometryType.MULTIPOINT: "MultiPoint",
    shapely.GeometryType.MULTILINESTRING: "MultiLineString",
    shapely.GeometryType.MULTIPOLYGON: "MultiPolygon",
    shapely.GeometryType.GEOMETRYCOLLECTION: "GeometryCollection",
}


def _promoted(geometries: np.ndarray, kind: str) -> np.ndarray:
    """Single shapes as one-part Multi shapes of ``kind`` (Multi ones and missing as they are)."""
    out = np.array(geometries, dtype=object)
    single = pd.notna(out) & ~np.isin(shapely.get_type_id(out), _MULTI_TYPE_IDS)
    make = next(f for t, f in _MAKE_MULTI.items() if _TYPE_NAMES[t] == kind)
    out[single] = [make([g]) for g in out[single]]
    return out


def _for_binary(frame: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Dates as ISO text (every reader gets the same day back), categories as plain text."""
    out = frame[[*spec.columns, frame.geometry.name]].copy()
    for field in spec.fields:
        if field.type is FieldType.DATE:
            out[field.column] = iso_dates(out[field.column])
        elif field.is_category:
            out[field.column] = out[field.column].astype("string")
    return out
