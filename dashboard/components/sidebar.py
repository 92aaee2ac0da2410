"""The sidebar: the filters every page follows.  Drawn once, by the entry point."""

from __future__ import annotations

import datetime as dt
import time

import streamlit as st

from dashboard import state as S
from dashboard.maps import MAP_LAYERS, TILE_LABELS
from dashboard.state import Choices, ViewState
from dashboard.views import EVENT_DRAWINGS, MAX_MARKERS, VIEW_LABELS, VIEW_NAMES
from geo.filters import FILTER_FIELD

K_TILES = "tiles"
K_LAST_STEP = "last_play_step"
PLAY_SECONDS = 1.0


def prepare_filters() -> tuple[ViewState, str]:
    """Settle the filters' state before anything is drawn; return it and the basemap.

    The page is drawn before the sidebar (so the map reaches the browser first); the
    widgets' values are already in the session, so the order changes nothing for them.
    """
    S.apply_pending_state()
    S.apply_pending_as_of()
    start, end = S.chosen_window()
    if not start <= st.session_state[S.K_AS_OF] <= end:
        st.session_state[S.K_AS_OF] = end
    return S.session_state(), st.session_state.get(K_TILES, "offline")


def render_filters(choices: Choices, defaults: ViewState, *, many: bool = False) -> None:
    """Draw the filters in the sidebar (their state was settled by :func:`prepare_filters`)."""
    sidebar = st.sidebar
    sidebar.header("Filters")
    if len(choices.datasets) > 1:
        sidebar.multiselect(
            FILTER_FIELD["datasets"].label,
            options=list(choices.datasets),
            key=S.K_DATASETS,
            placeholder="All open datasets",
            help=FILTER_FIELD["datasets"].help,
        )
    sidebar.date_input(
        "Date window",
        min_value=choices.first_day,
        max_value=choices.last_day,
        key=S.K_WINDOW,
        on_change=S.follow_window_end,
        help="Events whose dates overlap this window are shown.",
    )
    # while the user picks the window's second day, the last whole window holds
    window = S.chosen_window()
    start = S.displayable(window[0])
    end = max(S.displayable(window[1]), start)
    # the slider raises on a value outside its range: whatever the session holds, it fits
    high = max(end, start + dt.timedelta(days=1))
    as_of = st.session_state.get(S.K_AS_OF)
    if not isinstance(as_of, dt.date):
        st.session_state[S.K_AS_OF] = end
    elif not start <= as_of <= high:
        st.session_state[S.K_AS_OF] = min(max(as_of, start), end)
    sidebar.slider(
        "Zones and routes as of",
        min_value=start,
        max_value=high,
        step=dt.timedelta(days=1),
        format="D MMM YYYY",
        key=S.K_AS_OF,
        on_change=S.as_of_moved,
        help="Control zones and routes as they were on this day (default: the window's end).",
    )
    with sidebar:
        _play_control(start, end)
    sidebar.multiselect(
        FILTER_FIELD["actors"].label,
        options=list(choices.actors),
        key=S.K_ACTORS,
        help="Events naming any of these actors as primary, second or associated actor.",
    )
    sidebar.multiselect(
        FILTER_FIELD["event_types"].label, options=list(choices.types), key=S.K_TYPES
    )
    sidebar.markdown("**Layers**")
    for layer in MAP_LAYERS:
        sidebar.checkbox(layer.label, key=S.layer_key(layer.name))
    if many:  # a choice only where it can matter: more events than markers suit
        sidebar.radio(
            "Many events in view",
            options=list(EVENT_DRAWINGS),
            format_func=EVENT_DRAWINGS.__getitem__,
            key=S.K_DRAW,
            help=f"With more than {MAX_MARKERS:,} events in view: every event as a point "
            "(click one for its details), or the events counted per cell: squares of round "
            "degrees, or H3 hexagons (the same cells as in kepler.gl or DuckDB; hover one "
            "for its index).",
        )
    sidebar.selectbox(
        "View", options=list(VIEW_NAMES), format_func=VIEW_LABELS.__getitem__, key=S.K_VIEW
    )
    sidebar.radio(
        "Basemap",
        options=list(TILE_LABELS),
        format_func=TILE_LABELS.__getitem__,
        key=K_TILES,
        help="Tile basemaps load images from their providers; the outlines work offline.",
    )
    sidebar.button("Reset filters", on_click=S.reset_to, args=(defaults,), key="reset_sidebar")


def _step(days: int, start: dt.date, end: dt.date) -> None:
    S.as_of_moved()
    current = st.session_state[S.K_AS_OF]
    st.session_state[S.K_AS_OF] = min(max(current + dt.timedelta(days=days), start), end)


def _toggle_play() -> None:
    S.as_of_moved()
    st.session_state[S.K_PLAYING] = not st.session_state.get(S.K_PLAYING, False)


def _play_control(start: dt.date, end: dt.date) -> None:
    # Material icons ship with Streamlit: the glyphs ◀ ▶ ⏸ are missing from common fonts
    back, play, forward = st.columns([1, 2, 1])
    back.button(
        "",
        icon=":material/chevron_left:",
        on_click=_step,
        args=(-1, start, end),
        key="day_back",
        width="stretch",
        help="The day before",
    )
    playing = st.session_state.get(S.K_PLAYING, False)
    play.button(
        "Pause" if playing else "Play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        on_click=_toggle_play,
        key="play",
        width="stretch",
        help="Step through the window's days, one a second",
    )
    forward.button(
        "",
        icon=":material/chevron_right:",
        on_click=_step,
        args=(1, start, end),
        key="day_forward",
        width="stretch",
        help="The day after",
    )
    if playing:
        _advance(end)


@st.fragment(run_every=PLAY_SECONDS)
def _advance(end: dt.date) -> None:
    """While playing, move the as-of day on by one each second, then rerun the app.

    The fragment also runs inside every full run; only a run a full interval after the last
    step moves the day, so the timer, not the reruns, sets the pace.
    """
    if not st.session_state.get(S.K_PLAYING):
        return
    now = time.monotonic()
    if now - st.session_state.get(K_LAST_STEP, 0.0) < PLAY_SECONDS * 0.9:
        return
    st.session_state[K_LAST_STEP] = now
    current = st.session_state[S.K_AS_OF]
    if current >= end:
        st.session_state[S.K_PLAYING] = False
    else:
        st.session_state[S.K_PENDING] = current + dt.timedelta(days=1)
    st.rerun(scope="app")
