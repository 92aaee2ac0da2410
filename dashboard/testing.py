"""The dashboard served for tests and benchmarks: loopback only, a free port, polled until ready.

:func:`dashboard_server` serves it as ``atlas run`` does (``python -m dashboard.serve``:
headless, the Host allow-list), logging to a file, and stops it by its process id (its
process group, so its children go too); :func:`atlas_run` runs the ``atlas run`` command
itself, as a user starts it.  ``tests/`` and ``bench/`` both use it, which is why
it lives in the package rather than beside the tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dashboard.launch import POLL_INTERVAL, free_loopback_port, health_answers
from dashboard.serve import streamlit_command
from dashboard.settings import DATA

HOST = "127.0.0.1"


@dataclass
class Server:
    """A dashboard being served: where, its process, and the file its output goes to."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """What the server printed so far."""
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def dashboard_server(data: Path | None = None, timeout: float = 90.0) -> Iterator[Server]:
    """Serve the dashboard on DATA (default: the bundled story); yield once it answers.

    Raises
    ------
    RuntimeError
        When the server exits before it answers (its log in the message).
    TimeoutError
        When it does not answer its health check within TIMEOUT seconds.
    """
    port = free_loopback_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop(DATA.variable, None)
    if data is not None:
        env[DATA.variable] = str(data)
    log_path = Path(tempfile.mkstemp(prefix="atlas-server-", suffix=".log")[1])
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            streamlit_command(port=port, host=HOST, python=sys.executable),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://{HOST}:{port}", process, log_path)
    try:
        _wait_until(
            lambda: health_answers(HOST, port), process, timeout, "the dashboard", server.log
        )
        yield server
    finally:
        stop(process)


def _wait_until(
    ready: Callable[[], bool],
    process: subprocess.Popen,
    timeout: float,
    name: str,
    log: Callable[[], str],
) -> None:
    """Poll READY until it is true; raise, with the log, if PROCESS ends or TIMEOUT passes."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited ({process.returncode}):\n{log()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} was not ready in {timeout} s:\n{log()}")
        time.sleep(POLL_INTERVAL)  # polling interval, not a wait for readiness


def stop(process: subprocess.Popen) -> None:
    """Terminate the server's process group by its id, then kill it if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class AtlasRun:
    """An ``atlas run`` started as a user starts it: its process and what it printed."""

    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """What ``atlas run`` printed so far."""
        return self.log_path.read_text(errors="replace")


def atlas_command(*args: str) -> list[str]:
    """The ``atlas`` command line, run by this interpreter."""
    return [sys.executable, "-m", "dashboard.cli", *args]


@contextlib.contextmanager
def atlas_run(
    *args: str,
    ready: Callable[[], bool],
    env: dict[str, str] | None = None,
    timeout: float = 90.0,
    on_start: Callable[[subprocess.Popen], object] | None = None,
) -> Iterator[AtlasRun]:
    """Start ``atlas run ARGS`` with no terminal (stdin from /dev/null, its own session).

    Yields once ``ready()`` is true; stops it by its process id afterwards.  ``on_start``
    is given the process as soon as it is started (a benchmark watches it load).
    """
    log_path = Path(tempfile.mkstemp(prefix="atlas-run-", suffix=".log")[1])
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            atlas_command("run", *args),
            env={**os.environ, "PYTHONUNBUFFERED": "1"} if env is None else env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = AtlasRun(process, log_path)
    try:
        if on_start is not None:
            on_start(process)
        _wait_until(ready, process, timeout, "atlas run", running.log)
        yield running
    finally:
        stop(process)
