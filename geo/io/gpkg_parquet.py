"""GeoPackage and (Geo)Parquet: the typed, binary formats, read and written.

A GeoPackage holds a table per layer (read and written through pyogrio); a Parquet file
one layer (through pyarrow), a GeoParquet one with its geometry.  Dates are written as
ISO text and categories as plain text, so that every reader gets the same values back.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio

from geo.io.limits import UploadLimits, check_rows
from geo.io.tables import as_ours, iso_dates, layer_from_name, table_from_frame
from geo.layouts import detect_layout
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
        except Exception as exc:
            raise DataError(path, f"layer {name} is not readable: {exc}") from exc
        tables[target] = table_from_frame(path, frame)
    return tables


def read_parquet(
    path: Path, layer: Layer | None, limits: UploadLimits | None = None
) -> dict[Layer, RawTable]:
    """A Parquet file as the layer asked for, else the one its name says, else events."""
    target = layer or layer_from_name(path) or Layer.EVENTS
    return {target: as_ours(_parquet_table(path, LAYER_SPECS[target], limits))}


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
            out[field.column] = iso_dates(out[field.column])
        elif field.is_category:
            out[field.column] = out[field.column].astype("string")
    return out
