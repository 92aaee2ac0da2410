"""Filters as parametrized tables of (input, expected), edges included."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from geo.dataset import combine_datasets, empty_layer
from geo.filters import (
    BoundingBox,
    DatasetMatch,
    Filters,
    describe_filters,
    filter_dataset,
    filter_events,
    routes_as_of,
    zones_as_of,
)
from geo.schema import LAYER_SPECS, Column, Layer
from geo.validation import normalise


def _events(rows: list[dict]) -> gpd.GeoDataFrame:
    base = {
        "event_type": "Battles",
        "actor1": "Turkey",
        "sources": "AP",
        "latitude": 36.2,
        "longitude": 37.15,
    }
    return normalise(pd.DataFrame([{**base, **row} for row in rows]), LAYER_SPECS[Layer.EVENTS])


EVENTS = _events(
    [
        {"id": "before", "date_start": "2016-12-12"},
        {"id": "first-day", "date_start": "2016-12-13"},
        {
            "id": "inside",
            "date_start": "2016-12-16",
            "actor1": "Syrian government",
            "event_type": "Strategic developments",
            "sub_event_type": "Agreement",
        },
        {"id": "last-day", "date_start": "2016-12-22", "actor2": "Russia"},
        {"id": "after", "date_start": "2016-12-23"},
        {"id": "spans-start", "date_start": "2016-12-10", "date_end": "2016-12-14"},
        {"id": "spans-window", "date_start": "2016-12-01", "date_end": "2017-01-01"},
        {
            "id": "assoc",
            "date_start": "2016-12-15",
            "actor1": "ICRC",
            "assoc_actors": "SARC; Iranian government",
        },
        {"id": "far", "date_start": "2016-12-15", "latitude": 55.75, "longitude": 37.62},
    ]
)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            Filters(),
            {
                "before",
                "first-day",
                "inside",
                "last-day",
                "after",
                "spans-start",
                "spans-window",
                "assoc",
                "far",
            },
        ),
        (
            Filters.make(start="2016-12-13", end="2016-12-22"),
            {"first-day", "inside", "last-day", "spans-start", "spans-window", "assoc", "far"},
        ),
        (
            Filters.make(start="2016-12-13"),
            {
                "first-day",
                "inside",
                "last-day",
                "after",
                "spans-start",
                "spans-window",
                "assoc",
                "far",
            },
        ),
        (Filters.make(end="2016-12-12"), {"before", "spans-start", "spans-window"}),
        (Filters.make(start="2016-12-22", end="2016-12-22"), {"last-day", "spans-window"}),
        (Filters.make(actors=["Russia"]), {"last-day"}),
        (Filters.make(actors=["assad regime"]), {"inside"}),
        (Filters.make(actors=["SYRIAN GOVERNMENT"]), {"inside"}),
        (Filters.make(actors=["iran"]), {"assoc"}),
        (Filters.make(actors=["sarc"]), {"assoc"}),
        (Filters.make(actors=["Nobody"]), set()),
        (Filters.make(actors=["Russia", "ICRC"]), {"last-day", "assoc"}),
        (Filters.make(event_types=["strategic developments"]), {"inside"}),
        (Filters.make(event_types=["Agreement"]), {"inside"}),
        (
            Filters.make(bbox="36,35,38,37"),
            {
                "before",
                "first-day",
                "inside",
                "last-day",
                "after",
                "spans-start",
                "spans-window",
                "assoc",
            },
        ),
        (Filters.make(bbox=(37.6, 55.7, 37.7, 55.8)), {"far"}),
        (
            Filters.make(start="2016-12-14", end="2016-12-20", actors=["Turkey"]),
            {"spans-start", "spans-window", "far"},
        ),
    ],
    ids=lambda v: describe_filters(v) if isinstance(v, Filters) else None,
)
def test_filter_events_keeps_the_expected_events(filters, expected):
    assert set(filter_events(EVENTS, filters)["id"]) == expected


def test_a_box_across_the_antimeridian_keeps_both_sides():
    events = _events(
        [
            {"id": "east", "date_start": "2016-01-01", "longitude": 179.5, "latitude": 0},
            {"id": "west", "date_start": "2016-01-01", "longitude": -179.5, "latitude": 0},
            {"id": "middle", "date_start": "2016-01-01", "longitude": 0, "latitude": 0},
        ]
    )
    kept = filter_events(events, Filters.make(bbox="179,-1,-179,1"))
    assert set(kept["id"]) == {"east", "west"}


def _zones(rows: list[tuple[str, str, str | None]]) -> gpd.GeoDataFrame:
    cells = pd.DataFrame(
        [
            {
                "id": zid,
                "name": zid,
                "controller": "X",
                "valid_from": start,
                "valid_to": end,
                "method": "test",
                "sources": "AP",
                "geometry": box(0, 0, 1, 1),
            }
            for zid, start, end in rows
        ]
    )
    return normalise(cells, LAYER_SPECS[Layer.ZONES])


ZONES = _zones(
    [
        ("closed", "2016-12-13", "2016-12-13"),
        ("week", "2016-12-07", "2016-12-13"),
        ("open-ended", "2015-11-24", None),
        ("later", "2016-12-14", None),
    ]
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2016-12-06", {"open-ended"}),
        ("2016-12-07", {"week", "open-ended"}),
        ("2016-12-13", {"closed", "week", "open-ended"}),
        ("2016-12-14", {"open-ended", "later"}),
        ("2030-01-01", {"open-ended", "later"}),
        ("2015-11-23", set()),
        (None, {"closed", "week", "open-ended", "later"}),
    ],
)
def test_zones_as_of_a_day_are_those_valid_that_day(day, expected):
    assert set(zones_as_of(ZONES, day)["id"]) == expected


def _route(rid: str, periods: list[dict] | None) -> dict:
    return {
        "id": rid,
        "name": rid,
        "kind": "evacuation",
        "sources": "AP",
        "periods": None if periods is None else json.dumps(periods),
        "geometry": LineString([(0, 0), (1, 1)]),
    }


ROUTES = normalise(
    pd.DataFrame(
        [
            _route(
                "evacuation",
                [
                    {"start": "2016-12-15", "end": "2016-12-16", "status": "active"},
                    {"start": "2016-12-17", "end": "2016-12-17", "status": "suspended"},
                    {"start": "2016-12-18", "end": "2016-12-22", "status": "active"},
                ],
            ),
            _route(
                "overlapping",
                [
                    {"start": "2016-12-15", "end": "2016-12-20", "status": "active"},
                    {"start": "2016-12-18", "end": "2016-12-18", "status": "suspended"},
                ],
            ),
            _route("open", [{"start": "2016-12-20", "status": "active"}]),
            _route("static", None),
        ]
    ),
    LAYER_SPECS[Layer.ROUTES],
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2016-12-14", {"static": None}),
        ("2016-12-15", {"evacuation": "active", "overlapping": "active", "static": None}),
        ("2016-12-17", {"evacuation": "suspended", "overlapping": "active", "static": None}),
        ("2016-12-18", {"evacuation": "active", "overlapping": "suspended", "static": None}),
        ("2016-12-22", {"evacuation": "active", "open": "active", "static": None}),
        ("2016-12-23", {"open": "active", "static": None}),
    ],
)
def test_routes_as_of_a_day_carry_their_status_that_day(day, expected):
    shown = routes_as_of(ROUTES, day)
    statuses = {
        rid: (None if pd.isna(status) else status)
        for rid, status in zip(shown["id"], shown[Column.STATUS_AS_OF], strict=True)
    }
    assert statuses == expected


@pytest.mark.parametrize(
    ("filters", "sentence"),
    [
        (Filters(), "All events; every zone and route."),
        (
            Filters.make(start="2016-12-13", end="2016-12-22"),
            "Events from 13 to 22 December 2016; zones and routes as of 22 December 2016.",
        ),
        (
            Filters.make(start="2016-11-15", end="2017-01-23", as_of="2016-12-16"),
            "Events from 15 November 2016 to 23 January 2017; zones and routes as of 16 December 2016.",
        ),
        (
            Filters.make(start="2016-12-15", end="2016-12-15"),
            "Events on 15 December 2016; zones and routes as of 15 December 2016.",
        ),
        (
            Filters.make(start="2016-12-15"),
            "Events from 15 December 2016 on; every zone and route.",
        ),
        (
            Filters.make(actors=["Assad regime", "Turkey"], event_types=["Battles"]),
            "Events involving Syrian government or Turkey (in any role), of type Battles; "
            "every zone and route.",
        ),
        (
            Filters.make(bbox="36.5,35.5,37.5,36.5"),
            "Events within 36.5°E to 37.5°E, 35.5°N to 36.5°N; every zone and route.",
        ),
    ],
)
def test_describe_filters_says_them_in_plain_english(filters, sentence):
    assert describe_filters(filters) == sentence


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"start": "2016-12-22", "end": "2016-12-13"},
            r"the date window ends \(2016-12-13\) before it starts \(2016-12-22\)",
        ),
        ({"start": "13/12/2016"}, r"expected a date as YYYY-MM-DD, got '13/12/2016'"),
        ({"as_of": "2016-02-30"}, r"expected a date as YYYY-MM-DD, got '2016-02-30'"),
        ({"bbox": "1,2,3"}, r"expected a bounding box as W,S,E,N in degrees, got '1,2,3'"),
        ({"bbox": "0,50,10,40"}, r"south ≤ north, got south 50.0, north 40.0"),
        ({"bbox": "0,0,200,1"}, r"longitudes must be from -180 to 180, got 0.0, 200.0"),
    ],
)
def test_bad_filter_values_are_refused_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Filters.make(**kwargs)


def test_as_of_defaults_to_the_window_end_and_can_be_set_apart():
    assert Filters.make(end="2016-12-22").effective_as_of == pd.Timestamp("2016-12-22")
    assert Filters.make(end="2016-12-22", as_of="2016-12-16").effective_as_of == pd.Timestamp(
        "2016-12-16"
    )


def test_filter_dataset_filters_every_layer(story):
    filtered = filter_dataset(story, Filters.make(start="2016-12-15", end="2016-12-16"))
    assert set(filtered.events[Column.DATE_START].dt.day) <= {13, 14, 15, 16}
    assert "east-aleppo-enclave-2016-12-14" in set(filtered.zones["id"])
    assert "east-aleppo-enclave-2016-12-13" not in set(filtered.zones["id"])
    statuses = dict(zip(filtered.routes["id"], filtered.routes[Column.STATUS_AS_OF], strict=True))
    assert statuses == {"east-aleppo-to-idlib": "active"}
    assert len(filtered.places) == len(story.places)


def test_filtering_an_empty_layer_gives_an_empty_layer():
    assert filter_events(empty_layer(Layer.EVENTS), Filters.make(actors=["x"])).empty
    assert routes_as_of(empty_layer(Layer.ROUTES), "2016-01-01").empty
    assert zones_as_of(empty_layer(Layer.ZONES), "2016-01-01").empty
    assert BoundingBox(0, 0, 1, 1).mask(empty_layer(Layer.PLACES)).empty


# --- several datasets open at once ------------------------------------------------------


def _two_datasets(story):
    first = story.renamed("story")
    second = story.with_layers(events=story.events.head(5)).renamed("upload.csv")
    return combine_datasets([first, second])


def test_combined_datasets_name_each_row_and_keep_categories(story):
    combined = _two_datasets(story)
    assert len(combined.events) == len(story.events) + 5
    assert combined.events[Column.DATASET].value_counts().to_dict() == {
        "story": len(story.events),
        "upload.csv": 5,
    }
    assert isinstance(combined.events[Column.ACTOR1].dtype, pd.CategoricalDtype)
    assert combined.events.crs == story.events.crs
    assert combined.events[Column.ID].is_unique


def test_ids_two_datasets_share_are_prefixed_with_the_dataset_name(story):
    combined = _two_datasets(story)
    first_id = story.events[Column.ID].iloc[0]
    ids = set(combined.events[Column.ID])
    assert {f"story:{first_id}", f"upload.csv:{first_id}"} <= ids
    only_in_story = story.events[Column.ID].iloc[10]
    assert only_in_story in ids  # an id no other dataset uses is kept as it is


def test_combining_needs_distinct_names(story):
    with pytest.raises(ValueError, match="different names"):
        combine_datasets([story, story])


def test_the_dataset_filter_keeps_the_chosen_datasets_rows_in_every_layer(story):
    combined = _two_datasets(story)
    chosen = filter_dataset(combined, Filters.make(datasets=["upload.csv"]))
    assert len(chosen.events) == 5
    assert set(chosen.zones[Column.DATASET]) <= {"upload.csv"}
    everything = filter_dataset(combined, Filters.make())
    assert len(everything.events) == len(combined.events)
    assert describe_filters(Filters.make(datasets=["upload.csv"])).startswith(
        "Events from the dataset upload.csv"
    )


def test_the_dataset_filter_keeps_every_row_of_a_lone_dataset(story):
    assert DatasetMatch(("anything",)).mask(story.events).all()


# --- each filter declared once: links, the command line, snapshots ------------------------


def _snapshot(story, filters):
    from dashboard.snapshot import SnapshotRequest
    from dashboard.views import VIEWS

    return SnapshotRequest(dataset=story, filters=filters, bounds=VIEWS["aleppo"].bounds)


CHOSEN = dict(
    start="2016-12-13",
    end="2016-12-22",
    as_of="2016-12-15",
    actors=["Russia"],
    event_types=["Battles"],
    bbox="36,35.5,37.5,36.5",
    datasets=["story", "acled.csv"],
)


def test_a_snapshot_series_keeps_every_filter_but_the_day(story):
    later = _snapshot(story, Filters.make(**CHOSEN)).with_as_of(pd.Timestamp("2016-12-18").date())
    assert later.filters == Filters.make(**{**CHOSEN, "as_of": "2016-12-18"})


def test_a_snapshots_state_names_every_filter_it_was_drawn_with(story):
    from dashboard.snapshot import png_metadata

    facts = dict.fromkeys(
        ("title", "filters", "shown", "dataset", "link", "made_at", "attribution"), ""
    )
    state = json.loads(png_metadata(_snapshot(story, Filters.make(**CHOSEN)), facts)["atlas:state"])
    assert state["bbox"] == "36,35.5,37.5,36.5"
    assert state["dataset"] == ["story", "acled.csv"]
    assert (state["start"], state["end"], state["as_of"]) == (
        "2016-12-13",
        "2016-12-22",
        "2016-12-15",
    )
    assert (state["actor"], state["type"]) == (["Russia"], ["Battles"])
