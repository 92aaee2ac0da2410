"""Vectorised parsers from raw cells (text, or typed values from a typed format) to our types.

Each parser returns the parsed values with a missing value wherever a cell could not be
parsed, so that the validator (which marks those cells) and the normaliser (which converts
the accepted rows) always agree.  Blank cells are missing, not errors: whether a column may
be blank is the validator's business.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from geo.schema import (
    PEOPLE_MOVED_KEYS,
    PERIOD_KEYS,
    ROUTE_STATUSES,
    SOURCE_KEYS,
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]*)?$")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
#: Pandas' date unit for every date column.
DATE_DTYPE = "datetime64[ns]"
#: The first and last dates accepted anywhere (both included).  Pandas' nanosecond dates
#: hold 1677-09-21 to 2262-04-11, and the dashboard's date controls count microseconds
#: since 1970 in a JavaScript number, which reaches 1684 to 2255: a date outside these two
#: would silently wrap round to another century, or break the page.
FIRST_DATE = pd.Timestamp("1700-01-01")
LAST_DATE = pd.Timestamp("2250-12-31")
#: What a date outside :data:`FIRST_DATE` .. :data:`LAST_DATE` is told.
DATE_RANGE_TEXT = f"a date from {FIRST_DATE:%Y-%m-%d} to {LAST_DATE:%Y-%m-%d}"


class InvalidValue(ValueError):
    """A single structured value (a source list, a period) that does not fit our layout."""


def blank_to_na(series: pd.Series) -> pd.Series:
    """Strip text cells and turn empty ones into missing values; leave typed cells alone."""
    if series.dtype == object:
        # mixed cells (GeoJSON properties): only the text ones are touched
        return series.map(lambda v: (v.strip() or None) if isinstance(v, str) else v)
    if pd.api.types.is_string_dtype(series.dtype):
        stripped = series.str.strip()
        return stripped.mask(stripped == "")
    return series


#: A cell starting with one of these is run as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: Any) -> Any:
    """Text a spreadsheet would run as a formula, prefixed with an apostrophe (CSV exports)."""
    if isinstance(text, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def restore_formula(text: Any) -> Any:
    """The inverse of :func:`neutralise_formula`, applied when text cells are read."""
    if isinstance(text, str) and len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def factorized(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes and distinct values of a column (-1 for missing): parse each value once."""
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # lists and dicts (decoded JSON) are not hashable: use their text
        codes, uniques = pd.factorize(series.map(_hashable), use_na_sentinel=True)
    return codes, pd.Series(uniques, dtype=object)


def per_distinct_row(columns: list[pd.Series], func: Callable[..., Any]) -> pd.Series:
    """``func(*cells)`` once per distinct combination of a row's cells, spread over the rows.

    The cells reach ``func`` as they are (missing ones as None or NaN); the result is an
    object Series on the first column's index.
    """
    index = columns[0].index
    keys = pd.Series(
        list(zip(*(c.astype(object).to_numpy() for c in columns), strict=True)),
        index=index,
        dtype=object,
    )
    codes, distinct = pd.factorize(keys.map(lambda key: tuple(map(_hashable_cell, key))))
    results = np.empty(len(distinct), dtype=object)
    results[:] = [func(*key) for key in distinct]
    return pd.Series(results[codes], index=index, dtype=object)


def _hashable_cell(value: Any) -> Any:
    # NaN is not equal to itself, so rows that differ only in which blank they hold would
    # not meet; None stands for every kind of missing cell
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _from_distinct(codes: np.ndarray, parsed: pd.Series, index: pd.Index, dtype) -> pd.Series:
    """Spread values parsed per distinct value back over the rows (missing for code -1)."""
    values = parsed.to_numpy(dtype=object)
    taken = np.empty(len(codes), dtype=object)
    taken[:] = None
    present = codes >= 0
    taken[present] = values[codes[present]]
    return pd.Series(taken, index=index).astype(dtype)


