"""A dataset: the events, places, zones and routes of one story, and what it holds."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.api.types import union_categoricals

from geo.actors import canonical_actor
from geo.parsing import decode_json_list
from geo.schema import CRS, DATASET_LAYERS, LAYER_SPECS, Column, FieldType, Layer, LayerSpec
from geo.validation import empty_layer


@dataclass(frozen=True)
class Dataset:
    """The layers of one story, each a GeoDataFrame in EPSG:4326 with its schema's columns.

    A layer a dataset lacks is an empty frame, never None, so that code can always filter
    and count.
    """

    events: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    name: str = ""
    source: str = ""
    _hash: list[str] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def from_layers(
        cls, layers: dict[Layer, gpd.GeoDataFrame], *, name: str = "", source: str = ""
    ) -> Dataset:
        """Build a dataset from the layers given; the others are empty."""
        frames = {
            layer.value: layers[layer] if layer in layers else empty_layer(layer)
            for layer in DATASET_LAYERS
        }
        return cls(**frames, name=name, source=source)

    def layer(self, layer: Layer | str) -> gpd.GeoDataFrame:
        """The frame of one layer."""
        return getattr(self, Layer(layer).value)

    def with_layers(self, **frames: gpd.GeoDataFrame) -> Dataset:
        """A copy with some layers replaced (``events=...``)."""
        return replace(self, **frames, _hash=[])

    def renamed(self, name: str) -> Dataset:
        """The same dataset under another display name."""
        return replace(self, name=name)

    def content_hash(self) -> str:
        """A short hash of every value in every layer: the dataset's version in captions."""
        if not self._hash:
            digest = hashlib.sha256()
            for layer in DATASET_LAYERS:
                frame = self.layer(layer)
                digest.update(layer.value.encode())
                attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
                digest.update(pd.util.hash_pandas_object(attributes, index=False).to_numpy())
                for wkb in shapely.to_wkb(frame.geometry.to_numpy()):
                    digest.update(wkb or b"")
            self._hash.append(digest.hexdigest()[:12])
        return self._hash[0]

    def info(self) -> dict[str, Any]:
        """Per layer: the count, the date span and the actors (events) or controllers (zones)."""
        summary: dict[str, Any] = {"name": self.name, "source": self.source, "layers": {}}
        summary["version"] = self.content_hash()
        for layer in DATASET_LAYERS:
            frame = self.layer(layer)
            entry: dict[str, Any] = {"count": len(frame)}
            span = date_span(frame, LAYER_SPECS[layer])
            if span is not None:
                entry["first_date"], entry["last_date"] = span
            if layer is Layer.EVENTS:
                entry["actors"] = dict(actor_counts(frame).most_common())
            elif layer is Layer.ZONES:
                entry["controllers"] = dict(Counter(frame[Column.CONTROLLER].dropna()))
            summary["layers"][layer.value] = entry
        return summary


