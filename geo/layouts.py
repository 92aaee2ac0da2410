"""Event-table layouts users bring, recognised by their columns and mapped onto ours.

Importing a layout is a column mapping, not a redesign: each mapping builds our event
columns (``geo.schema.EVENTS``) from the file's, keeping the file's row labels so that a
problem found later still names the file's own line.  Precision codes map onto our scales.
Each mapping returns our columns and notes on how it read them (date forms, coarser dates);
:func:`unread_columns` lists the file's columns a layout does not read, for the load
report.  Dates are read by :mod:`geo.dates`, as in our own layout.

The layouts, by the columns that identify them: ACLED (current lower-case, and the older
upper-case exports with ``ALLY_ACTOR_1``), UCDP GED, the Global Terrorism Database
(``eventid``, ``iyear``, ``imonth``, ``iday``, ...) and GDELT 1.0/2.0 event files
(``GLOBALEVENTID``, ``SQLDATE``, ...; their daily files have no header row, and are told by
their count of columns: see :func:`gdelt_headers_for`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.dataset import ucdp_side_parties
from geo.dates import ISO, read_date_column, read_date_parts
from geo.parsing import factorized, per_distinct_row
from geo.schema import Column

#: What a layout's mapping returns: our columns, and notes on how they were read.
Mapped = tuple[pd.DataFrame, list[str]]


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


def _text(value: object) -> str:
    """A cell as stripped text; blank for a missing one."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _join_actors(*columns: pd.Series) -> pd.Series:
    """``a; b; c`` from associated-actor columns, any of which may be blank (repeats once)."""

    def join(*cells: object) -> str | None:
        names = [name for name in dict.fromkeys(_text(c) for c in cells) if name]
        return "; ".join(names) or None

    return per_distinct_row(list(columns), join)


def _first_filled(cells: pd.DataFrame, *names: str) -> pd.Series:
    """Each row's first non-blank cell among ``names`` (missing when all are blank)."""
    return per_distinct_row(
        [_column(cells, n) for n in names],
        lambda *values: next((t for t in map(_text, values) if t), None),
    )


def _dates(cells: pd.DataFrame, name: str, notes: list[str]) -> pd.Series:
    """A day-first date column read by :mod:`geo.dates`, its note kept when it has one.

    ACLED and UCDP write dates day first (16/02/2023), in ISO form, or with the month
    written out (04 November 2021, 9-May-20 once a spreadsheet has re-saved it).
    """
    dates, form = read_date_column(_column(cells, name), column=name, day_first=True)
    # the order is the layout's, not the user's choice: "read day first, as asked" would
    # puzzle them; what else the note says (mixed forms, two-digit years) is kept
    said = [part for part in form.note.split("; ") if part and not part.endswith(", as asked")]
    if said and form.name != ISO:
        notes.append("; ".join(said))
    return dates


#: A coordinate written with a decimal comma, as a spreadsheet set to a European locale
#: re-saves one (``36,2021``).  No coordinate needs a thousands separator (|x| <= 180), so
#: one comma between digits can only be the decimal mark.
_DECIMAL_COMMA = r"\s*[-+]?\d{1,3},\d+\s*"


def _coordinate(cells: pd.DataFrame, name: str, notes: list[str]) -> pd.Series | float:
    """A latitude or longitude column, a decimal comma read as a point (noted once)."""
    if name not in cells:
        return np.nan
    values = cells[name]
    if values.dtype.kind in "fiu":  # typed formats (Parquet, Excel) hold numbers already
        return values
    text = values.astype("string")
    comma = text.str.fullmatch(_DECIMAL_COMMA).fillna(False).astype(bool)
    if not comma.any():
        return values
    note = (
        f"{name}: {int(comma.sum()):,} value{'s' if comma.sum() != 1 else ''} written with a "
        f"decimal comma ({text[comma].iloc[0].strip()}) read as a decimal point"
    )
    notes.append(note)
    return values.astype(object).where(~comma, text.str.replace(",", ".", regex=False))


#: ACLED ``time_precision`` → our date precision.
ACLED_DATE_PRECISION = {"1": "day", "2": "week", "3": "month"}
#: ACLED ``geo_precision`` → our location precision.
ACLED_LOCATION_PRECISION = {"1": "locality", "2": "near", "3": "region"}


