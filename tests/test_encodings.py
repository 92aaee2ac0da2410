"""Users' CSV files in the encodings and delimiters they really use."""

from __future__ import annotations

import pytest

from geo import DataError, LoadReport, read_layer
from tests.tables import EVENT_HEADER, event_row

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
    with pytest.raises(DataError) as raised:
        read_layer(path)
    assert raised.value.reason == (
        "is not readable as UTF-16 text: line 1 holds bytes that UTF-16 does not allow "
        "(truncated data); save it as UTF-8"
    )


WESTERN = ["Saint-Étienne", "Málaga", "São Paulo", "Düsseldorf", "Århus Ærø", "Montréal"]


@pytest.mark.parametrize("place", WESTERN)
@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_a_latin1_file_with_one_accented_name_is_not_taken_for_arabic(tmp_path, place, encoding):
    # alone, "Saint-Étienne" decodes as Arabic in Windows-1256 ("Saint-ةtienne")
    path = tmp_path / "events.csv"
    path.write_bytes(_table(place).encode(encoding))
    events, report = read_layer(path)
    assert events["place_name"].iloc[0] == place
    assert report.encoding == "cp1252"


@pytest.mark.parametrize(
    "place",
    ["Bab al-Hadid’s “old” gate", "Hanano – east", "Saint-Étienne… and Málaga", "Café €5"],
)
def test_a_windows_1252_file_with_typographic_quotes_and_dashes_is_named_windows_1252(
    tmp_path, place
):
    # what a spreadsheet saves (acled_semicolon_decimal_comma.csv): curly quotes inside
    # words; Windows-1250 decodes the same bytes alike, but the file is not Central European
    path = tmp_path / "events.csv"
    path.write_bytes(_table(place).encode("cp1252"))
    events, report = read_layer(path)
    assert events["place_name"].iloc[0] == place
    assert report.encoding == "cp1252"


def test_a_polish_windows_1250_file_is_not_taken_for_windows_1252(tmp_path):
    place = "Łódź Śródmieście"  # Ł is £ in Windows-1252, next to a letter
    path = tmp_path / "events.csv"
    path.write_bytes(_table(place).encode("cp1250"))
    events, report = read_layer(path)
    assert events["place_name"].iloc[0] == place
    assert report.encoding == "cp1250"


def test_a_turkish_windows_1254_file_reads_its_dotless_i_and_soft_g(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(_table(ACCENTED).encode("cp1254"))
    events, report = read_layer(path)
    assert events["place_name"].iloc[0] == ACCENTED
    assert report.encoding == "cp1254"


def test_the_encoding_is_judged_where_the_first_non_ascii_byte_is(tmp_path):
    rows = [event_row(id=f"e{i}") + ",Aleppo" for i in range(2000)]
    rows.append(event_row(id="last") + ",Saint-Étienne")
    path = tmp_path / "events.csv"
    path.write_bytes((EVENT_HEADER + ",place_name\n" + "\n".join(rows) + "\n").encode("cp1252"))
    assert path.stat().st_size > 64 * 1024
    events, report = read_layer(path)
    assert events["place_name"].iloc[-1] == "Saint-Étienne"
    assert report.encoding == "cp1252"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_recognised(tmp_path, encoding):
    path = tmp_path / "events.csv"
    path.write_bytes(_table(ARABIC).encode(encoding))
    events, report = read_layer(path)
    assert events["place_name"].iloc[0] == ARABIC
    assert report.encoding == encoding


@pytest.mark.parametrize(
    ("encoding", "sep", "said"),
    [
        ("utf-8", ",", "read as UTF-8, comma-separated"),
        ("utf-8-sig", "\t", "read as UTF-8 with BOM, tab-separated"),
        ("cp1256", ";", "read as windows-1256, semicolon-separated"),
        ("utf-16", ",", "read as UTF-16, comma-separated"),
    ],
)
def test_the_report_says_how_a_text_file_was_read(tmp_path, encoding, sep, said):
    path = tmp_path / "events.csv"
    path.write_bytes(_table(ARABIC, sep).encode(encoding))
    _, report = read_layer(path)
    assert (
        LoadReport([report]).summary() == f"{path} [events]: 1 read, 1 accepted, 0 rejected; {said}"
    )


def test_a_control_character_is_named_with_its_line(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(
        (EVENT_HEADER + "\n" + event_row() + "\n" + event_row(id="e\x01") + "\n").encode()
    )
    with pytest.raises(DataError) as raised:
        read_layer(path)
    assert raised.value.reason == (
        "is not CSV text: line 3 holds the control character U+0001; "
        "is it a binary file, or another format?"
    )