def combine_datasets(datasets: Sequence[Dataset], *, name: str = "") -> Dataset:
    """Several datasets as one, every row of every layer naming its dataset (EPSG:4326).

    Each dataset's ``name`` goes into the ``dataset`` column (names must differ).  Event
    ids that two datasets share are made unique by prefixing the dataset's name
    (``upload.csv:17``), so that choosing an event on the map or in the table finds one.
    Repetitive columns stay categories (their categories united), so a million-row table
    costs no more combined than alone.

    Raises
    ------
    ValueError
        When two datasets have the same name, or none is given.
    """
    if not datasets:
        raise ValueError("no dataset to combine")
    names = [d.name for d in datasets]
    if len(set(names)) != len(names):
        raise ValueError(f"datasets to combine need different names, got {names}")
    seen: Counter[str] = Counter()
    for d in datasets:
        seen.update(set(d.events[Column.ID].astype(str)))
    shared = {i for i, n in seen.items() if n > 1}
    layers: dict[Layer, gpd.GeoDataFrame] = {}
    for layer in DATASET_LAYERS:
        frames = []
        for d in datasets:
            frame = d.layer(layer).copy()
            if layer is Layer.EVENTS and shared:
                ids = frame[Column.ID].astype(str)
                frame[Column.ID] = ids.where(~ids.isin(shared), d.name + ":" + ids)
            frame[Column.DATASET] = pd.Categorical([d.name] * len(frame), categories=names)
            frames.append(frame)
        layers[layer] = _concat(frames)
    source = "; ".join(d.source or d.name for d in datasets)
    return Dataset.from_layers(layers, name=name or " + ".join(names), source=source)


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Frames of one layer end to end, categories united rather than turned into text."""
    columns = {}
    for column in frames[0].columns:
        parts = [f[column] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            columns[column] = union_categoricals([p.astype("category") for p in parts])
        else:
            columns[column] = pd.concat(parts, ignore_index=True)
    cells = pd.DataFrame(
        {c: np.asarray(v) if c == frames[0].geometry.name else v for c, v in columns.items()}
    )
    return gpd.GeoDataFrame(cells, geometry=frames[0].geometry.name, crs=CRS)


def date_span(frame: gpd.GeoDataFrame, spec: LayerSpec) -> tuple[str, str] | None:
    """The first and last date any row of the layer mentions, as YYYY-MM-DD, or None."""
    dates: list[pd.Timestamp] = []
    for f in spec.fields:
        if f.type is FieldType.DATE:
            dates.extend(frame[f.column].dropna())
        elif f.type is FieldType.PERIODS:
            for cell in frame[f.column].dropna():
                for period in decode_json_list(cell):
                    dates.extend(pd.Timestamp(period[k]) for k in ("start", "end") if k in period)
    if not dates:
        return None
    return min(dates).strftime("%Y-%m-%d"), max(dates).strftime("%Y-%m-%d")


def split_actors(text: Any) -> list[str]:
    """The names in an associated-actors cell (``a; b``)."""
    if not isinstance(text, str):
        return []
    return [name.strip() for name in text.split(";") if name.strip()]


#: How UCDP GED separates the parties of a multi-party side ("National Front for
#: Liberation, SNA"), as in its real files; UCDP's actor names themselves hold no comma.
UCDP_SIDE_SEPARATOR = ","


def split_ucdp_side(text: Any) -> list[str]:
    """The parties in a UCDP GED ``side_a``/``side_b`` cell.

    >>> split_ucdp_side("Ahrar al-Sham, HTS, Southern Front")
    ['Ahrar al-Sham', 'HTS', 'Southern Front']
    >>> split_ucdp_side("Government of Syria")
    ['Government of Syria']
    """
    if not isinstance(text, str):
        return []
    return [name.strip() for name in text.split(UCDP_SIDE_SEPARATOR) if name.strip()]


def ucdp_side_parties(side_a: pd.Series, side_b: pd.Series) -> pd.Series:
    """Each row's parties of multi-party GED sides, as an associated-actors cell (``a; b``).

    ``side_a`` and ``side_b`` are GED's columns of those names, row for row.  A row whose
    sides each name one actor gets ``<NA>``: its actors are the sides themselves.  Judged
    once per distinct pair of sides (GED has a few hundred).
    """
    pairs = pd.DataFrame({"a": side_a.astype(object), "b": side_b.astype(object)})
    distinct = pairs.drop_duplicates()

    def parties(a: Any, b: Any) -> Any:
        names = [*split_ucdp_side(a), *split_ucdp_side(b)]
        if len(names) <= len([v for v in (a, b) if isinstance(v, str) and v.strip()]):
            return pd.NA
        return "; ".join(dict.fromkeys(names))

    distinct = distinct.assign(parties=[parties(a, b) for a, b in distinct.itertuples(False)])
    merged = pairs.merge(distinct, on=["a", "b"], how="left")
    return pd.Series(merged["parties"].to_numpy(), index=side_a.index, dtype=object)


def actor_counts(events: gpd.GeoDataFrame) -> Counter[str]:
    """How many events name each actor, in any role, under its canonical name.

    Reads ``actor1``, ``actor2`` and ``assoc_actors`` (``a; b``); names that are aliases of
    one actor ("ISIS", "Daesh") count as that actor (:func:`geo.actors.canonical_actor`),
    so a list built from the keys shows each actor once.
    """
    counts: Counter[str] = Counter()
    for column in (Column.ACTOR1, Column.ACTOR2):
        for name, n in events[column].value_counts().items():
            if n:
                counts[canonical_actor(str(name))] += int(n)
    for cell, n in events[Column.ASSOC_ACTORS].value_counts().items():
        if n == 0:
            continue  # an unused category
        for name in split_actors(cell):
            counts[canonical_actor(name)] += int(n)
    return Counter(dict(counts.most_common()))


__all__ = [
    "CRS",
    "Dataset",
    "actor_counts",
    "combine_datasets",
    "date_span",
    "empty_layer",
    "split_actors",
    "split_ucdp_side",
    "ucdp_side_parties",
]
