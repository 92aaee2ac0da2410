"""Headless Chromium for snapshots: the system's Chromium, or Playwright's own download."""

from __future__ import annotations

import shutil
from pathlib import Path

from dashboard.settings import CHROMIUM

#: Flags that let Chromium run as root in a container with no network beyond loopback.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_GET_ONE = (
    "No Chromium could be started for rendering: install one with "
    "'playwright install chromium' (inside the project's .venv), or your system's package "
    f"(Debian: apt-get install chromium), or point {CHROMIUM.variable} at a Chromium binary."
)


class BrowserUnavailable(RuntimeError):
    """No headless browser could be started; the message says how to get one."""


def chromium_path() -> str | None:
    """$ATLAS_CHROMIUM, else a system Chromium; None lets Playwright use its own download."""
    explicit = CHROMIUM.value()
    if explicit:
        return explicit
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_chromium(playwright):
    """Start headless Chromium with Playwright (sync API).

    Raises
    ------
    BrowserUnavailable
        When neither a system Chromium nor Playwright's own can be started.
    """
    try:
        return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
    except Exception as error:
        raise BrowserUnavailable(f"{HOW_TO_GET_ONE} ({error})") from error
