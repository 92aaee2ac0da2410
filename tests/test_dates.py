"""Dates in the forms real files use, read to YYYY-MM-DD, with the form reported."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from geo.dates import (
    DATE_CELLS,
    DAY_FIRST,
    DAY_MONTH_NAME,
    EXCEL_SERIAL,
    ISO,
    MIXED,
    MONTH_FIRST,
    MONTH_NAME_DAY,
    NO_DATES,
    NO_FORM,
    DateForm,
    read_date_column,
)


def read(values, **options):
    dates, form = read_date_column(pd.Series(values, dtype=object), column="date", **options)
    return [None if pd.isna(d) else d for d in dates], form


# (cells, the dates read, the form's name, whether the form is ambiguous)
COLUMNS = [
    # ISO, with and without a time of day
    (["2016-12-15", "2017-01-03"], ["2016-12-15", "2017-01-03"], ISO, False),
    (["2016-12-15T10:00:00"], ["2016-12-15"], ISO, False),
    (["2016-12-15 00:00:00"], ["2016-12-15"], ISO, False),
    (["2016-12-15T23:30:00+03:00"], ["2016-12-15"], ISO, False),  # the date as written
    (["2016-12-15T10:00:00.000Z"], ["2016-12-15"], ISO, False),
    (
        ["2016/12/15", "2016.12.16", "2016-1-5"],
        ["2016-12-15", "2016-12-16", "2016-01-05"],
        ISO,
        False,
    ),
    # numeric, the order shown by a day above 12
    (["15/12/2016", "03/01/2017"], ["2016-12-15", "2017-01-03"], DAY_FIRST, False),
    (["15.12.2016", "03.01.2017"], ["2016-12-15", "2017-01-03"], DAY_FIRST, False),
    (["15-12-2016", "3-1-2017"], ["2016-12-15", "2017-01-03"], DAY_FIRST, False),
    (["12/15/2016", "03/01/2017"], ["2016-12-15", "2017-03-01"], MONTH_FIRST, False),
    (["15/12/2016 00:00", "03/01/2017 14:05"], ["2016-12-15", "2017-01-03"], DAY_FIRST, False),
    (["12/15/2016 10:00 PM"], ["2016-12-15"], MONTH_FIRST, False),
    # numeric, the order not shown: day first, and ambiguous
    (["03/04/2016", "05/06/2016"], ["2016-04-03", "2016-06-05"], DAY_FIRST, True),
    (["1/2/2016"], ["2016-02-01"], DAY_FIRST, True),
    # ... unless every value reads the same either way
    (["05/05/2016", "11/11/2016"], ["2016-05-05", "2016-11-11"], DAY_FIRST, False),
    # month written out
    (["15 December 2016"], ["2016-12-15"], DAY_MONTH_NAME, False),
    (["15 Dec 2016", "3 jan 2017"], ["2016-12-15", "2017-01-03"], DAY_MONTH_NAME, False),
    (["15-Dec-2016", "15/Dec/2016"], ["2016-12-15", "2016-12-15"], DAY_MONTH_NAME, False),
    (["15 Sept 2016", "15 Sep. 2016"], ["2016-09-15", "2016-09-15"], DAY_MONTH_NAME, False),
    (["Thursday, 15th December 2016"], ["2016-12-15"], DAY_MONTH_NAME, False),
    (["1st May 2016", "22nd May 2016"], ["2016-05-01", "2016-05-22"], DAY_MONTH_NAME, False),
    (["15 DECEMBER 2016 10:00"], ["2016-12-15"], DAY_MONTH_NAME, False),
    (["December 15, 2016", "Dec 15 2016"], ["2016-12-15", "2016-12-15"], MONTH_NAME_DAY, False),
    # two-digit years, Excel's window: 00-29 are 20xx, 30-99 19xx
    (["15-Dec-16"], ["2016-12-15"], DAY_MONTH_NAME, False),
    (["15/12/16", "01/02/29"], ["2016-12-15", "2029-02-01"], DAY_FIRST, False),
    (["15/12/30", "15/12/99"], ["1930-12-15", "1999-12-15"], DAY_FIRST, False),
    # Excel serial numbers: 1899-12-30 is day 0; the time of day is dropped
    ([42719], ["2016-12-15"], EXCEL_SERIAL, False),
    ([42719.0, 42719.99], ["2016-12-15", "2016-12-15"], EXCEL_SERIAL, False),
    (
        ["42719", "42719.0", "42720.5"],
        ["2016-12-15", "2016-12-15", "2016-12-16"],
        EXCEL_SERIAL,
        False,
    ),
    ([np.int64(20000), np.float64(80000)], ["1954-10-03", "2119-01-11"], EXCEL_SERIAL, False),
    ([36526], ["2000-01-01"], EXCEL_SERIAL, False),
    # date cells from Excel (openpyxl) or Parquet
    ([dt.datetime(2016, 12, 15, 10, 30)], ["2016-12-15"], DATE_CELLS, False),
    (
        [dt.date(2016, 12, 15), pd.Timestamp("2016-12-16 23:59")],
        ["2016-12-15", "2016-12-16"],
        DATE_CELLS,
        False,
    ),
    ([pd.Timestamp("2016-12-15 23:00", tz="Asia/Damascus")], ["2016-12-15"], DATE_CELLS, False),
    ([np.datetime64("2016-12-15T10:00")], ["2016-12-15"], DATE_CELLS, False),
    # several forms in one column: each value read by its own
    (["2016-12-15", "16 December 2016"], ["2016-12-15", "2016-12-16"], MIXED, False),
    (["2016-12-15", "15/12/2016"], ["2016-12-15", "2016-12-15"], MIXED, False),
    ([42719, "2016-12-16"], ["2016-12-15", "2016-12-16"], MIXED, False),
    # both numeric orders: each read in the order it fits, the undecided ones day first
    (["15/12/2016", "12/15/2016"], ["2016-12-15", "2016-12-15"], MIXED, False),
    (
        ["15/12/2016", "12/15/2016", "03/04/2016"],
        ["2016-12-15", "2016-12-15", "2016-04-03"],
        MIXED,
        True,
    ),
    # blanks stay missing; text in no form stays as written
    (["2016-12-15", "", "  ", None, np.nan], ["2016-12-15", None, None, None, None], ISO, False),
    (["2016-12-15", "soon"], ["2016-12-15", "soon"], ISO, False),
    (["2016-12-15", "2016-02-30"], ["2016-12-15", "2016-02-30"], ISO, False),  # no such day
    (["15/12/2016", "31/31/2016"], ["2016-12-15", "31/31/2016"], DAY_FIRST, False),
    (
        ["15 December 2016", "15 Decembre 2016"],
        ["2016-12-15", "15 Decembre 2016"],
        DAY_MONTH_NAME,
        False,
    ),
    (
        ["15 December 2016", "15 December 2016 approx"],
        ["2016-12-15", "15 December 2016 approx"],
        DAY_MONTH_NAME,
        False,
    ),
    (["2016-12-15", "December 2016"], ["2016-12-15", "December 2016"], ISO, False),  # no day
    (["15 December"], ["15 December"], NO_FORM, False),  # no year
    (["15th of Dec 2016"], ["15th of Dec 2016"], NO_FORM, False),
    # eight digits are year, month and day run together (GDELT's SQLDATE), since issue 13
    (["20161215"], ["2016-12-15"], "YYYYMMDD", False),
    (["20161399"], ["20161399"], NO_FORM, False),
    # numbers that are not serials stay as written: a bare year is never read as a date
    ([2016, 2017.0], ["2016", "2017"], NO_FORM, False),
    (["2016"], ["2016"], NO_FORM, False),
    ([19999, 80001, -5, 1_481_760_000], ["19999", "80001", "-5", "1481760000"], NO_FORM, False),
    ([True], ["True"], NO_FORM, False),
    ([None, ""], [None, None], NO_DATES, False),
    ([], [], NO_DATES, False),
]


@pytest.mark.parametrize(("cells", "expected", "form", "ambiguous"), COLUMNS)
def test_read_date_column_reads_the_forms_files_use(cells, expected, form, ambiguous):
    dates, found = read(cells)
    assert dates == expected
    assert (found.name, found.ambiguous) == (form, ambiguous)


@pytest.mark.parametrize(
    ("cells", "day_first", "expected", "form"),
    [
        (["03/04/2016"], True, ["2016-04-03"], DAY_FIRST),
        (["03/04/2016"], False, ["2016-03-04"], MONTH_FIRST),
        (["03/04/2016"], None, ["2016-04-03"], DAY_FIRST),
        # the order asked for is followed; a value it cannot read stays as written
        (["03/04/2016", "15/12/2016"], False, ["2016-03-04", "15/12/2016"], MONTH_FIRST),
        (["03/04/2016", "12/15/2016"], True, ["2016-04-03", "12/15/2016"], DAY_FIRST),
        # other forms do not care
        (["2016-03-04", "4 March 2016"], False, ["2016-03-04", "2016-03-04"], MIXED),
    ],
)
def test_a_known_order_is_followed_and_is_not_ambiguous(cells, day_first, expected, form):
    dates, found = read(cells, day_first=day_first)
    assert dates == expected
    assert found.name == form
    assert found.ambiguous is (day_first is None)


@pytest.mark.parametrize(
    ("cells", "options", "note"),
    [
        (
            ["03/04/2016", "05/06/2016"],
            {},
            "dates such as 03/04/2016 read day first (DD/MM/YYYY): no value in column 'date' "
            "has a day above 12, so month first (MM/DD/YYYY) cannot be ruled out; give the "
            "order if the file is month first",
        ),
        (
            ["03/01/2017", "15/12/2016"],
            {},
            "numeric dates in column 'date' read day first (DD/MM/YYYY): values such as "
            "15/12/2016 have a first part above 12",
        ),
        (
            ["03/01/2017", "12/15/2016"],
            {},
            "numeric dates in column 'date' read month first (MM/DD/YYYY): values such as "
            "12/15/2016 have a second part above 12",
        ),
        (
            ["15/12/2016", "12/15/2016", "03/04/2016", "03/04/2016"],
            {},
            "column 'date' mixes date forms: DD/MM/YYYY (3 rows), MM/DD/YYYY (1 row); "
            "column 'date' has day-first dates (such as 15/12/2016) and month-first dates "
            "(such as 12/15/2016): each is read in the order it fits; 2 rows, such as "
            "03/04/2016, could be either and were read day first",
        ),
        (
            ["03/04/2016", "15/12/2016"],
            {"day_first": False},
            "numeric dates in column 'date' read month first (MM/DD/YYYY), as asked; values "
            "such as 15/12/2016 do not fit that order and are left as written",
        ),
        (
            ["2016-12-15", "2016-12-16", "16 December 2016", "soon"],
            {},
            "column 'date' mixes date forms: YYYY-MM-DD (2 rows), D Month YYYY (1 row); "
            "values in no date form, such as 'soon', are left as written",
        ),
        (
            ["15-Dec-16"],
            {},
            "two-digit years read as Excel reads them: 00-29 as 20xx, 30-99 as 19xx",
        ),
        (
            ["soon", "later"],
            {},
            "no value in column 'date' is a date in a known form, such as 'soon'",
        ),
        (["2016-12-15"], {}, ""),
        ([42719], {}, ""),
    ],
)
def test_the_note_says_what_was_decided_and_why(cells, options, note):
    assert read(cells, **options)[1].note == note


def test_the_note_names_the_column_as_the_file_does():
    _, form = read_date_column(pd.Series(["03/04/2016"]), column="EVENT_DATE")
    assert "no value in column 'EVENT_DATE' has a day above 12" in form.note


def test_the_result_keeps_the_index_and_name_and_is_text():
    values = pd.Series(["15/12/2016", None, "soon"], index=[7, 3, 9], name="event_date")
    dates, _ = read_date_column(values, column="event_date")
    assert list(dates.index) == [7, 3, 9]
    assert dates.name == "event_date"
    assert dates.dtype == "string"
    assert dates.isna().tolist() == [False, True, False]


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["15/12/2016", "03/01/2017"], dtype="string"),
        pd.Series(["15/12/2016", "03/01/2017"], dtype="category"),
        pd.Series(pd.to_datetime(["2016-12-15", "2017-01-03"])),
        pd.Series([42719.0, 42738.0]),
        pd.Series([42719, 42738]),
    ],
    ids=["string", "category", "datetime64", "float", "int"],
)
def test_columns_of_any_dtype_are_read(values):
    dates, form = read_date_column(values, column="date")
    assert list(dates) == ["2016-12-15", "2017-01-03"]
    assert not form.ambiguous


def test_a_missing_datetime_stays_missing():
    values = pd.Series(pd.to_datetime(["2016-12-15", None]))
    dates, form = read_date_column(values, column="date")
    assert dates.isna().tolist() == [False, True]
    assert form == DateForm(DATE_CELLS)


def test_a_million_rows_of_a_few_dates_are_read_once_each():
    distinct = [f"{day:02d}/12/2016" for day in range(1, 32)] + ["2017-01-01", "", None]
    values = pd.Series(distinct * 30_000)
    dates, form = read_date_column(values, column="date")
    assert len(dates) == len(values)
    assert dates.iloc[12] == "2016-12-13"
    assert dates.iloc[len(distinct) + 12] == "2016-12-13"
    assert dates.iloc[len(distinct) + 32 : len(distinct) + 34].isna().all()
    assert form.name == MIXED  # numeric and ISO
    assert "DD/MM/YYYY (930,000 rows), YYYY-MM-DD (30,000 rows)" in form.note


# --- every supported form reads back to the date it was written from -------------------


def excel_serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


FORMS = {
    "iso": (lambda d: d.isoformat(), None),
    "iso with a time": (lambda d: f"{d.isoformat()}T13:45:00", None),
    "day first": (lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}", True),
    "day first, dots": (lambda d: f"{d.day}.{d.month}.{d.year}", True),
    "month first": (lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}", False),
    "day month": (lambda d: f"{d.day} {d:%B %Y}", None),
    "day abbreviated month": (lambda d: f"{d.day} {d:%b %Y}", None),
    "day-month-year": (lambda d: f"{d:%d-%b-%Y}", None),
    "month day": (lambda d: f"{d:%B} {d.day}, {d.year}", None),
    "datetime": (lambda d: dt.datetime(d.year, d.month, d.day, 9), None),
}


@pytest.mark.parametrize("form", FORMS)
@given(day=st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
def test_any_date_in_a_supported_form_reads_back_to_itself(form, day):
    write, day_first = FORMS[form]
    dates, found = read([write(day)], day_first=day_first)
    assert dates == [day.isoformat()]
    assert not found.ambiguous or day_first is None


@given(day=st.dates(dt.date(1954, 10, 3), dt.date(2119, 1, 11)), fraction=st.floats(0, 0.999))
def test_any_excel_serial_in_range_reads_back_to_its_day(day, fraction):
    serial = excel_serial(day)
    assert read([serial])[0] == [day.isoformat()]
    assert read([serial + fraction])[0] == [day.isoformat()]
    assert read([str(serial)])[0] == [day.isoformat()]


@given(day=st.dates(dt.date(1930, 1, 1), dt.date(2029, 12, 31)))
def test_any_date_with_a_two_digit_year_in_excels_window_reads_back(day):
    assert read([f"{day:%d/%m/%y}"], day_first=True)[0] == [day.isoformat()]
    assert read([f"{day:%d-%b-%y}"])[0] == [day.isoformat()]


@given(day=st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
def test_an_undecided_numeric_date_is_read_day_first_and_flagged(day):
    assume(day.day <= 12 and day.day != day.month)
    dates, form = read([f"{day.day:02d}/{day.month:02d}/{day.year}"])
    assert dates == [day.isoformat()]
    assert form.ambiguous


def test_gdelt_compact_dates_read_as_dates():
    dates, form = read_date_column(pd.Series(["20180530", 20180531, "20181399"]), column="SQLDATE")
    assert list(dates) == ["2018-05-30", "2018-05-31", "20181399"]
    assert form.name == "YYYYMMDD"


def test_year_month_day_columns_with_unknown_parts_become_ranges():
    from geo.dates import read_date_parts

    dates = read_date_parts(
        pd.Series(["2015", "2015", "2016", "2016"]),
        pd.Series(["6", "0", "12", "2"]),
        pd.Series(["0", "0", "0", "30"]),
        columns=("iyear", "imonth", "iday"),
    )
    assert list(dates.start) == ["2015-06-01", "2015-01-01", "2016-12-01", "2016-2-30"]
    assert list(dates.end)[:3] == ["2015-06-30", "2015-12-31", "2016-12-31"]
    assert list(dates.precision) == ["month", "year", "month", None]
    assert "iyear/imonth/iday" in dates.note
