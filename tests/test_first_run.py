"""``atlas run`` on a fresh machine: no terminal, no ~/.streamlit, nothing asked, our banner.

The servers are real, on 127.0.0.1 and a free port, polled until they serve.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tests.servers import HOST, atlas_run, free_port, health_ok

pytestmark = pytest.mark.server


def fresh_machine(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a first run: an empty HOME, no display, the project's venv on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DISPLAY", "WAYLAND_DISPLAY", "BROWSER"} and not key.startswith("ATLAS_")
    }
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", **extra)
    return env


def recording_browser(folder: Path) -> tuple[Path, Path]:
    """An executable that stands in for the user's browser: it writes down what it opened."""
    record = folder / "opened.txt"
    script = folder / "browser"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nopen({str(record)!r}, 'a').write(sys.argv[1] + '\\n')\n"
    )
    script.chmod(0o755)
    return script, record


def test_a_first_run_without_a_terminal_serves_asks_nothing_and_prints_our_banner(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    browser, opened = recording_browser(tmp_path)
    port = free_port()
    env = fresh_machine(home, BROWSER=str(browser))
    with atlas_run("--port", str(port), env=env, ready=lambda: health_ok(port)) as running:
        url = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 30
        while url not in running.log() and time.monotonic() < deadline:
            time.sleep(0.1)  # polling interval: the banner follows the first answer
        log = running.log()
    assert url in log
    assert "Ctrl+C" in log
    assert "Email" not in log
    assert "usage statistics" not in log.lower()
    assert "streamlit" not in log.lower()  # neither its welcome nor its advertisements
    assert not opened.exists()  # no display: no browser
    assert not (home / ".streamlit" / "credentials.toml").exists()


def test_with_a_display_the_users_browser_opens_on_the_dashboard(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    browser, opened = recording_browser(tmp_path)
    port = free_port()
    env = fresh_machine(home, BROWSER=str(browser), DISPLAY=":99")
    with atlas_run("--port", str(port), env=env, ready=opened.exists):
        assert opened.read_text().split() == [f"http://{HOST}:{port}"]
        assert health_ok(port)  # opened once it serves, not before


def test_no_browser_keeps_it_closed_even_with_a_display(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    browser, opened = recording_browser(tmp_path)
    port = free_port()
    env = fresh_machine(home, BROWSER=str(browser), DISPLAY=":99")
    with atlas_run(
        "--port", str(port), "--no-browser", env=env, ready=lambda: health_ok(port)
    ) as running:  # fmt: skip
        deadline = time.monotonic() + 30
        while "Ctrl+C" not in running.log() and time.monotonic() < deadline:
            time.sleep(0.1)  # polling interval: the browser would open before the banner
        assert "Ctrl+C" in running.log()
    assert not opened.exists()
