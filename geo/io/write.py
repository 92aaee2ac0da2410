"""Writing: every file written atomically, in the format its suffix names, and the template.

:func:`write_layer` and :func:`write_dataset` find the writer in the table of formats
(:mod:`geo.io.formats`) and run it on a temporary file beside the target, moved into place
only when it is whole (:func:`atomic_path`): a failed write never leaves a half-written
file where the user's file was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.dataset import Dataset
from geo.io.formats import format_of
from geo.problems import DataError
from geo.schema import DATASET_LAYERS, LAYER_SPECS, Column, Layer


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
    found = format_of(suffix)
    with atomic_path(path) as tmp:
        if found is None or found.writer is None:
            raise DataError(path, f"cannot write {suffix or 'a file without suffix'}")
        found.writer(frame, spec, tmp, indent)
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
    found = format_of(suffix)
    if found is not None and found.dataset_writer is not None:
        with atomic_path(path) as tmp:
            found.dataset_writer(layers, tmp, indent)
        return path
    if found is not None and found.writer is not None:
        return write_layer(dataset.events, path, Layer.EVENTS)
    if suffix:
        raise DataError(path, f"cannot write a dataset as {suffix}")
    path.mkdir(parents=True, exist_ok=True)
    for layer, frame in layers.items():
        write_layer(frame, path / f"{layer}.geojson", layer, indent=indent)
    return path


#: Two events in the atlas's own layout, for the template a person fills in (our own words).
_TEMPLATE_EVENTS = (
    {
        Column.ID: "2016-12-13-ceasefire-announced",
        Column.DATE_START: "2016-12-13",
        Column.DATE_PRECISION: "day",
        Column.EVENT_TYPE: "Strategic developments",
        Column.SUB_EVENT_TYPE: "Agreement",
        Column.ACTOR1: "Russia",
        Column.ACTOR2: "Turkey",
        Column.PLACE_NAME: "Aleppo",
        Column.COUNTRY: "Syria",
        Column.LATITUDE: "36.2021",
        Column.LONGITUDE: "37.1343",
        Column.LOCATION_PRECISION: "locality",
        Column.ESTIMATE: "false",
        Column.DESCRIPTION: "A ceasefire for east Aleppo is announced (replace with your own).",
        Column.STATUS: "reported",
        Column.SOURCES: "Your newsroom log; https://example.org/your-story",
    },
    {
        Column.ID: "2016-12-15-first-convoy",
        Column.DATE_START: "2016-12-15",
        Column.DATE_END: "2016-12-16",
        Column.DATE_PRECISION: "days",
        Column.EVENT_TYPE: "Strategic developments",
        Column.ACTOR1: "ICRC",
        Column.PLACE_NAME: "Ramouseh",
        Column.LATITUDE: "36.17",
        Column.LONGITUDE: "37.13",
        Column.LOCATION_PRECISION: "near",
        Column.ESTIMATE: "true",
        Column.UNCERTAINTY_KM: "2",
        Column.FATALITIES: "",
        Column.DESCRIPTION: "A place without coordinates may give place_name and country alone.",
        Column.STATUS: "reported",
        Column.SOURCES: "Reuters",
    },
)


def template_events_csv() -> bytes:
    """A small CSV in the atlas's own events layout: every column, two example rows.

    >>> template_events_csv().decode().splitlines()[0].startswith("id,date_start,")
    True
    """
    columns = [c.value for c in LAYER_SPECS[Layer.EVENTS].columns if c != Column.GEOCODE]
    rows = [{c.value: v for c, v in row.items()} for row in _TEMPLATE_EVENTS]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    return frame.fillna("").to_csv(index=False).encode()
