"""Filtering: a table of small filter objects, each with a mask and a plain-English phrase.

:class:`Filters` holds what a user chose (a date window, an as-of date, actors, event
types, a bounding box); :func:`filter_dataset` applies it to every layer and
:func:`describe_filters` says it in words, for captions.  All functions are pure: data and
parameters in, data out.  Geometry is EPSG:4326; bounding boxes are in degrees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.actors import actor_key, canonical_actor, default_aliases
from geo.dataset import Dataset, split_actors
from geo.parsing import decode_json_list
from geo.schema import Column

DateLike = dt.date | pd.Timestamp | str


def to_day(value: DateLike) -> pd.Timestamp:
    """A date as a midnight Timestamp; text must be YYYY-MM-DD.

    Raises
    ------
    ValueError
        When the text is not a real date in that form.
    """
    if isinstance(value, str):
        try:
            return pd.Timestamp(dt.date.fromisoformat(value.strip()))
        except ValueError:
            raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None
    return pd.Timestamp(value).normalize()


def format_day(day: DateLike) -> str:
    """``2016-12-05`` as ``5 December 2016``."""
    day = to_day(day)
    return f"{day.day} {day:%B %Y}"


def _day_span(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    if start is not None and end is not None:
        if start == end:
            return f"on {format_day(start)}"
        if (start.year, start.month) == (end.year, end.month):
            return f"from {start.day} to {format_day(end)}"
        return f"from {format_day(start)} to {format_day(end)}"
    if start is not None:
        return f"from {format_day(start)} on"
    return f"up to {format_day(end)}"


def _either(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


class EventFilter(Protocol):
    """One filter on events: which rows it keeps and how to say so."""

    def mask(self, events: gpd.GeoDataFrame) -> pd.Series:
        """True for the events the filter keeps."""

    def describe(self) -> str:
        """The filter as a phrase that completes 'Events ...'."""


@dataclass(frozen=True)
class DateWindow:
    """Events whose date range (start to end, or the start alone) overlaps the window.

    Either bound may be open; both are inclusive.
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def mask(self, events: gpd.GeoDataFrame) -> pd.Series:
        """True where the event's range overlaps the window."""
        first = events[Column.DATE_START]
        last = events[Column.DATE_END].fillna(first)
        keep = pd.Series(True, index=events.index)
        if self.start is not None:
            keep &= last >= self.start
        if self.end is not None:
            keep &= first <= self.end
        return keep

    def describe(self) -> str:
        """'from 13 to 22 December 2016'."""
        return _day_span(self.start, self.end)


@dataclass(frozen=True)
class ActorMatch:
    """Events naming any of the actors in any role (primary, second or associated).

    Names are compared case-insensitively after resolving aliases.
    """

    names: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=default_aliases, compare=False)

    def mask(self, events: gpd.GeoDataFrame) -> pd.Series:
        """True where any role names one of the actors."""
        wanted = {actor_key(name, self.aliases) for name in self.names}
        keep = pd.Series(False, index=events.index)
        for column in (Column.ACTOR1, Column.ACTOR2):
            keep |= _map_unique(events[column], lambda v: actor_key(v, self.aliases) in wanted)
        keep |= _map_unique(
            events[Column.ASSOC_ACTORS],
            lambda v: any(actor_key(n, self.aliases) in wanted for n in split_actors(v)),
        )
        return keep

    def describe(self) -> str:
        """'involving Turkey or Russia (in any role)'."""
        names = list(dict.fromkeys(canonical_actor(name, self.aliases) for name in self.names))
        return f"involving {_either(names)} (in any role)"


@dataclass(frozen=True)
class EventTypeMatch:
    """Events whose event type or sub-type is one of the given ones (any case)."""

    types: tuple[str, ...]

    def mask(self, events: gpd.GeoDataFrame) -> pd.Series:
        """True where the type or the sub-type matches."""
        wanted = {t.strip().casefold() for t in self.types}
        keep = pd.Series(False, index=events.index)
        for column in (Column.EVENT_TYPE, Column.SUB_EVENT_TYPE):
            keep |= _map_unique(events[column], lambda v: v.strip().casefold() in wanted)
        return keep

    def describe(self) -> str:
        """'of type Battles or Agreement'."""
        return f"of type {_either([t.strip() for t in self.types])}"


@dataclass(frozen=True)
class DatasetMatch:
    """Rows from the named datasets, when several are open (``dataset`` column)."""

    names: tuple[str, ...]

    def mask(self, frame: gpd.GeoDataFrame) -> pd.Series:
        """True where the row's dataset is one of the names (every row of a lone dataset)."""
        if Column.DATASET not in frame:
            return pd.Series(True, index=frame.index)
        return frame[Column.DATASET].isin(self.names).fillna(False).astype(bool)

    def describe(self) -> str:
        """'from the dataset acled.csv'."""
        noun = "dataset" if len(self.names) == 1 else "datasets"
        return f"from the {noun} {_either(list(self.names))}"


