"""GeoJSON: FeatureCollections read (a layer per ``layer`` property) and written.

Read strictly as UTF-8 JSON, with nothing evaluated; structured cells (sources, periods,
people moved) are written as nested JSON and read back from it.  What is written follows
RFC 7946 (see :func:`rfc7946_geometries`): exterior rings counter-clockwise, holes
clockwise, coordinates to 7 decimals.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from geo.io.limits import UploadLimits, check_rows
from geo.io.tables import as_ours, iso_dates, layer_from_name
from geo.parsing import decode_json_list
from geo.problems import DataError, Problem
from geo.raw import RawTable
from geo.schema import DATASET_LAYERS, LAYER_SPECS, Column, FieldType, Layer, LayerSpec

_JSON_TYPES = {FieldType.SOURCES, FieldType.PERIODS, FieldType.PEOPLE_MOVED}
#: Decimals of a written coordinate: 7 is about a centimetre, the precision RFC 7946
#: (section 11.2) suggests; more is noise that makes files larger, not more exact.
COORDINATE_DECIMALS = 7


def _json_int(text: str) -> int | float:
    """A JSON integer; one too long for Python to read as int becomes a float (inf)."""
    return int(text) if len(text) <= 300 else float(text)


def read_geojson(
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
    check_rows(path, features, limits, held=f"holds {features:,} features")
    records: dict[Layer, list[tuple[int, dict[str, Any], Any, Problem | None]]] = {}
    default = layer or layer_from_name(path) or Layer.EVENTS
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
        table = RawTable(str(path), cells, geometry, "feature", 1, problems)
        # events in a known layout (an ACLED export saved as GeoJSON by QGIS or ogr2ogr)
        # are read as that layout, as from CSV: position from its latitude/longitude
        tables[target] = as_ours(table) if target is Layer.EVENTS else table
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


def feature_collection(
    layers: dict[Layer, gpd.GeoDataFrame], *, tag_layer: bool = False
) -> dict[str, Any]:
    """Layers as one GeoJSON FeatureCollection (structured cells as nested JSON).

    With ``tag_layer`` every feature's properties start with ``"layer": <name>``.
    Geometries are written as RFC 7946 asks (:func:`rfc7946_geometries`).
    """
    features = []
    for layer, frame in layers.items():
        spec = LAYER_SPECS[Layer(layer)]
        columns = [c for c in spec.columns if not (spec.point_columns and c in _LAT_LON)]
        geometries = rfc7946_geometries(frame.geometry.to_numpy())
        for props, geom in zip(_json_records(frame, spec, columns), geometries, strict=True):
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


def rfc7946_geometries(geometries: np.ndarray) -> np.ndarray:
    """Shapes as RFC 7946 writes them: rings wound right, coordinates to 7 decimals.

    Exterior rings counter-clockwise and holes clockwise (section 3.1.6: strict clients
    such as d3 fill the outside of a clockwise polygon), coordinates rounded to
    :data:`COORDINATE_DECIMALS` decimals (section 11.2).  Rounding each coordinate keeps
    the written text short and the values what a person typed; where it would make a
    valid shape invalid (a spike thinner than the rounding collapses), that shape is
    snapped to the same grid by GEOS instead, which keeps it valid.
    """
    geometries = np.asarray(geometries, dtype=object)
    rounded = shapely.transform(geometries, _round_coordinates)
    broken = shapely.is_valid(geometries) & ~shapely.is_valid(rounded)
    if broken.any():
        snapped = shapely.set_precision(geometries[broken], 10.0**-COORDINATE_DECIMALS)
        # GEOS snaps to the grid in binary floats: rounded again, they print as 7 decimals
        rounded[broken] = shapely.transform(snapped, _round_coordinates)
    return shapely.orient_polygons(rounded, exterior_cw=False)


def _round_coordinates(coordinates: np.ndarray) -> np.ndarray:
    return np.round(coordinates, COORDINATE_DECIMALS)


def _json_records(frame: pd.DataFrame, spec: LayerSpec, columns: list[Column]):
    converters = {}
    for column in columns:
        field_type = spec.field(column).type
        if field_type is FieldType.DATE:
            converters[column] = iso_dates(frame[column]).tolist()
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


def write_geojson(
    frame: gpd.GeoDataFrame, spec: LayerSpec, path: Path, indent: int | None = None
) -> None:
    """Write one layer as a FeatureCollection; ``indent`` pretty-prints it."""
    _write_json(path, feature_collection({spec.layer: frame}), indent=indent)


def write_geojson_dataset(
    layers: dict[Layer, gpd.GeoDataFrame], path: Path, indent: int | None = None
) -> None:
    """Write every layer as one FeatureCollection whose features carry a ``layer`` property."""
    _write_json(path, feature_collection(layers, tag_layer=True), indent=indent)


def _write_json(path: Path, document: dict[str, Any], indent: int | None = None) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False, indent=indent, allow_nan=False)
        f.write("\n")
