"""Outputs that real clients read cleanly: RFC 7946 GeoJSON, typed GeoPackages, Excel."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sqlite3
import subprocess
import warnings
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from dashboard.components.export import geojson_bytes, xlsx_bytes
from geo import DataError, read_dataset, read_layer, write_dataset, write_layer
from geo.io import dataset_outputs, format_of
from geo.parsing import canonical_sources
from geo.schema import Column, Layer


def _rings(geometry: dict) -> list[tuple[list, bool]]:
    """Every ring of a GeoJSON (Multi)Polygon, with whether it is an exterior."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [(ring, i == 0) for polygon in polygons for i, ring in enumerate(polygon)]


def _decimals(value: float) -> int:
    text = repr(float(value))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def _assert_rfc7946(document: dict) -> None:
    polygons = [
        f["geometry"]
        for f in document["features"]
        if f["geometry"] and f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    ]
    assert polygons, "the document holds polygons to check"
    for geometry in polygons:
        for ring, exterior in _rings(geometry):
            assert shapely.is_ccw(shapely.LinearRing(ring)) == exterior, (
                "exterior rings counter-clockwise, holes clockwise"
            )
        assert shapely.is_valid(shapely.geometry.shape(geometry))
    coordinates = [
        c
        for f in document["features"]
        if f["geometry"]
        for c in shapely.get_coordinates(shapely.geometry.shape(f["geometry"])).ravel()
    ]
    assert max(_decimals(c) for c in coordinates) <= 7


@pytest.fixture
def wound_wrong(story):
    """The story with its zones wound clockwise and given more than 7 decimals.

    The bundled zones are written RFC 7946 already (counter-clockwise, 7 decimals) since
    scripts/build_story.py rebuilt them: the writer must be shown the opposite to prove it.
    """
    zones = story.zones.copy()
    zones.geometry = shapely.transform(
        shapely.orient_polygons(zones.geometry.to_numpy(), exterior_cw=True),
        lambda c: c + 1.23456789e-9,
    )
    return story.with_layers(zones=zones)


def test_the_zones_given_to_the_writer_are_clockwise_with_many_decimals(wound_wrong):
    # the fixture the GeoJSON tests rely on: if this changes, they prove nothing
    zones = wound_wrong.zones
    exteriors = [p.exterior for g in zones.geometry for p in getattr(g, "geoms", [g])]
    assert not any(shapely.is_ccw(ring) for ring in exteriors)
    assert max(_decimals(c) for c in shapely.get_coordinates(zones.geometry).ravel()) > 7


def test_every_geojson_written_follows_rfc_7946(wound_wrong, tmp_path):
    story = wound_wrong
    layer = json.loads(
        write_layer(story.zones, tmp_path / "zones.geojson", Layer.ZONES).read_text()
    )
    _assert_rfc7946(layer)
    dataset = json.loads(write_dataset(story, tmp_path / "all.geojson").read_text())
    _assert_rfc7946(dataset)
    folder = write_dataset(story, tmp_path / "folder")
    _assert_rfc7946(json.loads((folder / "zones.geojson").read_text()))
    _assert_rfc7946(json.loads(geojson_bytes(story, ("zones", "events"))))


def test_a_hole_is_written_clockwise_inside_a_counter_clockwise_exterior(story, tmp_path):
    # clockwise outside, counter-clockwise hole: the reverse of what RFC 7946 asks
    outer = [(37.0, 36.0), (37.0, 36.3), (37.3, 36.3), (37.3, 36.0), (37.0, 36.0)]
    hole = [(37.1, 36.1), (37.2, 36.1), (37.2, 36.2), (37.1, 36.2), (37.1, 36.1)]
    zones = story.zones.iloc[:1].copy()
    zones.geometry = [shapely.Polygon(outer, [hole])]
    document = json.loads(write_layer(zones, tmp_path / "zones.geojson", Layer.ZONES).read_text())
    (exterior, _), (inner, is_exterior) = _rings(document["features"][0]["geometry"])
    assert shapely.is_ccw(shapely.LinearRing(exterior))
    assert not is_exterior and not shapely.is_ccw(shapely.LinearRing(inner))