#: The ACLED columns the mapping reads (a reader may load only these).  ``data_id`` and
#: ``event_id_no_cnty`` stand in for a blank ``event_id_cnty``; older files name associated
#: actors ``ally_actor_1/2``.
ACLED_USED = (
    "event_id_cnty",
    "data_id",
    "event_id_no_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "assoc_actor_1",
    "assoc_actor_2",
    "ally_actor_1",
    "ally_actor_2",
    "location",
    "country",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "notes",
    "source",
)


def from_acled(cells: pd.DataFrame) -> Mapped:
    """ACLED's current layout (lower-case columns) as our event columns.

    Reads the columns of :data:`ACLED_USED`: the id is ``event_id_cnty``, else ``data_id``,
    else ``event_id_no_cnty``; ``event_date`` in any of ACLED's forms, day first;
    ``assoc_actor_1/2`` and the older ``ally_actor_1/2`` become the associated actors.
    """
    notes: list[str] = []
    out = pd.DataFrame(index=cells.index)
    out[Column.ID] = _first_filled(cells, "event_id_cnty", "data_id", "event_id_no_cnty")
    out[Column.DATE_START] = _dates(cells, "event_date", notes)
    out[Column.DATE_PRECISION] = _code(cells, "time_precision", ACLED_DATE_PRECISION)
    out[Column.EVENT_TYPE] = _column(cells, "event_type")
    out[Column.SUB_EVENT_TYPE] = _column(cells, "sub_event_type")
    out[Column.ACTOR1] = _column(cells, "actor1")
    out[Column.ACTOR2] = _column(cells, "actor2")
    out[Column.ASSOC_ACTORS] = _join_actors(
        *(
            _column(cells, name)
            for name in ("assoc_actor_1", "assoc_actor_2", "ally_actor_1", "ally_actor_2")
        )
    )
    out[Column.PLACE_NAME] = _column(cells, "location")
    out[Column.COUNTRY] = _column(cells, "country")
    out[Column.LATITUDE] = _coordinate(cells, "latitude", notes)
    out[Column.LONGITUDE] = _coordinate(cells, "longitude", notes)
    out[Column.LOCATION_PRECISION] = _code(cells, "geo_precision", ACLED_LOCATION_PRECISION)
    out[Column.FATALITIES] = cells.get("fatalities", pd.NA)
    out[Column.DESCRIPTION] = _column(cells, "notes")
    out[Column.SOURCES] = _column(cells, "source")
    out[Column.STATUS] = "reported"
    return out, notes


def from_acled_old(cells: pd.DataFrame) -> Mapped:
    """ACLED's older layout: upper-case columns (``EVENT_ID_CNTY``, ``ALLY_ACTOR_1``, ...)."""
    return from_acled(cells.rename(columns={c: str(c).strip().lower() for c in cells.columns}))


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


#: The UCDP GED columns the mapping reads.
UCDP_USED = (
    "id",
    "date_start",
    "date_end",
    "date_prec",
    "type_of_violence",
    "side_a",
    "side_b",
    "where_coordinates",
    "country",
    "latitude",
    "longitude",
    "where_prec",
    "best",
    "low",
    "high",
    "dyad_name",
    "source_article",
)


#: One citation of GED's ``source_article``: ``"Publisher,YYYY-MM-DD,Headline"`` (the first
#: ``,date,`` ends the publisher; a headline may hold commas and quotes of its own).
_GED_CITATION = re.compile(
    r"(?P<publisher>[^\n]+?),(?P<date>\d{4}-\d{2}-\d{2}),(?P<title>.*)", re.S
)
#: Between two citations: the closing quote of one, ``;``, the opening quote of the next.
_GED_BETWEEN = re.compile(r'"\s*;\s*"')


def _ged_citations(value: object) -> object:
    """GED's ``source_article`` as a JSON list of sources (publisher, date, title).

    GED writes each citation quoted, ``"SOHR,2016-01-01,Human losses in Shekh Meskin"``,
    several joined by ``;``.  Read as plain text, the whole citation would be a publisher
    (and a caption would list headlines as publishers).  A cell not in that form is left as
    it is, for the usual reading of sources (``;``-separated names or links).
    """
    text = _text(value)
    if not (text.startswith('"') and text.endswith('"')):
        return value if text else None
    sources = []
    for part in _GED_BETWEEN.split(text[1:-1]):
        match = _GED_CITATION.fullmatch(part.strip())
        if match is None:
            return value
        source = {"publisher": html.unescape(match["publisher"]).strip()}
        source["date"] = match["date"]
        title = html.unescape(match["title"]).strip()
        if title:
            source["title"] = title
        sources.append(source)
    return json.dumps(sources, ensure_ascii=False)


