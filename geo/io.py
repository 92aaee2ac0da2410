"""Read and write layers and datasets: CSV, GeoJSON, GeoPackage and GeoParquet.

One public reader and writer per granularity (:func:`read_layer`, :func:`read_dataset`,
:func:`write_layer`, :func:`write_dataset`); the format-specific work is in private helpers.
Everything read is validated (see :mod:`geo.validation`); everything written is written to a
temporary file beside the target and moved into place, so a failed write never leaves a
half-written file where the user's file was.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import charset_normalizer
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import shapely
import shapely.geometry

from geo.dataset import Dataset
from geo.layouts import detect_layout
from geo.parsing import decode_json_list, neutralise_formula
from geo.problems import DataError, LayerReport, LoadReport, Problem
from geo.schema import (
    CRS,
    DATASET_LAYERS,
    LAYER_SPECS,
    Column,
    FieldType,
    Layer,
    LayerSpec,
)
from geo.validation import RawTable, validate_table

CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
GEOJSON_SUFFIXES = {".geojson", ".json"}
GPKG_SUFFIXES = {".gpkg"}
PARQUET_SUFFIXES = {".parquet", ".geoparquet"}
_JSON_TYPES = {FieldType.SOURCES, FieldType.PERIODS, FieldType.PEOPLE_MOVED}


# --- reading --------------------------------------------------------------------------


def read_layer(
    path: str | Path, layer: Layer | str | None = None
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Read and validate one layer from a file.

    Parameters
    ----------
    path
        A CSV or TSV (point layers: ``latitude``/``longitude`` columns; other layers: a WKT
        ``geometry`` column), a GeoJSON FeatureCollection, a GeoPackage or a GeoParquet file.
    layer
        Which layer the file holds; by default taken from the file name (``zones.csv``), a
        GeoJSON ``layer`` property or GeoPackage layer name, or else ``events``.

    Returns
    -------
    The valid rows (EPSG:4326, the layer's columns in schema order) and a report of the
    rejected ones.

    Raises
    ------
    DataError
        When the file cannot be read at all.
    """
    path = Path(path)
    wanted = Layer(layer) if layer is not None else None
    tables = _read_raw(path, wanted)
    if wanted is None:
        wanted = Layer.EVENTS if Layer.EVENTS in tables or len(tables) != 1 else next(iter(tables))
    if wanted not in tables:
        found = ", ".join(str(k) for k in tables) or "none"
        raise DataError(path, f"holds no {wanted} layer (layers found: {found})")
    return validate_table(tables[wanted], LAYER_SPECS[wanted])


def read_dataset(path: str | Path) -> tuple[Dataset, LoadReport]:
    """Read and validate every layer of a dataset.

    ``path`` is a folder (``events.csv``, ``places.geojson``, ``zones.gpkg`` ...: one file
    per layer, named after it), a GeoPackage with a table per layer, a GeoJSON
    FeatureCollection whose features carry a ``layer`` property, or any single-layer file
    (taken as events unless its name or content says otherwise).  Layers not found are empty.
    All geometry is EPSG:4326.
    """
    path = Path(path)
    report = LoadReport()
    frames: dict[Layer, gpd.GeoDataFrame] = {}
    if path.is_dir():
        for layer, file in _layer_files(path).items():
            frame, layer_report = validate_table(_read_raw(file, layer)[layer], LAYER_SPECS[layer])
            frames[layer] = frame
            report.layers.append(layer_report)
        if not frames:
            raise DataError(
                path,
                "holds no layer files: expected events, places, zones or routes "
                "(.csv, .geojson, .gpkg or .parquet)",
            )
    else:
        for layer, table in _read_raw(path, None).items():
            if layer not in DATASET_LAYERS:
                continue
            frame, layer_report = validate_table(table, LAYER_SPECS[layer])
            frames[layer] = frame
            report.layers.append(layer_report)
    return Dataset.from_layers(frames, name=path.stem, source=str(path)), report


