"""The dashboard's state: what the user chose, in the URL (shareable) and in the session.

The query string names are part of the product (people share links): the filters' are
declared in ``geo.filters.FILTER_FIELDS`` (``start``, ``end``, ``as_of`` as YYYY-MM-DD;
``actor``, ``type`` and ``dataset``, repeatable; ``bbox`` as W,S,E,N), the map's here
(``view``; ``layers``, comma-separated; ``center``, ``zoom``, ``event``).  :func:`parse_query` and
:func:`to_query` are pure and tested alone; the functions below them connect them to
Streamlit's session state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from dashboard.maps import MAP_LAYERS
from dashboard.views import DEFAULT_DRAWING, EVENT_DRAWINGS, VIEW_NAMES
from geo.actors import actor_key
from geo.dataset import Dataset, actor_counts
from geo.filters import FILTER_FIELD, BoundingBox, Filters, filters_to_text
from geo.parsing import FIRST_DATE, LAST_DATE
from geo.problems import LoadReport
from geo.schema import Column

ALL_LAYERS = MAP_LAYERS.names()
#: Leaflet's zoom levels a link may ask for.
MIN_ZOOM, MAX_ZOOM = 0, 19
#: An event id in a link is cut at this length (ids are short; a link is no place for more).
MAX_EVENT_ID = 200


@dataclass(frozen=True)
class ViewState:
    """Everything a link reproduces.  ``as_of`` None means: the window's end."""

    start: dt.date
    end: dt.date
    as_of: dt.date | None = None
    actors: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    view: str = "fit"
    layers: tuple[str, ...] = ALL_LAYERS
    #: The datasets shown when several are open (empty: all of them).
    datasets: tuple[str, ...] = ()
    #: The map's centre (latitude, longitude) and zoom as last seen (None: the view's own).
    center: tuple[float, float] | None = None
    zoom: float | None = None
    #: The selected event's id.
    event: str | None = None
    #: An area the events, places and zones must lie in (a link's ``bbox``; None: anywhere).
    bbox: BoundingBox | None = None
    #: How many events in view are drawn: a point each, or counts per cell (EVENT_DRAWINGS).
    draw: str = DEFAULT_DRAWING

    @property
    def effective_as_of(self) -> dt.date:
        """The day zones and routes are shown for."""
        return self.as_of or self.end

    def filters(self) -> Filters:
        """The data-layer filters this state stands for."""
        return Filters.make(
            start=self.start,
            end=self.end,
            as_of=self.effective_as_of,
            actors=self.actors,
            event_types=self.types,
            datasets=self.datasets,
            bbox=self.bbox,
        )


@dataclass(frozen=True)
class Choices:
    """What a dataset offers: its date span, actors and event types (canonical spellings).

    ``datasets`` names the datasets open together (empty when only one is).
    """

    first_day: dt.date
    last_day: dt.date
    actors: tuple[str, ...]
    types: tuple[str, ...]
    datasets: tuple[str, ...] = ()

    @classmethod
    def for_dataset(cls, dataset: Dataset) -> Choices:
        """The span of every dated row and every actor and event type, most frequent first.

        The span never leaves the dates the app can show (see :func:`displayable`), whatever
        the dataset holds.
        """
        days = [
            d
            for d in (
                dataset.events[Column.DATE_START].min(),
                dataset.events[Column.DATE_END].max(),
                dataset.events[Column.DATE_START].max(),
                dataset.zones[Column.VALID_FROM].min(),
            )
            if not pd.isna(d)
        ]
        first = displayable(min(days).date() if days else dt.date.today())
        last = displayable(max(days).date() if days else dt.date.today())
        counts = dataset.events[Column.EVENT_TYPE].value_counts()
        types = counts[counts > 0].index.astype(str).tolist()
        events = dataset.events
        datasets = tuple(events[Column.DATASET].cat.categories) if Column.DATASET in events else ()
        return cls(first, last, tuple(actor_counts(events).keys()), tuple(types), datasets=datasets)


def displayable(day: dt.date) -> dt.date:
    """``day``, or the nearest day the app can show (``geo.parsing.FIRST_DATE`` to ``LAST_DATE``).

    Validation refuses dates outside them; this keeps the date controls working whatever a
    dataset holds (Streamlit's slider cannot show dates before 1684 or after 2255).
    """
    return min(max(day, FIRST_DATE.date()), LAST_DATE.date())