def from_ucdp(cells: pd.DataFrame) -> Mapped:
    """UCDP GED's layout (:data:`UCDP_USED`) as our columns; fatalities low–high in notes."""
    notes: list[str] = []
    out = pd.DataFrame(index=cells.index)
    out[Column.ID] = _column(cells, "id")
    out[Column.DATE_START] = _dates(cells, "date_start", notes)
    out[Column.DATE_END] = _dates(cells, "date_end", notes)
    out[Column.DATE_PRECISION] = _code(cells, "date_prec", UCDP_DATE_PRECISION)
    out[Column.EVENT_TYPE] = _code(cells, "type_of_violence", UCDP_VIOLENCE)
    out[Column.ACTOR1] = _column(cells, "side_a")
    out[Column.ACTOR2] = _column(cells, "side_b")
    # a side of several parties ("Syrian insurgents, Sham Legion"): each is an actor too
    out[Column.ASSOC_ACTORS] = ucdp_side_parties(_column(cells, "side_a"), _column(cells, "side_b"))
    out[Column.PLACE_NAME] = _column(cells, "where_coordinates")
    out[Column.COUNTRY] = _column(cells, "country")
    out[Column.LATITUDE] = _coordinate(cells, "latitude", notes)
    out[Column.LONGITUDE] = _coordinate(cells, "longitude", notes)
    out[Column.LOCATION_PRECISION] = _code(cells, "where_prec", UCDP_LOCATION_PRECISION)
    out[Column.FATALITIES] = cells.get("best", pd.NA)
    out[Column.DESCRIPTION] = _column(cells, "dyad_name")
    out[Column.SOURCES] = _per_distinct(_column(cells, "source_article"), _ged_citations)
    out[Column.STATUS] = "reported"
    low, high = _column(cells, "low").astype("string"), _column(cells, "high").astype("string")
    out[Column.NOTES] = (
        "UCDP fatality estimates: low " + low.fillna("?") + ", high " + high.fillna("?")
    )
    return out, notes


#: GTD ``specificity`` 1–5 → our location precision: 1 is the town itself; 2–4 the centre
#: of the smallest administrative unit known; 5 no unit below the country (see the GTD
#: codebook).
GTD_LOCATION_PRECISION = {
    "1": "locality",
    "2": "region",
    "3": "region",
    "4": "region",
    "5": "country",
}

#: The GTD columns the mapping reads.
GTD_USED = (
    "eventid",
    "iyear",
    "imonth",
    "iday",
    "country_txt",
    "city",
    "latitude",
    "longitude",
    "specificity",
    "attacktype1_txt",
    "targtype1_txt",
    "gname",
    "nkill",
    "summary",
    "scite1",
    "scite2",
    "scite3",
    "dbsource",
)


def from_gtd(cells: pd.DataFrame) -> Mapped:
    """The Global Terrorism Database's layout (:data:`GTD_USED`) as our event columns.

    The date is split over ``iyear``, ``imonth`` and ``iday``, where 0 means unknown: such
    a row spans its month or year (see :func:`geo.dates.read_date_parts`).  The group
    (``gname``) is the actor, the attack type the event type, the target type the sub-type,
    ``city`` the place, ``country_txt`` the country, ``nkill`` the fatalities; the sources
    are the citations ``scite1``–``scite3``, else the GTD collection (``dbsource``).
    """
    notes: list[str] = []
    dates = read_date_parts(
        _column(cells, "iyear"),
        _column(cells, "imonth"),
        _column(cells, "iday"),
        columns=("iyear", "imonth", "iday"),
    )
    if dates.note:
        notes.append(dates.note)
    citations = _join_actors(*(_column(cells, f"scite{n}") for n in (1, 2, 3)))
    database = _column(cells, "dbsource").astype(object)
    out = pd.DataFrame(index=cells.index)
    out[Column.ID] = _column(cells, "eventid")
    out[Column.DATE_START] = dates.start
    out[Column.DATE_END] = dates.end
    out[Column.DATE_PRECISION] = dates.precision
    out[Column.EVENT_TYPE] = _column(cells, "attacktype1_txt")
    out[Column.SUB_EVENT_TYPE] = _column(cells, "targtype1_txt")
    out[Column.ACTOR1] = _column(cells, "gname")
    # GTD writes "Unknown" where no city is known: it names no place to look up
    city = _column(cells, "city")
    out[Column.PLACE_NAME] = city.where(city.astype("string").str.strip() != "Unknown")
    out[Column.COUNTRY] = _column(cells, "country_txt")
    out[Column.LATITUDE] = _coordinate(cells, "latitude", notes)
    out[Column.LONGITUDE] = _coordinate(cells, "longitude", notes)
    out[Column.LOCATION_PRECISION] = _code(cells, "specificity", GTD_LOCATION_PRECISION)
    out[Column.FATALITIES] = cells.get("nkill", pd.NA)
    out[Column.DESCRIPTION] = _column(cells, "summary")
    out[Column.SOURCES] = citations.where(citations.notna(), database)
    out[Column.STATUS] = "reported"
    return out, notes


