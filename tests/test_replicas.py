"""Many viewers: ``atlas run --workers N`` starts N Streamlit servers behind a real HAProxy.

Each viewer is kept on one replica by a cookie HAProxy inserts, because a Streamlit
session, its uploads and its downloads live in one process. Every server listens on
127.0.0.1 only, on a free port, and is stopped by its process id.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from dashboard.launch import MAX_WORKERS, Sharing, banner, plan_sharing, proxy_settings
from dashboard.proxy import (
    WORKER_COOKIE,
    AccessError,
    Backend,
    ProxySettings,
    find_haproxy,
    haproxy_config,
)
from tests.pages import choose_file, idle, map_frame
from tests.servers import atlas_run, free_port, health_ok, request

ACLED = Path(__file__).parent / "data" / "acled_old_layout.csv"
ACLED_ROWS = 6
SIZES = {"laptop": (1280, 720), "desktop": (1600, 1000)}
ARTIFACTS = Path(__file__).parent / "artifacts" / "replicas"
TIMEOUT_MS = 120_000


def _config(tmp_path: Path, workers: int, certificate: Path | None = None) -> str:
    sharing = Sharing("127.0.0.1", 8500, workers=workers, certificate=certificate)
    return haproxy_config(proxy_settings(sharing, [8601 + n for n in range(workers)], tmp_path))


def test_replicas_share_the_viewers_by_connections_and_keep_each_on_one(tmp_path):
    text = _config(tmp_path, 3)
    lines = [line.strip() for line in text.splitlines()]
    assert "balance leastconn" in lines
    assert f"cookie {WORKER_COOKIE} insert indirect nocache httponly attr SameSite=Lax" in lines
    servers = [line for line in lines if line.startswith("server ")]
    assert servers == [
        f"server streamlit-{n} 127.0.0.1:{8600 + n} check inter 2s cookie streamlit-{n}"
        for n in (1, 2, 3)
    ]
    # on the loopback without a certificate: plain HTTP, no TLS on the bind line
    assert "bind 127.0.0.1:8500" in lines


def test_behind_tls_the_worker_cookie_is_secure(tmp_path):
    certificate = tmp_path / "site.pem"
    sharing = Sharing("127.0.0.1", 8500, workers=2, certificate=certificate)
    assert sharing.behind_proxy and sharing.scheme == "https"
    text = haproxy_config(
        ProxySettings("127.0.0.1", 8500, certificate, (Backend("streamlit-1", "127.0.0.1", 1),))
    )
    assert " secure attr SameSite=Lax" in text
    assert f"bind 127.0.0.1:8500 ssl crt {certificate}" in text


def test_one_worker_on_the_loopback_needs_no_haproxy():
    sharing = plan_sharing("127.0.0.1", 8501)
    assert sharing.workers == 1 and not sharing.behind_proxy and sharing.haproxy is None


@pytest.mark.parametrize("workers", [0, -1, MAX_WORKERS + 1])
def test_a_number_of_workers_out_of_range_is_refused_before_anything_starts(workers):
    with pytest.raises(AccessError, match=rf"--workers must be 1 to {MAX_WORKERS}, got {workers}"):
        plan_sharing("127.0.0.1", 8501, workers=workers)


def test_without_haproxy_workers_say_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no haproxy on it
    monkeypatch.setattr("dashboard.proxy.HAPROXY_PLACES", ())
    monkeypatch.delenv("ATLAS_HAPROXY", raising=False)
    with pytest.raises(
        AccessError, match=r"--workers put HAProxy in front.*apt-get install haproxy"
    ):
        plan_sharing("127.0.0.1", 8501, workers=2)


def test_the_banner_says_how_many_workers_share_the_viewers():
    text = banner(Sharing("127.0.0.1", 8501, workers=3), ["http://127.0.0.1:8501"])
    assert "3 workers behind HAProxy; each viewer stays on one" in text


@pytest.mark.server
def test_haproxy_accepts_the_configuration_it_is_given(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(_config(tmp_path, 2))
    checked = subprocess.run(
        [find_haproxy(), "-c", "-f", str(config)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ALERT" not in checked.stdout + checked.stderr
    assert "WARNING" not in checked.stdout + checked.stderr


@pytest.fixture(scope="module")
def two_workers():
    """``atlas run --workers 2`` on the bundled story, as a user starts it."""
    port = free_port()
    with atlas_run(
        "--workers", "2", "--port", str(port), "--no-browser", ready=lambda: health_ok(port)
    ) as running:
        yield port, running


@pytest.mark.server
def test_atlas_run_with_two_workers_starts_two_dashboards_behind_one_address(two_workers):
    port, running = two_workers
    # HAProxy may answer a moment before atlas run has printed its banner
    deadline = time.monotonic() + 30
    while "Stop it with Ctrl+C" not in running.log() and time.monotonic() < deadline:
        time.sleep(0.1)  # polling interval
    assert "2 workers behind HAProxy; each viewer stays on one" in running.log()
    # HAProxy answers the first request with the cookie that keeps the viewer there
    reply = request(port, "/")
    assert reply.status == 200
    assert reply.headers.get("set-cookie", "").startswith(f"{WORKER_COOKIE}=streamlit-")
    children = subprocess.run(
        ["ps", "-o", "args=", "--ppid", str(running.process.pid)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert sum("dashboard.serve" in line for line in children) == 2
    assert sum("haproxy" in line for line in children) == 1


@pytest.mark.browser
@pytest.mark.server
def test_two_viewers_land_on_different_workers_and_each_uploads_and_downloads(browser, two_workers):
    port, _ = two_workers
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    contexts, pages = [], []
    try:
        for name, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.errors = []
            page.on("pageerror", lambda e, page=page: page.errors.append(str(e)))
            page.size_name = name
            page.goto(url)
            map_frame(page)  # this viewer's websocket is open: the next one goes elsewhere
            contexts.append(context)
            pages.append(page)
        workers = [
            next(c["value"] for c in context.cookies() if c["name"] == WORKER_COOKIE)
            for context in contexts
        ]
        assert sorted(workers) == ["streamlit-1", "streamlit-2"]

        for page in pages:
            page.get_by_role("link", name="Your data").click()
            page.get_by_text("Add an event table").first.wait_for()
            choose_file(page, ACLED)  # /_stcore/upload_file: must reach this viewer's worker
            page.get_by_text(f"{ACLED_ROWS} read, {ACLED_ROWS} accepted").first.wait_for()
            idle(page)
            page.screenshot(path=ARTIFACTS / f"uploaded-{page.size_name}.png")
            page.get_by_role("link", name="Show them on the map").click()
            map_frame(page)
            idle(page)
            page.get_by_text("Export this view").click()
            page.get_by_text("Link to this view").wait_for()
            idle(page)
            with page.expect_download(timeout=TIMEOUT_MS) as download:  # /media/: this worker
                page.get_by_role("button", name="GeoJSON (visible layers)").click()
            collection = json.loads(Path(download.value.path()).read_text())
            events = [f for f in collection["features"] if f["properties"]["layer"] == "events"]
            assert len(events) == ACLED_ROWS
            page.screenshot(path=ARTIFACTS / f"downloaded-{page.size_name}.png")
            assert page.get_by_test_id("stException").count() == 0
            assert page.errors == []
    finally:
        for context in contexts:
            context.close()
