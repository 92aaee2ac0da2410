"""Reading and writing: lossless round trips for every format and layer, atomic writes."""

from __future__ import annotations

import json
import os
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from geo import DataError, read_dataset, read_layer, write_dataset, write_layer
from geo.dataset import Dataset, empty_layer
from geo.io.geojson import rfc7946_geometries
from geo.schema import DATASET_LAYERS, Layer

FORMATS = [".csv", ".geojson", ".gpkg", ".parquet"]


def as_geojson_writes(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A layer as a GeoJSON file holds it: RFC 7946's winding, coordinates to 7 decimals."""
    out = frame.copy()
    out.geometry = rfc7946_geometries(frame.geometry.to_numpy())
    return out


def as_geojson_dataset(dataset: Dataset) -> Dataset:
    return dataset.with_layers(
        **{str(layer): as_geojson_writes(dataset.layer(layer)) for layer in DATASET_LAYERS}
    )


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("layer", DATASET_LAYERS, ids=str)
def test_every_layer_round_trips_losslessly_through_every_format(story, tmp_path, layer, suffix):
    original = story.layer(layer)
    path = write_layer(original, tmp_path / f"{layer}{suffix}", layer)
    back, report = read_layer(path, layer)
    assert report.problems == []
    assert len(back) == len(original) > 0
    # lossless up to what RFC 7946 asks of a GeoJSON file: no more than 7 decimals
    expected = as_geojson_writes(original) if suffix == ".geojson" else original
    assert_geodataframe_equal(back, expected, check_geom_type=True)


@pytest.mark.parametrize("suffix", FORMATS)
def test_an_empty_layer_round_trips(tmp_path, suffix):
    original = empty_layer(Layer.EVENTS)
    back, _ = read_layer(write_layer(original, tmp_path / f"events{suffix}", Layer.EVENTS))
    assert_geodataframe_equal(back, original)


def test_each_empty_layer_is_its_own_frame():
    first = empty_layer(Layer.EVENTS)
    first["note"] = []
    first.attrs["touched"] = True
    second = empty_layer(Layer.EVENTS)
    assert "note" not in second.columns and "touched" not in second.attrs
    assert second is not first and second.crs == "EPSG:4326"


@pytest.mark.parametrize("target", ["story.gpkg", "story.geojson", "story_folder"])
def test_a_whole_dataset_round_trips(story, tmp_path, target):
    path = write_dataset(story, tmp_path / target)
    back, report = read_dataset(path)
    assert report.ok
    # a folder is written as GeoJSON files, which RFC 7946 holds to 7 decimals
    expected = story if target.endswith(".gpkg") else as_geojson_dataset(story)
    for layer in DATASET_LAYERS:
        assert_geodataframe_equal(back.layer(layer), expected.layer(layer), check_geom_type=True)
    assert back.content_hash() == expected.content_hash()


def test_a_dataset_geojson_tags_every_feature_with_its_layer(story, tmp_path):
    path = write_dataset(story, tmp_path / "all.geojson")
    features = json.loads(path.read_text())["features"]
    layers = [f["properties"]["layer"] for f in features]
    assert {name: layers.count(name) for name in set(layers)} == {
        str(layer): len(story.layer(layer)) for layer in DATASET_LAYERS
    }
    event = next(f for f in features if f["properties"]["layer"] == "events")
    assert isinstance(event["properties"]["sources"], list), "sources are nested JSON, not text"
    assert "latitude" not in event["properties"], "a point's position lives in its geometry"


def test_a_gpkg_holds_a_table_per_layer_readable_by_geopandas(story, tmp_path):
    path = write_dataset(story, tmp_path / "story.gpkg")
    zones = gpd.read_file(path, layer="zones")
    assert len(zones) == len(story.zones)
    assert zones.crs.to_epsg() == 4326


def test_a_csv_export_holds_the_events_with_latitude_and_longitude(story, tmp_path):
    path = write_dataset(story, tmp_path / "events.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:2] == ["id", "date_start"]
    assert {"latitude", "longitude", "sources"} <= set(header)
    assert "geometry" not in header


def test_a_failed_write_leaves_the_existing_file_untouched(story, tmp_path, monkeypatch):
    path = tmp_path / "events.geojson"
    path.write_text("precious")

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("geo.io.geojson.feature_collection", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        write_layer(story.events, path, Layer.EVENTS)
    assert path.read_text() == "precious"
    assert os.listdir(tmp_path) == ["events.geojson"], "no temporary file is left behind"


def test_a_folder_with_two_files_for_one_layer_is_refused(story, tmp_path):
    write_layer(story.events, tmp_path / "events.csv", Layer.EVENTS)
    write_layer(story.events, tmp_path / "events.geojson", Layer.EVENTS)
    with pytest.raises(
        DataError, match=r"more than one events file \(events.csv, events.geojson\)"
    ):
        read_dataset(tmp_path)


def test_an_empty_folder_is_not_a_dataset(tmp_path):
    with pytest.raises(DataError, match="holds no layer files"):
        read_dataset(tmp_path)


def test_a_layer_file_is_recognised_by_its_name(story, tmp_path):
    path = write_layer(story.zones, tmp_path / "zones.csv", Layer.ZONES)
    frame, _ = read_layer(path)
    assert len(frame) == len(story.zones)


def test_a_projected_gpkg_is_reprojected_to_wgs84(story, tmp_path):
    path = tmp_path / "projected.gpkg"
    story.places.to_crs(32637).to_file(path, layer="places")
    frame, report = read_layer(path, Layer.PLACES)
    assert report.problems == []
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.x.iloc[0] == pytest.approx(story.places.geometry.x.iloc[0])


def test_invalid_rows_in_a_dataset_are_listed_and_the_rest_kept(story, tmp_path):
    path = write_layer(story.events, tmp_path / "events.csv", Layer.EVENTS)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert ",2015-11-24," in lines[2]
    lines[2] = lines[2].replace(",2015-11-24,", ",2015-11-99,", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset, report = read_dataset(tmp_path)
    assert len(dataset.events) == len(story.events) - 1
    assert [(p.row, p.column) for p in report.problems] == [(3, "date_start")]
    assert "1 rejected" in report.summary()


def test_csv_exports_never_hold_a_formula_and_read_back_unchanged(story, tmp_path):
    events = story.events.iloc[:4].copy()
    hostile = ['=HYPERLINK("http://x")', "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)"]
    events["description"] = pd.array(hostile, dtype="string")
    events["actor2"] = pd.Categorical(["=1+1", "Turkey", "+x", "@y"])
    path = write_layer(events, tmp_path / "events.csv", Layer.EVENTS)
    import csv

    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for column, cell in row.items():
            if column not in ("latitude", "longitude", "uncertainty_km", "fatalities"):
                assert not cell.startswith(("=", "+", "-", "@")), (column, cell)
    back, report = read_layer(path)
    assert report.problems == []
    assert list(back["description"]) == hostile
    assert list(back["actor2"].astype(str)) == ["=1+1", "Turkey", "+x", "@y"]


# --- Excel, zipped shapefiles, the upload limit ----------------------------------------


def _workbook(path, sheets: dict[str, list[list]]):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for values in rows:
            sheet.append(values)
    book.save(path)
    return path


def _sheet(frame, spec_layer) -> list[list]:
    from geo.io import to_text_table
    from geo.schema import LAYER_SPECS

    cells = to_text_table(frame, LAYER_SPECS[spec_layer])
    return [list(cells.columns), *cells.astype(object).where(cells.notna(), None).values.tolist()]


def test_a_workbook_with_a_sheet_per_layer_is_a_dataset(story, tmp_path):
    path = _workbook(
        tmp_path / "story.xlsx",
        {
            "Notes": [["anything"]],
            "Events": _sheet(story.events, Layer.EVENTS),
            "zones": _sheet(story.zones, Layer.ZONES),
            "routes": [],
        },
    )
    dataset, report = read_dataset(path)
    assert report.ok, report.problems
    assert [(r.layer, r.rows_read) for r in report.layers] == [
        ("events", len(story.events)),
        ("zones", len(story.zones)),
        ("routes", 0),
    ]
    assert_geodataframe_equal(dataset.events, story.events, check_less_precise=True)
    assert len(dataset.zones) == len(story.zones)
    zones, _ = read_layer(path, Layer.ZONES)
    assert len(zones) == len(story.zones)
    with pytest.raises(DataError, match=r"holds no places layer \(layers found: none\)"):
        read_layer(path, Layer.PLACES)


def test_a_workbook_without_layer_sheets_is_read_from_its_first_sheet(story, tmp_path):
    path = _workbook(tmp_path / "export.xlsx", {"Sheet1": _sheet(story.events, Layer.EVENTS)})
    events, report = read_layer(path)
    assert report.problems == [] and report.encoding is None
    assert list(events["id"]) == list(story.events["id"])


@pytest.mark.parametrize(
    ("suffix", "what"),
    [
        (".xls", "a legacy Excel workbook (.xls)"),
        (".xlsm", "a macro-enabled Excel workbook (.xlsm)"),
        (".xlsb", "a binary Excel workbook (.xlsb)"),
    ],
)
def test_workbooks_that_could_carry_macros_or_need_old_parsers_are_refused(tmp_path, suffix, what):
    path = tmp_path / f"book{suffix}"
    path.write_bytes(b"anything")
    with pytest.raises(DataError) as raised:
        read_layer(path)
    assert raised.value.reason == (
        f"is {what}, which is not read: save it as an Excel Workbook (.xlsx) or as CSV UTF-8"
    )


def _zip_folder(folder, path):
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, file.name)
    return path


def test_a_zipped_shapefile_of_points_is_events_with_its_cut_column_names_restored(story, tmp_path):
    import warnings

    folder = tmp_path / "shp"
    folder.mkdir()
    events = story.events.iloc[:5].copy()
    events["date_start"] = events["date_start"].dt.strftime("%Y-%m-%d")
    events["sources"] = "Reuters"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # names cut to ten characters: the point of the test
        events.drop(columns=["date_end"]).to_crs(3857).to_file(folder / "export.shp")
    frame, report = read_layer(_zip_folder(folder, tmp_path / "export.zip"))
    assert report.problems == []
    assert report.path == f"{tmp_path / 'export.zip'}/export.shp"
    assert list(frame["id"]) == list(events["id"])
    assert list(frame["location_precision"]) == list(story.events["location_precision"][:5])
    assert frame.geometry.x.to_numpy() == pytest.approx(story.events.geometry.x[:5].to_numpy())


def test_a_zip_of_one_table_reads_that_table(story, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_layer(story.zones, folder / "control.geojson", Layer.ZONES)
    zones, report = read_layer(_zip_folder(folder, tmp_path / "upload.zip"), Layer.ZONES)
    assert report.problems == [] and len(zones) == len(story.zones)


def test_an_upload_over_the_limit_is_refused_with_its_size(tmp_path, monkeypatch):
    from geo.io import MAX_UPLOAD_MB, check_upload_size

    monkeypatch.delenv("ATLAS_MAX_UPLOAD_MB", raising=False)
    assert MAX_UPLOAD_MB == 200
    check_upload_size(200 * 2**20, "ok.csv")
    with pytest.raises(DataError) as raised:
        check_upload_size(312 * 2**20, "big.csv")
    assert str(raised.value) == (
        "big.csv: is 312 MB: the limit is 200 MB (set ATLAS_MAX_UPLOAD_MB to raise it)"
    )
    with pytest.raises(DataError, match=r"^big\.csv: is 200\.1 MB: the limit is 200 MB"):
        check_upload_size(200 * 2**20 + 1, "big.csv")
    path = tmp_path / "small.csv"
    path.write_bytes(bytes(2 * 2**20))
    with pytest.raises(DataError, match=r"^small\.csv: is 2 MB: the limit is 1\.5 MB"):
        check_upload_size(path, "small.csv", limit_mb=1.5)


def test_the_upload_limit_is_raised_by_an_environment_variable(monkeypatch):
    from geo.io import check_upload_size, upload_limit_mb

    monkeypatch.setenv("ATLAS_MAX_UPLOAD_MB", "500")
    assert upload_limit_mb() == 500
    check_upload_size(312 * 2**20, "big.csv")
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_MB", "lots")
    with pytest.raises(
        ValueError, match="ATLAS_MAX_UPLOAD_MB must be a positive number of megabytes, got 'lots'"
    ):
        upload_limit_mb()


def test_a_workbook_whose_only_sheet_is_empty_is_a_data_error(tmp_path):
    path = _workbook(tmp_path / "empty.xlsx", {"Sheet1": []})
    with pytest.raises(DataError) as raised:
        read_layer(path)
    assert raised.value.reason == "sheet 'Sheet1' is empty: expected a header row and data rows"


def _read_json_lines(path, layer, limits):
    """A toy reader: one JSON object per line, its keys the columns."""
    from geo.raw import RawTable

    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    cells = pd.DataFrame.from_records(records).astype(object)
    return {layer or Layer.EVENTS: RawTable(str(path), cells, record_label="line", first_row=1)}


def test_a_format_registered_in_the_table_is_read_listed_and_uploaded(story, tmp_path, monkeypatch):
    from geo.io import formats, to_text_table
    from geo.schema import LAYER_SPECS
    from geo.uploads import read_upload

    toy = formats.Format("jsonl", (".jsonl",), _read_json_lines)
    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, toy))
    lines = to_text_table(story.events, LAYER_SPECS[Layer.EVENTS]).to_json(
        orient="records", lines=True
    )
    path = tmp_path / "events.jsonl"
    path.write_text(lines)

    # read, alone, as a dataset folder's layer file and inside a zip
    frame, report = read_layer(path)
    assert report.problems == [] and len(frame) == len(story.events)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "events.jsonl").write_text(lines)
    assert len(read_dataset(folder)[0].events) == len(story.events)
    zipped = tmp_path / "events.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(path, "events.jsonl")
    assert len(read_dataset(zipped)[0].events) == len(story.events)

    # named in every message that lists what is read
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError) as unknown:
        read_layer(tmp_path / "notes.txt")
    assert str(unknown.value).endswith(
        "unknown file type .txt: expected .csv, .tsv, .xlsx, .geojson, .json, .gpkg, "
        ".parquet, .zip (a zipped shapefile) or .jsonl"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(
        DataError, match=r"\(\.csv, \.xlsx, \.geojson, \.gpkg, \.parquet or \.jsonl\)"
    ):
        read_dataset(empty)
    # never written: it has no writer
    with pytest.raises(DataError, match=r"cannot write \.jsonl"):
        write_layer(story.events, tmp_path / "out.jsonl", Layer.EVENTS)

    # accepted as an upload, and listed where an upload is refused
    dataset, upload_report = read_upload("mine.jsonl", lines.encode())
    assert upload_report.ok and len(dataset.events) == len(story.events)
    with pytest.raises(DataError, match=r"expected one of .*\.geoparquet, \.zip, \.jsonl$"):
        read_upload("mine.txt", b"hello")


def test_a_file_without_a_header_row_is_told_so(tmp_path):
    path = tmp_path / "no_header.csv"
    path.write_text(
        "1,2016-12-15,Battles,36.2,37.1,http://example.org/a\n"
        "2,2016-12-16,Battles,36.3,37.2,http://example.org/b\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="does the file have no header row"):
        read_dataset(path)


def test_a_recognised_layout_with_a_mapping_given_loads_through_the_mapping(tmp_path):
    # the columns look like ACLED's, but the user maps the place onto admin1
    from geo.mapping import ColumnMapping

    path = tmp_path / "acled.csv"
    path.write_text(
        "event_id_cnty,event_date,event_type,actor1,latitude,longitude,geo_precision,"
        "time_precision,location,admin1,source\n"
        "SYR1,2021-11-04,Battles,Army,36.2,37.1,1,1,Old town,Aleppo,Monitor\n",
        encoding="utf-8",
    )
    mapping = ColumnMapping(
        {
            "id": "event_id_cnty",
            "date_start": "event_date",
            "event_type": "event_type",
            "actor1": "actor1",
            "latitude": "latitude",
            "longitude": "longitude",
            "place_name": "admin1",
            "sources": "source",
        }
    )
    dataset, _ = read_dataset(path, mapping=mapping)
    assert list(dataset.events.place_name) == ["Aleppo"]
