"""Tables in a layout the atlas does not know: a column mapping, its file, and its use."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from dashboard.cli import main as atlas
from geo.io import read_dataset
from geo.layouts import LAYOUTS
from geo.mapping import ColumnMapping, needs_mapping, read_mapping, suggest_mapping
from geo.problems import DataError
from geo.schema import EVENTS, Column
from tests.tables import EVENT_HEADER, event_row

DATA = Path(__file__).parent / "data"
NEWSROOM = DATA / "newsroom_log.csv"
NEWSROOM_HEADERS = [
    "Date",
    "Town",
    "Country",
    "Lat",
    "Lng",
    "Who",
    "Against",
    "What",
    "Link",
    "Summary",
]
NEWSROOM_MAPPING = ColumnMapping(
    {
        "date_start": "Date",
        "place_name": "Town",
        "country": "Country",
        "latitude": "Lat",
        "longitude": "Lng",
        "actor1": "Who",
        "actor2": "Against",
        "event_type": "What",
        "sources": "Link",
        "description": "Summary",
    },
    {"sources": "Newsroom log, December 2016"},
)


def test_the_mapping_is_guessed_from_common_header_spellings():
    guess = suggest_mapping(NEWSROOM_HEADERS)
    assert dict(guess.columns) == {**NEWSROOM_MAPPING.columns}
    assert guess.gaps() == []


#: A reporter's log: "What" holds a sentence per row, not a category.
FREE_TEXT_LOG = pd.DataFrame(
    {
        "Date": ["2016-12-15", "2016-12-16", "2016-12-16", "2016-12-20"],
        "Town": ["Aleppo", "Idlib", "Aleppo", "Ankara"],
        "Who": ["Syrian government", "ICRC", "ICRC", "Turkey"],
        "What": [
            "Clashes on the last front line of the east Aleppo enclave.",
            "Buses carrying evacuees from Aleppo arrive in western countryside camps.",
            "The evacuation stalls at the Ramouseh crossing for a second day.",
            "Turkey, Russia and Iran meet in Moscow to back the ceasefire.",
        ],
        "Kind": ["Battles", "Strategic developments", "Strategic developments", "Battles"],
        "Link": ["https://example.org/1", "https://example.org/2", "", ""],
    }
)


def test_a_column_of_sentences_is_guessed_as_the_description_not_the_event_type():
    headers = list(FREE_TEXT_LOG.columns)
    guess = suggest_mapping(headers, FREE_TEXT_LOG)
    assert guess.columns["description"] == "What"
    assert guess.columns["event_type"] == "Kind", "the next header spelling a type is used"
    assert guess.columns["actor1"] == "Who", "repeated short names are categories"


def test_without_a_sample_the_guess_comes_from_the_headers_alone():
    headers = [h for h in FREE_TEXT_LOG.columns if h != "Kind"]
    assert suggest_mapping(headers).columns["event_type"] == "What"


def test_a_free_text_column_under_no_known_spelling_becomes_the_description():
    log = FREE_TEXT_LOG.rename(columns={"What": "What happened"}).drop(columns="Kind")
    guess = suggest_mapping(list(log.columns), log)
    assert guess.columns["description"] == "What happened"
    assert "event_type" not in guess.columns
    # nothing else is guessed as a description: short names, dates, links
    assert suggest_mapping(["Date", "Who"], log[["Date", "Who"]]).columns.get("description") is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (NEWSROOM_HEADERS, True),
        ([c.value for c in EVENTS.columns], False),  # ours
        ([c.value.upper() for c in EVENTS.columns], False),  # ours, any case
        (["id", "date_start", "event_type", "actor1", "sources", "geometry"], False),  # GeoJSON
        (sorted(LAYOUTS[0].signature), False),  # ACLED
        (["id", "date_start", "event_type", "actor1"], True),  # ours, but no position or source
    ],
)
def test_a_mapping_is_asked_for_only_when_no_known_layout_fits(headers, expected):
    assert needs_mapping(headers) is expected


@pytest.mark.parametrize(
    ("mapping", "gaps"),
    [
        (
            ColumnMapping({"date_start": "D", "event_type": "T", "actor1": "A", "sources": "S"}),
            ["latitude"],
        ),
        (
            ColumnMapping({"date_start": "D", "place_name": "P"}),
            ["event_type", "actor1", "sources"],
        ),
        (
            ColumnMapping(
                {"date_start": "D", "place_name": "P"},
                {"event_type": "Battles", "actor1": "X", "sources": "log"},
            ),
            [],
        ),
    ],
)
def test_gaps_name_what_a_row_still_needs(mapping, gaps):
    assert [str(g) for g in mapping.gaps()] == gaps


def test_a_mapping_file_round_trips_and_reads_as_documented(tmp_path):
    path = tmp_path / "newsroom.mapping.json"
    path.write_text(NEWSROOM_MAPPING.to_json(), encoding="utf-8")
    assert read_mapping(path) == NEWSROOM_MAPPING
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["atlas_mapping"] == 1
    assert document["columns"]["latitude"] == "Lat"
    assert document["constants"] == {"sources": "Newsroom log, December 2016"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "m.json: is not JSON"),
        ('{"columns": {}}', 'm.json: is not a mapping file: expected {"atlas_mapping": 1'),
        ('{"atlas_mapping": 1, "columns": {"colour": "C"}}', "cannot map onto 'colour'"),
        ('{"atlas_mapping": 1, "columns": {"latitude": 3}}', "columns: expected an object of text"),
        ('{"atlas_mapping": 1, "day_first": "yes"}', "day_first: expected true, false or null"),
    ],
)
def test_a_bad_mapping_file_is_refused_with_a_clear_message(tmp_path, text, message):
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message.replace("{", r"\{").replace("(", r"\(")):
        read_mapping(path)


def test_applying_a_mapping_fills_constants_and_numbers_rows():
    cells = pd.DataFrame(
        {"When": ["15/12/2016", "16/12/2016"], "Src": ["Reuters", ""], "Place": ["Aleppo", "Idlib"]}
    )
    mapping = ColumnMapping(
        {"date_start": "When", "sources": "Src", "place_name": "Place"},
        {"sources": "log", "event_type": "Battles"},
    )
    out, notes = mapping.apply(cells)
    assert out[Column.DATE_START].tolist() == ["2016-12-15", "2016-12-16"]
    assert out[Column.SOURCES].tolist() == ["Reuters", "log"]
    assert out[Column.EVENT_TYPE].tolist() == ["Battles", "Battles"]
    assert out[Column.ID].tolist() == ["row-2", "row-3"]
    assert notes == []


def test_slashed_dates_that_cannot_tell_day_from_month_are_reported():
    cells = pd.DataFrame({"When": ["03/04/2016", "05/06/2016"]})
    out, notes = ColumnMapping({"date_start": "When"}).apply(cells)
    assert out[Column.DATE_START].tolist() == ["2016-04-03", "2016-06-05"]
    assert len(notes) == 1 and "day first" in notes[0]
    out, _ = ColumnMapping({"date_start": "When"}, day_first=False).apply(cells)
    assert out[Column.DATE_START].tolist() == ["2016-03-04", "2016-05-06"]


def test_a_mapping_naming_a_column_the_table_lacks_is_refused():
    with pytest.raises(DataError, match="has no column 'Lat' that the mapping names"):
        ColumnMapping({"latitude": "Lat"}).apply(pd.DataFrame({"Y": [1]}), path="t.csv")


def test_a_newsroom_table_loads_through_its_mapping_with_names_placed_offline():
    dataset, report = read_dataset(NEWSROOM, mapping=NEWSROOM_MAPPING)
    events = dataset.events.set_index(Column.ID)
    assert list(events.index) == ["row-2", "row-3", "row-4"]
    idlib = events.loc["row-3"]
    assert idlib.geometry.y == pytest.approx(35.93, abs=0.05)
    assert idlib.geometry.x == pytest.approx(36.63, abs=0.05)
    assert "GeoNames" in idlib[Column.GEOCODE]
    assert pd.isna(events.loc["row-2", Column.GEOCODE])  # it had coordinates
    assert "Newsroom log" in events.loc["row-4", Column.SOURCES]
    layer = report.layers[0]
    assert (layer.rows_read, layer.rows_accepted, layer.rows_rejected, layer.geocoded) == (
        5,
        3,
        2,
        2,
    )
    reasons = {p.row: p for p in report.problems}
    # a mapped table's problems name its own column, then ours as the app's screen says it
    assert reasons[5].column == "Town (Place name)" and "no place named" in reasons[5].message
    assert reasons[6].column == "Lat (Latitude)"
    assert str(reasons[6]).startswith(f"{NEWSROOM}:6: Lat (Latitude): ")


def test_the_command_line_guesses_a_mapping_then_imports_with_it(tmp_path, capsys):
    mapping_path = tmp_path / "newsroom.mapping.json"
    assert atlas(["mapping", str(NEWSROOM), "--out", str(mapping_path)]) == 0
    guessed = read_mapping(mapping_path)
    assert guessed.columns["latitude"] == "Lat"
    # the log's own source for rows without a link: added by hand, as a user would
    document = json.loads(mapping_path.read_text(encoding="utf-8"))
    document["constants"] = {"sources": "Newsroom log, December 2016"}
    mapping_path.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "newsroom.gpkg"
    code = atlas(["import", str(NEWSROOM), "--mapping", str(mapping_path), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "5 read, 3 accepted, 2 rejected" in printed
    back, back_report = read_dataset(out)
    assert back_report.ok and len(back.events) == 3
    report_csv = pd.read_csv(out.with_name("newsroom.report.csv"))
    assert report_csv["row"].astype(str).tolist() == ["5", "6"]


def test_without_a_mapping_an_unknown_layout_the_guess_cannot_cover_is_refused_with_the_way_out(
    tmp_path, capsys
):
    # no column names an actor: the guess is incomplete, so nothing is read through it
    cells = pd.read_csv(NEWSROOM, dtype=str).drop(columns=["Who", "Against"])
    table = tmp_path / "newsroom_log.csv"
    cells.to_csv(table, index=False)
    assert atlas(["validate", str(table)]) == 2
    err = capsys.readouterr().err
    assert "newsroom_log.csv" in err and "--mapping" in err
    assert "guessed mapping" not in err


def test_our_layout_may_give_a_place_name_instead_of_coordinates(write_text):
    path = write_text(
        "events.csv",
        """
        id,date_start,event_type,actor1,Place_Name,Country ,sources
        a,2016-12-15,Battles,Syrian government,Aleppo,Syria,Reuters
        b,2016-12-15,Battles,Syrian government,Suran,SY,Reuters
        c,2016-12-15,Battles,Syrian government,Atlantis,SY,Reuters
        """,
    )
    dataset, report = read_dataset(path)
    [aleppo] = dataset.events.itertuples()
    assert (aleppo.geometry.y, aleppo.geometry.x) == pytest.approx((36.20, 37.16), abs=0.05)
    assert "GeoNames 170063" in aleppo.geocode and "exact name" in aleppo.geocode
    assert aleppo.geocode.endswith("; confidence high")
    reasons = {p.row: p.message for p in report.problems}
    assert set(reasons) == {3, 4}
    assert "ambiguous: 2 places named Suran in SY" in reasons[3], "two Şūrāns: never picked"
    assert "not found: no place named Atlantis in SY" in reasons[4]
    assert report.layers[0].geocoded == 1
    assert "1 accepted, 2 rejected, 1 placed by name" in report.summary()


def test_our_layout_reads_dates_as_spreadsheets_write_them_and_notes_an_unclear_order(
    write_text,
):
    path = write_text(
        "events.csv",
        f"""
        {EVENT_HEADER}
        {event_row(id="a", date_start="03/04/2016")}
        {event_row(id="b", date_start="05/06/2016", date_end="07/06/2016")}
        """,
    )
    dataset, report = read_dataset(path)
    assert report.ok
    starts = dataset.events.set_index(Column.ID)[Column.DATE_START].dt.strftime("%Y-%m-%d")
    assert starts.to_dict() == {"a": "2016-04-03", "b": "2016-06-05"}
    assert any("day first" in note for note in report.notes)
    assert "events.csv: " in report.notes[0]


GTD_LIKE_HEADERS = [
    "eventid",
    "iyear",
    "imonth",
    "iday",
    "country",
    "country_txt",
    "city",
    "latitude",
    "longitude",
    "location",
    "attacktype1",
    "attacktype1_txt",
    "gname",
    "nkill",
    "scite1",
]


def _gtd_like_sample():
    rows = [
        ["1", "2015", "1", "1", "200", "Syria", "Aleppo", "36.2", "37.1",
         "The attack took place in the east of the city near the old market.",
         "3", "Bombing/Explosion", "Unknown", "3", "Citation one"],
        ["2", "2015", "6", "0", "200", "Syria", "Idlib", "35.9", "36.6",
         "Gunmen opened fire on the checkpoint at the entrance of the town.",
         "2", "Armed Assault", "Al-Nusrah Front", "0", "Citation two"],
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=GTD_LIKE_HEADERS)


def test_a_gtd_like_table_is_guessed_as_analysts_read_it():
    guess = suggest_mapping(GTD_LIKE_HEADERS, _gtd_like_sample()).columns
    assert guess["actor1"] == "gname"
    assert guess["event_type"] == "attacktype1_txt"
    assert guess["fatalities"] == "nkill"
    assert guess["place_name"] == "city"
    assert guess["country"] == "country_txt"
    assert guess["date_start"] == ("iyear", "imonth", "iday")


def test_a_mapping_joins_year_month_and_day_columns_into_one_date(tmp_path):
    text = json.dumps(
        {
            "atlas_mapping": 1,
            "columns": {
                "id": "eventid",
                "date_start": ["iyear", "imonth", "iday"],
                "event_type": "attacktype1_txt",
                "actor1": "gname",
                "latitude": "latitude",
                "longitude": "longitude",
                "sources": "scite1",
            },
        }
    )
    mapping = ColumnMapping.from_json(text)
    assert json.loads(mapping.to_json())["columns"]["date_start"] == ["iyear", "imonth", "iday"]
    path = tmp_path / "gtd_like.csv"
    _gtd_like_sample().to_csv(path, index=False)
    dataset, report = read_dataset(path, mapping=mapping)
    events = dataset.events.set_index("id")
    assert events.loc["2"].date_precision == "month"
    assert events.loc["2"].date_end == pd.Timestamp("2015-06-30")
    assert report.ok


def test_a_mapping_file_of_a_list_for_a_non_date_is_refused():
    text = '{"atlas_mapping": 1, "columns": {"actor1": ["a", "b"]}}'
    with pytest.raises(DataError, match="several columns can only make a date"):
        ColumnMapping.from_json(text)