@dataclass(frozen=True)
class BoundingBox:
    """Points within west, south, east, north (degrees, EPSG:4326).

    A west edge greater than the east edge means the box crosses the antimeridian.
    """

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        if not (-180 <= self.west <= 180 and -180 <= self.east <= 180):
            raise ValueError(
                f"bounding box longitudes must be from -180 to 180, got {self.west}, {self.east}"
            )
        if not (-90 <= self.south <= self.north <= 90):
            raise ValueError(
                "bounding box latitudes must be from -90 to 90 with south ≤ north, "
                f"got south {self.south}, north {self.north}"
            )

    @classmethod
    def parse(cls, text: str) -> BoundingBox:
        """Parse ``W,S,E,N``."""
        parts = text.split(",")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise ValueError(
                f"expected a bounding box as W,S,E,N in degrees, got {text!r}"
            ) from None
        return cls(west, south, east, north)

    def mask(self, frame: gpd.GeoDataFrame) -> pd.Series:
        """True for rows whose geometry's representative point lies inside the box."""
        if frame.empty:
            return pd.Series(False, index=frame.index)
        bounds = frame.geometry.bounds
        x = (bounds["minx"] + bounds["maxx"]) / 2
        y = (bounds["miny"] + bounds["maxy"]) / 2
        if self.west <= self.east:
            inside_x = (x >= self.west) & (x <= self.east)
        else:
            inside_x = (x >= self.west) | (x <= self.east)
        return (inside_x & (y >= self.south) & (y <= self.north)).fillna(False)

    def text(self) -> str:
        """``W,S,E,N``, as :meth:`parse` reads it.

        >>> BoundingBox.parse("36, 35.5, 37.5, 36.5").text()
        '36,35.5,37.5,36.5'
        """
        return ",".join(f"{v:.10g}" for v in (self.west, self.south, self.east, self.north))

    def describe(self) -> str:
        """'within 36°E to 37.5°E, 35.5°N to 36.5°N'."""
        return (
            f"within {_lon(self.west)} to {_lon(self.east)}, "
            f"{_lat(self.south)} to {_lat(self.north)}"
        )


def _lon(x: float) -> str:
    return f"{abs(x):g}°{'E' if x >= 0 else 'W'}"


def _lat(y: float) -> str:
    return f"{abs(y):g}°{'N' if y >= 0 else 'S'}"


def _map_unique(values: pd.Series, predicate) -> pd.Series:
    """Apply ``predicate`` once per distinct non-missing value: fast on repetitive columns.

    Categories are judged through their codes, other columns through their distinct values.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        categories = values.cat.categories
    else:
        codes, categories = pd.factorize(values, use_na_sentinel=True)
    verdicts = np.array([bool(predicate(str(c))) for c in categories] + [False], dtype=bool)
    return pd.Series(verdicts[np.where(codes >= 0, codes, len(categories))], index=values.index)


@dataclass(frozen=True)
class Filters:
    """What a user chose to see.

    ``start``/``end`` bound the events' dates (inclusive, either open); ``as_of`` is the
    day zones and routes are shown for, the window's end when not given; ``actors`` and
    ``event_types`` keep events matching any of them; ``bbox`` keeps what lies inside.
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    as_of: pd.Timestamp | None = None
    actors: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    bbox: BoundingBox | None = None
    datasets: tuple[str, ...] = ()

    @classmethod
    def make(
        cls,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        as_of: DateLike | None = None,
        actors: Iterable[str] = (),
        event_types: Iterable[str] = (),
        bbox: BoundingBox | str | Sequence[float] | None = None,
        datasets: Iterable[str] = (),
    ) -> Filters:
        """Build filters from loose values (dates as text or dates, bbox as ``W,S,E,N``).

        Raises
        ------
        ValueError
            For a bad date, a window that ends before it starts, or a bad bounding box.
        """
        start_day = None if start is None else to_day(start)
        end_day = None if end is None else to_day(end)
        if start_day is not None and end_day is not None and end_day < start_day:
            raise ValueError(
                f"the date window ends ({end_day:%Y-%m-%d}) before it starts ({start_day:%Y-%m-%d})"
            )
        if isinstance(bbox, str):
            bbox = BoundingBox.parse(bbox)
        elif bbox is not None and not isinstance(bbox, BoundingBox):
            bbox = BoundingBox(*bbox)
        return cls(
            start=start_day,
            end=end_day,
            as_of=None if as_of is None else to_day(as_of),
            actors=tuple(a for a in actors if a.strip()),
            event_types=tuple(t for t in event_types if t.strip()),
            bbox=bbox,
            datasets=tuple(d for d in datasets if d.strip()),
        )

    @property
    def effective_as_of(self) -> pd.Timestamp | None:
        """The day zones and routes are shown for: ``as_of``, else the window's end."""
        return self.as_of if self.as_of is not None else self.end

    def event_filters(self) -> list[EventFilter]:
        """The active filters on events, in the order they are described (see FILTER_FIELDS)."""
        built = (spec.event_filter(self) for spec in FILTER_FIELDS if spec.event_filter)
        return [event_filter for event_filter in built if event_filter is not None]


