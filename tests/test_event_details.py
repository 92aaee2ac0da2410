"""The server's memory of the events a map drew as points, and the route that answers clicks."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest
from starlette.requests import Request

from dashboard import event_details
from geo.filters import Filters, filter_dataset


def _ask(token: str, index: str):
    scope = {
        "type": "http",
        "method": "GET",
        "path": event_details.PATH,
        "query_string": f"set={token}&i={index}".encode(),
        "headers": [],
    }
    return asyncio.run(event_details.endpoint(Request(scope)))


def test_the_nth_point_answers_with_that_events_popup(story):
    shown = filter_dataset(story, Filters.make(actors=["Turkey"])).events
    token = event_details.register(story.events, shown)
    for n in (0, len(shown) - 1):
        response = _ask(token, str(n))
        assert response.status_code == 200
        assert f"Event id: {shown.iloc[n]['id']}" in response.body.decode()
        # a fragment for the popup: opened on its own it may run nothing
        assert response.headers["content-security-policy"] == "default-src 'none'"
        assert response.headers["cache-control"].startswith("private")


def test_the_same_rows_give_the_same_token_and_others_another(story):
    turkey = filter_dataset(story, Filters.make(actors=["Turkey"])).events
    assert event_details.register(story.events, turkey) == event_details.register(
        story.events, turkey.copy()
    )
    assert event_details.register(story.events, story.events) != event_details.register(
        story.events, turkey
    )


@pytest.mark.parametrize(
    ("token", "index", "status"),
    [("nonesuch", "0", 404), (None, "999999", 404), (None, "-1", 400), (None, "1e3", 400)],
)
def test_an_unknown_set_or_a_bad_index_is_refused(story, token, index, status):
    held = event_details.register(story.events, story.events)
    assert _ask(token or held, index).status_code == status


def _get(route: str, token: str):
    scope = {
        "type": "http",
        "method": "GET",
        "path": route,
        "query_string": f"set={token}".encode(),
        "headers": [],
    }
    return asyncio.run(event_details.columns_endpoint(Request(scope)))


def test_a_sets_points_are_served_as_the_bytes_registered(story):
    token = event_details.register(story.events, story.events, b"\x01\x02\x03")
    response = _get(event_details.COLUMNS_PATH, token)
    assert response.status_code == 200 and response.body == b"\x01\x02\x03"
    assert response.media_type == "application/octet-stream"
    assert _get(event_details.COLUMNS_PATH, "nonesuch").status_code == 404
    urls = event_details.urls("base/", token)
    assert urls == {
        "columns": f"/base/atlas/points?set={token}",
        "details": f"/base/atlas/event?set={token}",
    }


def test_the_oldest_sets_are_forgotten_beyond_the_limit(story, monkeypatch):
    monkeypatch.setattr(event_details, "MAX_SETS", 2)
    rows = story.events
    first, second, third = (event_details.register(rows, rows.iloc[i : i + 3]) for i in range(3))
    assert _ask(first, "0").status_code == 404
    assert _ask(second, "0").status_code == _ask(third, "0").status_code == 200


def test_rows_not_from_the_table_are_refused(story):
    stranger = pd.DataFrame({"id": ["x"]}, index=[10_000])
    with pytest.raises(ValueError, match="not all rows of the table"):
        event_details.register(story.events, stranger)
