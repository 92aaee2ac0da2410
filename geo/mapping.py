"""A column mapping for event tables in a layout we do not know, saved as a small JSON file.

A newsroom's spreadsheet names its columns its own way (``Date``, ``Lat``, ``Town``,
``Who``...).  A :class:`ColumnMapping` says which of its columns holds which of ours, and
may give a value for every row where the table has none (a spreadsheet without a source
column still has a source: the newsroom's log).  The app builds one in its mapping step and
offers it for download; ``--mapping FILE`` reuses it on the command line.

The file::

    {
      "atlas_mapping": 1,
      "columns": {"date_start": "Date", "latitude": "Lat", "longitude": "Lon", ...},
      "constants": {"sources": "Newsroom log, 2026"},
      "day_first": true
    }

``columns`` maps our column names onto the file's headers; ``day_first`` settles slashed
dates such as 03/04/2016 (null: decided from the data, day first when undecidable).

A date split over several columns is mapped onto a list of headers, year first::

      "columns": {"date_start": ["iyear", "imonth", "iday"], ...}

(``[year]``, ``[year, month]`` or ``[year, month, day]``).  A month or day of 0 or blank
means unknown, as the Global Terrorism Database writes it: the row spans its month or year
(``date_end`` and ``date_precision`` follow, unless the mapping gives them), rather than
being rejected.  A file of format 1 written before lists were allowed reads as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from geo.dates import MIXED, read_date_column, read_date_parts
from geo.layouts import detect_layout
from geo.problems import DataError, Problem
from geo.schema import EVENTS, Column, column_label

FORMAT_VERSION = 1
#: The largest mapping file read, in bytes.  A mapping is a few hundred bytes; a path such
#: as ``/dev/zero`` or a table given by mistake is refused after this much, not read whole.
MAX_MAPPING_BYTES = 1 << 20

#: The columns a mapping may fill: the event layer's, and the country hint for geocoding.
MAPPABLE: tuple[Column, ...] = tuple(EVENTS.columns)

_DATES = frozenset({Column.DATE_START.value, Column.DATE_END.value})

#: What a row needs after mapping: a date, a type, an actor, a source and a place (a
#: position, or a name to geocode).
NEEDED: tuple[Column, ...] = (
    Column.DATE_START,
    Column.EVENT_TYPE,
    Column.ACTOR1,
    Column.SOURCES,
)

#: Header spellings seen in real tables, per column; compared after lower-casing and
#: dropping spaces, dots, dashes and underscores.
SYNONYMS: dict[Column, tuple[str, ...]] = {
    Column.ID: ("id", "eventid", "eventidcnty", "eventno", "ref", "reference", "uid", "key"),
    Column.DATE_START: (
        "datestart",
        "date",
        "eventdate",
        "day",
        "startdate",
        "from",
        "when",
        "dateofevent",
        "datum",
    ),
    Column.DATE_END: ("dateend", "enddate", "to", "until"),
    Column.EVENT_TYPE: (
        "eventtype",
        "type",
        "category",
        "typeofviolence",
        "attacktype1txt",
        "attacktype",
        "kind",
        "incident",
        "what",
    ),
    Column.SUB_EVENT_TYPE: ("subeventtype", "subtype", "subcategory"),
    Column.ACTOR1: (
        "actor1",
        "actor",
        "actora",
        "sidea",
        "gname",
        "groupname",
        # GTD's gname as the many notebooks that rename GTD's columns call it
        "group",
        "perpetrator",
        "who",
        "party",
    ),
    Column.ACTOR2: ("actor2", "actorb", "sideb", "target", "against", "counterpart"),
    Column.ASSOC_ACTORS: ("assocactors", "associatedactors", "assocactor1", "others"),
    Column.PLACE_NAME: (
        # a town's own column before "location", which some tables (GTD) fill with prose
        "placename",
        "place",
        "city",
        "town",
        "village",
        "locality",
        "settlement",
        "site",
        "location",
        "wherecoordinates",
    ),
    Column.COUNTRY: (
        "country",
        "countryname",
        "countrytxt",
        "iso",
        "iso3",
        "countrycode",
        "nation",
    ),
    Column.LATITUDE: ("latitude", "lat", "y", "latdd", "latdecimal"),
    Column.LONGITUDE: ("longitude", "lon", "lng", "long", "x", "londd", "londecimal"),
    Column.FATALITIES: ("fatalities", "deaths", "killed", "dead", "best", "nkill", "casualties"),
    Column.DESCRIPTION: ("description", "notes", "summary", "details", "text"),
    Column.SOURCES: (
        "sources",
        "source",
        "sourceurl",
        "url",
        "link",
        "reference",
        "sourcearticle",
        "citation",
        "scite1",
        "dbsource",
    ),
    Column.NOTES: ("comment", "comments", "remark", "remarks"),
}


def _squash(header: object) -> str:
    return re.sub(r"[\s._\-/()]+", "", str(header).strip().lower())


@dataclass(frozen=True)
class ColumnMapping:
    """Which of a table's columns holds which of ours, and values for every row.

    ``columns`` maps our column (its name) onto the table's header, or a date onto the
    headers of its year, month and day columns (a tuple); ``constants`` gives a value to
    every row of a column the table does not map (or leaves blank in a row).
    """

    columns: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    day_first: bool | None = None

    def __post_init__(self) -> None:
        known = {c.value for c in MAPPABLE}
        for name in (*self.columns, *self.constants):
            if name not in known:
                raise ValueError(
                    f"cannot map onto {name!r}: expected one of {', '.join(sorted(known))}"
                )
        for name, headers in self.columns.items():
            if isinstance(headers, str):
                continue
            if name not in _DATES or not 1 <= len(headers) <= 3:
                raise ValueError(
                    f"{name}: several columns can only make a date (date_start or date_end), "
                    "from its year, month and day columns, in that order"
                )
            # a list from JSON is kept as a tuple: the mapping stays hashable and frozen
            object.__setattr__(self, "columns", {**self.columns, name: tuple(headers)})

    def headers_of(self, column: str) -> tuple[str, ...]:
        """The table headers mapped onto one of our columns (several for a split date)."""
        headers = self.columns.get(column, ())
        return (headers,) if isinstance(headers, str) else tuple(headers)

    # --- checking against a table ----------------------------------------------------

    def missing_headers(self, headers: Iterable[object]) -> list[str]:
        """The table headers this mapping names that ``headers`` lacks."""
        present = {str(h).strip() for h in headers}
        named = [h for ours in self.columns for h in self.headers_of(ours)]
        return [h for h in named if h.strip() not in present]

    def unread_headers(self, headers: Iterable[object]) -> tuple[str, ...]:
        """The table's headers this mapping reads nothing from, in table order.

        They are listed in the load report as not loaded, as a known layout's are.

        >>> ColumnMapping({"date_start": ("Y", "M"), "actor1": "Who"}).unread_headers(
        ...     ["Y", "M", "Who", "Wounded"])
        ('Wounded',)
        """
        named = {h.strip() for ours in self.columns for h in self.headers_of(ours)}
        return tuple(str(h) for h in headers if str(h).strip() not in named)

    def gaps(self) -> list[Column]:
        """The columns a row needs that this mapping neither maps nor gives a value."""
        given = {*self.columns, *self.constants}
        gaps = [c for c in NEEDED if c.value not in given]
        has_position = {Column.LATITUDE.value, Column.LONGITUDE.value} <= given
        if not has_position and Column.PLACE_NAME.value not in given:
            gaps.append(Column.LATITUDE)
        return gaps

    def column_words(self, column: str) -> str:
        """How a message names one of our columns: the table's header, and our label.

        >>> ColumnMapping({"event_type": "What"}).column_words("event_type")
        'What (Event type)'
        >>> ColumnMapping({}, {"sources": "Newsroom log"}).column_words("sources")
        'Source'
        """
        headers = self.headers_of(column)
        label = column_label(column)
        return label if not headers else f"{'/'.join(headers)} ({label})"

    def in_table_terms(self, problems: Iterable[Problem]) -> list[Problem]:
        """Problems found in the mapped table, naming its columns (see :meth:`column_words`).

        A spreadsheet's user finds ``Town`` in the file; ``place_name`` is only ours.
        """
        return [replace(p, column=self.column_words(p.column)) if p.column else p for p in problems]

    # --- applying --------------------------------------------------------------------

    def apply(self, cells: pd.DataFrame, *, path: str = "") -> tuple[pd.DataFrame, list[str]]:
        """The table as our event columns, and notes on how its dates were read.

        Rows keep the table's row labels, so a problem found later names the file's own
        line.  Without a mapped id, rows are numbered ``row-N`` by their spreadsheet row.

        Raises
        ------
        DataError
            When a header the mapping names is not in the table.
        """
        missing = self.missing_headers(cells.columns)
        if missing:
            raise DataError(
                path,
                f"has no column {', no column '.join(repr(m) for m in missing)} that the "
                f"mapping names (its columns are: {', '.join(map(str, cells.columns))})",
            )
        by_header = {str(h).strip(): h for h in cells.columns}
        out = pd.DataFrame(index=cells.index)
        notes: list[str] = []
        for ours, theirs in self.columns.items():
            if not isinstance(theirs, str):
                notes += self._split_date(ours, [cells[by_header[h.strip()]] for h in theirs], out)
                continue
            values = cells[by_header[theirs.strip()]]
            if ours in (Column.DATE_START, Column.DATE_END):
                values, form = read_date_column(values, column=theirs, day_first=self.day_first)
                if form.ambiguous or form.name == MIXED:
                    notes.append(form.note)
            out[ours] = values
        for ours, value in self.constants.items():
            if ours in out:
                blank = out[ours].isna() | (out[ours].astype("string").str.strip() == "")
                out[ours] = out[ours].astype(object).where(~blank, value)
            else:
                out[ours] = value
        if Column.ID.value not in out:
            out[Column.ID] = [f"row-{int(label) + 2}" for label in out.index]
        return out, notes

    def _split_date(self, ours: str, parts: list[pd.Series], out: pd.DataFrame) -> list[str]:
        """Fill ``out`` from year, month and day columns; the range's end and precision too.

        For ``date_start`` the range's last day and its precision fill ``date_end`` and
        ``date_precision`` unless the mapping maps those itself.
        """
        dates = read_date_parts(*parts, columns=self.headers_of(ours))
        out[ours] = dates.start if ours == Column.DATE_START else dates.end
        if ours == Column.DATE_START:
            for column, values in (
                (Column.DATE_END, dates.end),
                (Column.DATE_PRECISION, dates.precision),
            ):
                if column.value not in self.columns:
                    out[column] = values
        return [dates.note] if dates.note else []

    # --- the file --------------------------------------------------------------------

    def to_json(self) -> str:
        """The mapping as the text of a mapping file."""
        document = {
            "atlas_mapping": FORMAT_VERSION,
            "columns": {
                ours: theirs if isinstance(theirs, str) else list(theirs)
                for ours, theirs in self.columns.items()
            },
            "constants": dict(self.constants),
            "day_first": self.day_first,
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, path: str = "mapping") -> ColumnMapping:
        """A mapping from the text of a mapping file.

        Raises
        ------
        DataError
            When the text is not a mapping file, naming what is wrong.
        """
        if len(text) > MAX_MAPPING_BYTES:
            raise _too_large(path)
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise DataError(path, f"is not JSON ({exc}): expected a mapping file") from exc
        except RecursionError as exc:
            raise DataError(
                path,
                "is nested too deeply to be a mapping file (lists or objects within each "
                "other thousands deep)",
            ) from exc
        if not isinstance(document, dict) or document.get("atlas_mapping") != FORMAT_VERSION:
            raise DataError(
                path, f'is not a mapping file: expected {{"atlas_mapping": {FORMAT_VERSION}, ...}}'
            )
        columns = _columns_map(document.get("columns", {}), path)
        constants = _string_map(document.get("constants", {}), path, "constants")
        day_first = document.get("day_first")
        if day_first not in (True, False, None):
            raise DataError(path, "day_first: expected true, false or null")
        try:
            return cls(columns, constants, day_first)
        except ValueError as exc:
            raise DataError(path, str(exc)) from exc


def _string_map(value: Any, path: str, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise DataError(path, f"{what}: expected an object of text values")
    return dict(value)


def _columns_map(value: Any, path: str) -> dict[str, str | tuple[str, ...]]:
    """``columns``: header text, or (a split date) a list of 1 to 3 header texts."""

    def fits(header: Any) -> bool:
        return isinstance(header, str) or (
            isinstance(header, list)
            and 1 <= len(header) <= 3
            and all(isinstance(h, str) for h in header)
        )

    if not isinstance(value, dict) or not all(
        isinstance(k, str) and fits(v) for k, v in value.items()
    ):
        raise DataError(
            path,
            "columns: expected an object of text values (a date split over columns: a list "
            'of its year, month and day headers, such as ["iyear", "imonth", "iday"])',
        )
    return {k: v if isinstance(v, str) else tuple(v) for k, v in value.items()}


def _too_large(path: str | Path) -> DataError:
    return DataError(
        path,
        f"is larger than {MAX_MAPPING_BYTES >> 20} MB, which no mapping file is (they are a "
        "few hundred bytes): is it the right file?",
    )


def mapping_from_bytes(data: bytes, *, path: str = "mapping") -> ColumnMapping:
    """A mapping from the bytes of a mapping file (UTF-8, with or without BOM).

    Raises
    ------
    DataError
        When the bytes are more than :data:`MAX_MAPPING_BYTES`, not UTF-8, or not a mapping
        file, naming what is wrong.
    """
    if len(data) > MAX_MAPPING_BYTES:
        raise _too_large(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(path, f"is not UTF-8 text ({exc.reason}): expected a mapping file") from exc
    return ColumnMapping.from_json(text, path=path)


def read_mapping(path: str | Path) -> ColumnMapping:
    """Read a mapping file (see the module docstring for its form).

    At most :data:`MAX_MAPPING_BYTES` (1 MB) are read: a larger file, or a device such as
    ``/dev/zero`` that never ends, is refused without being read whole.

    Raises
    ------
    DataError
        When the file is missing, too large or not a mapping file.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_MAPPING_BYTES + 1)
    except FileNotFoundError as exc:
        raise DataError(path, "no such mapping file") from exc
    except OSError as exc:
        raise DataError(path, f"cannot be read as a mapping file: {exc.strerror or exc}") from exc
    return mapping_from_bytes(data, path=str(path))