# --- each filter as people name it: in links, on the command line, on screen -------------


def _iso_day(day: pd.Timestamp) -> str:
    return f"{day:%Y-%m-%d}"


def _name(text: str) -> str:
    return text.strip()


@dataclass(frozen=True)
class FilterField:
    """One field of :class:`Filters` as people name it, declared once.

    The URL codec (``dashboard.state``), the command line's options (``atlas``), the
    sidebar's labels and the snapshot's state all iterate over :data:`FILTER_FIELDS`.
    """

    #: The attribute of :class:`Filters`.
    field: str
    #: Its name in a link's query string (``?actor=Russia``) and in a snapshot's state.
    query: str
    #: Its command-line option (None: not offered there).
    flag: str | None
    metavar: str
    #: What it does, for ``--help`` and the sidebar's tooltip.
    help: str
    #: One text to one value (raises ValueError with a message for people).
    parse: Callable[[str], Any]
    #: One value back to the text :attr:`parse` reads.
    format: Callable[[Any], str]
    #: True for a list of values (repeated in links, repeatable on the command line).
    many: bool = False
    #: The sidebar's label (None: drawn by hand, or not in the sidebar).
    label: str | None = None
    #: The event filter this field stands for, given every field (None: none of its own).
    event_filter: Callable[[Filters], EventFilter | None] | None = None

    def text(self, filters: Filters) -> list[str]:
        """The field's value in ``filters`` as texts (empty: not set)."""
        value = getattr(filters, self.field)
        if value is None:
            return []
        return [self.format(v) for v in value] if self.many else [self.format(value)]


def _window(filters: Filters) -> EventFilter | None:
    if filters.start is None and filters.end is None:
        return None
    return DateWindow(filters.start, filters.end)


#: Every filter, in the order they are described ("Events from the dataset ..., from 13 to
#: 22 December 2016, involving Russia ...").
FILTER_FIELDS: tuple[FilterField, ...] = (
    FilterField(
        "datasets",
        "dataset",
        None,  # the command line reads one dataset
        "NAME",
        "Show the rows of these datasets only (none chosen: all of them).",
        _name,
        str,
        many=True,
        label="Datasets",
        event_filter=lambda f: DatasetMatch(f.datasets) if f.datasets else None,
    ),
    FilterField(
        "start",
        "start",
        "--start",
        "YYYY-MM-DD",
        "first day of the date window",
        to_day,
        _iso_day,
        event_filter=_window,
    ),
    FilterField(
        "end", "end", "--end", "YYYY-MM-DD", "last day of the date window", to_day, _iso_day
    ),
    FilterField(
        "as_of",
        "as_of",
        "--as-of",
        "YYYY-MM-DD",
        "day for zones and routes (default: the window's end)",
        to_day,
        _iso_day,
    ),
    FilterField(
        "actors",
        "actor",
        "--actor",
        "NAME",
        "keep events naming this actor in any role (repeatable; aliases understood)",
        _name,
        str,
        many=True,
        label="Actors (any role)",
        event_filter=lambda f: ActorMatch(f.actors) if f.actors else None,
    ),
    FilterField(
        "event_types",
        "type",
        "--event-type",
        "NAME",
        "keep events of this type or sub-type (repeatable)",
        _name,
        str,
        many=True,
        label="Event types",
        event_filter=lambda f: EventTypeMatch(f.event_types) if f.event_types else None,
    ),
    FilterField(
        "bbox",
        "bbox",
        "--bbox",
        "W,S,E,N",
        "keep what lies inside, in degrees",
        lambda text: BoundingBox.parse(text),
        lambda box: box.text(),
        event_filter=lambda f: f.bbox,
    ),
)
#: The declaration of each filter by its field's name.
FILTER_FIELD: dict[str, FilterField] = {spec.field: spec for spec in FILTER_FIELDS}


def filters_from_text(values: Mapping[str, str | Sequence[str] | None]) -> Filters:
    """Filters from texts by field name (``{"start": "2016-12-13", "actors": ["Russia"]}``).

    Unset fields (None, empty) are open.  Raises ValueError as :meth:`Filters.make` does.

    >>> filters_from_text({"start": "2016-12-13", "actors": ["Russia"], "bbox": None}).actors
    ('Russia',)
    """
    loose: dict[str, Any] = {}
    for name, value in values.items():
        spec = FILTER_FIELD[name]
        if value is None or value == "" or value == []:
            continue
        texts = [value] if isinstance(value, str) else list(value)
        parsed = [spec.parse(text) for text in texts if text.strip()]
        if parsed:
            loose[name] = parsed if spec.many else parsed[-1]
    return Filters.make(**loose)