_ACTOR_PARTS = (
    "Code",
    "Name",
    "CountryCode",
    "KnownGroupCode",
    "EthnicCode",
    "Religion1Code",
    "Religion2Code",
    "Type1Code",
    "Type2Code",
    "Type3Code",
)
_GEO_PARTS = ("Type", "FullName", "CountryCode", "ADM1Code", "Lat", "Long", "FeatureID")
_EVENT_PARTS = (
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
)


def _geo_columns(parts: tuple[str, ...]) -> list[str]:
    return [f"{where}Geo_{part}" for where in ("Actor1", "Actor2", "Action") for part in parts]


#: GDELT 1.0's event columns, in file order (57; daily files from April 2013 add SOURCEURL).
GDELT1_COLUMNS = [
    *("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"),
    *(f"{actor}{part}" for actor in ("Actor1", "Actor2") for part in _ACTOR_PARTS),
    *_EVENT_PARTS,
    *_geo_columns(_GEO_PARTS),
    "DATEADDED",
]
#: GDELT 2.0's event columns (61): an ADM2 code for each place, and SOURCEURL.
GDELT2_COLUMNS = [
    *GDELT1_COLUMNS[:35],
    *_geo_columns((*_GEO_PARTS[:4], "ADM2Code", *_GEO_PARTS[4:])),
    "DATEADDED",
    "SOURCEURL",
]
#: Header-less GDELT files by their count of columns.
GDELT_HEADERS_BY_WIDTH = {
    len(GDELT1_COLUMNS): GDELT1_COLUMNS,
    len(GDELT1_COLUMNS) + 1: [*GDELT1_COLUMNS, "SOURCEURL"],
    len(GDELT2_COLUMNS): GDELT2_COLUMNS,
}

#: CAMEO's twenty root event codes (``EventRootCode``), as the CAMEO codebook names them.
CAMEO_ROOTS = {
    f"{n:02d}": name
    for n, name in enumerate(
        (
            "Make public statement",
            "Appeal",
            "Express intent to cooperate",
            "Consult",
            "Engage in diplomatic cooperation",
            "Engage in material cooperation",
            "Provide aid",
            "Yield",
            "Investigate",
            "Demand",
            "Disapprove",
            "Reject",
            "Threaten",
            "Protest",
            "Exhibit force posture",
            "Reduce relations",
            "Coerce",
            "Assault",
            "Fight",
            "Use unconventional mass violence",
        ),
        start=1,
    )
}
#: GDELT ``ActionGeo_Type`` → our location precision: 1 a country, 2 a US state, 3 a US
#: city, 4 a world city, 5 a world state (first-order unit).
GDELT_LOCATION_PRECISION = {
    "1": "country",
    "2": "region",
    "3": "locality",
    "4": "locality",
    "5": "region",
}

#: The GDELT columns the mapping reads.
GDELT_USED = (
    "GLOBALEVENTID",
    "SQLDATE",
    "Actor1Name",
    "Actor2Name",
    "EventCode",
    "EventRootCode",
    "ActionGeo_Type",
    "ActionGeo_FullName",
    "ActionGeo_CountryCode",
    "ActionGeo_Lat",
    "ActionGeo_Long",
    "SOURCEURL",
)


def _cameo_root(value: object) -> object:
    text = _text(value)
    return CAMEO_ROOTS.get(text.zfill(2), text) if text else None


