"""Dates in the forms event tables really use, read to ``YYYY-MM-DD``, with their form reported.

:func:`read_date_column` reads one column: ISO dates (with or without a time), day-first or
month-first numeric dates, dates with the month written out, Excel serial numbers and date
cells from typed formats.  It returns the dates as ISO text and a :class:`DateForm` that
names the form it found and says, in plain English, when that form is in doubt.

The one real doubt is the order of numeric dates: 03/04/2016 is 3 April in most of the world
(and in ACLED and UCDP files) and 4 March in the United States.  The column decides: a value
whose first part is above 12 (15/12/2016) can only be day first, one whose second part is
above 12 (12/15/2016) only month first.  With no such value the column is read day first and
the form is marked ambiguous; a caller who knows the order passes ``day_first``.

Decisions, each tested:

* Separators: ``/``, ``.`` and ``-`` for numeric dates (15/12/2016, 15.12.2016,
  15-12-2016); year-first numeric dates (2016/12/15) are read as year, month, day.
* Two-digit years (15/12/16, 15-Dec-16) are read as Excel reads them when it opens a file:
  00-29 as 2000-2029, 30-99 as 1930-1999.  The note says so; the form is not marked
  ambiguous for it, since conflict tables do not span a century.
* Excel serial numbers are whole or fractional day counts from 1899-12-30 (which absorbs
  Excel's fictional 29 February 1900); the time of day is dropped.  Only serials from
  :data:`SERIAL_RANGE` (1954-10-03 to 2119-01-11) are read, so that a bare year such as
  2016, or an ACLED timestamp, is never taken for a date.
* Eight digits from 1900 on (20180530, as GDELT's SQLDATE writes dates) are year, month and
  day run together: no Excel serial has eight digits, and a value that is no real date
  (20181399) is left as text.
* Month names are English, full or abbreviated ("Sept" too), in any case; a weekday and
  ordinal suffixes ("Thursday, 15th December 2016") are allowed.
* A value in no recognised form, or not a real date (2016-02-30), is left as its text, so
  that validation reports it with its row; blank cells stay missing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo.parsing import factorized, per_distinct_row

# The names of the forms a column can have.
ISO = "YYYY-MM-DD"
DAY_FIRST = "DD/MM/YYYY"
MONTH_FIRST = "MM/DD/YYYY"
DAY_MONTH_NAME = "D Month YYYY"
MONTH_NAME_DAY = "Month D, YYYY"
EXCEL_SERIAL = "Excel serial number"
COMPACT = "YYYYMMDD"
DATE_CELLS = "date cells"
MIXED = "mixed"
NO_DATES = "no dates"
NO_FORM = "no recognised form"

#: The Excel serial numbers read as dates, inclusive: 1954-10-03 to 2119-01-11.
SERIAL_RANGE = (20_000, 80_000)
#: Day 0 of Excel's 1900 date system, as Excel counts after its fictional 1900-02-29.
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Two-digit years up to this one are 20xx, later ones 19xx (Excel's rule).
TWO_DIGIT_YEAR_PIVOT = 29

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_WEEKDAYS = frozenset(
    {"monday", "mon", "tuesday", "tue", "tues", "wednesday", "wed", "thursday", "thu"}
    | {"thur", "thurs", "friday", "fri", "saturday", "sat", "sunday", "sun"}
)
# A time of day after a date ("2016-12-15T10:00:00Z", "15/12/2016 00:00", "... 10:00 PM").
_TIME = re.compile(
    r"(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?$"
)
_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})")
_NUMBER = re.compile(r"\d+(?:\.\d*)?")
_COMPACT_DATE = re.compile(r"((?:19|20|21)\d{2})(\d{2})(\d{2})")
_WORD_OR_NUMBER = re.compile(r"(\d+)(?:st|nd|rd|th)?|([^\W\d_]+)")
_JOINERS = re.compile(r"[\s,./\-]*")
# Numeric dates are read once the column's order is known (see _numeric_order).
_NUMERIC_DATE = "numeric"


@dataclass(frozen=True)
class DateForm:
    """The form of a date column, and whether it is in doubt.

    Attributes
    ----------
    name
        One of ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``MM/DD/YYYY``, ``D Month YYYY``,
        ``Month D, YYYY``, ``Excel serial number``, ``date cells`` (typed dates from Excel
        or Parquet), ``mixed`` (more than one form, or both numeric orders),
        ``no dates`` (every cell blank) or ``no recognised form``.
    ambiguous
        True when some values could be read two ways (03/04/2016) and were read by the
        default order, day first; the note names one.
    note
        Plain English for the person who brought the file: the order chosen and why, the
        forms a mixed column holds, two-digit years, values left as text.  Empty when
        there is nothing to say.
    """

    name: str
    ambiguous: bool = False
    note: str = ""


@dataclass(frozen=True)
class _Reading:
    """One distinct value: its form, and its date (numeric dates: both possible dates)."""

    form: str | None  # None: in no recognised form; _NUMERIC_DATE: order not yet known
    date: dt.date | None = None
    day_first: dt.date | None = None  # numeric dates: the date each order gives, if real
    month_first: dt.date | None = None
    two_digit_year: bool = False

    @property
    def order_unknown(self) -> bool:
        """Numeric, fits both orders, and the orders give different dates."""
        return (
            self.day_first is not None
            and self.month_first is not None
            and self.day_first != self.month_first
        )


def read_date_column(
    values: pd.Series, *, column: str, day_first: bool | None = None
) -> tuple[pd.Series, DateForm]:
    """Read a column of dates in any of the forms real files use.

    Parameters
    ----------
    values
        The cells: text, numbers (Excel serials) or date values, in any mixture.
    column
        The column's name in the file, for the note.
    day_first
        The order of numeric dates such as 03/04/2016 if the caller knows it.  None (the
        default) lets the column decide; when it cannot, it is read day first and the form
        is ambiguous.  Given, it is followed even against the evidence: a value that does
        not fit it stays as text (and the note says so).

    Returns
    -------
    tuple[pandas.Series, DateForm]
        ISO ``YYYY-MM-DD`` text (pandas string dtype) on ``values``' index, with values in no
        recognised form left as their text and blanks missing; and the column's form.

    Examples
    --------
    >>> dates, form = read_date_column(pd.Series(["15/12/2016", "03/01/2017"]), column="date")
    >>> list(dates), form.name, form.ambiguous
    (['2016-12-15', '2017-01-03'], 'DD/MM/YYYY', False)
    """
    codes, distinct = factorized(values)
    readings = [_read_value(value) for value in distinct]
    rows = np.bincount(codes[codes >= 0], minlength=len(distinct))
    texts = [_as_text(value) for value in distinct]
    read_day_first, order_note, ambiguous = _numeric_order(
        readings, texts, rows, column=column, day_first=day_first
    )

    iso: list[str | None] = []
    forms: Counter[str] = Counter()
    unread: list[str] = []  # in no form; numeric dates that fit neither order
    for text, reading, count in zip(texts, readings, rows, strict=True):
        date, form = _date_of(reading, read_day_first)
        if date is None:
            iso.append(text)
            fits_other_order = reading.day_first or reading.month_first  # order_note says so
            if text is not None and not fits_other_order:
                unread.append(text)
            continue
        iso.append(date.isoformat())
        forms[form] += int(count)

    notes = [order_note] if order_note else []
    if len(forms) > 1:
        listed = ", ".join(f"{name} ({_count(n, 'row')})" for name, n in forms.most_common())
        notes.insert(0, f"column {column!r} mixes date forms: {listed}")
    if any(r.two_digit_year for r in readings):
        notes.append(
            f"two-digit years read as Excel reads them: 00-{TWO_DIGIT_YEAR_PIVOT} as "
            f"20xx, {TWO_DIGIT_YEAR_PIVOT + 1}-99 as 19xx"
        )
    if unread and forms:
        notes.append(f"values in no date form, such as {unread[0]!r}, are left as written")
    elif unread:
        notes.append(
            f"no value in column {column!r} is a date in a known form, such as {unread[0]!r}"
        )
    if not forms:
        name = NO_FORM if unread else NO_DATES
    elif len(forms) > 1 or read_day_first is None:
        name = MIXED
    else:
        (name,) = forms
    parsed = np.array([*iso, None], dtype=object)
    spread = parsed[np.where(codes >= 0, codes, len(distinct))]
    dates = pd.Series(spread, index=values.index, dtype="string", name=values.name)
    return dates, DateForm(name, ambiguous, "; ".join(notes))


def _date_of(reading: _Reading, day_first: bool | None) -> tuple[dt.date | None, str]:
    """The date a reading stands for, and its form, under the column's numeric order.

    ``day_first`` None is a column with both orders: each value is read in the order it
    fits, day first when it fits both.
    """
    if reading.form != _NUMERIC_DATE:
        return reading.date, reading.form or ""
    fits_day, fits_month = reading.day_first, reading.month_first
    if day_first is None:  # a mixed column: what fits, day first when both do
        if fits_day is not None:
            return fits_day, DAY_FIRST
        return fits_month, MONTH_FIRST
    if day_first:
        return fits_day, DAY_FIRST
    return fits_month, MONTH_FIRST


def _numeric_order(
    readings: list[_Reading],
    texts: list[str | None],
    rows: np.ndarray,
    *,
    column: str,
    day_first: bool | None,
) -> tuple[bool | None, str, bool]:
    """How to read numeric dates: day first, month first or (None) each as it fits.

    Returns the order, a note on why, and whether some values were read by a default.
    """
    numeric = [
        (reading, text, int(count))
        for reading, text, count in zip(readings, texts, rows, strict=True)
        if reading.form == _NUMERIC_DATE
    ]
    only_day = next(
        (t for r, t, _ in numeric if r.day_first is not None and r.month_first is None), None
    )
    only_month = next(
        (t for r, t, _ in numeric if r.month_first is not None and r.day_first is None), None
    )
    either = [(t, n) for r, t, n in numeric if r.order_unknown]
    if day_first is not None:
        order = DAY_FIRST if day_first else MONTH_FIRST
        misfit = only_month if day_first else only_day
        note = (
            f"numeric dates in column {column!r} read {_order_words(day_first)} ({order}), as asked"
        )
        if misfit is not None:
            note += f"; values such as {misfit} do not fit that order and are left as written"
        return day_first, note if numeric else "", False
    if only_day and only_month:
        note = (
            f"column {column!r} has day-first dates (such as {only_day}) and month-first "
            f"dates (such as {only_month}): each is read in the order it fits"
        )
        if either:
            rows_either = sum(n for _, n in either)
            note += (
                f"; {_count(rows_either, 'row')}, such as {either[0][0]}, could be either "
                "and were read day first"
            )
        return None, note, bool(either)
    if only_month:
        return False, _evidence_note(MONTH_FIRST, only_month, column), False
    if only_day:
        return True, _evidence_note(DAY_FIRST, only_day, column), False
    if either:
        return (
            True,
            f"dates such as {either[0][0]} read day first ({DAY_FIRST}): no value in column "
            f"{column!r} has a day above 12, so month first ({MONTH_FIRST}) cannot be ruled "
            "out; give the order if the file is month first",
            True,
        )
    return True, "", False


def _evidence_note(order: str, example: str, column: str) -> str:
    words = _order_words(order == DAY_FIRST)
    part = "first" if order == DAY_FIRST else "second"
    return (
        f"numeric dates in column {column!r} read {words} ({order}): values such as "
        f"{example} have a {part} part above 12"
    )


def _order_words(day_first: bool) -> str:
    return "day first" if day_first else "month first"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# --- one value -------------------------------------------------------------------------


def _read_value(value: Any) -> _Reading:
    """Recognise one distinct cell; numeric dates keep both readings for the column to pick."""
    if value is None or value is pd.NA or value is pd.NaT:
        return _Reading(None)
    if isinstance(value, dt.datetime | dt.date | np.datetime64):
        if pd.isna(value):
            return _Reading(None)
        return _Reading(DATE_CELLS, pd.Timestamp(value).date())
    if isinstance(value, bool | np.bool_):
        return _Reading(None)
    if isinstance(value, int | float | np.integer | np.floating):
        if float(value).is_integer() and _COMPACT_DATE.fullmatch(str(int(value))):
            return _read_value(str(int(value)))
        return _read_serial(float(value))
    if not isinstance(value, str):
        return _Reading(None)
    text = value.strip()
    if found := _COMPACT_DATE.fullmatch(text):
        year, month, day = (int(part) for part in found.groups())
        return _Reading(COMPACT, _date(year, month, day))
    if _NUMBER.fullmatch(text):
        return _read_serial(float(text))
    text = _TIME.sub("", text)
    if found := _YEAR_FIRST.fullmatch(text):
        year, _, month, day = found.groups()
        return _Reading(ISO, _date(int(year), int(month), int(day)))
    if found := _NUMERIC.fullmatch(text):
        first, _, second, year_text = found.groups()
        year, short = _year(year_text)
        return _Reading(
            _NUMERIC_DATE,
            day_first=_date(year, int(second), int(first)),
            month_first=_date(year, int(first), int(second)),
            two_digit_year=short,
        )
    return _read_written(text)


def _read_serial(number: float) -> _Reading:
    low, high = SERIAL_RANGE
    # the range bounds days: a time of day on the last one (80000.5) is still that day
    if not low <= number < high + 1:  # NaN fails too
        return _Reading(None)
    return _Reading(EXCEL_SERIAL, EXCEL_EPOCH + dt.timedelta(days=int(number)))


def _read_written(text: str) -> _Reading:
    """``15 December 2016``, ``15-Dec-16``, ``December 15, 2016``, ``Thu 15th Dec 2016``."""
    if not _JOINERS.fullmatch(_WORD_OR_NUMBER.sub("", text)):
        return _Reading(None)  # something besides words, numbers, spaces and , . / -
    tokens = _WORD_OR_NUMBER.findall(text)
    numbers: list[str] = []
    month: int | None = None
    month_at = -1
    for position, (number, word) in enumerate(tokens):
        if number:
            numbers.append(number)
        elif word.casefold() in _MONTHS and month is None:
            month, month_at = _MONTHS[word.casefold()], position
        elif word.casefold() not in _WEEKDAYS or position != 0:
            return _Reading(None)
    if month is None or len(numbers) != 2:
        return _Reading(None)
    month_first = month_at < next(i for i, (n, _) in enumerate(tokens) if n)
    day_text, year_text = numbers
    if len(day_text) == 4 and not month_first:  # 2016 December 15
        year_text, day_text = day_text, year_text
    if len(day_text) > 2 or len(year_text) not in (2, 4):
        return _Reading(None)
    year, short = _year(year_text)
    form = MONTH_NAME_DAY if month_first else DAY_MONTH_NAME
    return _Reading(form, _date(year, month, int(day_text)), two_digit_year=short)


def _year(text: str) -> tuple[int, bool]:
    """The year and whether it was written with two digits."""
    year = int(text)
    if len(text) == 2:
        return year + (2000 if year <= TWO_DIGIT_YEAR_PIVOT else 1900), True
    return year, False


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _as_text(value: Any) -> str | None:
    """A cell as it was written; None when blank.  Whole floats lose their ``.0``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    text = str(value).strip()
    return text or None


