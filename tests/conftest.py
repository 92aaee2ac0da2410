"""Fixtures and hooks every test module may use (pytest loads them; nothing imports this).

Helpers to import live in plain modules: ``tables.py`` (CSV rows), ``servers.py`` (servers
and requests), ``payloads.py`` (injection payloads).
"""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

from geo.story import load_story

# Hypothesis fails an example that runs past 200 ms by default: a timed assertion, which a
# busy machine (CI, a laptop compiling) trips while the code is right.  Speed is measured
# in bench/, not asserted here.
settings.register_profile("atlas", deadline=None)
settings.load_profile("atlas")

#: The marker a test needs to use each fixture that starts something, so that ``-m "not
#: browser and not server"`` (make test-fast) leaves it out.  A test uses the fixtures its
#: fixtures use too (a ``page`` fixture built on ``browser`` counts as ``browser``).
MARKER_OF_FIXTURE = {"browser": "browser", "browser_renderer": "browser", "server": "server"}


def pytest_collection_modifyitems(config, items):
    """Refuse to run a test that uses a browser or server fixture without its marker."""
    unmarked = [
        f"{item.nodeid} uses the {fixture!r} fixture: mark it @pytest.mark.{marker}"
        for item in items
        for fixture, marker in MARKER_OF_FIXTURE.items()
        if fixture in getattr(item, "fixturenames", ()) and item.get_closest_marker(marker) is None
    ]
    if unmarked:
        raise pytest.UsageError("\n".join(unmarked))


#: Where the gazetteer's index outlives a test run (git ignores it).  The index is keyed by
#: a fingerprint of the code and data it is built from and checked when read (see
#: ``geo.geocode.load_or_build``), so a copy built by other code is never used; it saves
#: each later run the 15-25 s of building it.
KEPT_GAZETTEER = Path(__file__).parents[1] / ".atlas-test-cache"


def _copy_atomically(source: Path, target: Path) -> None:
    """``source`` to ``target``, complete or not at all (the run's processes read it)."""
    from geo.io import atomic_path

    if not target.exists():
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)


@pytest.fixture(scope="session", autouse=True)
def _a_cache_folder_of_the_run(tmp_path_factory):
    """Caches (the gazetteer's index, validated copies) go to a folder of this test run.

    Not the user's cache: a test must not read what another run, or another version of the
    code under test, left there.  The folder is shared by the run's processes (pytest-xdist
    workers, the servers and commands tests start), so the gazetteer is built once per run;
    its index alone is kept for the next run (:data:`KEPT_GAZETTEER`).
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "atlas-cache"
    folder.mkdir(exist_ok=True)
    for kept in sorted(KEPT_GAZETTEER.glob("gazetteer-*.npz")):
        _copy_atomically(kept, folder / kept.name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATLAS_CACHE_DIR", str(folder))
        yield folder
    built = sorted(folder.glob("gazetteer-*.npz"))
    if built:
        KEPT_GAZETTEER.mkdir(exist_ok=True)
        for old in KEPT_GAZETTEER.glob("gazetteer-*.npz"):
            if old.name not in {path.name for path in built}:
                old.unlink(missing_ok=True)  # another version's: never read again
        for path in built:
            _copy_atomically(path, KEPT_GAZETTEER / path.name)


@pytest.fixture(scope="session", autouse=True)
def _components_scanned_once():
    """Scan the installed packages for Streamlit components once per session, not per AppTest.

    Each ``AppTest.run`` reads the metadata of every installed distribution to find v2
    components (0.5–1 s, most of a warm AppTest run); the installed set cannot change
    while the tests run.  Where a Streamlit release moves the scanner, nothing is patched
    and the tests run as they would without this.
    """
    from functools import cache

    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        yield
        return
    scan = getattr(manifest_scanner, "scan_component_manifests", None)
    if scan is None:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests", cache(scan))
        yield


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def story():
    return load_story()


@pytest.fixture(scope="session")
def basemap():
    """The offline basemap as maps take it: its GeoJSON text and its credit."""
    from dashboard.maps import attribution_text, basemap_geojson
    from geo.story import load_basemap

    frame = load_basemap()
    return basemap_geojson(frame), attribution_text(frame)


@pytest.fixture(scope="session")
def synthetic_table(tmp_path_factory) -> Path:
    """20,000 synthetic ACLED events (seeded) as GeoParquet: more than markers suit."""
    from dashboard.cli import main

    path = tmp_path_factory.mktemp("synthetic") / "acled.parquet"
    assert main(["synth", "--rows", "20000", "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def browser_renderer():
    """The snapshots' own renderer (a headless Chromium), for one test module."""
    from dashboard.snapshot import renderer

    with renderer() as r:
        yield r


#: How long a browser test's expect() waits for the page to show what it expects.
BROWSER_WAIT_MS = 60_000


@pytest.fixture(scope="module")
def server():
    """The dashboard on the bundled story, served for one test module (tests/servers.py)."""
    from tests.servers import dashboard_server

    with dashboard_server() as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module (one Playwright at a time per thread)."""
    from playwright.sync_api import expect, sync_playwright

    from dashboard.browser import launch_chromium

    # expect() waits 5 s by default: on a loaded machine (CI, two cores) the map redrawn
    # after a filter change may take longer, and the test failed while the app was right
    expect.set_options(timeout=BROWSER_WAIT_MS)
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