def clean_text(series: pd.Series) -> pd.Series:
    """Text stripped, blanks missing, as pandas strings; other types converted to text."""
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        stripped = series.str.strip()
        quoted = stripped.str.startswith("'").fillna(False)
        if quoted.any():
            stripped = stripped.where(~quoted, stripped.map(restore_formula, na_action="ignore"))
        return stripped.mask(stripped == "").astype("string")
    codes, uniques = factorized(series)
    parsed = uniques.map(
        lambda v: (restore_formula(str(v).strip()) or None) if not _missing(v) else None
    )
    return _from_distinct(codes, parsed, series.index, "string")


def clean_category(
    series: pd.Series, *, categories: tuple[str, ...] | None = None, lower: bool = False
) -> pd.Series:
    """Text stripped (and lower-cased) as a category: sorted categories, or the given ones.

    Works on distinct values only, so a million rows of a few hundred actors are quick.
    Values outside ``categories`` become missing (validate them before).
    """
    codes, uniques = factorized(series)
    cleaned = uniques.map(
        lambda v: None if _missing(v) else (restore_formula(str(v).strip()) or None)
    )
    if lower:
        cleaned = cleaned.map(lambda v: v.lower() if isinstance(v, str) else v)
    cats = (
        list(categories)
        if categories is not None
        else sorted({v for v in cleaned if isinstance(v, str)})
    )
    position = {c: i for i, c in enumerate(cats)}
    remap = np.array(
        [position.get(v, -1) if isinstance(v, str) else -1 for v in cleaned] + [-1], dtype=np.int64
    )
    final = remap[np.where(codes >= 0, codes, len(cleaned))]
    return pd.Series(
        pd.Categorical.from_codes(final, categories=pd.Index(cats, dtype=object)),
        index=series.index,
    )


def _missing(value: Any) -> bool:
    return not _is_present(value)


def parse_dates(series: pd.Series) -> pd.Series:
    """Parse ``YYYY-MM-DD`` text (or datetime values) into midnight timestamps, NaT if bad.

    Dates outside :data:`FIRST_DATE` .. :data:`LAST_DATE` are NaT too (see
    :func:`parse_dates_in_range`, which says which they are).
    """
    return parse_dates_in_range(series)[0]


def parse_dates_in_range(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Like :func:`parse_dates`, and where a date was read but lies outside the range.

    Returns
    -------
    The dates (NaT where blank, unreadable or out of range), and a boolean mask that is
    True where a cell held a real date before :data:`FIRST_DATE` or after :data:`LAST_DATE`.
    Either is compared in the unit it was read in, before any conversion to nanoseconds
    (which would wrap such a date round to another century).
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        far = _outside_range(values)
        values = values.mask(far) if far.any() else values
        return values.dt.normalize().astype(DATE_DTYPE), far
    codes, uniques = factorized(series)
    text = uniques.map(lambda v: None if _missing(v) else str(v).strip()).astype("string")
    looks_iso = text.str.match(_ISO_DATE).fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(looks_iso), format="ISO8601", errors="coerce", utc=True)
    parsed = parsed.dt.tz_localize(None).dt.normalize()
    far_unique = _outside_range(parsed).to_numpy()
    day = pd.Series(parsed.mask(far_unique).to_numpy(dtype="datetime64[ns]"))
    out = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    far = np.zeros(len(codes), dtype=bool)
    present = codes >= 0
    out[present] = day.to_numpy()[codes[present]]
    far[present] = far_unique[codes[present]]
    index = series.index
    return pd.Series(out, index=index).astype(DATE_DTYPE), pd.Series(far, index=index)


def _outside_range(values: pd.Series) -> pd.Series:
    """True where a datetime lies before FIRST_DATE or after LAST_DATE (False where NaT)."""
    return ((values < FIRST_DATE) | (values >= LAST_DATE + pd.Timedelta(days=1))).fillna(False)