# --- a date split over columns ---------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """Dates read from year, month and day columns: first and last possible day, and precision.

    ``start`` and ``end`` are ISO text (pandas string dtype), ``precision`` one of ``day``,
    ``month`` or ``year`` (missing where the row could not be read, so that validation
    names the cell); ``note`` says how many rows were coarser than a day.
    """

    start: pd.Series
    end: pd.Series
    precision: pd.Series
    note: str = ""


def read_date_parts(
    year: pd.Series,
    month: pd.Series | None = None,
    day: pd.Series | None = None,
    *,
    columns: tuple[str, ...] = (),
) -> DateRange:
    """A date from separate year, month and day columns (the Global Terrorism Database's form).

    A month or day of 0 or blank means unknown, as GTD codes it: the row becomes a range
    over the month (day unknown) or the year (month unknown), from its first day to its
    last, with that coarser precision, rather than a rejection.  A value that is no number,
    or no real date (month 13, 31 June), is left as the text ``year-month-day`` it was
    written as, for validation to name.

    >>> years, months, days = (pd.Series(v) for v in (["2015"] * 2, ["6", "0"], ["0", "0"]))
    >>> r = read_date_parts(years, months, days)
    >>> list(r.start), list(r.end), list(r.precision)
    (['2015-06-01', '2015-01-01'], ['2015-06-30', '2015-12-31'], ['month', 'year'])
    """
    unknown = pd.Series("0", index=year.index)
    parts = [year, unknown if month is None else month, unknown if day is None else day]
    read = per_distinct_row(parts, lambda *cells: _read_parts(*(_as_text(c) or "" for c in cells)))
    starts, ends, precisions = ([r[i] for r in read] for i in range(3))
    precision = pd.Series(precisions, index=year.index, dtype=object)
    coarse = precision.isin(["month", "year"])
    note = ""
    if coarse.any():
        named = "/".join(columns) or "year/month/day"
        note = (
            f"{_count(int(coarse.sum()), 'row')} of {named} give no day or no month (0 or "
            "blank): each spans its month or year, with that date precision"
        )
    return DateRange(
        pd.Series(starts, index=year.index, dtype="string"),
        pd.Series(ends, index=year.index, dtype="string"),
        precision,
        note,
    )


def _read_parts(year: str, month: str, day: str) -> tuple[str | None, str | None, str | None]:
    """One row's first day, last day and precision; unreadable parts give their text back."""
    written = "-".join(p for p in (year, month, day) if p)
    if not year:
        return None, None, None  # no year: the date is blank, and validation says so
    try:
        y, m, d = int(year), int(month or 0), int(day or 0)
    except ValueError:
        return written, None, None
    if m == 0:
        first, last, precision = _date(y, 1, 1), _date(y, 12, 31), "year"
    elif d == 0:
        first = _date(y, m, 1)
        following = _date(y + m // 12, m % 12 + 1, 1)
        last = following - dt.timedelta(days=1) if following else None
        precision = "month"
    else:
        first = last = _date(y, m, d)
        precision = "day"
    if first is None or last is None:
        return written, None, None
    return first.isoformat(), last.isoformat(), precision


__all__ = [
    "COMPACT",
    "DATE_CELLS",
    "DAY_FIRST",
    "DAY_MONTH_NAME",
    "EXCEL_EPOCH",
    "EXCEL_SERIAL",
    "ISO",
    "MIXED",
    "MONTH_FIRST",
    "MONTH_NAME_DAY",
    "NO_DATES",
    "NO_FORM",
    "SERIAL_RANGE",
    "DateForm",
    "DateRange",
    "read_date_column",
    "read_date_parts",
]
