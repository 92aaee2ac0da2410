"""Snapshots in depth: the HTML carries a Content-Security-Policy that allows only what it
needs, and the PNG renderer's Chromium reaches nothing, the loopback included, whatever a
page tries.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import sync_playwright

from dashboard.maps import basemap_geojson
from dashboard.snapshot import (
    READY_ATTRIBUTE,
    SnapshotRequest,
    content_security_policy,
    renderer,
    snapshot_html,
)
from dashboard.views import VIEWS
from geo.filters import Filters
from geo.story import load_basemap
from tests.servers import launch_chromium

CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


@pytest.fixture(scope="module")
def story_html(story) -> str:
    request = SnapshotRequest(
        dataset=story,
        filters=Filters.make(start="2016-11-15", end="2016-12-22", as_of="2016-12-15"),
        bounds=VIEWS["aleppo"].bounds,
    )
    return snapshot_html(request, basemap_geojson(load_basemap()), attribution="Natural Earth")


def _policy(page: str) -> dict[str, str]:
    found = CSP.search(page)
    assert found, "the snapshot carries a Content-Security-Policy"
    return dict(
        part.strip().split(" ", 1) for part in found.group(1).replace("&#x27;", "'").split(";")
    )


def test_the_html_snapshot_allows_only_its_inline_assets_and_data_uris(story_html):
    policy = _policy(story_html)
    assert policy["default-src"] == "'none'"
    assert policy["connect-src"] == "'none'"
    assert policy["img-src"] == "data:"
    assert policy["script-src"] == "'unsafe-inline'"
    assert policy["frame-src"] == "'none'" and policy["form-action"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["object-src"] == "'none'"
    head = story_html[: story_html.index("</head>")]
    assert head.index("Content-Security-Policy") < head.index("<script"), (
        "the policy comes before the first script, or it would not cover it"
    )


def test_a_tile_basemap_adds_its_own_host_for_images_only():
    policy = content_security_policy("osm")
    assert "img-src data: https://tile.openstreetmap.org" in policy
    assert "connect-src 'none'" in policy
    assert "img-src data: https://*.basemaps.cartocdn.com" in content_security_policy("carto")


@pytest.mark.browser
def test_the_snapshot_draws_under_its_policy_with_no_violation(story_html, tmp_path):
    out = tmp_path / "snapshot.html"
    out.write_text(story_html, encoding="utf-8")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page.goto(out.as_uri())
        page.wait_for_selector(f"html[{READY_ATTRIBUTE}]", state="attached")
        zones = page.evaluate(
            "() => { const m = window[Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))];"
            " let n = 0; m.eachLayer(l => { if (l.options.className === 'atlas-zone') n++; });"
            " return n; }"
        )
        assert zones > 0, "the map is drawn under its policy"
        # a script that got in could still not send anything: the policy refuses it
        page.evaluate("() => fetch('https://example.org/x').catch(() => null)")
        page.wait_for_function("() => window.__violations.length > 0")
        violations = page.evaluate("() => window.__violations")
        browser.close()
    assert violations == ["connect-src https://example.org/x"], violations


@contextmanager
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on the loopback that records the first bytes of every connection."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    heard: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    heard.append(connection.recv(200) or b"(connected)")
                except OSError:
                    heard.append(b"(connected)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], heard
    finally:
        stop.set()
        thread.join(5)
        server.close()


def _escaping_page(port: int) -> str:
    """A page whose script tries every way out to the listener, then says it is ready."""
    targets = [f"127.0.0.1:{port}", f"localhost:{port}"]
    tries = []
    for i, host in enumerate(targets):
        tries += [
            f"try {{ new WebSocket('ws://{host}/ws{i}'); }} catch (e) {{}}",
            f"try {{ navigator.sendBeacon('http://{host}/beacon{i}', 'x'); }} catch (e) {{}}",
            f"fetch('http://{host}/fetch{i}').catch(() => null);",
            "(() => { const l = document.createElement('link'); l.rel = 'prefetch';"
            f" l.href = 'http://{host}/prefetch{i}'; document.head.appendChild(l); }})();",
            f"(new Image()).src = 'http://{host}/img{i}';",
            "(() => { const f = document.createElement('iframe');"
            f" f.src = 'http://{host}/frame{i}'; document.body.appendChild(f); }})();",
        ]
    return (
        "<!DOCTYPE html><html><head></head><body><script>"
        + "\n".join(tries)
        + f"\nsetTimeout(() => document.documentElement.setAttribute('{READY_ATTRIBUTE}', '1'),"
        " 2500);</script></body></html>"
    )


@pytest.mark.browser
def test_the_renderer_reaches_no_listener_on_the_loopback_whatever_the_page_tries():
    with listener() as (port, heard), renderer() as using:
        using.render(_escaping_page(port), width=400, height=300)
        # and a control: the same listener is reachable from this process
        with socket.create_connection(("127.0.0.1", port), timeout=5) as probe:
            probe.sendall(b"control")
        for _ in range(50):
            if b"control" in heard:
                break
            threading.Event().wait(0.1)  # polling interval while the listener records
    assert heard == [b"control"], f"the renderer reached the listener: {heard}"
