"""The app's mapping step with a date split over columns (GTD's Year/Month/Day), via AppTest.

The guess (``geo.mapping.suggest_mapping``) finds the split date; the page shows it, the
user confirms or changes it, and the load reads each row's date from those columns.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard.state import K_UPLOADS

APP = Path(__file__).parent.parent / "dashboard" / "app.py"
GTD_RENAMED = Path(__file__).parent / "data" / "real" / "gtd_renamed_columns.csv"
NEWSROOM = Path(__file__).parent / "data" / "newsroom_log.csv"
SOURCE = "Global Terrorism Database (START)"


def _upload(path: Path) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page("screens/data_page.py").run()
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "text/csv"))
    return at.run()


def _load(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Load with this mapping").click()
    return at.run()


def _opened(at: AppTest):
    """The dataset the load opened, as the session holds it for the map."""
    assert K_UPLOADS in at.session_state, "no dataset was opened"
    return at.session_state[K_UPLOADS][-1]


def test_a_split_date_is_guessed_shown_confirmed_and_each_row_dated_from_its_parts():
    at = _upload(GTD_RENAMED)
    assert not at.exception
    assert at.subheader[0].value == "Which column is which?"
    assert at.radio(key="map_date_form").value == "Split over year, month and day columns"
    parts = [at.selectbox(key=f"map_date_{p}").value for p in ("year", "month", "day")]
    assert parts == ["Year", "Month", "Day"]
    assert at.selectbox(key="map_date_start").value == "(not in this table)"
    # the other GTD guesses: the group, the attack type, deaths, the city, the country's name
    assert at.selectbox(key="map_actor1").value == "Group"
    assert at.selectbox(key="map_event_type").value == "AttackType"
    assert at.selectbox(key="map_fatalities").value == "Killed"
    assert at.selectbox(key="map_place_name").value == "city"
    at.text_input(key="const_sources").set_value(SOURCE)
    at = _load(at)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Accepted"], metrics["Rejected"]) == ("4", "4", "0")
    opened = _opened(at)
    day, month, year = (row for _, row in opened.dataset.events.iloc[:3].iterrows())
    assert (day.date_start, day.date_precision) == (pd.Timestamp("2016-12-13"), "day")
    assert (month.date_start, month.date_end, month.date_precision) == (
        pd.Timestamp("2016-12-01"),
        pd.Timestamp("2016-12-31"),
        "month",
    )
    assert (year.date_start, year.date_end, year.date_precision) == (
        pd.Timestamp("2016-01-01"),
        pd.Timestamp("2016-12-31"),
        "year",
    )
    # the mapping saved with the dataset keeps the split date, year first
    saved = json.loads(opened.mapping_json)
    assert saved["columns"]["date_start"] == ["Year", "Month", "Day"]


def test_the_user_can_change_the_split_date_a_day_left_out_makes_each_row_span_its_month():
    at = _upload(GTD_RENAMED)
    at.selectbox(key="map_date_day").set_value("(not in this table)")
    at.text_input(key="const_sources").set_value(SOURCE)
    at = _load(at)
    assert not at.exception and not at.error
    opened = _opened(at)
    events = opened.dataset.events
    assert list(events.date_precision) == ["month", "month", "year", "month"]
    assert list(events.date_start) == [
        pd.Timestamp(d) for d in ("2016-12-01", "2016-12-01", "2016-01-01", "2016-11-01")
    ]
    assert json.loads(opened.mapping_json)["columns"]["date_start"] == ["Year", "Month"]


def test_a_split_date_without_its_year_or_with_a_day_but_no_month_says_so_and_loads_nothing():
    at = _upload(GTD_RENAMED)
    at.text_input(key="const_sources").set_value(SOURCE)
    at.selectbox(key="map_date_year").set_value("(not in this table)")
    at = _load(at)
    assert not at.exception
    assert [e.value for e in at.error] == ["A date split over columns needs its Year column."]
    at.selectbox(key="map_date_year").set_value("Year")
    at.selectbox(key="map_date_month").set_value("(not in this table)")
    at = _load(at)
    assert [e.value for e in at.error] == [
        "A date split over columns needs its Month column when it has a Day column."
    ]
    assert K_UPLOADS not in at.session_state or not at.session_state[K_UPLOADS]


def test_choosing_one_date_column_instead_of_the_split_guess_uses_that_column():
    at = _upload(GTD_RENAMED)
    at.text_input(key="const_sources").set_value(SOURCE)
    at.radio(key="map_date_form").set_value("In one column")
    at = _load(at)
    # no single date column chosen yet: the screen says what is needed, in its words
    assert at.error[0].value.startswith("Still needed: Date (")
    # Year alone as the one date column: "2016" is no day, and every row says so
    at.selectbox(key="map_date_start").set_value("Year")
    at = _load(at)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Accepted"], metrics["Rejected"]) == ("0", "4")


def test_a_table_with_one_date_column_is_guessed_as_one_column():
    at = _upload(NEWSROOM)
    assert at.radio(key="map_date_form").value == "In one column"
    assert at.selectbox(key="map_date_start").value == "Date"
    assert [at.selectbox(key=f"map_date_{p}").value for p in ("year", "month", "day")] == [
        "(not in this table)"
    ] * 3


def test_a_saved_mapping_with_a_split_date_fills_the_form_and_keeps_a_split_last_date():
    saved = json.loads((GTD_RENAMED.parent / "gtd_renamed_columns.mapping.json").read_text())
    # the last possible date split too (the form splits only the first): kept as saved
    saved["columns"]["date_end"] = ["Year", "Month"]
    at = _upload(GTD_RENAMED)
    at.file_uploader[1].set_value(("gtd.mapping.json", json.dumps(saved).encode(), "text/plain"))
    at = at.run()
    assert not at.exception
    assert at.radio(key="map_date_form").value == "Split over year, month and day columns"
    assert at.text_input(key="const_sources").value == SOURCE
    assert any(
        "Last possible date: Year / Month, from the saved mapping" in c.value for c in at.caption
    )
    at = _load(at)
    assert not at.exception and not at.error
    opened = _opened(at)
    assert json.loads(opened.mapping_json)["columns"]["date_end"] == ["Year", "Month"]
    # 13 December 2016 may have happened until the end of its month
    first = opened.dataset.events.iloc[0]
    assert (first.date_start, first.date_end) == (
        pd.Timestamp("2016-12-13"),
        pd.Timestamp("2016-12-31"),
    )
