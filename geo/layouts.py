"""Event-table layouts users bring, recognised by their columns and mapped onto ours.

Importing a layout is a column mapping, not a redesign: each mapping builds our event
columns (``geo.schema.EVENTS``) from the file's, keeping the file's row labels so that a
problem found later still names the file's own line.  Precision codes map onto our scales.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from geo.parsing import factorized
from geo.schema import Column


def _column(cells: pd.DataFrame, name: str) -> pd.Series:
    """A column as found (validation strips and parses it), or an empty one."""
    if name not in cells:
        return pd.Series(pd.NA, index=cells.index, dtype="string")
    return cells[name]


def _per_distinct(values: pd.Series, func: Callable[[object], object]) -> pd.Series:
    """``func`` applied once per distinct value (missing values stay missing)."""
    codes, uniques = factorized(values)
    mapped = np.array([func(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[np.where(codes >= 0, codes, len(uniques))], index=values.index)


def _code(cells: pd.DataFrame, name: str, codes: dict[str, str]) -> pd.Series:
    """A numeric code column mapped through ``codes``; unknown codes stay, for validation."""

    def one(value: object) -> str:
        text = str(value).strip()
        text = text[:-2] if text.endswith(".0") else text
        return codes.get(text, text)

    return _per_distinct(_column(cells, name), one)


def _join_actors(first: pd.Series, second: pd.Series) -> pd.Series:
    """``a; b`` from two associated-actor columns, each of which may be blank."""
    codes1, uniques1 = factorized(first)
    codes2, uniques2 = factorized(second)
    pair = (codes1 + 1).astype(np.int64) * (len(uniques2) + 1) + (codes2 + 1)
    distinct, inverse = np.unique(pair, return_inverse=True)
    names1 = np.array(["", *(str(u).strip() for u in uniques1)], dtype=object)
    names2 = np.array(["", *(str(u).strip() for u in uniques2)], dtype=object)
    joined = np.array(
        [
            "; ".join(
                n for n in (names1[p // (len(uniques2) + 1)], names2[p % (len(uniques2) + 1)]) if n
            )
            or None
            for p in distinct
        ],
        dtype=object,
    )
    return pd.Series(joined[inverse], index=first.index)


#: ACLED ``time_precision`` → our date precision.
ACLED_DATE_PRECISION = {"1": "day", "2": "week", "3": "month"}
#: ACLED ``geo_precision`` → our location precision.
ACLED_LOCATION_PRECISION = {"1": "locality", "2": "near", "3": "region"}


#: The ACLED columns the mapping reads (a reader may load only these).
ACLED_USED = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "assoc_actor_1",
    "assoc_actor_2",
    "location",
    "country",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "notes",
    "source",
)


def from_acled(cells: pd.DataFrame) -> pd.DataFrame:
    """ACLED's current layout (lower-case columns) as our event columns."""
    out = pd.DataFrame(index=cells.index)
    out[Column.ID] = _column(cells, "event_id_cnty")
    out[Column.DATE_START] = _column(cells, "event_date")
    out[Column.DATE_PRECISION] = _code(cells, "time_precision", ACLED_DATE_PRECISION)
    out[Column.EVENT_TYPE] = _column(cells, "event_type")
    out[Column.SUB_EVENT_TYPE] = _column(cells, "sub_event_type")
    out[Column.ACTOR1] = _column(cells, "actor1")
    out[Column.ACTOR2] = _column(cells, "actor2")
    out[Column.ASSOC_ACTORS] = _join_actors(
        _column(cells, "assoc_actor_1"), _column(cells, "assoc_actor_2")
    )
    out[Column.PLACE_NAME] = _column(cells, "location")
    out[Column.COUNTRY] = _column(cells, "country")
    out[Column.LATITUDE] = cells.get("latitude", np.nan)
    out[Column.LONGITUDE] = cells.get("longitude", np.nan)
    out[Column.LOCATION_PRECISION] = _code(cells, "geo_precision", ACLED_LOCATION_PRECISION)
    out[Column.FATALITIES] = cells.get("fatalities", pd.NA)
    out[Column.DESCRIPTION] = _column(cells, "notes")
    out[Column.SOURCES] = _column(cells, "source")
    out[Column.STATUS] = "reported"
    return out


def _acled_date(value: object) -> object:
    """ACLED's date forms (2023-02-16, 16/02/2023, 16 February 2023) as YYYY-MM-DD.

    ACLED writes day first, so 02/03/2020 is 2 March; a value in no known form is left as it
    is, for validation to name.
    """
    text = str(value).strip()
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d-%B-%Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, form).strftime("%Y-%m-%d")
        except ValueError:
            continue
    return text


