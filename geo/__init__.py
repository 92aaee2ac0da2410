"""conflict-atlas's data layer: schema, reading, validation, filtering and the bundled story.

It never imports a user interface.  All geometry is in EPSG:4326.
"""

from geo.dataset import Dataset, empty_layer
from geo.io import read_dataset, read_layer, write_dataset, write_layer
from geo.problems import DataError, LayerReport, LoadReport, Problem
from geo.schema import CRS, Column, Layer

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