def parse_numbers(series: pd.Series) -> pd.Series:
    """Parse numbers (``.`` as the decimal mark) into floats, NaN if bad."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return pd.Series(np.nan, index=series.index)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("float64")
    values = pd.to_numeric(blank_to_na(series.astype("string")), errors="coerce")
    return values.astype("float64")


def parse_integers(series: pd.Series) -> pd.Series:
    """Parse whole numbers into nullable integers; NA where blank or not whole."""
    numbers = parse_numbers(series)
    whole = numbers.where(np.isfinite(numbers) & (numbers == np.floor(numbers)))
    return whole.astype("Int64")


def parse_booleans(series: pd.Series) -> pd.Series:
    """Parse true/false, yes/no, 1/0 (any case) into a nullable boolean."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    text = blank_to_na(series.astype("string")).str.lower()
    result = pd.Series(pd.NA, index=series.index, dtype="boolean")
    result[text.isin(_TRUE).fillna(False).astype(bool)] = True
    result[text.isin(_FALSE).fillna(False).astype(bool)] = False
    return result


# --- structured (JSON) cells ----------------------------------------------------------


def _ordered(obj: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Our keys in our order, then any others sorted, dropping empty values."""
    keys = tuple(keys)
    extra = sorted(k for k in obj if k not in keys)
    return {k: obj[k] for k in (*keys, *extra) if k in obj and obj[k] not in (None, "")}


def _iso_date_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        raise InvalidValue(f"{what} must be a date as YYYY-MM-DD, got {value!r}")
    try:
        day = pd.Timestamp(value.strip())
    except ValueError as exc:
        raise InvalidValue(f"{what} must be a real date, got {value!r}") from exc
    if day.tzinfo is not None:
        day = day.tz_localize(None)
    if not FIRST_DATE <= day.normalize() <= LAST_DATE:
        raise InvalidValue(f"{what} must be {DATE_RANGE_TEXT}, got {value!r}")
    return day.strftime("%Y-%m-%d")


def _json_list(value: Any, what: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, np.ndarray):
        return list(value)
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidValue(f"expected a JSON list of {what}: {exc.msg}") from exc
        if isinstance(decoded, list):
            return decoded
    raise InvalidValue(f"expected a JSON list of {what}")


#: An HTML character reference ended by its ";" (``&#8221;``, ``&#x2019;``, ``&amp;``), as
#: files scraped from web pages carry them (UCDP GED's ``source_article``).  The legacy
#: forms without a ";" (``&copy``) are left alone: in plain text they are more often words.
_ENTITY_BODY = r"(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
#: An escaped entity (``&amp;#8221;``) is one token: decoded once, it is ``&#8221;``, whose
#: ";" separates nothing either.
_ENTITY_OR_SEPARATOR = re.compile(rf"&amp;(?P<escaped>{_ENTITY_BODY})|&{_ENTITY_BODY}|;")


def split_sources(text: str) -> list[str]:
    """Plain-text sources split at their ``;`` separators, HTML entities decoded once.

    The ``;`` that ends an entity separates nothing, and each entity is decoded once, so
    an escaped one (``&amp;#8221;``) stays the entity it spells.

    >>> split_sources("Islamic State&#8221;s Amaq agency; Reuters")
    ['Islamic State”s Amaq agency', 'Reuters']
    """
    parts, current, at = [], [], 0
    for match in _ENTITY_OR_SEPARATOR.finditer(text):
        current.append(text[at : match.start()])
        if match.group() == ";":
            parts.append("".join(current))
            current = []
        elif match.group("escaped"):
            current.append("&" + match.group("escaped"))
        else:
            current.append(html.unescape(match.group()))
        at = match.end()
    current.append(text[at:])
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _text_sources(text: str) -> list[dict[str, str]]:
    """Plain text such as ``Reuters; https://example.org/x``: one source per part."""
    sources = []
    for part in split_sources(text):
        if not part:
            continue
        if part.startswith(("http://", "https://")):
            host = re.sub(r"^https?://(www\.)?", "", part).split("/")[0]
            sources.append({"publisher": host, "url": part})
        else:
            sources.append({"publisher": part})
    return sources


def _source(obj: Any, what: str = "source") -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise InvalidValue(f"each {what} must be an object with a publisher")
    publisher = obj.get("publisher")
    if not isinstance(publisher, str) or not publisher.strip():
        raise InvalidValue(f"each {what} needs a publisher")
    for key in SOURCE_KEYS:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise InvalidValue(f"{what} {key} must be text")
    return _ordered(obj, SOURCE_KEYS)


def canonical_sources(value: Any) -> str:
    """Return the canonical JSON text of a source list.

    Accepts a JSON list of objects (each with at least a ``publisher``), the same list
    already decoded, or plain text with sources separated by ``;`` (a part that is a URL
    becomes ``{"publisher": <host>, "url": ...}``).  Raises :class:`InvalidValue`.
    """
    if isinstance(value, str) and not value.lstrip().startswith("["):
        sources = _text_sources(value)
    else:
        sources = [_source(item) for item in _json_list(value, "sources")]
    if not sources:
        raise InvalidValue("expected at least one source")
    return json.dumps(sources, ensure_ascii=False)


def canonical_periods(value: Any) -> str:
    """Return the canonical JSON text of a route's periods ``[{start, end, status, note}]``."""
    periods = []
    for item in _json_list(value, "periods {start, end, status}"):
        if not isinstance(item, dict):
            raise InvalidValue("each period must be an object {start, end, status}")
        period = dict(item)
        period["start"] = _iso_date_text(item.get("start"), "period start")
        if item.get("end") is not None:
            period["end"] = _iso_date_text(item["end"], "period end")
            if period["end"] < period["start"]:
                raise InvalidValue(f"period ends ({period['end']}) before it starts")
        if item.get("status") not in ROUTE_STATUSES:
            raise InvalidValue(
                f"period status must be one of {', '.join(ROUTE_STATUSES)}, "
                f"got {item.get('status')!r}"
            )
        periods.append(_ordered(period, PERIOD_KEYS))
    return json.dumps(periods, ensure_ascii=False)


def canonical_people_moved(value: Any) -> str:
    """Return the canonical JSON text of counts ``[{count, qualifier, as_of, note, source}]``."""
    counts = []
    for item in _json_list(value, "counts {count, as_of, source}"):
        if not isinstance(item, dict):
            raise InvalidValue("each count must be an object {count, as_of, source}")
        entry = dict(item)
        count = item.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidValue(f"count must be a whole number ≥ 0, got {count!r}")
        if item.get("as_of") is not None:
            entry["as_of"] = _iso_date_text(item["as_of"], "as_of")
        entry["source"] = _source(item.get("source"), "count's source")
        counts.append(_ordered(entry, PEOPLE_MOVED_KEYS))
    return json.dumps(counts, ensure_ascii=False)


def parse_structured(series: pd.Series, canonical: Callable[[Any], str]) -> pd.Series:
    """Apply a ``canonical_*`` function to each cell: canonical JSON text, NA where invalid.

    Works on distinct values, so a million rows citing a few hundred sources parse quickly.
    """
    codes, uniques = factorized(series)

    def one(value: Any) -> str | None:
        if _missing(value):
            return None
        try:
            if _is_json_key(value):
                value = json.loads(value[len(_JSON_KEY) :])
            return canonical(value)
        except InvalidValue:
            return None

    return _from_distinct(codes, uniques.map(one), series.index, "string")


def _is_json_key(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_JSON_KEY)


def structured_error(value: Any, canonical: Callable[[Any], str]) -> str | None:
    """The reason ``canonical`` rejects ``value``, or None if it accepts it."""
    try:
        canonical(value)
    except InvalidValue as exc:
        return str(exc)
    return None


def decode_json_list(text: Any) -> list[Any]:
    """Decode a canonical JSON list cell (an empty list for a missing value)."""
    if not _is_present(text):
        return []
    if isinstance(text, list):
        return text
    return json.loads(text)


def _is_present(value: Any) -> bool:
    if value is None or value is pd.NA:
        return False
    if isinstance(value, float) and np.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


_JSON_KEY = "\x00json:"


def _hashable(value: Any) -> Any:
    """Decoded JSON as a marked text key (so distinct values can be found); other values as is."""
    if isinstance(value, list | dict | np.ndarray):
        decoded = list(value) if isinstance(value, np.ndarray) else value
        return _JSON_KEY + json.dumps(decoded, ensure_ascii=False, default=str)
    return value
