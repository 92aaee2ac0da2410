"""``atlas run`` as a user starts it, at ACLED scale: the first open after a start, and memory.

Part of ``python -m bench.scale`` (``make bench``).  For a size and a number of workers:
start ``atlas run --data FILE --no-browser [--workers N]`` on a free loopback port, wait
for its health check, then open the page in headless Chromium and time the painted map;
then open it once more per other worker, so that every worker holds the table.
Meanwhile the memory of every process of the run (its session: the parent, each Streamlit
server, HAProxy) is sampled; the peak of their summed proportional set size (PSS: a page
shared by two processes counts half to each) is reported.

Each size is started twice: the first start checks the table and keeps a validated copy
beside it (``geo.io.checked``), the second reuses it; the second is "the first open after a
start" of the targets, the first is reported beside it.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from dashboard.browser import launch_chromium
from dashboard.launch import free_loopback_port, health_answers
from dashboard.testing import HOST, atlas_run
from geo.settings import CACHE_DIR

#: How often the run's memory is sampled (s).
SAMPLE_SECONDS = 0.25


def _workers(count: int) -> str:
    return f"{count} worker{'s' if count > 1 else ''}"


def first_open_key(workers: int) -> str:
    """The result's name for the first open after a (later) start with WORKERS workers."""
    return f"first open after start, {_workers(workers)} (s)"


def memory_key(workers: int) -> str:
    """The result's name for the peak memory of every process of such a run (MB)."""
    return f"memory of atlas run, all processes, {_workers(workers)} (MB)"


def session_pss_mb(session: int) -> float:
    """The summed PSS (MB) of every process in SESSION (a process group leader's pid)."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # the session id is field 6 of stat; the command (field 2) may hold spaces
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            if int(fields[3]) != session:
                continue
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue  # a process that ended while it was read
    return total_kb / 1024


class PeakMemory:
    """Samples a session's summed PSS in a thread from :meth:`watch` until :meth:`stop`."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, process) -> None:
        """Start sampling the session PROCESS leads (``atlas run`` starts its own)."""
        self._thread = threading.Thread(target=self._sample, args=(process.pid,), daemon=True)
        self._thread.start()

    def _sample(self, session: int) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, session_pss_mb(session))
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> float:
        """Stop sampling; the peak (MB)."""
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        return self.peak


def run_measures(
    data: Path, workers: int, *, url_path: str, painted: Callable, timeout: float = 600
) -> dict[str, float]:
    """Start ``atlas run`` on DATA twice (cold, then with its checked copy); time and weigh it.

    ``painted(page)`` waits until the page's map is drawn.  A fresh cache folder (under
    the bench's scratch) makes the first start cold whatever ran before.
    """
    from playwright.sync_api import sync_playwright

    cache = data.parent / f"cache-{workers}"
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", CACHE_DIR.variable: str(cache)}
    out: dict[str, float] = {}
    for later in (False, True):
        port = free_loopback_port()
        args = ["--data", str(data), "--port", str(port), "--no-browser"]
        if workers > 1:
            args += ["--workers", str(workers)]
        memory = PeakMemory()
        launched = time.perf_counter()
        try:
            with (
                atlas_run(
                    *args,
                    ready=lambda p=port: health_answers(HOST, p),
                    env=env,
                    timeout=timeout,
                    on_start=memory.watch,  # from the start: the parent checks the table
                ),
                sync_playwright() as playwright,
            ):
                ready = time.perf_counter() - launched
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport={"width": 1400, "height": 1200})
                opened = time.perf_counter()
                page.goto(f"http://{HOST}:{port}{url_path}")
                painted(page)
                first_open = time.perf_counter() - opened
                # a viewer on each other worker too (a new browser context has no sticky
                # cookie: HAProxy sends it to the worker with the fewest pages open), so each
                # holds the table
                for _ in range(workers - 1):
                    other = browser.new_context(viewport={"width": 1400, "height": 1200})
                    viewer = other.new_page()
                    viewer.goto(f"http://{HOST}:{port}{url_path}")
                    painted(viewer)
                browser.close()
        finally:
            peak = memory.stop()
        if later:
            out[f"atlas run start to health, {_workers(workers)} (s)"] = ready
            out[first_open_key(workers)] = first_open
            out[memory_key(workers)] = peak
        else:
            cold = f"first start (the copy made), {_workers(workers)}"
            out[f"atlas run start to health, {cold} (s)"] = ready
            out[f"first open, {cold} (s)"] = first_open
            out[f"memory of atlas run, all processes, {cold} (MB)"] = peak
    shutil.rmtree(cache, ignore_errors=True)
    return out
