"""Event-table layouts users bring, recognised by their columns and mapped onto ours.

Importing a layout is a column mapping, not a redesign: each mapping builds our event
columns (``geo.schema.EVENTS``) from the file's, keeping the file's row labels so that a
problem found later still names the file's own line.  Precision codes map onto our scales.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.schema import Column

OURS = "conflict-atlas"


def _text(cells: pd.DataFrame, name: str) -> pd.Series:
    """A column as stripped text with missing values as empty strings."""
    if name not in cells:
        return pd.Series("", index=cells.index, dtype="string")
    values = cells[name]
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        values = values.astype("string")
    return values.astype("string").fillna("").str.strip()


def _code(cells: pd.DataFrame, name: str, codes: dict[str, str]) -> pd.Series:
    """A numeric code column mapped through ``codes``; unknown codes stay, for validation."""
    raw = _text(cells, name).str.replace(r"\.0$", "", regex=True)
    return raw.map(lambda v: codes.get(v, v)).astype("string")


def _join_actors(*columns: pd.Series) -> pd.Series:
    joined = columns[0]
    for column in columns[1:]:
        joined = joined.str.cat(column, sep="; ")
    return joined.str.replace(r"^(; )+|(; )+$", "", regex=True).str.replace(
        r"(; ){2,}", "; ", regex=True
    )


#: ACLED ``time_precision`` → our date precision.
ACLED_DATE_PRECISION = {"1": "day", "2": "week", "3": "month"}
#: ACLED ``geo_precision`` → our location precision.
ACLED_LOCATION_PRECISION = {"1": "locality", "2": "near", "3": "region"}


def from_acled(cells: pd.DataFrame) -> pd.DataFrame:
    """ACLED's current layout (lower-case columns) as our event columns."""
    out = pd.DataFrame(index=cells.index)
    out[Column.ID] = _text(cells, "event_id_cnty")
    out[Column.DATE_START] = _text(cells, "event_date")
    out[Column.DATE_PRECISION] = _code(cells, "time_precision", ACLED_DATE_PRECISION)
    out[Column.EVENT_TYPE] = _text(cells, "event_type")
    out[Column.SUB_EVENT_TYPE] = _text(cells, "sub_event_type")
    out[Column.ACTOR1] = _text(cells, "actor1")
    out[Column.ACTOR2] = _text(cells, "actor2")
    out[Column.ASSOC_ACTORS] = _join_actors(
        _text(cells, "assoc_actor_1"), _text(cells, "assoc_actor_2")
    )
    out[Column.PLACE_NAME] = _text(cells, "location")
    out[Column.LATITUDE] = cells.get("latitude", np.nan)
    out[Column.LONGITUDE] = cells.get("longitude", np.nan)
    out[Column.LOCATION_PRECISION] = _code(cells, "geo_precision", ACLED_LOCATION_PRECISION)
    out[Column.FATALITIES] = cells.get("fatalities", pd.NA)
    out[Column.DESCRIPTION] = _text(cells, "notes")
    out[Column.SOURCES] = _text(cells, "source")
    out[Column.STATUS] = "reported"
    return out


@dataclass(frozen=True)
class EventLayout:
    """A layout: its name, the columns that identify it, and its mapping onto ours."""

    name: str
    signature: frozenset[str]
    to_ours: Callable[[pd.DataFrame], pd.DataFrame]


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
    ),
)


def detect_layout(columns) -> EventLayout | None:
    """The known layout whose identifying columns are all present (None: ours or unknown)."""
    present = {str(c).strip() for c in columns}
    return next((layout for layout in LAYOUTS if layout.signature <= present), None)
