"""The atlas command line, as a script or newsroom pipeline uses it."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest

from dashboard.cli import main
from geo import read_dataset
from tests.tables import EVENT_HEADER, event_row, nothing_valid_csv


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_lists_each_layer_with_its_count_span_and_actors(capsys, story):
    code, out, _ = run(capsys, "info")
    assert code == 0
    assert f"events: {len(story.events)}, 2015-11-24 to 2017-01-23" in out
    assert "Turkey (" in out and "Russia (" in out and "Iran (" in out
    assert f"zones: {len(story.zones)}" in out


def test_info_json_is_machine_readable(capsys, story):
    code, out, _ = run(capsys, "info", "--json")
    info = json.loads(out)
    assert code == 0
    assert info["layers"]["events"]["count"] == len(story.events)
    assert info["layers"]["zones"]["controllers"]["Syrian opposition"] >= 6
    assert info["version"] == story.content_hash()


def test_info_reads_another_dataset_with_data(capsys, tmp_path, write_text):
    path = write_text("mine.csv", f"{EVENT_HEADER}\n{event_row()}\n")
    code, out, _ = run(capsys, "info", "--data", str(path), "--json")
    assert code == 0
    assert json.loads(out)["layers"]["events"]["count"] == 1


def test_validate_exits_0_on_a_valid_file(capsys, write_text):
    path = write_text("ok.csv", f"{EVENT_HEADER}\n{event_row()}\n")
    code, out, err = run(capsys, "validate", str(path))
    assert (code, out) == (0, "")
    assert "1 read, 1 accepted, 0 rejected" in err


def test_validate_names_each_bad_line_of_a_csv_and_exits_1(capsys, write_text):
    rows = [
        event_row(id="ok"),
        event_row(id="bad-date", date_start="2016-12-45"),
        event_row(id="bad-latitude", latitude="200"),
        event_row(id="no-actor", actor1=""),
        event_row(id="bad-precision", location_precision="9"),
    ]
    path = write_text("bad.csv", EVENT_HEADER + "\n" + "\n".join(rows) + "\n")
    code, out, err = run(capsys, "validate", str(path))
    assert code == 1
    assert out.splitlines() == [
        f"{path}:3: date_start: expected a date as YYYY-MM-DD (got '2016-12-45')",
        f"{path}:4: latitude: expected a number from -90 to 90 (got '200')",
        f"{path}:5: actor1: required, but empty",
        f"{path}:6: location_precision: expected one of: site, district, locality, near, "
        "region, area, country (got '9')",
    ]
    assert "5 read, 1 accepted, 4 rejected" in err


def test_validate_exits_2_when_a_file_cannot_be_read(capsys, tmp_path, write_text):
    good = write_text("ok.csv", f"{EVENT_HEADER}\n{event_row()}\n")
    code, _, err = run(capsys, "validate", str(good), str(tmp_path / "missing.csv"))
    assert code == 2
    assert f"{tmp_path / 'missing.csv'}: no such file" in err


def test_validate_accepts_the_bundled_story_and_its_exports(capsys, tmp_path):
    for name in ("story.gpkg", "story.geojson"):
        assert run(capsys, "export", "--out", str(tmp_path / name))[0] == 0
    code, out, _ = run(
        capsys, "validate", str(tmp_path / "story.gpkg"), str(tmp_path / "story.geojson")
    )
    assert (code, out) == (0, "")


def test_export_geojson_holds_every_layer_filtered(capsys, tmp_path):
    out_file = tmp_path / "evacuation.geojson"
    code, _, err = run(
        capsys,
        "export",
        "--start",
        "2016-12-15",
        "--end",
        "2016-12-22",
        "--as-of",
        "2016-12-16",
        "--actor",
        "ICRC",
        "--out",
        str(out_file),
    )
    assert code == 0
    features = json.loads(out_file.read_text())["features"]
    by_layer = pd.Series([f["properties"]["layer"] for f in features]).value_counts().to_dict()
    assert set(by_layer) == {"events", "places", "zones", "routes"}
    for feature in features:
        if feature["properties"]["layer"] == "events":
            props = feature["properties"]
            assert "2016-12-15" <= props["date_start"] <= "2016-12-22"
            actors = " ".join(str(props[k]) for k in ("actor1", "actor2", "assoc_actors"))
            assert "ICRC" in actors
        if feature["properties"]["layer"] == "zones":
            props = feature["properties"]
            assert props["valid_from"] <= "2016-12-16"
            assert props["valid_to"] is None or props["valid_to"] >= "2016-12-16"
    assert "involving ICRC" in err


def test_export_gpkg_has_a_table_per_layer(capsys, tmp_path, story):
    out_file = tmp_path / "story.gpkg"
    assert run(capsys, "export", "--out", str(out_file))[0] == 0
    dataset, report = read_dataset(out_file)
    assert report.ok
    assert len(dataset.events) == len(story.events)
    assert len(dataset.routes) == len(story.routes)  # no as-of day: every route
    assert len(gpd.read_file(out_file, layer="places")) == len(story.places)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_csv_and_parquet_hold_the_filtered_events(capsys, tmp_path, suffix):
    out_file = tmp_path / f"events{suffix}"
    code, _, _ = run(
        capsys,
        "export",
        "--event-type",
        "Battles",
        "--bbox",
        "36.9,36.0,37.4,36.4",
        "--out",
        str(out_file),
    )
    assert code == 0
    dataset, report = read_dataset(out_file)
    assert report.ok
    events = dataset.events
    assert len(events) > 0
    assert set(events["event_type"]) == {"Battles"}
    assert events.geometry.x.between(36.9, 37.4).all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--start", "yesterday"], "expected a date as YYYY-MM-DD, got 'yesterday'"),
        (["--start", "2016-12-22", "--end", "2016-12-01"], "ends (2016-12-01) before it starts"),
        (["--bbox", "x"], "expected a bounding box as W,S,E,N"),
        (["--out", "/tmp/x.shp"], "cannot write a dataset as .shp"),
    ],
)
def test_export_refuses_bad_arguments_with_exit_2(capsys, tmp_path, argv, message):
    if "--out" not in argv:
        argv = [*argv, "--out", str(tmp_path / "x.geojson")]
    code, _, err = run(capsys, "export", *argv)
    assert code == 2
    assert message in err


def test_the_atlas_console_script_is_installed():
    atlas = subprocess.run(
        [
            sys.executable,
            "-c",
            "import shutil,sys; print(shutil.which('atlas', path=sys.argv[1]))",
            str(__import__("pathlib").Path(sys.executable).parent),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert atlas != "None"
    done = subprocess.run([atlas, "info"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "events:" in done.stdout


def test_validate_and_import_take_a_country_for_rows_naming_none(tmp_path, capsys):
    from tests.test_geocode import PALMYRA_LOG

    lines = PALMYRA_LOG.splitlines()
    log = tmp_path / "log.csv"  # our own layout: an id on every row
    log.write_text(
        "\n".join([f"id,{lines[0]}", *(f"e{n},{line}" for n, line in enumerate(lines[1:]))]),
        encoding="utf-8",
    )
    assert main(["validate", str(log)]) == 1
    assert "named Palmyra (exact name, no country hint)" in capsys.readouterr().out
    assert main(["validate", "--country", "SY", str(log)]) == 0
    capsys.readouterr()
    out = tmp_path / "log.gpkg"
    assert main(["import", str(log), "--country", "Syria", "--out", str(out)]) == 0
    assert "rows naming no country had their places looked up in Syria" in capsys.readouterr().out
    assert len(read_dataset(out)[0].events) == 4


def test_every_filter_with_a_flag_is_an_option_of_export_and_snapshot(capsys):
    from geo.filters import FILTER_FIELDS

    for command in ("export", "snapshot"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        usage = capsys.readouterr().out
        for spec in FILTER_FIELDS:
            if spec.flag:
                assert spec.flag in usage, f"{command} lacks {spec.flag}"


@pytest.mark.parametrize("command", ["import", "export", "snapshot"])
def test_a_file_that_keeps_no_row_fails_in_one_line_and_writes_nothing(tmp_path, capsys, command):
    path = nothing_valid_csv(tmp_path)
    out = tmp_path / ("out.png" if command == "snapshot" else "out.gpkg")
    argv = {
        "import": ["import", str(path), "--out", str(out)],
        "export": ["export", "--data", str(path), "--out", str(out)],
        "snapshot": ["snapshot", "--data", str(path), "--out", str(out)],
    }[command]
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert "holds 3 rows and keeps none" in err
    assert "the commonest reason (3 rows): date_start: expected a date" in err
    assert not out.exists(), "no empty file is written"


def test_a_snapshot_of_a_dataset_without_events_never_writes_nat(story, tmp_path):
    from geo.io import write_layer
    from geo.schema import Layer

    folder = tmp_path / "zones_only"
    folder.mkdir()
    write_layer(story.zones, folder / "zones.geojson", Layer.ZONES)
    out = tmp_path / "zones.html"
    assert main(["snapshot", "--data", str(folder), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "NaT" not in html
    first = story.zones["valid_from"].min()
    assert f"start={first:%Y-%m-%d}" in html


def test_a_table_whose_guessed_mapping_is_complete_is_read_through_it_saying_how(tmp_path, capsys):
    from pathlib import Path

    newsroom = Path(__file__).parent / "data" / "newsroom_log.csv"
    out = tmp_path / "newsroom.gpkg"
    assert main(["import", str(newsroom), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "read through a guessed mapping" in err
    assert "Date (Date) ← Date" not in err and "date_start ← Date" in err
    assert "atlas mapping" in err, "it says how to check and keep the guess"
    # the log's Ankara row has no link (no source without the log's own, a constant), and
    # two rows name no findable place: the rest are kept
    assert len(read_dataset(out)[0].events) == 2
