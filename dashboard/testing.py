"""The dashboard served for tests and benchmarks: loopback only, a free port, polled until ready.

:func:`dashboard_server` serves it as ``atlas run`` does (``python -m dashboard.serve``:
headless, the Host allow-list), logging to a file, and stops it by its process id (its
process group, so its children go too).  ``tests/`` and ``bench/`` both use it, which is why
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
from collections.abc import Iterator
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
        deadline = time.monotonic() + timeout
        while not health_answers(HOST, port):
            if process.poll() is not None:
                raise RuntimeError(f"the dashboard exited ({process.returncode}):\n{server.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the dashboard did not answer in {timeout} s:\n{server.log()}")
            time.sleep(POLL_INTERVAL)  # polling interval, not a wait for readiness
        yield server
    finally:
        stop(process)


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
