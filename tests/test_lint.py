"""The code stays lint-clean (ruff, with numpy docstring rules), and no test is timed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "geo", "dashboard", "tests", "scripts", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_property_test_fails_for_being_slow():
    """Hypothesis' default 200 ms deadline is a timed assertion: a busy machine trips it."""
    from hypothesis import settings

    assert settings().deadline is None
