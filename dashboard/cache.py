"""Every cache of the app, in one place.

The loaded dataset is held once for all sessions (``st.cache_resource``: not copied per
session; nothing mutates it), keyed by its path and modification time so an edited file is
reloaded.  It and its report name files as the user knows them, never by where they lie on
the server.  Derived values that are cheap to copy use ``st.cache_data``.  The datasets a
session uploaded, combined with the others for the map, are that session's alone: held in
its state (gone with it) and counted with the uploads (``geo.uploads.upload_memory``).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard.assets import STATIC_DIR
from dashboard.components.timeline import events_per_day
from dashboard.maps import Palette, attribution_text, basemap_geojson
from dashboard.settings import COUNTRY, DATA, MAPPING
from dashboard.state import Choices
from geo.dataset import Dataset, combine_datasets
from geo.filters import Filters, filter_events
from geo.grid import HexagonIndex
from geo.io import atomic_path
from geo.io.checked import read_checked
from geo.mapping import read_mapping
from geo.problems import LoadReport
from geo.schema import Column
from geo.story import load_basemap, load_story, story_path
from geo.uploads import upload_memory
from geo.zones import areas_km2

#: Where a session keeps its open datasets combined: (their names and versions, dataset).
K_COMBINED = "combined_datasets"


def data_path() -> Path | None:
    """The dataset the app was started on (None: the bundled story)."""
    return DATA.value()


def modification_time(path: Path) -> float:
    """The newest modification time of a file, or of the files in a folder."""
    if path.is_dir():
        return max((p.stat().st_mtime for p in path.iterdir()), default=path.stat().st_mtime)
    return path.stat().st_mtime


def mapping_path() -> Path | None:
    """The mapping file ``atlas run --mapping`` gave for the dataset (None: none)."""
    return MAPPING.value()


@st.cache_resource(show_spinner="Loading the dataset…")
def _load(
    path: str | None,
    mtime: float,
    mapping: str | None,
    mapping_mtime: float,
    country: str | None = None,
) -> tuple[Dataset, LoadReport]:
    if path is None:
        story = load_story()
        return replace(story, source=f"{story_path().name} (the bundled story)"), LoadReport()
    # atlas run checked the file first and left a validated copy: read back in a fraction
    # of the time a first read takes (geo.io.checked)
    dataset, report = read_checked(
        path, mapping=read_mapping(mapping) if mapping else None, country=country
    )
    return replace(dataset, source=Path(path).name), without_folders(report, Path(path))


def without_folders(report: LoadReport, path: Path) -> LoadReport:
    """A report naming files from ``path``'s own name on (``mine.csv``, ``data/zones.csv``).

    The app shows reports to everyone who opens it: they name no folder of the server.
    """
    folder = f"{path.parent}/" if str(path.parent) not in ("", ".") else ""
    if not folder:
        return report

    def shown(text: str) -> str:
        return text.replace(folder, "")

    layers = []
    for layer in report.layers:
        layers.append(
            replace(
                layer,
                path=shown(layer.path),
                problems=[replace(p, path=shown(p.path)) for p in layer.problems],
                notes=[shown(note) for note in layer.notes],
            )
        )
    return LoadReport(layers)


def load_dataset() -> tuple[Dataset, LoadReport]:
    """The app's dataset and its load report, shared by every session."""
    path = data_path()
    if path is None:
        return _load(None, modification_time(story_path()), None, 0.0)
    mapping = mapping_path()
    mapping_mtime = modification_time(mapping) if mapping else 0.0
    return _load(
        str(path),
        modification_time(path),
        str(mapping) if mapping else None,
        mapping_mtime,
        COUNTRY.value(),
    )


def combined(*datasets: Dataset) -> Dataset:
    """Several open datasets as one (see ``geo.dataset.combine_datasets``), built once.

    The combination holds a copy of every upload in it, so it is this session's alone,
    kept in its state until the open datasets change (never in a cache shared by every
    session, where it would outlive the session), and counted with the uploads.
    """
    versions = tuple((d.name, d.content_hash()) for d in datasets)
    known = st.session_state.get(K_COMBINED)
    if known is not None and known[0] == versions:
        return known[1]
    with st.spinner("Combining the open datasets…"):
        dataset = combine_datasets(datasets)
    upload_memory().hold(dataset)
    st.session_state[K_COMBINED] = (versions, dataset)
    return dataset