def still_needed(mapping: ColumnMapping) -> str | None:
    """What a mapping still lacks, in the words of the app's mapping step (None: nothing).

    >>> still_needed(ColumnMapping({"date_start": "D", "place_name": "P"}))
    'Still needed: Event type, Actor, Source (a column, or a value for every row).'
    """
    gaps = mapping.gaps()
    if not gaps:
        return None
    words = [
        "Latitude and Longitude, or a Place name" if gap is Column.LATITUDE else column_label(gap)
        for gap in gaps
    ]
    return f"Still needed: {', '.join(words)} (a column, or a value for every row)."


def needs_mapping(headers: Iterable[object]) -> bool:
    """True when a table is in no layout the atlas knows: ours, or one of ``geo.layouts``.

    Ours is recognised by our required event columns (any case; a ``geometry`` column, or
    a ``place_name`` to place rows by, stands for latitude and longitude).
    """
    if detect_layout(headers) is not None:
        return False
    present = {str(h).strip().lower() for h in headers}
    required = {f.column.value for f in EVENTS.fields if f.required}
    if present & {Column.GEOMETRY.value, Column.PLACE_NAME.value}:
        required -= {Column.LATITUDE.value, Column.LONGITUDE.value}
    return not required <= present


#: Our columns whose values are categories (legend entries, filter choices): a column of
#: sentences is never guessed as one of them.
CATEGORY_COLUMNS = frozenset(
    {
        Column.EVENT_TYPE,
        Column.SUB_EVENT_TYPE,
        Column.ACTOR1,
        Column.ACTOR2,
        Column.ASSOC_ACTORS,
        Column.COUNTRY,
    }
)
#: A column is free text when its typical value has this many words or more...
FREE_TEXT_WORDS = 5
#: ...and at least this share of its values differ from one another.  Category names are
#: short ("Violence against civilians") and repeat; a reporter's notes are sentences that do
#: not.
FREE_TEXT_DISTINCT = 0.8


