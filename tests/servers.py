"""A dashboard server for tests and benchmarks: loopback only, a free port, polled until ready.

Stopped by its own process id (its process group, so Streamlit's children go too).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dashboard.browser import launch_chromium  # noqa: F401 - the tests' way in
from dashboard.cli import DATA_ENV, streamlit_command

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def dashboard_server(data: Path | None = None, timeout: float = 90.0) -> Iterator[Server]:
    """Serve the dashboard; yield once its health check answers."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop(DATA_ENV, None)
    if data is not None:
        env[DATA_ENV] = str(data)
    log_path = Path(tempfile.mkstemp(prefix="atlas-server-", suffix=".log")[1])
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            streamlit_command(port=port, host=HOST, open_browser=False, python=sys.executable),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://{HOST}:{port}", process, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the dashboard exited ({process.returncode}):\n{server.log()}")
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the dashboard did not answer in {timeout} s:\n{server.log()}")
            time.sleep(0.1)  # polling interval, not a wait for readiness
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
