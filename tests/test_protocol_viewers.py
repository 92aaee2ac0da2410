"""The load test's viewers speak Streamlit's protocol as a page does (bench/protocol.py).

Without a browser: a page's websocket, its first run, then reruns carrying every widget's
state.  Checked against what the app shows, so a viewer that drifted from the browser's
messages (a widget's state left out loses the app its filters) fails here, not silently in
a benchmark.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from bench.protocol import ProtocolViewer, load
from geo.filters import FILTER_FIELD, Filters, filter_dataset

pytestmark = pytest.mark.server
ACTORS = FILTER_FIELD["actors"].label


def _shown(page: ProtocolViewer) -> int:
    (status,) = [t for t in page.texts if " events** shown" in t]
    return int(re.match(r"\*\*(\d+) of", status).group(1))


def test_a_protocol_viewer_opens_the_page_and_changes_a_filter_as_a_person_does(server, story):
    host, port = server.url.removeprefix("http://").split(":")

    async def journey() -> list[int]:
        page = ProtocolViewer(host, int(port), "start=2016-11-15&end=2016-12-22")
        try:
            await page.open()
            seen = [_shown(page)]
            assert ACTORS in page.multiselects
            await page.choose(ACTORS, ["Turkey"])
            seen.append(_shown(page))
            await page.choose(ACTORS, [])  # cleared: every other filter still holds
            seen.append(_shown(page))
            assert page.exceptions == []
            return seen
        finally:
            await page.close()

    window = {"start": "2016-11-15", "end": "2016-12-22"}
    every = len(filter_dataset(story, Filters.make(**window)).events)
    turkey = len(filter_dataset(story, Filters.make(**window, actors=["Turkey"])).events)
    assert 0 < turkey < every
    assert asyncio.run(journey()) == [every, turkey, every]


def test_a_load_counts_every_change_and_no_error(server):
    host, port = server.url.removeprefix("http://").split(":")
    done = asyncio.run(
        load(host, int(port), "", viewers=2, seconds=3, every=0.5, label=ACTORS, choices=["Turkey"])
    )
    assert done.errors == []
    assert len(done.changes) >= 4 and done.p95 > 0 and done.per_second > 0