def _layer_files(folder: Path) -> dict[Layer, Path]:
    found: dict[Layer, Path] = {}
    suffixes = [*CSV_SUFFIXES, *GEOJSON_SUFFIXES, *GPKG_SUFFIXES, *PARQUET_SUFFIXES]
    for layer in DATASET_LAYERS:
        candidates = [folder / f"{layer}{suffix}" for suffix in suffixes]
        existing = [c for c in candidates if c.is_file()]
        if len(existing) > 1:
            names = ", ".join(c.name for c in existing)
            raise DataError(folder, f"has more than one {layer} file ({names}): keep one")
        if existing:
            found[layer] = existing[0]
    return found


def _read_raw(path: Path, layer: Layer | None) -> dict[Layer, RawTable]:
    if not path.exists():
        raise DataError(path, "no such file")
    if path.is_dir():
        raise DataError(path, "is a folder; give a file, or use it as a dataset")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        target = layer or _layer_from_name(path) or Layer.EVENTS
        return {target: _as_ours(_read_csv(path, LAYER_SPECS[target], CSV_SUFFIXES[suffix]))}
    if suffix in GEOJSON_SUFFIXES:
        return _read_geojson(path, layer)
    if suffix in GPKG_SUFFIXES:
        return _read_gpkg(path, layer)
    if suffix in PARQUET_SUFFIXES:
        target = layer or _layer_from_name(path) or Layer.EVENTS
        return {target: _as_ours(_read_parquet(path, LAYER_SPECS[target]))}
    raise DataError(
        path,
        f"unknown file type {suffix or '(none)'}: expected .csv, .tsv, .geojson, .json, "
        ".gpkg or .parquet",
    )


def _as_ours(table: RawTable) -> RawTable:
    """An events table in a known layout (ACLED, ...) mapped onto our columns."""
    layout = detect_layout(table.cells.columns)
    if layout is None:
        return table
    cells = layout.to_ours(table.cells)
    # a point's position comes from the layout's own latitude/longitude columns
    return replace(table, cells=cells, geometry=None, layout=layout.name)


def _layer_from_name(path: Path) -> Layer | None:
    stem = path.stem.lower()
    return next((layer for layer in Layer if stem == layer.value), None)


_SNIFF_BYTES = 64 * 1024


def text_encoding(path: Path) -> str:
    """The text encoding of a file: UTF-8 (BOM or not), UTF-16 by its BOM, or a guess.

    Arabic text that Windows-1256 decodes is taken as Windows-1256 (common in the region's
    spreadsheets, and too short a sample misleads general detectors); otherwise
    charset-normalizer guesses (Latin-1, ...).

    Raises
    ------
    DataError
        When the bytes are not text in any encoding that can be told apart.
    """
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:
            return "utf-8"  # a character cut by the sample's end
    if _looks_arabic(head, "cp1256"):
        return "cp1256"
    best = charset_normalizer.from_path(path).best()
    if best is None:
        raise DataError(
            path,
            "is not text in an encoding that can be recognised: save it as UTF-8 "
            "(CSV UTF-8 in spreadsheet programs)",
        )
    return best.encoding