def from_acled_old(cells: pd.DataFrame) -> pd.DataFrame:
    """ACLED's older layout: upper-case columns, day-first or written-out dates."""
    lowered = cells.rename(columns={c: str(c).strip().lower() for c in cells.columns})
    lowered["event_date"] = _per_distinct(lowered["event_date"], _acled_date)
    return from_acled(lowered)


#: UCDP GED ``type_of_violence`` → an event type.
UCDP_VIOLENCE = {"1": "State-based conflict", "2": "Non-state conflict", "3": "One-sided violence"}
#: UCDP ``date_prec`` 1–5 → our date precision.
UCDP_DATE_PRECISION = {"1": "day", "2": "days", "3": "week", "4": "month", "5": "year"}
#: UCDP ``where_prec`` 1–7 → our location precision (3 is a second-order unit, about 25 km).
UCDP_LOCATION_PRECISION = {
    "1": "locality",
    "2": "near",
    "3": "near",
    "4": "region",
    "5": "area",
    "6": "country",
    "7": "area",
}


def _ucdp_date(value: object) -> object:
    text = str(value).strip()
    return text[:10] if len(text) >= 10 and text[4] == "-" else text


def from_ucdp(cells: pd.DataFrame) -> pd.DataFrame:
    """UCDP GED's layout as our event columns; fatality estimates low–high kept in notes."""
    out = pd.DataFrame(index=cells.index)
    out[Column.ID] = _column(cells, "id")
    out[Column.DATE_START] = _per_distinct(_column(cells, "date_start"), _ucdp_date)
    out[Column.DATE_END] = _per_distinct(_column(cells, "date_end"), _ucdp_date)
    out[Column.DATE_PRECISION] = _code(cells, "date_prec", UCDP_DATE_PRECISION)
    out[Column.EVENT_TYPE] = _code(cells, "type_of_violence", UCDP_VIOLENCE)
    out[Column.ACTOR1] = _column(cells, "side_a")
    out[Column.ACTOR2] = _column(cells, "side_b")
    out[Column.PLACE_NAME] = _column(cells, "where_coordinates")
    out[Column.COUNTRY] = _column(cells, "country")
    out[Column.LATITUDE] = cells.get("latitude", np.nan)
    out[Column.LONGITUDE] = cells.get("longitude", np.nan)
    out[Column.LOCATION_PRECISION] = _code(cells, "where_prec", UCDP_LOCATION_PRECISION)
    out[Column.FATALITIES] = cells.get("best", pd.NA)
    out[Column.DESCRIPTION] = _column(cells, "dyad_name")
    out[Column.SOURCES] = _column(cells, "source_article")
    out[Column.STATUS] = "reported"
    low, high = _column(cells, "low").astype("string"), _column(cells, "high").astype("string")
    out[Column.NOTES] = (
        "UCDP fatality estimates: low " + low.fillna("?") + ", high " + high.fillna("?")
    )
    return out


@dataclass(frozen=True)
class EventLayout:
    """A layout: its name, the columns that identify it, and its mapping onto ours."""

    name: str
    signature: frozenset[str]
    to_ours: Callable[[pd.DataFrame], pd.DataFrame]
    used: tuple[str, ...] = ()
    #: Columns with few distinct values (actors, types, places, sources).
    repetitive: tuple[str, ...] = ()


LAYOUTS = (
    EventLayout(
        "ACLED",
        frozenset(
            {
                "event_id_cnty",
                "event_date",
                "event_type",
                "actor1",
                "latitude",
                "longitude",
                "geo_precision",
                "time_precision",
            }
        ),
        from_acled,
        ACLED_USED,
        (
            "event_type",
            "sub_event_type",
            "actor1",
            "actor2",
            "assoc_actor_1",
            "assoc_actor_2",
            "location",
            "country",
            "source",
            "notes",
            "event_date",
        ),
    ),
    EventLayout(
        "ACLED (older upper-case layout)",
        frozenset(
            {
                "EVENT_ID_CNTY",
                "EVENT_DATE",
                "EVENT_TYPE",
                "ACTOR1",
                "LATITUDE",
                "LONGITUDE",
                "GEO_PRECISION",
                "TIME_PRECISION",
            }
        ),
        from_acled_old,
    ),
    EventLayout(
        "UCDP GED",
        frozenset(
            {
                "id",
                "type_of_violence",
                "side_a",
                "side_b",
                "date_start",
                "date_end",
                "date_prec",
                "where_prec",
                "latitude",
                "longitude",
                "best",
            }
        ),
        from_ucdp,
    ),
)


def detect_layout(columns) -> EventLayout | None:
    """The known layout whose identifying columns are all present (None: ours or unknown)."""
    present = {str(c).strip() for c in columns}
    return next((layout for layout in LAYOUTS if layout.signature <= present), None)
