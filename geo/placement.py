"""Rows with a place name and no coordinates, placed offline from GeoNames before validation.

Runs on a raw events table already in our columns (after any layout or mapping): a row
whose latitude and longitude are both blank and whose place name is not gets the position
of the one GeoNames place of that name (in the row's country, when it names one), and its
``geocode`` column says what was matched and how sure the match is.  A row's first-order
administrative unit (GED's ``adm_1``, ACLED's ``admin1``), when the file has one, keeps
the search inside that governorate or province.  A name that fits
several distinct places, or none, is never guessed: the row is rejected with the
candidates in its reason, for the user to add coordinates or a clearer name; so is a
name of a governorate or district ("Hamah Governorate"), whose namesake town is no
position for an event somewhere in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from geo.geocode import AMBIGUOUS, MATCHED, Match, geocode_places
from geo.parsing import blank_to_na, factorized
from geo.placenames import is_administrative
from geo.problems import Problem
from geo.raw import RawTable
from geo.schema import EVENTS, Column, Layer
from geo.validation import match_columns


def _blank(cells: pd.DataFrame, column: Column) -> np.ndarray:
    """Where a column is empty; judged once per distinct value (a million rows, few values)."""
    if column not in cells:
        return np.ones(len(cells), dtype=bool)
    values = cells[column]
    if values.dtype.kind in "fiuc":  # typed numbers (GeoParquet): only NaN is blank
        return values.isna().to_numpy()
    codes, distinct = factorized(values)
    blank = blank_to_na(distinct.astype("string")).isna().to_numpy()
    return np.append(blank, True)[np.where(codes >= 0, codes, len(distinct))]


#: The headers of a first-order administrative unit in the layouts that have one (UCDP
#: GED's ``adm_1``, ACLED's ``admin1``), compared trimmed and in any case.  The unit is a
#: hint for placing by name (``Gazetteer.lookup``'s ``admin``), not one of our columns.
ADMIN_HEADERS = ("adm_1", "admin1")


def _admin_hints(table: RawTable, index: pd.Index) -> pd.Series | None:
    """The rows' first-order administrative units as the file wrote them, or None.

    Read from the file's own cells (``as_read``: a known layout keeps them there), else
    from the table's.
    """
    cells = table.as_read if table.as_read is not None else table.cells
    headers = {str(h).strip().lower(): h for h in cells.columns}
    for wanted in ADMIN_HEADERS:
        if wanted in headers:
            column = cells[headers[wanted]]
            if column.index.equals(table.cells.index):
                return column.reindex(index).astype(object)
    return None


def _our_headers(cells: pd.DataFrame) -> pd.DataFrame:
    """The headers validation takes as ours (``Latitude `` and the like) named as ours."""
    matched, _ = match_columns(cells.columns, EVENTS)
    renames = {h: c.value for h, c in matched.items() if h != c.value}
    return cells.rename(columns=renames) if renames else cells


@dataclass(frozen=True)
class Placement:
    """What placing a table's rows by name did."""

    #: How many rows were placed.
    placed: int = 0
    #: How many placed rows lie in each country (ISO code): where the table's places are.
    countries: Mapping[str, int] = field(default_factory=dict)
    #: The names, in rows naming no country, that several countries have: name -> their
    #: ISO codes.  Those rows are left unplaced; a country for them would place them.
    in_several_countries: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: How many rows those names left unplaced.
    rows_in_several_countries: int = 0


def place_by_name(table: RawTable, *, country: str | None = None) -> tuple[RawTable, Placement]:
    """The table with unplaced rows geocoded; and what was placed.

    ``table.cells`` holds our event columns (names as in ``geo.schema.Column``); rows that
    cannot be placed get a problem on ``place_name`` (their latitude and longitude are
    then not reported again as missing).  ``country`` (a name or ISO code) is the hint for
    rows whose own country is blank, or for every row of a table without one.
    """
    if table.geometry is not None:
        return table, Placement()  # shapes place the rows (validation reports a missing one)
    cells = _our_headers(table.cells)
    if Column.PLACE_NAME not in cells:
        return table, Placement()
    unplaced = _blank(cells, Column.LATITUDE) & _blank(cells, Column.LONGITUDE)
    if not unplaced.any():
        return table, Placement()
    named = unplaced & ~_blank(cells, Column.PLACE_NAME)
    if not named.any():
        return table, Placement()
    rows = cells[named]
    countries = rows.get(Column.COUNTRY)
    if country is not None and country.strip():
        if countries is None:
            countries = pd.Series(country.strip(), index=rows.index, dtype=object)
        else:
            own = _blank(rows, Column.COUNTRY)
            countries = countries.astype(object).where(~own, country.strip())
    matches = geocode_places(rows[Column.PLACE_NAME], countries, _admin_hints(table, rows.index))
    placed = np.array([_placeable(m) for m in matches], dtype=bool)
    cells = cells.copy()
    for column in (Column.LATITUDE, Column.LONGITUDE, Column.GEOCODE):
        if column not in cells:
            cells[column] = pd.Series(pd.NA, index=cells.index, dtype=object)
        else:
            cells[column] = cells[column].astype(object)
    chosen = [m.chosen for m in matches[placed]]
    labels = rows.index[placed]
    cells.loc[labels, Column.LATITUDE] = [c.latitude for c in chosen]
    cells.loc[labels, Column.LONGITUDE] = [c.longitude for c in chosen]
    cells.loc[labels, Column.GEOCODE] = [
        f"{m.describe()}; confidence {m.confidence}" for m in matches[placed]
    ]
    problems = [
        _problem(table, label, match)
        for label, match in zip(rows.index[~placed], matches[~placed], strict=True)
    ]
    several = [m for m in matches[~placed] if _in_several_countries(m)]
    placement = Placement(
        int(placed.sum()),
        dict(Counter(c.country_code for c in chosen)),
        {m.query: _countries_of(m) for m in several},
        len(several),
    )
    return replace(table, cells=cells, problems=(*table.problems, *problems)), placement


def _placeable(match: Match | None) -> bool:
    """True for a match to one place that stands for the row's place itself.

    A name that matched only after dropping an administrative descriptor ("Hamah
    Governorate", "Tadmur district") names a unit, and its namesake town is no position
    for an event somewhere in the unit: on the real GED file those rows were placed 27 to
    147 km from GED's own positions.  They are rejected with the namesake in the reason.
    """
    return match is not None and match.status == MATCHED and not is_administrative(match.dropped)


def _countries_of(match: Match) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.country_code for c in match.candidates))


def _in_several_countries(match: Match | None) -> bool:
    """True for a name in a row naming no country that places in several countries have."""
    return (
        match is not None
        and match.status == AMBIGUOUS
        and match.country is None
        and len(_countries_of(match)) > 1
    )


def _problem(table: RawTable, label: object, match: Match) -> Problem:
    if match.status == MATCHED:  # an administrative unit (see _placeable)
        message = (
            f"no coordinates, and the place name is a {match.dropped}, not a place: its "
            f"namesake is {match.describe()}; add coordinates for the event itself"
        )
    else:
        message = f"no coordinates, and the place name is {match.describe()}"
    return Problem(
        table.path,
        int(label) + table.first_row,
        Column.PLACE_NAME,
        message,
        str(Layer.EVENTS),
        table.record_label,
    )