def filters_to_text(filters: Filters) -> dict[str, list[str]]:
    """The set filters as texts by query name (``{"start": ["2016-12-13"], ...}``).

    ``as_of`` is written as the day zones and routes are shown for (the window's end when
    not set), so that the text never depends on a default.

    >>> filters_to_text(Filters.make(end="2016-12-22", actors=["Russia"]))
    {'end': ['2016-12-22'], 'as_of': ['2016-12-22'], 'actor': ['Russia']}
    """
    shown = replace(filters, as_of=filters.effective_as_of)
    texts = {spec.query: spec.text(shown) for spec in FILTER_FIELDS}
    return {name: values for name, values in texts.items() if values}


def filter_events(events: gpd.GeoDataFrame, filters: Filters) -> gpd.GeoDataFrame:
    """The events that pass every active filter (columns: see ``geo.schema.EVENTS``)."""
    keep = pd.Series(True, index=events.index)
    for event_filter in filters.event_filters():
        keep &= event_filter.mask(events)
    return events[keep.to_numpy()]


def zones_as_of(zones: gpd.GeoDataFrame, day: DateLike | None) -> gpd.GeoDataFrame:
    """The zones that held on ``day``: ``valid_from`` ≤ day ≤ ``valid_to`` (open if empty).

    With no day, every zone.
    """
    if day is None:
        return zones
    day = to_day(day)
    ends = zones[Column.VALID_TO]
    keep = (zones[Column.VALID_FROM] <= day) & (ends.isna() | (ends >= day))
    return zones[keep.to_numpy()]


def route_status_on(periods_json: object, day: pd.Timestamp) -> str | None:
    """A route's status on ``day`` from its periods; None when no period covers the day.

    Periods are inclusive; where two overlap, the one that started later wins (it is the
    newer news).
    """
    status, latest_start = None, None
    for period in decode_json_list(periods_json):
        start = pd.Timestamp(period["start"])
        end = pd.Timestamp(period["end"]) if period.get("end") else None
        if (
            start <= day
            and (end is None or day <= end)
            and (latest_start is None or start >= latest_start)
        ):
            status, latest_start = period["status"], start
    return status


def routes_as_of(routes: gpd.GeoDataFrame, day: DateLike | None) -> gpd.GeoDataFrame:
    """The routes in use on ``day``, with their status then in ``status_as_of``.

    A route with periods is kept when one covers the day; a route without periods is always
    kept, with no status.  With no day, every route, with no status.
    """
    routes = routes.copy()
    if day is None:
        routes[Column.STATUS_AS_OF] = pd.Series(pd.NA, index=routes.index, dtype="string")
        return routes
    day = to_day(day)
    statuses = [route_status_on(cell, day) for cell in routes[Column.PERIODS]]
    has_periods = routes[Column.PERIODS].notna().to_numpy()
    routes[Column.STATUS_AS_OF] = pd.Series(statuses, index=routes.index, dtype="string")
    keep = ~has_periods | np.array([s is not None for s in statuses], dtype=bool)
    return routes[keep]


def filter_dataset(dataset: Dataset, filters: Filters) -> Dataset:
    """Filter every layer of a dataset (EPSG:4326).

    Events pass every filter; zones and routes are those of the as-of day; places are those
    inside the bounding box.  With several datasets open, every layer keeps the rows of the
    chosen datasets.
    """
    places, zones, routes = dataset.places, dataset.zones, dataset.routes
    if filters.datasets:
        chosen = DatasetMatch(filters.datasets)
        places, zones, routes = (f[chosen.mask(f).to_numpy()] for f in (places, zones, routes))
    if filters.bbox is not None:
        places = places[filters.bbox.mask(places).to_numpy()]
    as_of = filters.effective_as_of
    return dataset.with_layers(
        events=filter_events(dataset.events, filters),
        places=places,
        zones=zones_as_of(zones, as_of),
        routes=routes_as_of(routes, as_of),
    )


def describe_filters(filters: Filters) -> str:
    """The filters in plain English, for captions.

    >>> describe_filters(Filters.make(actors=["Assad regime"]))
    'Events involving Syrian government (in any role); every zone and route.'
    """
    phrases = [f.describe() for f in filters.event_filters()]
    sentence = "Events " + ", ".join(phrases) if phrases else "All events"
    as_of = filters.effective_as_of
    if as_of is not None:
        sentence += f"; zones and routes as of {format_day(as_of)}"
    else:
        sentence += "; every zone and route"
    return sentence + "."