def is_free_text(values: pd.Series) -> bool:
    """True when a column holds sentences rather than names of categories.

    Blank cells are left out.  A column is free text when its median value has at least
    :data:`FREE_TEXT_WORDS` words and at least :data:`FREE_TEXT_DISTINCT` of its values
    are distinct.

    >>> is_free_text(pd.Series(["Battles", "Battles", "Strategic developments", None]))
    False
    >>> is_free_text(pd.Series(["Shelling hit the old city at dawn.", "Buses left at noon today."]))
    True
    """
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return False
    words = text.str.split().str.len()
    return bool(
        words.median() >= FREE_TEXT_WORDS and text.nunique() >= FREE_TEXT_DISTINCT * len(text)
    )


def is_codes(values: pd.Series) -> bool:
    """True when every non-blank value is a whole number: codes, not names.

    >>> is_codes(pd.Series(["200", "95", None])), is_codes(pd.Series(["Syria", "200"]))
    (True, False)
    """
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    return bool(len(text)) and bool(text.str.fullmatch(r"\d+(?:\.0)?").all())


#: Headers of a date split over columns, year first (GTD's, and their plain spellings).
SPLIT_DATES = (("iyear", "imonth", "iday"), ("year", "month", "day"))


def _split_date_headers(squashed: list[tuple[str, str]]) -> tuple[str, ...] | None:
    """The year, month and day headers of a table that splits its date, if it has them."""
    by_spelling = {s: h for s, h in reversed(squashed)}
    for spellings in SPLIT_DATES:
        if all(s in by_spelling for s in spellings):
            return tuple(by_spelling[s] for s in spellings)
    return None