def test_rounding_keeps_a_thin_polygon_valid(story, tmp_path):
    # a spike 4e-8 wide: its sides, rounded each to 7 decimals, fall on one line
    ring = [(0, 0), (1, 0), (1, 1), (0.50000004, 1), (0.50000002, 5), (0.5, 1), (0, 1), (0, 0)]
    bowtie = shapely.Polygon(ring)
    assert bowtie.is_valid
    assert not shapely.transform(bowtie, lambda c: np.round(c, 7)).is_valid
    zones = story.zones.iloc[:1].copy()
    zones.geometry = [bowtie]
    document = json.loads(write_layer(zones, tmp_path / "zones.geojson", Layer.ZONES).read_text())
    written = shapely.geometry.shape(document["features"][0]["geometry"])
    assert written.is_valid
    assert np.isclose(written.area, bowtie.area, rtol=1e-3)


@pytest.mark.parametrize("layer", [Layer.EVENTS, Layer.PLACES, Layer.ROUTES])
def test_points_and_lines_are_rounded_too(story, tmp_path, layer):
    frame = story.layer(layer).copy()
    frame.geometry = shapely.transform(frame.geometry.to_numpy(), lambda c: c + 1.23456789e-9)
    document = json.loads(write_layer(frame, tmp_path / f"{layer}.geojson", layer).read_text())
    coordinates = shapely.get_coordinates(
        [shapely.geometry.shape(f["geometry"]) for f in document["features"]]
    ).ravel()
    assert max(_decimals(c) for c in coordinates) <= 7


# --- GeoPackage ------------------------------------------------------------------------


def _declared_types(path) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT table_name, geometry_type_name FROM gpkg_geometry_columns")
        return {name: kind for name, kind in rows}


def test_a_gpkg_declares_each_layers_geometry_type(story, tmp_path):
    path = write_dataset(story, tmp_path / "story.gpkg")
    # zones and routes mix single and multi shapes: one Multi type holds them all
    expected = {
        "events": "POINT",
        "places": "POINT",
        "zones": "MULTIPOLYGON",
        "routes": "MULTILINESTRING",
    }
    assert _declared_types(path) == expected
    for name, kind in expected.items():
        assert pyogrio.read_info(path, layer=name)["geometry_type"].upper() == kind


def test_a_gpkg_layer_of_one_shape_type_declares_that_type(story, tmp_path):
    polygons = story.zones[story.zones.geom_type == "Polygon"]
    path = write_layer(polygons, tmp_path / "zones.gpkg", Layer.ZONES)
    assert _declared_types(path) == {"zones": "POLYGON"}
    empty = write_layer(story.routes.iloc[:0], tmp_path / "routes.gpkg", Layer.ROUTES)
    assert _declared_types(empty) == {"routes": "MULTILINESTRING"}


def test_a_gpkg_opens_without_warnings_and_round_trips(story, tmp_path):
    path = write_dataset(story, tmp_path / "story.gpkg")
    messages: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logging.getLogger("pyogrio").addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for name in ("events", "places", "zones", "routes"):
                pyogrio.read_dataframe(path, layer=name)
            back, report = read_dataset(path)
    finally:
        logging.getLogger("pyogrio").removeHandler(handler)
    assert messages == []
    assert report.ok
    # a shape promoted to a one-part Multi on writing is read back as the shape it was
    assert list(back.zones.geom_type) == list(story.zones.geom_type)
    assert back.content_hash() == story.content_hash()


def test_ogrinfo_reads_the_gpkg_without_warnings(story, tmp_path):
    # `make test` installs GDAL's command-line tools (Debian's gdal-bin) where they are missing
    assert shutil.which("ogrinfo"), "no ogrinfo: run `make gdal` (apt-get install gdal-bin)"
    path = write_dataset(story, tmp_path / "story.gpkg")
    run = subprocess.run(["ogrinfo", "-so", "-al", str(path)], capture_output=True, text=True)
    assert run.returncode == 0 and "Warning" not in run.stderr + run.stdout
    assert "Geometry: Multi Polygon" in run.stdout


