"""A validated copy of a dataset in the cache folder: reused while nothing changed, never
trusted when it does not come back exactly (geo.io.checked)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from geo.io import read_dataset
from geo.io.checked import FOLDER, KEEP, _digest, input_key, read_checked
from geo.mapping import read_mapping
from geo.story import story_path

DATA = Path(__file__).parent / "data"
ACLED = DATA / "acled_old_layout.csv"


def _same(left, right) -> None:
    (dataset, report), (expected, expected_report) = left, right
    for layer in ("events", "places", "zones", "routes"):
        got, wanted = dataset.layer(layer), expected.layer(layer)
        pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(wanted))
        assert got.crs == wanted.crs
    assert (dataset.name, dataset.source) == (expected.name, expected.source)
    assert dataset.content_hash() == expected.content_hash()
    assert report == expected_report


def _no_second_read(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("read again: the kept copy was not used")

    monkeypatch.setattr("geo.io.checked.read_dataset", refuse)


@pytest.mark.parametrize("source", [story_path(), ACLED], ids=["story folder", "acled csv"])
def test_a_second_read_comes_from_the_copy_and_equals_a_fresh_read(source, tmp_path, monkeypatch):
    expected = read_dataset(source)
    first = read_checked(source, cache=tmp_path)
    _same(first, expected)
    _no_second_read(monkeypatch)
    _same(read_checked(source, cache=tmp_path), expected)


def test_rejected_rows_and_notes_come_back_with_the_copy(tmp_path, monkeypatch):
    table = tmp_path / "events.csv"
    lines = ACLED.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    broken = lines[1].split(",")
    broken[header.index("LATITUDE")] = "north"
    table.write_text("\n".join([lines[0], ",".join(broken), *lines[2:]]) + "\n", encoding="utf-8")
    expected = read_dataset(table)
    assert expected[1].problems, "the fixture has a rejected row"
    read_checked(table, cache=tmp_path / "cache")
    _no_second_read(monkeypatch)
    again = read_checked(table, cache=tmp_path / "cache")
    _same(again, expected)
    assert again[1].problems[0].row == 2


def test_a_changed_file_is_read_again(tmp_path):
    table = tmp_path / "events.csv"
    shutil.copy(ACLED, table)
    read_checked(table, cache=tmp_path / "cache")
    lines = table.read_text(encoding="utf-8").splitlines()
    table.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # one row fewer
    dataset, _ = read_checked(table, cache=tmp_path / "cache")
    assert len(dataset.events) == len(lines) - 2


def test_the_key_holds_the_path_the_mapping_and_the_country(tmp_path):
    mapping_file = tmp_path / "m.json"
    mapping_file.write_text(
        json.dumps({"atlas_mapping": 1, "columns": {"id": "EVENT_ID_CNTY"}}), encoding="utf-8"
    )
    mapping = read_mapping(mapping_file)
    copy = tmp_path / ACLED.name
    shutil.copy(ACLED, copy)
    keys = {
        input_key(ACLED, None, None),
        input_key(copy, None, None),  # same bytes, another path: the report names it
        input_key(ACLED, mapping, None),
        input_key(ACLED, None, "SY"),
    }
    assert len(keys) == 4
    assert input_key(ACLED, None, None) == input_key(ACLED, None, None)


@pytest.mark.parametrize(
    "damage",
    [
        "truncated layer",
        "garbage meta",
        "wrong dtype",
        "wrong dtype, digest redone",
        "missing layer",
        "other format",
    ],
)
def test_a_damaged_copy_is_never_trusted_and_is_written_again(damage, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    expected = read_dataset(ACLED)
    read_checked(ACLED, cache=cache)
    entry = cache / FOLDER / input_key(ACLED, None, None)
    meta_path = entry / "meta.json"
    meta = json.loads(meta_path.read_text())
    if damage == "truncated layer":
        events = entry / "events.parquet"
        events.write_bytes(events.read_bytes()[:100])
    elif damage == "garbage meta":
        meta_path.write_text("{not json")
    elif damage.startswith("wrong dtype"):
        meta["layers"]["events"]["fatalities"] = "float64"
        meta_path.write_text(json.dumps(meta))
        if damage.endswith("digest redone"):  # the files agree: the dtypes must not
            (entry / "digest").write_text(_digest(entry))
    elif damage == "missing layer":
        (entry / "zones.parquet").unlink()
    else:
        meta["format"] = 0
        meta_path.write_text(json.dumps(meta))
    _same(read_checked(ACLED, cache=cache), expected)
    # a sound copy took its place: the next read comes from it
    _no_second_read(monkeypatch)
    _same(read_checked(ACLED, cache=cache), expected)


def test_only_the_most_recently_used_copies_are_kept(tmp_path):
    cache = tmp_path / "cache"
    for number in range(KEEP + 2):
        table = tmp_path / f"events-{number}.csv"
        shutil.copy(ACLED, table)
        read_checked(table, cache=cache)
    kept = [p for p in (cache / FOLDER).iterdir() if p.is_dir()]
    assert len(kept) == KEEP


def test_without_a_cache_folder_nothing_is_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("ATLAS_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("HOME", raising=False)

    def no_write(*args, **kwargs):
        raise AssertionError("a copy was written with no cache folder")

    monkeypatch.setattr("geo.io.checked._write_copy", no_write)
    _same(read_checked(ACLED), read_dataset(ACLED))


def test_the_dashboard_opens_on_the_copy_atlas_run_left(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dashboard.cli import _load

    table = tmp_path / "events.csv"
    shutil.copy(ACLED, table)
    cache = tmp_path / "cache"
    monkeypatch.setenv("ATLAS_CACHE_DIR", str(cache))
    _load(str(table), keep=True)  # what atlas run's check does
    assert (cache / FOLDER / input_key(str(table), None, None)).is_dir()
    _no_second_read(monkeypatch)
    monkeypatch.setenv("ATLAS_DATA", str(table))
    app = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=120).run()
    assert not at.exception
    status = next(m.value for m in at.markdown if " events** shown" in m.value)
    assert "6 of 6 events" in status