def from_gdelt(cells: pd.DataFrame) -> Mapped:
    """A GDELT 1.0 or 2.0 event table (:data:`GDELT_USED`) as our event columns.

    The event type is the CAMEO root (``EventRootCode`` 19 is "Fight"), the sub-type the
    full ``EventCode``; the place is where the action happened (``ActionGeo_*``).  GDELT's
    country codes are FIPS 10-4, not ISO (``IZ`` is Iraq), so they are kept in the notes
    rather than taken for a country.  Rows with no named first actor are rejected for it:
    GDELT codes many events with a role (``COP``) and no name.
    """
    notes: list[str] = []
    out = pd.DataFrame(index=cells.index)
    out[Column.ID] = _column(cells, "GLOBALEVENTID")
    out[Column.DATE_START] = _dates(cells, "SQLDATE", notes)
    out[Column.DATE_PRECISION] = "day"
    out[Column.EVENT_TYPE] = _per_distinct(_column(cells, "EventRootCode"), _cameo_root)
    out[Column.SUB_EVENT_TYPE] = _column(cells, "EventCode")
    out[Column.ACTOR1] = _column(cells, "Actor1Name")
    out[Column.ACTOR2] = _column(cells, "Actor2Name")
    out[Column.PLACE_NAME] = _column(cells, "ActionGeo_FullName")
    out[Column.LATITUDE] = cells.get("ActionGeo_Lat", np.nan)
    out[Column.LONGITUDE] = cells.get("ActionGeo_Long", np.nan)
    # type 0 is an event GDELT could not place: its missing position is the reason given
    kinds = _code(cells, "ActionGeo_Type", GDELT_LOCATION_PRECISION)
    out[Column.LOCATION_PRECISION] = kinds.where(kinds != "0")
    out[Column.SOURCES] = _column(cells, "SOURCEURL")
    out[Column.STATUS] = "reported"
    fips = _column(cells, "ActionGeo_CountryCode").astype("string").str.strip()
    out[Column.NOTES] = ("GDELT ActionGeo_CountryCode (FIPS 10-4): " + fips).where(fips != "")
    return out, notes


def gdelt_headers_for(first_row: list[object]) -> list[str] | None:
    """GDELT's column names for a file whose first row is data, not headers (else None).

    GDELT's daily event files have no header row.  A first row is taken for GDELT's when
    its count of cells is one of GDELT's (57, 58 or 61), its first cell is an event number
    and its second a date written ``YYYYMMDD``.
    """
    headers = GDELT_HEADERS_BY_WIDTH.get(len(first_row))
    if headers is None:
        return None
    event_id, date = (_text(cell) for cell in first_row[:2])
    if not (event_id.isdigit() and len(date) == 8 and date.isdigit()):
        return None
    return list(headers)


@dataclass(frozen=True)
class EventLayout:
    """A layout: its name, the columns that identify it, and its mapping onto ours."""

    name: str
    signature: frozenset[str]
    to_ours: Callable[[pd.DataFrame], Mapped]
    #: The columns the mapping reads, spelled as the layout spells them.
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
        tuple(c.upper() for c in ACLED_USED),
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
        UCDP_USED,
    ),
    EventLayout(
        "GTD",
        frozenset(
            {
                "eventid",
                "iyear",
                "imonth",
                "iday",
                "country_txt",
                "provstate",
                "city",
                "latitude",
                "longitude",
                "attacktype1_txt",
                "gname",
                "nkill",
                "summary",
            }
        ),
        from_gtd,
        GTD_USED,
        ("country_txt", "city", "attacktype1_txt", "targtype1_txt", "gname", "dbsource"),
    ),
    EventLayout(
        "GDELT",
        frozenset(
            {
                "GLOBALEVENTID",
                "SQLDATE",
                "Actor1Name",
                "EventRootCode",
                "ActionGeo_Lat",
                "ActionGeo_Long",
            }
        ),
        from_gdelt,
        GDELT_USED,
        ("Actor1Name", "Actor2Name", "EventCode", "EventRootCode", "ActionGeo_FullName"),
    ),
)


def detect_layout(columns) -> EventLayout | None:
    """The known layout whose identifying columns are all present (None: ours or unknown)."""
    present = {str(c).strip() for c in columns}
    return next((layout for layout in LAYOUTS if layout.signature <= present), None)


def unread_columns(layout: EventLayout, columns) -> tuple[str, ...]:
    """The file's columns that ``layout`` does not read (any case), in file order."""
    used = {c.lower() for c in layout.used}
    return tuple(str(c) for c in columns if str(c).strip().lower() not in used)