def default_state(choices: Choices, preset: Mapping[str, object] | None = None) -> ViewState:
    """The state a dataset opens on: its whole span, or the dataset's own preset."""
    state = ViewState(start=choices.first_day, end=choices.last_day)
    if preset:
        state = replace(state, **preset)
    return state


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = [v for v in params.get(name, []) if v.strip()]
    return values[-1].strip() if values else None


def _many(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return [part.strip() for v in params.get(name, []) for part in v.split(",") if part.strip()]


def parse_query(
    params: Mapping[str, Sequence[str]], choices: Choices, defaults: ViewState
) -> tuple[ViewState, list[str]]:
    """The state a link asks for, and a warning for each value that could not be used.

    A bad value never fails: it is replaced by the default and named in a warning.
    """
    warnings: list[str] = []
    state = defaults

    def day(field: str) -> dt.date | None:
        spec = FILTER_FIELD[field]
        text = _one(params, spec.query)
        if text is None:
            return None
        try:
            return spec.parse(text).date()
        except ValueError:
            warnings.append(
                f"'{spec.query}={text}' is not a date as YYYY-MM-DD; using the default."
            )
            return None

    asked_start, asked_end = day("start"), day("end")
    start, end = asked_start or defaults.start, asked_end or defaults.end
    first, last = choices.first_day, choices.last_day
    window_noted = bool(warnings)  # one notice per cause: none follows from a fallback
    if asked_start is None and asked_end is None:
        pass
    elif start > end:
        warnings.append(
            f"The link's window ends ({end}) before it starts ({start}); using the default."
        )
        start, end = defaults.start, defaults.end
        window_noted = True
    elif end < first or start > last:
        warnings.append(
            f"The link's window ({start} to {end}) is outside the data ({first} to {last}); "
            "using the default."
        )
        start, end = defaults.start, defaults.end
        window_noted = True
    elif start < first or end > last:
        clamped = max(start, first), min(end, last)
        warnings.append(
            f"The link's window ({start} to {end}) reaches beyond the data ({first} to "
            f"{last}); showing {clamped[0]} to {clamped[1]}."
        )
        start, end = clamped
        window_noted = True
    as_of = day("as_of")
    if as_of is None:
        as_of = defaults.as_of
    elif not start <= as_of <= end:
        if not window_noted:
            warnings.append(f"'as_of={as_of}' is outside the window; showing the window's end.")
        as_of = None
    if as_of is not None and not start <= as_of <= end:
        as_of = None  # the default's as-of day, outside the link's window: its end
    state = replace(state, start=start, end=end, as_of=as_of)
    state = _map_view(params, state, warnings)

    known_actors = {actor_key(a): a for a in choices.actors}
    actors = []
    for name in _many(params, FILTER_FIELD["actors"].query):
        if actor_key(name) in known_actors:
            actors.append(known_actors[actor_key(name)])
        else:
            warnings.append(f"No actor '{name}' in this dataset; it is ignored.")
    known_types = {t.casefold(): t for t in choices.types}
    types = []
    for name in _many(params, FILTER_FIELD["event_types"].query):
        if name.casefold() in known_types:
            types.append(known_types[name.casefold()])
        else:
            warnings.append(f"No event type '{name}' in this dataset; it is ignored.")
    state = replace(state, actors=tuple(dict.fromkeys(actors)), types=tuple(dict.fromkeys(types)))
    datasets = []
    for name in params.get(FILTER_FIELD["datasets"].query, []):
        if name.strip() in choices.datasets:
            datasets.append(name.strip())
        elif name.strip():
            warnings.append(f"No dataset '{name.strip()}' is open here; it is ignored.")
    state = replace(state, datasets=tuple(dict.fromkeys(datasets)))
    bbox_spec = FILTER_FIELD["bbox"]
    bbox = _one(params, bbox_spec.query)
    if bbox is not None:
        try:
            state = replace(state, bbox=bbox_spec.parse(bbox))
        except ValueError as error:
            warnings.append(f"'{bbox_spec.query}={bbox}': {error}; it is ignored.")

    # a named choice each: a name not offered is named in a warning, the default kept
    for field_name, what, names in (
        ("view", "view", VIEW_NAMES),
        ("draw", "drawing", EVENT_DRAWINGS),
    ):
        value = _one(params, field_name)
        if value is None:
            continue
        if value in names:
            state = replace(state, **{field_name: value})
        else:
            warnings.append(
                f"Unknown {what} '{value}' (one of: {', '.join(names)}); using the default."
            )
    if "layers" in params:
        layers = _many(params, "layers")
        unknown = [name for name in layers if name not in ALL_LAYERS]
        if unknown:
            warnings.append(
                f"Unknown layer(s) {', '.join(repr(u) for u in unknown)} "
                f"(one of: {', '.join(ALL_LAYERS)}); they are ignored."
            )
        state = replace(state, layers=tuple(name for name in ALL_LAYERS if name in layers))
    return state, warnings


def _map_view(
    params: Mapping[str, Sequence[str]], state: ViewState, warnings: list[str]
) -> ViewState:
    """The map's centre, zoom and selected event from a link (each optional)."""
    center = _one(params, "center")
    if center is not None:
        try:
            lat, lon = (float(part) for part in center.split(","))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(center)
            state = replace(state, center=(lat, lon))
        except ValueError:
            warnings.append(
                f"'center={center}' is not latitude,longitude in degrees; using the view's."
            )
    zoom = _one(params, "zoom")
    if zoom is not None:
        try:
            value = float(zoom)
            if not MIN_ZOOM <= value <= MAX_ZOOM:
                raise ValueError(zoom)
            state = replace(state, zoom=value)
        except ValueError:
            warnings.append(
                f"'zoom={zoom}' is not a zoom from {MIN_ZOOM} to {MAX_ZOOM}; using the view's."
            )
    event = _one(params, "event")
    if event is not None:
        state = replace(state, event=event[:MAX_EVENT_ID])
    return state


def parse_story_query(
    params: Mapping[str, Sequence[str]],
) -> tuple[str | None, int | None, str | None, list[str]]:
    """The page, step and story a link asks for (``page=story&story=ID&step=4``).

    A step that is no whole number from 1 is ignored, with a warning.

    >>> parse_story_query({"page": ["story"], "step": ["4"], "story": ["aleppo-2016"]})
    ('story', 4, 'aleppo-2016', [])
    >>> parse_story_query({"step": ["four"]})[1:]
    (None, None, ["'step=four' is not a step number (1, 2, ...); opening on the first step."])
    """
    warnings = []
    page = _one(params, "page")
    story = _one(params, "story")
    step_text = _one(params, "step")
    step = None
    if step_text is not None:
        if step_text.isdigit() and int(step_text) >= 1:
            step = int(step_text)
        else:
            warnings.append(
                f"'step={step_text}' is not a step number (1, 2, ...); opening on the first step."
            )
    return page, step, (story[:MAX_EVENT_ID] if story else None), warnings


def story_query(story_id: str | None, step: int) -> dict[str, list[str]]:
    """The link names of a story's step (added to :func:`to_query`'s in story mode).

    >>> story_query("aleppo-2016", 4)
    {'page': ['story'], 'story': ['aleppo-2016'], 'step': ['4']}
    """
    query = {"page": [STORY_PAGE]}
    if story_id:
        query["story"] = [story_id]
    query["step"] = [str(step)]
    return query


def to_query(state: ViewState) -> dict[str, list[str]]:
    """The query string of a state; every value explicit, so a link never depends on defaults."""
    query: dict[str, list[str]] = {
        **filters_to_text(state.filters()),
        "view": [state.view],
        "layers": [",".join(state.layers)],
        "draw": [state.draw],
    }
    if state.center is not None:
        query["center"] = [f"{state.center[0]:.5f},{state.center[1]:.5f}"]
    if state.zoom is not None:
        query["zoom"] = [f"{state.zoom:g}"]
    if state.event is not None:
        query["event"] = [state.event]
    return query


# --- Streamlit session ------------------------------------------------------------------

#: Widget keys: the sidebar's widgets read and write these.
K_WINDOW, K_AS_OF, K_ACTORS, K_TYPES, K_VIEW = "window", "as_of", "actors", "types", "view"
K_DRAW = "draw"
K_LAYER_PREFIX = "layer_"
K_PENDING = "pending_as_of"  # set by the play control, applied before the slider exists
K_READY = "state_ready"
K_WARNINGS = "link_warnings"
K_SELECTED = "selected_event"
K_DATASET = "dataset_key"
K_LAST_WINDOW = "last_whole_window"  # the calendar's last complete range
K_AS_OF_MOVED = "as_of_moved"  # the user moved the as-of day: it no longer follows the end
K_PLAYING = "playing"
K_RERUN = "rerun_requested"  # a page asks the entry point to rerun once the sidebar is drawn
K_DATASETS = "datasets"
K_NEXT_STATE = "next_state"
K_UPLOADS = "uploaded_datasets"
#: Where a link or a chosen table row asks the map to go: (latitude, longitude), zoom.
K_GO_CENTER, K_GO_ZOOM = "map_go_center", "map_go_zoom"
#: Where the map is now, as the browser last reported it: (latitude, longitude, zoom).
K_MAP_VIEW = "map_view"
#: The area a link keeps the data to (no widget: the link's, until the filters are reset).
K_BBOX = "link_bbox"
#: Story mode: on the Story page; the step shown (from 1); the story's name in links; the
#: page and step a link asked for (applied once the story is loaded); fly on the next draw.
K_IN_STORY, K_STEP, K_STORY_ID = "in_story_mode", "story_step", "story_id"
K_LINK_PAGE, K_LINK_STEP = "link_page", "link_story_step"
K_STORY_FLY = "story_fly"
#: The story map's extent (its step's, then as the browser reports it), and the extent and
#: state the Map page opens on when story mode is left (before the map reported its view).
K_STORY_EXTENT, K_ARRIVAL = "story_map_bounds", "arrival_from_story"
#: A state a callback wrote into the widgets' keys, held until a run has drawn them with it.
K_PENDING_STATE = "pending_state"
#: The window's end the as-of day followed to in a callback, held the same way.
K_FOLLOWED_END = "followed_window_end"
#: The link names of story mode: ``page=story``, ``story`` (the story's id), ``step`` (1..).
STORY_PAGE = "story"


def layer_key(layer: str) -> str:
    """The checkbox key of one layer."""
    return f"{K_LAYER_PREFIX}{layer}"


def apply_to_session(state: ViewState) -> None:
    """Write a state into the widgets' session keys (before the widgets are drawn)."""
    ss = st.session_state
    ss[K_WINDOW] = ss[K_LAST_WINDOW] = (state.start, state.end)
    ss[K_AS_OF] = state.effective_as_of
    ss[K_ACTORS] = list(state.actors)
    ss[K_TYPES] = list(state.types)
    ss[K_DATASETS] = list(state.datasets)
    ss[K_VIEW] = state.view
    ss[K_DRAW] = state.draw
    for layer in ALL_LAYERS:
        ss[layer_key(layer)] = layer in state.layers
    ss[K_GO_CENTER], ss[K_GO_ZOOM] = state.center, state.zoom
    ss.pop(K_MAP_VIEW, None)
    ss[K_SELECTED] = state.event
    ss[K_BBOX] = state.bbox
    ss[K_AS_OF_MOVED] = False  # the preset's or the default: not the user's choice


def init_session(dataset_key: str, choices: Choices, defaults: ViewState) -> None:
    """On a session's first run (or a new dataset), take the state from the link.

    A page that opened a dataset may ask for the state to show it instead (``show_next``).
    """
    ss = st.session_state
    if ss.get(K_READY) and ss.get(K_DATASET) == dataset_key:
        return
    params = {name: st.query_params.get_all(name) for name in st.query_params}
    asked = K_NEXT_STATE in ss
    if asked:
        params = to_query(ss.pop(K_NEXT_STATE))
    state, warnings = parse_query(params, choices, defaults)
    if asked:
        warnings = []  # the user changed the data: what no longer fits falls back quietly
    apply_to_session(state)
    # an as-of day the link names is its author's choice: it stays when the window moves
    asked_as_of = params.get(FILTER_FIELD["as_of"].query)
    ss[K_AS_OF_MOVED] = bool(asked_as_of) and state.as_of not in (None, state.end)
    if not asked:
        page, step, story, story_warnings = parse_story_query(params)
        ss[K_LINK_PAGE], ss[K_LINK_STEP] = page, step
        if story:
            ss[K_STORY_ID] = story
        warnings = [*warnings, *story_warnings]
    ss[K_WARNINGS] = warnings
    ss[K_READY] = True
    ss[K_DATASET] = dataset_key


def apply_pending_as_of() -> None:
    """Move the play control's next day into the slider's key, before the slider is drawn."""
    ss = st.session_state
    if K_PENDING in ss:
        ss[K_AS_OF] = ss.pop(K_PENDING)


def chosen_window() -> tuple[dt.date, dt.date]:
    """The date window the filters use: the calendar's, or the last whole one.

    While the user picks a range (one day clicked, the second not yet), the last whole
    window holds: a half-picked range is a normal state, never an error.
    """
    ss = st.session_state
    window = tuple(ss[K_WINDOW] or ())
    if len(window) == 2:
        return window
    return tuple(ss.get(K_LAST_WINDOW) or (window[0], window[0]))


def session_state() -> ViewState:
    """The state the widgets (and the map, as the browser reported it) hold now."""
    ss = st.session_state
    start, end = chosen_window()
    as_of = ss[K_AS_OF]
    seen = ss.get(K_MAP_VIEW)
    center = (seen[0], seen[1]) if seen else ss.get(K_GO_CENTER)
    zoom = seen[2] if seen else ss.get(K_GO_ZOOM)
    return ViewState(
        start=start,
        end=end,
        as_of=None if as_of == end else as_of,
        actors=tuple(ss[K_ACTORS]),
        types=tuple(ss[K_TYPES]),
        view=ss[K_VIEW],
        layers=tuple(layer for layer in ALL_LAYERS if ss.get(layer_key(layer))),
        draw=ss.get(K_DRAW, DEFAULT_DRAWING),
        datasets=tuple(ss.get(K_DATASETS, ())),
        center=center,
        zoom=zoom,
        event=ss.get(K_SELECTED),
        bbox=ss.get(K_BBOX),
    )


def sync_url(state: ViewState) -> None:
    """Write the state into the address bar, so the link reproduces the view."""
    query = to_query(state)
    if st.session_state.get(K_IN_STORY):
        query.update(story_query(st.session_state.get(K_STORY_ID), current_step()))
    current = {name: st.query_params.get_all(name) for name in st.query_params}
    if current != query:
        st.query_params.from_dict(query)


def follow_window_end() -> None:
    """Keep the as-of day on the window's end unless the user has moved it.

    Called from the window widget's on_change.  A half-picked window (one day clicked)
    changes nothing yet; a whole one becomes the last whole window, and the as-of day
    becomes its end if the user never moved it, or if it falls outside.
    """
    ss = st.session_state
    window = tuple(ss[K_WINDOW] or ())
    if len(window) < 2:
        return
    start, end = window
    ss[K_LAST_WINDOW] = window
    if not ss.get(K_AS_OF_MOVED) or not start <= ss[K_AS_OF] <= end:
        ss[K_AS_OF] = end
        ss[K_AS_OF_MOVED] = False
        # held until drawn, as apply_from_callback's state is: a rerun that interrupts this
        # one brings the slider's old day, which would win and count as the user's move
        ss[K_FOLLOWED_END] = end


def as_of_moved() -> None:
    """The user moved the as-of day (the slider, the day buttons, play): it stays put."""
    st.session_state[K_AS_OF_MOVED] = True


def apply_from_callback(state: ViewState) -> None:
    """Write a state into the widgets' keys from a callback, and hold it until they show it.

    A rerun that interrupts the run this callback started (the map reporting that it
    moved, say) carries the browser's widget values, which are still the old ones, and
    Streamlit lets them win over the keys set here: :func:`apply_pending_state` writes the
    state again at the start of each run until :func:`filters_drawn` says a run drew it.
    """
    apply_to_session(state)
    st.session_state[K_PENDING_STATE] = state
    st.session_state.pop(K_FOLLOWED_END, None)  # the state's as-of day is the one to show


def apply_pending_state() -> None:
    """Write again the state a callback set that no run has drawn yet (before any widget).

    That is :func:`apply_from_callback`'s state, and the as-of day
    :func:`follow_window_end` moved to the window's end.
    """
    ss = st.session_state
    pending = ss.get(K_PENDING_STATE)
    if pending is not None:
        apply_to_session(pending)
    followed = ss.get(K_FOLLOWED_END)
    if followed is not None:
        ss[K_AS_OF] = followed
        ss[K_AS_OF_MOVED] = False


def filters_drawn() -> None:
    """The run drew the filters: the browser holds their values, the story map its flight."""
    st.session_state.pop(K_PENDING_STATE, None)
    st.session_state.pop(K_FOLLOWED_END, None)
    st.session_state.pop(K_STORY_FLY, None)


def reset_to(state: ViewState) -> None:
    """Callback of the reset buttons."""
    apply_from_callback(replace(state, event=None))


# --- story mode -------------------------------------------------------------------------


def set_story_mode(on: bool) -> None:
    """Whether this run shows the Story page (links then hold the story and its step).

    On leaving it, the Map page is to open on the story map's extent (see
    :func:`arrival_extent`); on coming back, the story's new map flies to the step.
    """
    ss = st.session_state
    if ss.get(K_IN_STORY) and not on and ss.get(K_STORY_EXTENT) is not None:
        ss[K_ARRIVAL] = (ss[K_STORY_EXTENT], _without_view(session_state()))
    if on and not ss.get(K_IN_STORY):
        ss[K_STORY_FLY] = True  # back in story mode: its new map goes to the step again
    ss[K_IN_STORY] = on


def _without_view(state: ViewState) -> ViewState:
    return replace(state, center=None, zoom=None, event=None)


def arrival_extent(state: ViewState) -> list[list[float]] | None:
    """The extent the Map page opens on after story mode, while the filters are the step's.

    ``[[south, west], [north, east]]`` (WGS 84): the story map's, so that a click on Map
    right after a step flew shows the same place even before the map reported its view
    (which, once known, sets the centre and zoom).  None once the filters changed.
    """
    ss = st.session_state
    arrival = ss.get(K_ARRIVAL)
    if arrival is None:
        return None
    extent, left_with = arrival
    if left_with != _without_view(state):
        ss.pop(K_ARRIVAL, None)
        return None
    return extent


def keep_story_map_extent(bounds: list[list[float]] | None) -> None:
    """Where the story map is: its step's extent, then the one the browser reports."""
    if bounds is not None:
        st.session_state[K_STORY_EXTENT] = bounds


def story_map_extent() -> list[list[float]] | None:
    """The story map's extent, ``[[south, west], [north, east]]`` (None: not drawn yet)."""
    return st.session_state.get(K_STORY_EXTENT)


def current_step() -> int:
    """The story's step shown, from 1."""
    return int(st.session_state.get(K_STEP) or 1)


def take_link_story() -> tuple[str | None, int | None]:
    """The page and step the session's link asked for, once (None, None after)."""
    ss = st.session_state
    return ss.pop(K_LINK_PAGE, None), ss.pop(K_LINK_STEP, None)


def go_to_step(number: int, state: ViewState, story_id: str | None = None) -> None:
    """Show step ``number``: its view in the filters (before the widgets are drawn).

    A callback (previous, next, the step list) or the Story page's first run.
    """
    ss = st.session_state
    ss[K_STEP] = number
    if story_id is not None:
        ss[K_STORY_ID] = story_id
    apply_from_callback(state)
    ss[K_STORY_FLY] = True


def fly_pending() -> bool:
    """Whether the map should fly to the step: from a step change until a run is drawn."""
    return bool(st.session_state.get(K_STORY_FLY, False))


def keep_map_view(view: tuple[float, float, float] | None) -> None:
    """Where the story's map is now: the Map page opens there when story mode is left."""
    if view is not None:
        ss = st.session_state
        ss[K_MAP_VIEW] = view
        ss[K_GO_CENTER], ss[K_GO_ZOOM] = (view[0], view[1]), view[2]


# --- the session's own datasets ---------------------------------------------------------


@dataclass(frozen=True)
class OpenDataset:
    """A dataset this session brought (uploaded), its load report and how it was read."""

    dataset: Dataset
    report: LoadReport
    file_name: str
    mapping_json: str | None = None

    @property
    def name(self) -> str:
        """The name it goes by in filters and the legend."""
        return self.dataset.name


def uploads() -> list[OpenDataset]:
    """The datasets this session brought, in the order they came."""
    return list(st.session_state.get(K_UPLOADS, []))


def unique_name(wanted: str, taken: Sequence[str]) -> str:
    """``wanted``, or ``wanted (2)``, ``(3)``... if a dataset open already has that name.

    >>> unique_name("events.csv", ["events.csv", "events.csv (2)"])
    'events.csv (3)'
    """
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted} ({n})" in taken:
        n += 1
    return f"{wanted} ({n})"


def add_upload(opened: OpenDataset) -> None:
    """Open another dataset beside the others (it is shown with them)."""
    st.session_state[K_UPLOADS] = [*uploads(), opened]


def show_next(state: ViewState) -> None:
    """Open on ``state`` once the datasets change (after an upload: the new data's span)."""
    st.session_state[K_NEXT_STATE] = state


def remove_upload(name: str) -> None:
    """Close a dataset this session brought; a filter naming it is dropped."""
    st.session_state[K_UPLOADS] = [u for u in uploads() if u.name != name]
    current = session_state()
    show_next(replace(current, datasets=tuple(d for d in current.datasets if d != name)))
