"""conflict-atlas's data layer: schema, reading, validation, filtering and the bundled story.

It never imports a user interface.  All geometry is in EPSG:4326.

The names below are imported when first used (PEP 562): ``import geo.settings`` alone (the
server's options, Chromium's path) need not load geopandas, pandera and the readers, ~0.9 s.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Each public name, and the module that defines it.
_EXPORTS = {
    "Dataset": "geo.dataset",
    "empty_layer": "geo.dataset",
    "read_dataset": "geo.io",
    "read_layer": "geo.io",
    "write_dataset": "geo.io",
    "write_layer": "geo.io",
    "DataError": "geo.problems",
    "LayerReport": "geo.problems",
    "LoadReport": "geo.problems",
    "Problem": "geo.problems",
    "CRS": "geo.schema",
    "Column": "geo.schema",
    "Layer": "geo.schema",
}

__all__ = [
    "CRS",
    "Column",
    "DataError",
    "Dataset",
    "Layer",
    "LayerReport",
    "LoadReport",
    "Problem",
    "empty_layer",
    "read_dataset",
    "read_layer",
    "write_dataset",
    "write_layer",
]

if TYPE_CHECKING:
    from geo.dataset import Dataset, empty_layer
    from geo.io import read_dataset, read_layer, write_dataset, write_layer
    from geo.problems import DataError, LayerReport, LoadReport, Problem
    from geo.schema import CRS, Column, Layer


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
