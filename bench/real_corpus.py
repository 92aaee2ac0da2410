"""Timings for the largest real file of the corpus: ``python -m bench.real_corpus [FILE]``.

By default the largest table in ``tests/data/real/`` (the UCDP GED Syria sample).  Timed,
each the best of ``--repeat`` runs (seconds, wall clock):

- ``atlas validate FILE`` and ``atlas import FILE --out X.gpkg``, as commands (a fresh
  Python each time, so imports and the gazetteer count: what a user waits for);
- ``read_dataset(FILE)`` in one Python process (the reader alone, warm);
- the app's first open with ``--data FILE``: from starting the server until it answers,
  and until a browser (Debian's Chromium, through Playwright) shows the map with the
  file's events drawn.

Nothing is asserted (speed belongs here, not in tests); the numbers are printed and
written to ``bench/results/real_corpus.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.browser import launch_chromium  # noqa: E402
from dashboard.testing import dashboard_server  # noqa: E402
from geo.io import read_dataset  # noqa: E402

REAL = ROOT / "tests" / "data" / "real"
RESULTS = ROOT / "bench" / "results"
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".parquet", ".gpkg", ".geojson")
#: True once the newest map iframe holds the events, drawn one by one or (past the marker
#: limit: the GED sample's 2,000 rows) counted per grid cell.
MAP_DRAWN = """() => { const all = document.querySelectorAll("iframe[title*='streamlit_folium']");
  const last = all[all.length - 1]; const w = last && last.contentWindow;
  if (!w || !w.map_div || !w.map_div.eachLayer) return false; let n = 0;
  w.map_div.eachLayer(l => { const c = l.options && l.options.className;
    if (c === 'atlas-event' || c === 'atlas-cell') n++; });
  return n > 0; }"""


def largest_real_file() -> Path:
    tables = [p for p in REAL.iterdir() if p.suffix in TABLE_SUFFIXES]
    return max(tables, key=lambda p: p.stat().st_size)


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def best(repeat: int, work) -> float:
    return min(timed(work) for _ in range(repeat))


def atlas(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "dashboard.cli", *args], check=True, capture_output=True)


def first_open(path: Path) -> tuple[float, float]:
    """Seconds until the server answers, and until the map shows the file's events."""
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    with dashboard_server(data=path, timeout=300) as server:
        answered = time.perf_counter() - start
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(server.url)
            page.wait_for_function(MAP_DRAWN, timeout=300_000)
            drawn = time.perf_counter() - start
            browser.close()
    return answered, drawn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = (args.file or largest_real_file()).resolve()
    dataset, report = read_dataset(path)
    results: dict[str, object] = {
        "file": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "bytes": path.stat().st_size,
        "rows_read": report.rows_read,
        "rows_accepted": len(dataset.events),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "repeat": args.repeat,
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.gpkg"
        results["atlas_validate_s"] = say(
            "atlas_validate_s", best(args.repeat, lambda: atlas("validate", str(path)))
        )
        results["atlas_import_s"] = say(
            "atlas_import_s",
            best(
                args.repeat,
                lambda: (
                    out.unlink(missing_ok=True),
                    atlas("import", str(path), "--out", str(out)),
                ),
            ),
        )
    results["read_dataset_s"] = say("read_dataset_s", best(args.repeat, lambda: read_dataset(path)))
    opens = [first_open(path) for _ in range(args.repeat)]
    results["first_open_answers_s"] = say("first_open_answers_s", min(a for a, _ in opens))
    results["first_open_map_drawn_s"] = say("first_open_map_drawn_s", min(d for _, d in opens))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "real_corpus.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


def say(name: str, seconds: float) -> float:
    print(f"{name:24} {seconds:.2f} s", flush=True)
    return seconds


if __name__ == "__main__":
    raise SystemExit(main())