def forget_combined() -> None:
    """Drop this session's combined datasets (a dataset was closed): they stop counting."""
    known = st.session_state.pop(K_COMBINED, None)
    if known is not None:
        upload_memory().release(known[1])


@st.cache_resource(show_spinner=False)
def basemap() -> gpd.GeoDataFrame:
    """The offline basemap outlines."""
    return load_basemap()


@st.cache_resource(show_spinner=False)
def basemap_json(tolerance: float = 0.005) -> str:
    """The basemap as simplified GeoJSON text, built once."""
    return basemap_geojson(basemap(), tolerance)


@st.cache_resource(show_spinner=False)
def basemap_url(static_base: str | None) -> str:
    """Where the browser fetches the outlines (a static file named by its content), or them.

    The file is cached by browsers and not re-sent with every update; on a read-only
    install the outlines are inlined instead, as in snapshots.
    """
    text = basemap_json()
    if static_base is None:
        return text
    name = f"basemap-{hashlib.sha256(text.encode()).hexdigest()[:12]}.json"
    path = STATIC_DIR / "generated" / name
    try:
        if not path.exists():
            with atomic_path(path) as tmp:
                tmp.write_text(text, encoding="utf-8")
    except OSError:
        return text  # a read-only install: inline, as snapshots do
    return f"{static_base}/generated/{name}"


@st.cache_resource(show_spinner=False)
def basemap_attribution() -> str:
    """The basemap's credits."""
    return attribution_text(basemap())


K_PALETTE = "palette"


def palette(dataset: Dataset, version: str) -> Palette:
    """The dataset's colours, each name keeping the colour it had in this session before.

    ``version`` is the dataset's content hash: the palette is made again only when the
    data change (an upload opened or closed), from the session's last one.
    """
    last = st.session_state.get(K_PALETTE)
    if last is not None and last[0] == version:
        return last[1]
    made = Palette.for_dataset(dataset, kept=last[1] if last is not None else None)
    st.session_state[K_PALETTE] = (version, made)
    return made


@st.cache_resource(show_spinner=False)
def choices(_dataset: Dataset, version: str) -> Choices:
    """The dataset's span, actors and types."""
    return Choices.for_dataset(_dataset)


@st.cache_data(show_spinner=False)
def events_per_day_for(
    _dataset: Dataset,
    version: str,
    actors: tuple[str, ...],
    types: tuple[str, ...],
    datasets: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The timeline's events per day and actor for the chosen actors, types and datasets.

    It depends on neither the window nor the as-of day, so a million-row table is counted
    once per actor and type choice, not on every rerun.
    """
    chosen = Filters.make(actors=actors, event_types=types, datasets=datasets)
    return events_per_day(filter_events(_dataset.events, chosen))


@st.cache_resource(show_spinner="Indexing the events' positions in H3 hexagons…", max_entries=4)
def hexagon_index(_dataset: Dataset, version: str) -> HexagonIndex:
    """The H3 index of the dataset's event positions, made on the first count per hexagon.

    A resource, not data: it is read, never changed, and a copy per rerun would cost what
    it saves (16 MB a million positions).
    """
    return HexagonIndex.of(_dataset.events)


@st.cache_data(show_spinner=False)
def zone_areas(_dataset: Dataset, version: str) -> pd.DataFrame:
    """Area (km²) of every zone drawn in several dated shapes, one row per shape."""
    zones = _dataset.zones
    repeated = zones[zones[Column.NAME].duplicated(keep=False)]
    return pd.DataFrame(
        {
            "name": repeated[Column.NAME].to_numpy(),
            "controller": repeated[Column.CONTROLLER].to_numpy(),
            "valid_from": repeated[Column.VALID_FROM].to_numpy(),
            "valid_to": repeated[Column.VALID_TO].to_numpy(),
            "area_km2": areas_km2(repeated.geometry).round(2).to_numpy(),
        }
    )
