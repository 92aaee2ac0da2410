"""Uploads: read as hostile, named as the user knows them, never by a temporary path."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.problems import DataError
from geo.schema import Column
from geo.uploads import read_upload, upload_headers
from tests.tables import EVENT_HEADER, event_row

DATA = Path(__file__).parent / "data"


def _csv(*rows: str) -> bytes:
    return "\n".join([EVENT_HEADER, *rows]).encode()


def test_an_upload_is_read_and_its_report_names_the_file_as_uploaded():
    data = _csv(event_row(id="a"), event_row(id="b", latitude="200"))
    dataset, report = read_upload("../../etc/my events.csv", data)
    assert dataset.name == "../../etc/my events.csv"
    assert list(dataset.events[Column.ID]) == ["a"]
    [problem] = report.problems
    assert str(problem).startswith("../../etc/my events.csv:3: latitude:")
    assert "atlas-upload-" not in report.summary() + report.problems_csv()


def test_an_unreadable_upload_is_one_error_naming_the_file():
    with pytest.raises(DataError) as caught:
        read_upload("notes.csv", b"\x00\x01\x02 binary \xff\xfe\x00")
    assert str(caught.value).startswith("notes.csv: ")
    assert "atlas-upload-" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("model.pkl", r"model.pkl: unknown file type \.pkl"),
        ("macro.xlsm", r"macro.xlsm: unknown file type \.xlsm"),
        ("noext", r"noext: unknown file type \(none\)"),
    ],
)
def test_an_upload_of_another_kind_is_refused_by_its_name(name, message):
    with pytest.raises(DataError, match=message):
        read_upload(name, b"whatever")


def test_an_upload_over_the_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(DataError, match=r"big\.csv: is .* MB: the limit is 0\.001 MB"):
        read_upload("big.csv", _csv(*(event_row(id=str(i)) for i in range(100))))


def test_upload_headers_are_the_files_own_for_an_unknown_layout():
    headers = upload_headers("log.csv", (DATA / "newsroom_log.csv").read_bytes())
    assert headers[:3] == ["Date", "Town", "Country"]


def test_an_upload_named_after_a_layer_is_read_as_that_layer(story):
    from geo.io import to_text_table
    from geo.schema import LAYER_SPECS, Layer

    zones_csv = to_text_table(story.zones, LAYER_SPECS[Layer.ZONES]).to_csv(index=False)
    dataset, report = read_upload("C:\\\\exports\\\\zones.csv", zones_csv.encode())
    assert report.ok and len(dataset.zones) == len(story.zones) and dataset.events.empty


def test_the_template_csv_reads_back_as_two_valid_events(tmp_path):
    from geo.io import read_dataset, template_events_csv

    path = tmp_path / "template.csv"
    path.write_bytes(template_events_csv())
    dataset, report = read_dataset(path)
    assert report.ok, report.problems
    assert list(dataset.events["id"]) == [
        "2016-12-13-ceasefire-announced",
        "2016-12-15-first-convoy",
    ]