def suggest_mapping(headers: Iterable[object], sample: pd.DataFrame | None = None) -> ColumnMapping:
    """A first guess at a mapping from a table's headers, for the user to check.

    Each of our columns takes the first header (in table order) whose squashed spelling is
    one of its synonyms; a header is used once.  Year, month and day columns (GTD's
    ``iyear``, ``imonth``, ``iday``) together make the date.  A column of whole numbers is
    not guessed as a name (a country's code is not the country).  With ``sample`` (the
    table's first rows, its columns named by ``headers``), a column of sentences (see
    :func:`is_free_text`) is not guessed as a category such as the event type or an actor,
    nor as the place; the first such column is the description, unless a header spelled
    as one was found.

    >>> suggest_mapping(["Date", "Town", "Lat", "Lng", "Who", "Link"]).columns["latitude"]
    'Lat'
    """
    squashed = [(_squash(h), str(h).strip()) for h in headers]
    by_header = {} if sample is None else {str(c).strip(): c for c in sample.columns}
    free_text = {h for _, h in squashed if h in by_header and is_free_text(sample[by_header[h]])}
    codes = {h for _, h in squashed if h in by_header and is_codes(sample[by_header[h]])}
    used: set[str] = set()
    columns: dict[str, str | tuple[str, ...]] = {}
    split = _split_date_headers(squashed)
    if split:
        columns[Column.DATE_START.value] = split
        used.update(split)
    for ours, spellings in SYNONYMS.items():
        if ours.value in columns:
            continue
        named = ours in CATEGORY_COLUMNS or ours is Column.PLACE_NAME
        # a name is never a sentence, nor a numeric code (GTD's "country" is 200 for Syria)
        fits = [h for _, h in squashed if not named or (h not in free_text and h not in codes)]
        for spelling in spellings:
            match = next(
                (h for s, h in squashed if s == spelling and h in fits and h not in used), None
            )
            if match is not None:
                columns[ours.value] = match
                used.add(match)
                break
    prose = [h for _, h in squashed if h in free_text and h not in used]
    if Column.DESCRIPTION.value not in columns and prose:
        columns[Column.DESCRIPTION.value] = prose[0]
    return ColumnMapping(columns)
