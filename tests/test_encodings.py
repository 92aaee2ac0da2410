"""Users' CSV files in the encodings and delimiters they really use."""

from __future__ import annotations

import pytest

from geo import DataError, read_layer
from tests.conftest import EVENT_HEADER, event_row

ARABIC = "حلب الشرقية"  # east Aleppo
ACCENTED = "Yayladağı"


def _table(place: str, sep: str = ",") -> str:
    header = EVENT_HEADER + ",place_name"
    row = event_row() + f",{place}"
    return (header + "\n" + row + "\n").replace(",", sep)


@pytest.mark.parametrize(
    ("name", "encoding", "place"),
    [
        ("utf8.csv", "utf-8", ARABIC),
        ("utf8-bom.csv", "utf-8-sig", ARABIC),
        ("utf16.csv", "utf-16", ARABIC),
        ("windows-1256.csv", "cp1256", ARABIC),
        ("latin1.csv", "latin-1", "Café Müller, Zürich".replace(",", "")),
    ],
)
def test_a_csv_in_any_common_encoding_reads_the_same(tmp_path, name, encoding, place):
    path = tmp_path / name
    path.write_bytes(_table(place).encode(encoding))
    events, report = read_layer(path)
    assert report.problems == []
    assert events["place_name"].iloc[0] == place


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_the_delimiter_is_found_whatever_the_suffix(tmp_path, sep):
    path = tmp_path / "events.csv"
    path.write_text(_table(ACCENTED, sep), encoding="utf-8")
    events, report = read_layer(path)
    assert report.problems == []
    assert events["place_name"].iloc[0] == ACCENTED


def test_an_undecodable_file_is_one_clear_error(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\xff\xfe" + "id,date".encode("utf-16-le") + b"\x00")  # cut UTF-16
    with pytest.raises(DataError, match=r"broken\.csv: is not readable as utf-16 text"):
        read_layer(path)
