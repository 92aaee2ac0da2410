"""``atlas run --data``: the table is checked in a child process, so the parent keeps no copy.

The dashboard reads the table again in its own process; a copy held by ``atlas run``'s
parent doubled the memory of the run (2.4 GB at a million events, issue 15).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import main
from geo.io.checked import FOLDER, input_key
from tests.servers import atlas_command, atlas_run, free_port, health_ok
from tests.tables import nothing_valid_csv

ROWS = 100_000


def _peak_mb(code: str) -> float:
    """The peak memory (MB) of a fresh interpreter running CODE."""
    # VmHWM, not ru_maxrss: the latter survives exec, so a child of this big test process
    # would report this process's peak
    script = f"{code}\nprint(open('/proc/self/status').read())"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600
    )
    return _field_mb(done.stdout, "VmHWM")


def _field_mb(status: str, field: str) -> float:
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    raise LookupError(field)


def _status_mb(pid: int, field: str) -> float:
    """A memory field (VmHWM: the peak, VmRSS: now) of process PID, in MB."""
    return _field_mb(Path(f"/proc/{pid}/status").read_text(), field)


def test_atlas_run_on_a_table_that_keeps_nothing_says_why_and_starts_nothing(tmp_path):
    done = subprocess.run(
        atlas_command("run", "--data", str(nothing_valid_csv(tmp_path)), "--no-browser"),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "holds 3 rows and keeps none" in done.stderr
    assert "the commonest reason (3 rows): date_start: expected a date" in done.stderr
    assert "serving the dashboard" not in done.stdout


def test_atlas_run_on_a_missing_file_says_so(tmp_path, capfd):
    assert main(["run", "--data", str(tmp_path / "nowhere.csv"), "--no-browser"]) == 2
    assert "nowhere.csv" in capfd.readouterr().err


@pytest.mark.server
def test_the_parent_of_atlas_run_holds_no_copy_of_the_table(tmp_path):
    table = tmp_path / "acled.parquet"
    assert main(["synth", "--rows", str(ROWS), "--out", str(table)]) == 0
    imported = _peak_mb("import dashboard.cli")
    loaded = _peak_mb(f"from dashboard.cli import _load\n_load({str(table)!r})")
    assert loaded - imported > 60, "the table must be large enough to tell a copy from noise"
    port = free_port()
    with atlas_run(
        "--data", str(table), "--port", str(port), "--no-browser", ready=lambda: health_ok(port)
    ) as running:
        parent_peak = _status_mb(running.process.pid, "VmHWM")
    # the check left a validated copy, which the dashboard's first visitor reads back
    copy = (
        Path(os.environ["ATLAS_CACHE_DIR"]) / FOLDER / input_key(str(table.resolve()), None, None)
    )
    assert (copy / "events.parquet").is_file()
    # checked in a child: the parent never grows by the table, not even for a moment
    assert parent_peak < imported + (loaded - imported) / 2, (imported, loaded, parent_peak)
