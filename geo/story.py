"""The bundled story (Aleppo, December 2016) and the offline basemap that ships with it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import geopandas as gpd

from geo.dataset import Dataset
from geo.io import read_dataset, read_layer
from geo.problems import DataError
from geo.schema import Layer

STORY_TITLE = "Aleppo, December 2016: ceasefire, evacuation and the Turkey–Russia–Iran talks"


def story_path() -> Path:
    """The folder of the bundled story's layer files."""
    return Path(str(resources.files("geo") / "data" / "aleppo_2016"))


def story_file() -> Path:
    """The bundled story told step by step (``story.yaml``, read by ``geo.narrative``)."""
    return story_path() / "story.yaml"


def basemap_path() -> Path:
    """The bundled basemap: Natural Earth countries, Syrian governorates, Turkish provinces."""
    return Path(str(resources.files("geo") / "data" / "basemap" / "basemap.geojson"))


def load_story() -> Dataset:
    """The bundled story as a dataset (EPSG:4326).

    Raises
    ------
    DataError
        If any bundled row fails validation: the shipped data must always be clean.
    """
    dataset, report = read_dataset(story_path())
    if not report.ok:
        raise DataError(
            story_path(), "bundled story is invalid:\n" + "\n".join(str(p) for p in report.problems)
        )
    return dataset.renamed(STORY_TITLE)


def load_basemap() -> gpd.GeoDataFrame:
    """The offline basemap's outlines (EPSG:4326; columns id, name, kind, attribution)."""
    frame, report = read_layer(basemap_path(), Layer.BASEMAP)
    if report.problems:
        raise DataError(basemap_path(), f"{len(report.problems)} invalid basemap features")
    return frame