# --- Excel -------------------------------------------------------------------------------


def _events_with_hostile_and_arabic_text(story, tmp_path):
    """The story's events with an Arabic actor and formula-looking descriptions (read from CSV)."""
    path = write_layer(story.events, tmp_path / "source.csv", Layer.EVENTS)
    cells = pd.read_csv(path, dtype=str, keep_default_na=False)
    cells.loc[0, "actor1"] = "الجيش العربي السوري"
    cells.loc[0, "description"] = '=HYPERLINK("http://x.example","click")'
    cells.loc[1, "description"] = "+1 فقط"
    cells.to_csv(path, index=False)
    events, report = read_layer(path, Layer.EVENTS)
    assert report.problems == []
    return story.with_layers(events=events)


def test_an_xlsx_export_round_trips_with_arabic_text_and_no_formula(story, tmp_path):
    dataset = _events_with_hostile_and_arabic_text(story, tmp_path)
    path = write_dataset(dataset, tmp_path / "events.xlsx")
    back, report = read_dataset(path)
    assert report.ok
    assert_geodataframe_equal(back.events, dataset.events, check_geom_type=True)

    book = openpyxl.load_workbook(path)
    sheet = book["events"]
    header = [c.value for c in sheet[1]]
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert first["actor1"].value == "الجيش العربي السوري"
    # text, never a formula: apostrophed as in CSV, and stored as a string
    assert first["description"].value == '\'=HYPERLINK("http://x.example","click")'
    assert first["description"].data_type == "s"
    assert first["date_start"].is_date and first["date_start"].value.date() == (
        dataset.events[Column.DATE_START].iloc[0].date()
    )
    assert isinstance(first["latitude"].value, float)


def test_the_xlsx_writer_is_in_the_format_table(story, tmp_path):
    assert format_of(".xlsx").writer is not None
    assert ".xlsx" in dataset_outputs()
    # app download: the same workbook
    workbook = xlsx_bytes(story)
    (tmp_path / "from-app.xlsx").write_bytes(workbook)
    assert len(read_dataset(tmp_path / "from-app.xlsx")[0].events) == len(story.events)


def test_a_cell_too_long_for_excel_is_refused_not_cut(story, tmp_path):
    events = story.events.copy()
    events[Column.DESCRIPTION] = events[Column.DESCRIPTION].astype(object)
    events.loc[events.index[3], Column.DESCRIPTION] = "x" * 40_000
    events = events.astype(story.events.dtypes.to_dict())
    with pytest.raises(
        DataError,
        match=r"row 4.s description is longer than the 32,767 characters.*CSV or GeoPackage",
    ):
        write_layer(events, tmp_path / "events.xlsx", Layer.EVENTS)
    assert not (tmp_path / "events.xlsx").exists()


def test_the_export_panel_offers_the_events_as_excel():
    from streamlit.testing.v1 import AppTest

    app = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=120).run()
    assert not at.exception
    labels = [d.label for d in at.get("download_button")]
    assert "Events (Excel)" in labels, labels


# --- shapefiles --------------------------------------------------------------------------


def test_sources_cut_by_a_shapefile_are_rejected_for_that_reason(story, tmp_path):
    events = story.events.copy()
    events.loc[events.index[:3], Column.SOURCES] = '[{"publisher": "Reuters"}]'
    story = story.with_layers(events=events)
    gpkg = write_dataset(story, tmp_path / "ours.gpkg")
    # what ogr2ogr does with our GeoPackage: text fields cut at 254 characters
    folder = tmp_path / "shape"
    folder.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL warns that it cut the field
        pyogrio.write_dataframe(
            pyogrio.read_dataframe(gpkg, layer="events"),
            folder / "events.shp",
            driver="ESRI Shapefile",
        )
    zipped = tmp_path / "events.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)

    back, report = read_dataset(zipped)
    long = story.events[Column.SOURCES].map(lambda v: len(v.encode())).to_numpy() > 254
    assert 0 < long.sum() < len(story.events), "some sources fit in a shapefile, some do not"
    assert [(p.row, p.column) for p in report.problems] == [
        (int(i) + 1, "sources") for i in np.flatnonzero(long)
    ]
    for problem in report.problems:
        assert problem.message == (
            "cut short by the shapefile format (a shapefile's text field holds at most 254 "
            "bytes: 254 Latin characters, fewer in other scripts): send the data as a "
            "GeoPackage (.gpkg), which keeps every character"
        )
    assert len(back.events) == (~long).sum()


