"""``make bench``: time the data layer on the bundled story, and write the results.

    python -m bench [--repeat N]

Each measurement is the best of N runs (seconds).  Results: bench/results/latest.json and
bench/results/latest.md.  Nothing here is asserted: tests run it small to keep it working.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from geo.filters import Filters, filter_dataset
from geo.io import read_dataset, write_dataset
from geo.story import load_basemap, load_story

RESULTS = Path(__file__).parent / "results"


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(repeat: int, frames: int = 30) -> dict[str, float]:
    from dashboard.maps import Palette, basemap_geojson, build_event_map, map_html
    from dashboard.views import VIEWS

    story = load_story()
    filters = Filters.make(start="2016-11-15", end="2016-12-22", as_of="2016-12-15")
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".gpkg", ".geojson"):
            path = write_dataset(story, Path(folder) / f"story{suffix}")
            results[f"read story {suffix}"] = best_of(repeat, lambda p=path: read_dataset(p))
    results["filter story"] = best_of(repeat, lambda: filter_dataset(story, filters))
    basemap_json = basemap_geojson(load_basemap())
    filtered = filter_dataset(story, filters)
    palette = Palette.for_dataset(story)

    def build() -> str:
        return map_html(
            build_event_map(
                filtered,
                basemap_json,
                bounds=VIEWS["aleppo"].bounds,
                palette=palette,
                as_of=filters.effective_as_of,
            )
        )

    results["build story map (html)"] = best_of(repeat, build)
    results["story map html bytes"] = float(len(build().encode()))
    results.update(measure_snapshots(story, basemap_json, frames))
    return results


def measure_snapshots(story, basemap_json: str, frames: int) -> dict[str, float]:
    """Seconds for one PNG (browser start included) and per frame of a series."""
    import datetime as dt

    from dashboard.maps import attribution_text
    from dashboard.snapshot import SnapshotRequest, render_png, renderer
    from dashboard.views import VIEWS

    attribution = attribution_text(load_basemap())
    request = SnapshotRequest(
        dataset=story,
        filters=Filters.make(start="2016-11-15", end="2016-12-22", as_of="2016-12-15"),
        bounds=VIEWS["aleppo"].bounds,
    )
    start = time.perf_counter()
    with renderer() as browser:
        render_png(request, basemap_json, attribution=attribution, using=browser)
    single = time.perf_counter() - start
    days = [dt.date(2016, 11, 22) + dt.timedelta(days=i) for i in range(frames)]
    with renderer() as browser:
        render_png(request, basemap_json, attribution=attribution, using=browser)  # warm
        start = time.perf_counter()
        for day in days:
            render_png(
                request.with_as_of(day), basemap_json, attribution=attribution, using=browser
            )
        per_frame = (time.perf_counter() - start) / frames
    return {
        "snapshot PNG 1600x1000, single (browser start included)": single,
        f"snapshot PNG 1600x1000, per frame of a {frames}-frame series": per_frame,
    }


def write(results: dict[str, float], repeat: int) -> Path:
    RESULTS.mkdir(exist_ok=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "repeat": repeat}
    (RESULTS / "latest.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    lines = ["| measurement | value |", "|---|---|"]
    for name, value in results.items():
        shown = f"{value:,.0f}" if "bytes" in name else f"{value:.4f} s"
        lines.append(f"| {name} | {shown} |")
    table = "\n".join(lines) + "\n"
    (RESULTS / "latest.md").write_text(table)
    return RESULTS / "latest.md"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--frames", type=int, default=30, help="frames in the snapshot series")
    args = parser.parse_args(argv)
    path = write(measure(args.repeat, args.frames), args.repeat)
    print(path.read_text())


if __name__ == "__main__":
    main()
