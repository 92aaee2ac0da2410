from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from geo.story import load_story

EVENT_HEADER = (
    "id,date_start,date_end,date_precision,event_type,actor1,actor2,assoc_actors,"
    "latitude,longitude,location_precision,estimate,fatalities,status,sources"
)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def story():
    return load_story()


@pytest.fixture(scope="module")
def server():
    """The dashboard on the bundled story, served for one test module (tests/servers.py)."""
    from tests.servers import dashboard_server

    with dashboard_server() as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module (one Playwright at a time per thread)."""
    from playwright.sync_api import sync_playwright

    from dashboard.browser import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def write_text(tmp_path: Path):
    """Write dedented text to a file under tmp_path and return its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


def event_row(**overrides: str) -> str:
    """One valid CSV events row (in EVENT_HEADER's order), with some cells replaced."""
    cells = {
        "id": "e1",
        "date_start": "2016-12-15",
        "date_end": "",
        "date_precision": "day",
        "event_type": "Battles",
        "actor1": "Syrian government",
        "actor2": "",
        "assoc_actors": "",
        "latitude": "36.2",
        "longitude": "37.15",
        "location_precision": "locality",
        "estimate": "false",
        "fatalities": "",
        "status": "reported",
        "sources": "Reuters",
    }
    cells.update(overrides)
    return ",".join(cells[name] for name in EVENT_HEADER.split(","))
