"""The URL's state: every parameter parsed, bad values warned about, round trips exact."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.state import ALL_LAYERS, Choices, ViewState, parse_query, to_query
from geo.filters import BoundingBox

CHOICES = Choices(
    first_day=dt.date(2015, 11, 24),
    last_day=dt.date(2017, 1, 23),
    actors=("Syrian government", "Turkey", "Russia", "Iran"),
    types=("Battles", "Strategic developments"),
    datasets=("story", "upload.csv"),
)
DEFAULTS = ViewState(
    start=dt.date(2016, 11, 15),
    end=dt.date(2016, 12, 22),
    as_of=dt.date(2016, 12, 15),
    view="aleppo",
)
D = dt.date


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, DEFAULTS),
        (
            {"start": ["2016-12-13"], "end": ["2016-12-20"]},
            ViewState(D(2016, 12, 13), D(2016, 12, 20), D(2016, 12, 15), view="aleppo"),
        ),
        (
            {"start": ["2016-12-16"]},
            ViewState(D(2016, 12, 16), D(2016, 12, 22), None, view="aleppo"),
        ),
        (
            {"as_of": ["2016-12-17"]},
            ViewState(D(2016, 11, 15), D(2016, 12, 22), D(2016, 12, 17), view="aleppo"),
        ),
        (
            {"actor": ["turkey", "Assad regime"], "type": ["battles"]},
            ViewState(
                D(2016, 11, 15),
                D(2016, 12, 22),
                D(2016, 12, 15),
                actors=("Turkey", "Syrian government"),
                types=("Battles",),
                view="aleppo",
            ),
        ),
        (
            {"actor": ["Turkey,Russia"]},
            ViewState(
                D(2016, 11, 15),
                D(2016, 12, 22),
                D(2016, 12, 15),
                actors=("Turkey", "Russia"),
                view="aleppo",
            ),
        ),
        (
            {"view": ["border"], "layers": ["events,zones"]},
            ViewState(
                D(2016, 11, 15),
                D(2016, 12, 22),
                D(2016, 12, 15),
                view="border",
                layers=("events", "zones"),
            ),
        ),
        (
            {"layers": [""]},
            ViewState(D(2016, 11, 15), D(2016, 12, 22), D(2016, 12, 15), view="aleppo", layers=()),
        ),
    ],
)
def test_a_link_restores_its_state(params, expected):
    state, warnings = parse_query(params, CHOICES, DEFAULTS)
    assert warnings == []
    assert state == expected


def test_a_window_partly_outside_the_data_is_clamped_with_one_notice():
    # the Su-24 shoot-down (24 Nov 2015) lies inside this window, at the data's first day
    state, warnings = parse_query(
        {"start": ["2015-11-01"], "end": ["2015-11-30"]}, CHOICES, DEFAULTS
    )
    assert (state.start, state.end, state.effective_as_of) == (
        D(2015, 11, 24),
        D(2015, 11, 30),
        D(2015, 11, 30),
    )
    assert len(warnings) == 1 and "showing 2015-11-24 to 2015-11-30" in warnings[0]


def test_notices_never_cascade_from_one_fallback_into_the_next():
    params = {"start": ["2010-01-01"], "end": ["2010-02-01"], "as_of": ["2010-01-15"]}
    state, warnings = parse_query(params, CHOICES, DEFAULTS)
    assert len(warnings) == 1, warnings
    assert (state.start, state.end) == (DEFAULTS.start, DEFAULTS.end)


def test_a_link_carries_the_map_extent_and_the_selected_event():
    params = {"center": ["36.20123,37.13457"], "zoom": ["13.5"], "event": ["ev-1"]}
    state, warnings = parse_query(params, CHOICES, DEFAULTS)
    assert warnings == []
    assert (state.center, state.zoom, state.event) == ((36.20123, 37.13457), 13.5, "ev-1")
    assert parse_query(to_query(state), CHOICES, DEFAULTS)[0] == state


@pytest.mark.parametrize(
    ("params", "warning", "field", "value"),
    [
        (
            {"start": ["yesterday"]},
            "'start=yesterday' is not a date as YYYY-MM-DD",
            "start",
            D(2016, 11, 15),
        ),
        ({"end": ["2016-02-30"]}, "'end=2016-02-30' is not a date", "end", D(2016, 12, 22)),
        (
            {"start": ["1990-01-01"]},
            "reaches beyond the data (2015-11-24 to 2017-01-23); showing 2015-11-24 to",
            "start",
            D(2015, 11, 24),
        ),
        (
            {"start": ["1990-01-01"], "end": ["1990-02-01"]},
            "(1990-01-01 to 1990-02-01) is outside the data (2015-11-24 to 2017-01-23)",
            "start",
            D(2016, 11, 15),
        ),
        ({"center": ["36.2"]}, "'center=36.2' is not latitude,longitude", "center", None),
        ({"center": ["95,37"]}, "'center=95,37' is not latitude,longitude", "center", None),
        ({"zoom": ["40"]}, "'zoom=40' is not a zoom from 0 to 19", "zoom", None),
        (
            {"start": ["2016-12-20"], "end": ["2016-12-01"]},
            "ends (2016-12-01) before it starts",
            "end",
            D(2016, 12, 22),
        ),
        ({"as_of": ["2017-01-10"]}, "is outside the window", "as_of", None),
        ({"actor": ["Nobody"]}, "No actor 'Nobody' in this dataset", "actors", ()),
        ({"type": ["Picnic"]}, "No event type 'Picnic'", "types", ()),
        ({"view": ["moon"]}, "Unknown view 'moon'", "view", "aleppo"),
        ({"dataset": ["gone.csv"]}, "No dataset 'gone.csv' is open here", "datasets", ()),
        ({"layers": ["events,clouds"]}, "Unknown layer(s) 'clouds'", "layers", ("events",)),
    ],
)
def test_a_bad_value_in_a_link_is_warned_about_and_replaced(params, warning, field, value):
    state, warnings = parse_query(params, CHOICES, DEFAULTS)
    assert len(warnings) == 1 and warning in warnings[0]
    assert getattr(state, field) == value


@pytest.mark.parametrize(
    "state",
    [
        DEFAULTS,
        ViewState(
            D(2016, 12, 1),
            D(2016, 12, 31),
            None,
            ("Turkey", "Iran"),
            ("Battles",),
            "region",
            ("zones", "routes"),
        ),
        ViewState(D(2016, 12, 1), D(2016, 12, 31), D(2016, 12, 31), view="fit"),
        ViewState(D(2016, 12, 1), D(2016, 12, 31), view="corridor", layers=ALL_LAYERS),
        ViewState(D(2016, 12, 1), D(2016, 12, 31), datasets=("upload.csv",)),
        ViewState(D(2016, 12, 1), D(2016, 12, 31), bbox=BoundingBox(36.9, 36.1, 37.3, 36.3)),
    ],
)
def test_a_state_round_trips_through_its_query_string(state):
    restored, warnings = parse_query(to_query(state), CHOICES, DEFAULTS)
    assert warnings == []
    assert (restored.start, restored.end, restored.effective_as_of) == (
        state.start,
        state.end,
        state.effective_as_of,
    )
    assert (
        restored.actors,
        restored.types,
        restored.view,
        restored.layers,
        restored.datasets,
        restored.bbox,
    ) == (state.actors, state.types, state.view, state.layers, state.datasets, state.bbox)


def test_a_links_filter_names_are_the_declared_ones_and_a_bad_area_is_named():
    from geo.filters import FILTER_FIELDS

    everything = ViewState(
        D(2016, 12, 1),
        D(2016, 12, 31),
        D(2016, 12, 5),
        ("Turkey",),
        ("Battles",),
        datasets=("upload.csv",),
        bbox=BoundingBox(36.9, 36.1, 37.3, 36.3),
    )
    assert {spec.query for spec in FILTER_FIELDS} <= set(to_query(everything))
    state, warnings = parse_query({"bbox": ["36,37,35,36"]}, CHOICES, DEFAULTS)
    assert state.bbox is None
    assert warnings == [
        "'bbox=36,37,35,36': bounding box latitudes must be from -90 to 90 with south ≤ "
        "north, got south 37.0, north 36.0; it is ignored."
    ]


def test_the_query_uses_the_documented_names():
    query = to_query(
        ViewState(
            D(2016, 12, 1),
            D(2016, 12, 31),
            D(2016, 12, 5),
            ("Turkey",),
            ("Battles",),
            "aleppo",
            ("events",),
        )
    )
    assert query == {
        "start": ["2016-12-01"],
        "end": ["2016-12-31"],
        "as_of": ["2016-12-05"],
        "actor": ["Turkey"],
        "type": ["Battles"],
        "view": ["aleppo"],
        "layers": ["events"],
        "draw": ["points"],
    }