# --- sources as real files write them ---------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "publishers"),
    [
        # GED's source_article: an entity's ";" is not a separator
        ("Islamic State&#8221;s Amaq agency; Reuters", ["Islamic State”s Amaq agency", "Reuters"]),
        ("Al-Masdar &#8220;News&#8221;;Reuters", ["Al-Masdar “News”", "Reuters"]),
        ("AFP &amp; SANA;  ; Reuters &#x2019;s wire", ["AFP & SANA", "Reuters ’s wire"]),
        # decoded once: an escaped entity stays the entity it spells
        ("The &amp;#8221; Post", ["The &#8221; Post"]),
        # a "&" that starts no entity, and a legacy entity without its ";", stay as written
        ("AT&T; Copy &copy 2020", ["AT&T", "Copy &copy 2020"]),
    ],
)
def test_text_sources_split_between_entities_and_decode_them_once(cell, publishers):
    sources = json.loads(canonical_sources(cell))
    assert [s["publisher"] for s in sources] == publishers


def test_a_json_source_list_is_not_decoded_again():
    # our own files hold sources decoded: reading one back must not decode a second time
    written = json.dumps([{"publisher": "The &#8221; Post"}])
    assert json.loads(canonical_sources(written))[0]["publisher"] == "The &#8221; Post"


# --- captions ------------------------------------------------------------------------------


def _events_citing(story, publishers: list[str]):
    """The story's first event once per publisher, each citing its own."""
    one = story.events.iloc[[0]]
    events = one.loc[one.index.repeat(len(publishers))].reset_index(drop=True)
    events[Column.ID] = [f"event-{i}" for i in range(len(publishers))]
    events[Column.SOURCES] = pd.array(
        [json.dumps([{"publisher": p}]) for p in publishers], dtype="string"
    )
    return story.with_layers(events=events)


def test_a_caption_lists_the_top_sources_and_how_many_more(story):
    from dashboard.maps import attribution_text, basemap_geojson
    from dashboard.snapshot import SnapshotRequest, snapshot_html
    from geo.filters import Filters
    from geo.story import load_basemap

    publishers = [f"Local outlet number {i:04d} of the Sahel" for i in range(5_000)]
    # the first eight are cited more often, so that they are the top ones
    dataset = _events_citing(story, publishers + publishers[:8] * 3)
    basemap = load_basemap()
    html = snapshot_html(
        SnapshotRequest(
            dataset=dataset,
            filters=Filters.make(),
            bounds=[[-10, -20], [30, 40]],
            layers=("events",),
            provenance_footer=True,
        ),
        basemap_geojson(basemap),
        attribution=attribution_text(basemap),
    )
    caption = html[html.index('id="atlas-provenance"') :]
    caption = caption[: caption.index("</div></div>") + 12]
    assert len(caption) < 4_000
    assert "Local outlet number 0007 of the Sahel (4)" in caption
    assert "Local outlet number 0008" not in caption
    assert "and 4,992 more" in caption


def test_a_very_long_publisher_name_is_shortened_in_the_caption(story):
    from dashboard.snapshot import caption_html, cited_sources

    name = "<b>" + "A" * 5_000
    facts = dict.fromkeys(
        ["title", "window", "as_of", "filters", "shown", "dataset", "attribution", "link"], ""
    ) | {"made_at": "now"}
    caption = caption_html(facts, cited_sources(_events_citing(story, [name]), ["events"]))
    assert len(caption) < 2_000
    assert "&lt;b&gt;AAAA" in caption and "<b>AAAA" not in caption