def _looks_arabic(raw: bytes, encoding: str) -> bool:
    """Most non-ASCII letters of ``raw`` decoded as ``encoding`` are Arabic."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    letters = [c for c in text if ord(c) > 127 and c.isalpha()]
    arabic = [c for c in letters if "\u0600" <= c <= "\u06ff"]
    return len(letters) > 0 and len(arabic) / len(letters) > 0.8


def csv_delimiter(sample: str, default: str) -> str:
    """The delimiter of a CSV sample: comma, semicolon or tab (the suffix's when unsure)."""
    try:
        return csv.Sniffer().sniff(sample.split("\n", 20)[0], delimiters=",;\t").delimiter
    except csv.Error:
        return default


def _read_csv(path: Path, spec: LayerSpec, sep: str) -> RawTable:
    encoding = text_encoding(path)
    try:
        with open(path, encoding=encoding, errors="strict") as f:
            sample = f.read(_SNIFF_BYTES)
    except (UnicodeDecodeError, UnicodeError) as exc:
        raise DataError(path, f"is not readable as {encoding} text: save it as UTF-8") from exc
    sep = csv_delimiter(sample, sep)
    try:
        cells = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=encoding)
    except (UnicodeDecodeError, UnicodeError) as exc:
        raise DataError(
            path, f"is not {encoding} text throughout ({exc.reason}): save it as UTF-8"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(path, "is empty: expected a header row and data rows") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(path, f"is not a readable CSV: {exc}") from exc
    if spec.point_columns:
        return RawTable(str(path), cells)
    header = {str(c).strip().lower(): c for c in cells.columns}
    if Column.GEOMETRY not in header:
        raise DataError(path, f"the {spec.layer} table needs a geometry column (WKT)")
    text = cells[header[Column.GEOMETRY]].str.strip()
    blank = (text == "").to_numpy()
    geoms = shapely.from_wkt(
        np.where(blank, None, text.to_numpy(dtype=object)), on_invalid="ignore"
    )
    unreadable = np.flatnonzero(pd.isna(geoms) & ~blank)
    problems = tuple(
        Problem(
            str(path),
            int(i) + 2,
            Column.GEOMETRY,
            "not readable as WKT (expected e.g. POLYGON ((lon lat, ...)))",
            str(spec.layer),
        )
        for i in unreadable
    )
    return RawTable(str(path), cells, pd.Series(geoms, index=cells.index), problems=problems)


def _read_geojson(path: Path, layer: Layer | None) -> dict[Layer, RawTable]:
    try:
        with open(path, encoding="utf-8-sig") as f:
            document = json.load(f)
    except UnicodeDecodeError as exc:
        raise DataError(path, "is not UTF-8 text: GeoJSON must be UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise DataError(path, f"is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    if not (
        isinstance(document, dict)
        and document.get("type") == "FeatureCollection"
        and isinstance(document.get("features"), list)
    ):
        raise DataError(path, "is not a GeoJSON FeatureCollection")
    records: dict[Layer, list[tuple[int, dict[str, Any], Any, Problem | None]]] = {}
    default = layer or _layer_from_name(path) or Layer.EVENTS
    for number, feature in enumerate(document["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        named = props.get(Column.LAYER)
        target = Layer(named) if named in {x.value for x in Layer} else default
        if layer is not None and named is not None and target != layer:
            continue
        geometry, problem = _geojson_geometry(feature, path, number, target)
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
        tables[target] = RawTable(str(path), cells, geometry, "feature", 1, problems)
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


def _read_gpkg(path: Path, layer: Layer | None) -> dict[Layer, RawTable]:
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise DataError(path, f"is not a readable GeoPackage: {exc}") from exc
    targets = [x for x in Layer if x.value in names and (layer is None or x == layer)]
    if layer is None and not targets and len(names) == 1:
        targets_named = {Layer.EVENTS: names[0]}
    else:
        targets_named = {x: x.value for x in targets}
    tables = {}
    for target, name in targets_named.items():
        try:
            frame = pyogrio.read_dataframe(path, layer=name)
        except Exception as exc:
            raise DataError(path, f"layer {name} is not readable: {exc}") from exc
        tables[target] = _table_from_frame(path, frame)
    return tables


def _read_parquet(path: Path, spec: LayerSpec) -> RawTable:
    try:
        columns = pq.read_schema(path).names
    except Exception as exc:  # pyarrow raises many types on damage
        raise DataError(path, f"is not a readable Parquet file: {exc}") from exc
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
    return _table_from_frame(path, frame)


def _table_from_frame(path: Path, frame: gpd.GeoDataFrame) -> RawTable:
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        if frame.crs is not None and not frame.crs.equals(CRS):
            frame = frame.to_crs(CRS)
        geometry = pd.Series(frame.geometry.to_numpy(), index=frame.index, dtype=object)
        cells = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    else:
        geometry, cells = None, pd.DataFrame(frame)
    return RawTable(str(path), cells.reset_index(drop=True), geometry, "row", 1)


# --- writing --------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # some writers (GDAL) refuse to write over an existing file
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_layer(
    frame: gpd.GeoDataFrame, path: str | Path, layer: Layer | str, *, indent: int | None = None
) -> Path:
    """Write one layer (EPSG:4326, the layer's columns) to CSV, GeoJSON, GeoPackage or Parquet.

    The format follows the suffix; ``indent`` pretty-prints GeoJSON.  Returns the path written.
    """
    path, spec = Path(path), LAYER_SPECS[Layer(layer)]
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix in CSV_SUFFIXES:
            to_text_table(frame, spec).to_csv(
                tmp, index=False, sep=CSV_SUFFIXES[suffix], lineterminator="\n"
            )
        elif suffix in GEOJSON_SUFFIXES:
            _write_json(tmp, feature_collection({spec.layer: frame}), indent=indent)
        elif suffix in GPKG_SUFFIXES:
            _write_gpkg_layer(frame, spec, tmp)
        elif suffix in PARQUET_SUFFIXES:
            _for_binary(frame, spec).to_parquet(tmp, index=False)
        else:
            raise DataError(path, f"cannot write {suffix or 'a file without suffix'}")
    return path


def write_dataset(dataset: Dataset, path: str | Path, *, indent: int | None = None) -> Path:
    """Write a dataset.

    ``.gpkg`` writes a table per non-empty layer; ``.geojson`` one FeatureCollection whose
    features carry a ``layer`` property; ``.csv`` and ``.parquet`` the events alone; a path
    without suffix a folder with one GeoJSON file per layer.  Returns the path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    layers = {layer: dataset.layer(layer) for layer in DATASET_LAYERS}
    if suffix in GPKG_SUFFIXES:
        with atomic_path(path) as tmp:
            for layer, frame in layers.items():
                if len(frame):
                    _write_gpkg_layer(frame, LAYER_SPECS[layer], tmp)
            if not tmp.exists():
                _write_gpkg_layer(layers[Layer.EVENTS], LAYER_SPECS[Layer.EVENTS], tmp)
        return path
    if suffix in GEOJSON_SUFFIXES:
        with atomic_path(path) as tmp:
            _write_json(tmp, feature_collection(layers, tag_layer=True), indent=indent)
        return path
    if suffix in CSV_SUFFIXES or suffix in PARQUET_SUFFIXES:
        return write_layer(dataset.events, path, Layer.EVENTS)
    if suffix:
        raise DataError(path, f"cannot write a dataset as {suffix}")
    path.mkdir(parents=True, exist_ok=True)
    for layer, frame in layers.items():
        with atomic_path(path / f"{layer}.geojson") as tmp:
            _write_json(tmp, feature_collection({layer: frame}), indent=indent)
    return path


def _write_json(path: Path, document: dict[str, Any], indent: int | None = None) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False, indent=indent, allow_nan=False)
        f.write("\n")


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
            out[field.column] = _iso_dates(out[field.column])
        elif field.is_category:
            out[field.column] = out[field.column].astype("string")
    return out


def _iso_dates(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").astype("string")


def to_text_table(frame: gpd.GeoDataFrame, spec: LayerSpec) -> pd.DataFrame:
    """The layer as text cells, as CSV holds it (non-point geometry as WKT)."""
    out = pd.DataFrame(index=frame.index)
    for field in spec.fields:
        values = frame[field.column]
        if field.type is FieldType.DATE:
            values = _iso_dates(values)
        elif field.type is FieldType.BOOLEAN:
            values = values.map({True: "true", False: "false"}, na_action="ignore")
        elif field.type is FieldType.TEXT:
            # a spreadsheet must never run a cell as a formula; the reader undoes this
            values = values.astype("string").map(neutralise_formula, na_action="ignore")
        out[field.column] = values
    if not spec.point_columns:
        out[Column.GEOMETRY] = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=-1)
    return out


def feature_collection(
    layers: dict[Layer, gpd.GeoDataFrame], *, tag_layer: bool = False
) -> dict[str, Any]:
    """Layers as one GeoJSON FeatureCollection (structured cells as nested JSON).

    With ``tag_layer`` every feature's properties start with ``"layer": <name>``.
    """
    features = []
    for layer, frame in layers.items():
        spec = LAYER_SPECS[Layer(layer)]
        columns = [c for c in spec.columns if not (spec.point_columns and c in _LAT_LON)]
        for props, geom in zip(
            _json_records(frame, spec, columns), frame.geometry.to_numpy(), strict=True
        ):
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


def _json_records(frame: pd.DataFrame, spec: LayerSpec, columns: list[Column]):
    converters = {}
    for column in columns:
        field_type = spec.field(column).type
        if field_type is FieldType.DATE:
            converters[column] = _iso_dates(frame[column]).tolist()
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
