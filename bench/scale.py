"""The dashboard at ACLED scale: ``python -m bench.scale`` (part of ``make bench``).

For each size (synthetic ACLED events, seeded): reading CSV and GeoParquet, filtering,
building the map, then the real app in headless Chromium: page open to painted map (server
warm), a filter change in the UI to the updated map, the bytes the server sends for it, and
the app's peak memory.  Plain folium (a marker per event) is measured alongside; many
viewers share one server, and the throughput of one worker and of two is compared (the
viewers speak Streamlit's protocol, without a browser each: ``bench/protocol.py``); and
``atlas run`` itself is started (``bench/runs.py``).  It ends with the targets' table
(``bench/targets.py``).  Results: bench/results/scale.json and scale.md.  Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import folium
import geopandas as gpd

from bench.protocol import Load, load
from bench.runs import run_measures
from bench.targets import target_table
from dashboard.assets import STATIC_DIR, localize_assets
from dashboard.browser import launch_chromium
from dashboard.launch import free_loopback_port, health_answers
from dashboard.maps import Palette, basemap_geojson, build_base_map, build_data_layers
from dashboard.testing import HOST, atlas_run, dashboard_server
from dashboard.views import VIEWS
from geo.filters import FILTER_FIELD, Filters, filter_dataset
from geo.grid import CELL_SHAPES, HEXAGONS, HexagonIndex
from geo.io import read_dataset
from geo.story import load_basemap
from geo.synth import ACTORS, synth_acled

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "bench" / "scratch"
RESULTS = ROOT / "bench" / "results"
ACTOR = "Houthi Movement"
WINDOW = Filters.make(start="2020-01-01", end="2020-12-31", actors=[ACTOR])
TIMEOUT_MS = 180_000

COUNT_JS = """() => {
  if (!window.map_div || !window.map_div.eachLayer) { return -1; }
  if (window.map_div._atlasPoints) { return window.map_div._atlasPoints.count; }
  let n = 0;
  window.map_div.eachLayer(l => {
    const c = l.options && l.options.className;
    if (c === 'atlas-event' || c === 'atlas-cell') { n++; }
  });
  return n;
}"""


def timed(work: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def synthetic_files(rows: int) -> tuple[Path, Path]:
    """The synthetic table as CSV and GeoParquet (made once per size, kept in scratch)."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = SCRATCH / f"acled-{rows}.csv", SCRATCH / f"acled-{rows}.parquet"
    if not (csv_path.exists() and parquet_path.exists()):
        frame = synth_acled(rows)
        frame.to_csv(csv_path, index=False)
        points = gpd.points_from_xy(frame["longitude"], frame["latitude"], crs="EPSG:4326")
        gpd.GeoDataFrame(frame, geometry=points).to_parquet(parquet_path, index=False)
    return csv_path, parquet_path


def data_layer(rows: int, repeat: int) -> dict[str, float]:
    csv_path, parquet_path = synthetic_files(rows)
    out: dict[str, float] = {}
    out["read CSV (s)"], _ = timed(lambda: read_dataset(csv_path), 1)
    out["read GeoParquet (s)"], (dataset, _) = timed(lambda: read_dataset(parquet_path), repeat)
    out["filter (s)"], filtered = timed(lambda: filter_dataset(dataset, WINDOW), repeat)
    out["filter, whole table (s)"], everything = timed(
        lambda: filter_dataset(dataset, Filters()), repeat
    )
    palette = Palette.for_dataset(dataset)
    basemap_json = basemap_geojson(load_basemap())

    def build(data, count_in: str | None = None, hexagons: HexagonIndex | None = None) -> int:
        base = build_base_map(basemap_json, bounds=VIEWS["region"].bounds, palette=palette)
        groups, _ = build_data_layers(
            data,
            palette=palette,
            as_of=None,
            view=VIEWS["region"].bounds,
            count_in=count_in,
            hexagons=hexagons,
        )
        for group in groups:
            group.add_to(base)
        return len(base.get_root().render().encode())

    out["build map, whole table (s)"], out["map HTML, whole table (bytes)"] = timed(
        lambda: build(everything), repeat
    )
    out["build map, filtered (s)"], _ = timed(lambda: build(filtered), repeat)
    for shape in CELL_SHAPES:
        out[f"build map, whole table, counts per {shape} (s)"], _ = timed(
            lambda shape=shape: build(everything, shape), repeat
        )
    # the app keeps an index of the positions' hexagons: the first count at a resolution
    # fills it, later ones (every filter change at that zoom) read it
    index = HexagonIndex.of(dataset.events)
    out["build map, first count per hexagon with the index (s)"], _ = timed(
        lambda: build(everything, HEXAGONS, index), 1
    )
    out["build map, later counts per hexagon with the index (s)"], _ = timed(
        lambda: build(everything, HEXAGONS, index), repeat
    )
    out["events after filter"] = float(len(filtered.events))
    return out


# --- the real app -----------------------------------------------------------------------


def _peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _map_frame(page):
    frame = page.wait_for_selector(
        "iframe[title*='streamlit_folium']", timeout=TIMEOUT_MS
    ).content_frame()
    frame.wait_for_function(f"() => ({COUNT_JS})() > 0", timeout=TIMEOUT_MS)
    return frame


def _idle(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS
    )


def _drawn_count(rows: int) -> int:
    """The events the app draws at the bench's URL: every one of its window."""
    dataset, _ = read_dataset(synthetic_files(rows)[1])
    return len(filter_dataset(dataset, Filters.make(start="2017-01-01", end="2024-12-31")).events)


def _wait_for_drawn(page, count: int):
    """The map frame once it draws ``count`` events (a new frame may replace the old)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        frame = _map_frame(page)
        try:
            frame.wait_for_function(f"() => ({COUNT_JS})() === {count}", timeout=TIMEOUT_MS)
            return frame
        except Exception:
            if not frame.is_detached():
                raise
    raise TimeoutError(f"the map never drew {count} events")


def app_measures(rows: int | None, actor: str = ACTOR) -> dict[str, float]:
    """The real app on ``rows`` synthetic events (None: the bundled story)."""
    from playwright.sync_api import sync_playwright

    data = synthetic_files(rows)[1] if rows else None
    out: dict[str, float] = {}
    with dashboard_server(data, timeout=300) as server, sync_playwright() as p:
        browser = launch_chromium(p)
        url = server.url + ("/?view=region&start=2017-01-01&end=2024-12-31" if rows else "/")
        warm = browser.new_page(viewport={"width": 1400, "height": 1200})
        warm.goto(url)
        _map_frame(warm)  # the server loads and caches the table
        _idle(warm)
        warm.close()

        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        received: list[int] = []
        page.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))),
        )
        # the WebGL points come over HTTP, beside the websocket: counted with it
        page.on(
            "requestfinished",
            lambda request: (
                received.append(request.sizes()["responseBodySize"])
                if "/atlas/points" in request.url
                else None
            ),
        )
        start = time.perf_counter()
        page.goto(url)
        frame = _map_frame(page)
        out["page open to painted map (s)"] = time.perf_counter() - start
        _idle(page)
        out["bytes sent for page open"] = float(sum(received))
        received.clear()
        before = frame.evaluate("() => (window.feature_group || []).length")
        actors = page.locator("[data-testid='stMultiSelect']").filter(has_text="Actors")
        actors.locator("input").click()
        actors.locator("input").fill(actor)
        start = time.perf_counter()
        page.keyboard.press("Enter")
        frame.wait_for_function(
            "(n) => (window.feature_group || []).length > n", arg=before, timeout=TIMEOUT_MS
        )
        out["filter change to updated map (s)"] = time.perf_counter() - start
        _idle(page)
        out["bytes sent for the filter change"] = float(sum(received))
        if rows:
            # and back to every event of the window, each drawn (a point each)
            everything = _drawn_count(rows)
            received.clear()
            start = time.perf_counter()
            actors.locator("input").click()
            page.keyboard.press("Backspace")  # removes the chosen actor, as a person does
            _wait_for_drawn(page, everything)
            out["filter change to every event drawn (s)"] = time.perf_counter() - start
            _idle(page)
            # the browser holds these points already (same set, same URL): a revisit is cheap;
            # the page open's bytes are those of every event drawn the first time
            out["bytes sent back to every event (points cached)"] = float(sum(received))
            out["events drawn"] = float(everything)
        out["app peak memory (MB)"] = _peak_memory_mb(server.process.pid)
        browser.close()
    return out


def plain_folium(rows: int, *, paint: bool) -> dict[str, float]:
    """A folium.Marker per event, as a newcomer would write it."""
    from playwright.sync_api import sync_playwright

    frame = synth_acled(rows)
    start = time.perf_counter()
    m = folium.Map(location=[33, 40], zoom_start=4, tiles=None)
    for lat, lon, note in zip(
        frame["latitude"], frame["longitude"], frame["event_type"], strict=True
    ):
        folium.Marker([lat, lon], popup=note).add_to(m)
    html = m.get_root().render()
    out = {
        "plain folium: Python (s)": time.perf_counter() - start,
        "plain folium: HTML (bytes)": float(len(html.encode())),
    }
    if not paint:
        return out
    localize_assets(m, STATIC_DIR.as_uri())
    path = SCRATCH / f"plain-folium-{rows}.html"
    path.write_text(m.get_root().render())
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        page.goto(path.as_uri(), timeout=600_000)
        page.wait_for_function(
            f"() => document.querySelectorAll('.leaflet-marker-icon').length >= {rows}",
            timeout=600_000,
            polling=500,
        )
        out["plain folium: page open to painted map (s)"] = time.perf_counter() - start
        browser.close()
    return out


# --- many viewers: Streamlit's protocol, no browser (bench/protocol.py) --------------------

#: The viewers' page: a year of the region, every event drawn.
VIEWER_QUERY = "view=region&start=2020-01-01&end=2020-12-31&as_of=2020-06-15"
#: Each change picks one of these actors, or none (the filter cleared).
VIEWER_ACTORS = [name for name, _ in ACTORS[:5]]
#: The viewers of each throughput run, each sending its next change as soon as the last is
#: done: enough to keep every worker busy on two cores.
THROUGHPUT_VIEWERS = 8


def _load(port: int, **options) -> Load:
    return asyncio.run(
        load(
            HOST,
            port,
            VIEWER_QUERY,
            label=FILTER_FIELD["actors"].label,
            choices=VIEWER_ACTORS,
            **options,
        )
    )


def _report_errors(*loads: Load) -> float:
    for error in (e for done in loads for e in done.errors):
        print(f"viewer error: {error}", file=sys.stderr)  # counted in the results too
    return float(sum(len(done.errors) for done in loads))


def viewers(rows: int, count: int, seconds: float) -> dict[str, float]:
    """COUNT viewers, one filter change every 5 s each for SECONDS, against a single one."""
    _, parquet_path = synthetic_files(rows)
    with dashboard_server(parquet_path, timeout=300) as server:
        port = int(server.url.rsplit(":", 1)[1])
        # alone, the pace changes nothing but the number of samples
        single = _load(port, viewers=1, seconds=min(seconds, 60), every=2)
        many = _load(port, viewers=count, seconds=seconds, every=5)
    return {
        "viewers": float(count),
        "viewer run (s)": seconds,
        "filter changes made": float(len(many.changes)),
        "single viewer changes made": float(len(single.changes)),
        "errors": _report_errors(single, many),
        "single viewer p95 (s)": single.p95,
        f"{count} viewers p95 (s)": many.p95,
        "p95 ratio (target ≤ 2)": many.p95 / single.p95,
    }


def workers_throughput(rows: int, seconds: float, count: int = THROUGHPUT_VIEWERS) -> dict:
    """Filter changes per second through ``atlas run`` with 1 worker and with 2, saturated.

    COUNT viewers each send their next change as soon as the last is done (a closed loop),
    so each run measures what the workers can do; the p95 of each is given beside it.
    """
    data = synthetic_files(rows)[1]
    out: dict[str, float] = {}
    for workers in (1, 2):
        port = free_loopback_port()
        args = ["--data", str(data), "--port", str(port), "--no-browser"]
        if workers > 1:
            args += ["--workers", str(workers)]
        with atlas_run(*args, ready=lambda p=port: health_answers(HOST, p), timeout=600):
            _load(port, viewers=workers, seconds=5, every=0)  # each worker loads the table
            done = _load(port, viewers=count, seconds=seconds, every=0)
        name = f"{workers} worker{'s' if workers > 1 else ''}, {count} viewers at once"
        out[f"{name}: changes per second"] = done.per_second
        out[f"{name}: p95 (s)"] = done.p95
        out[f"{name}: errors"] = _report_errors(done)
    one = out[f"1 worker, {count} viewers at once: changes per second"]
    two = out[f"2 workers, {count} viewers at once: changes per second"]
    out["2 workers vs 1 (×)"] = two / one if one else float("nan")
    return out


def write(results: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(results, indent=2))
    sizes = [k for k in results if k.isdigit() or k == "story"]
    names = list(dict.fromkeys(n for k in sizes for n in results[k]))
    heads = ["bundled story" if k == "story" else f"{int(k):,} events" for k in sizes]
    lines = [
        "| measurement | " + " | ".join(heads) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for name in names:
        cells = [_fmt(name, results[k].get(name)) for k in sizes]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if "viewers" in results:
        lines += ["", "| many viewers | |", "|---|---|"]
        lines += [f"| {k} | {_fmt(k, v)} |" for k, v in results["viewers"].items()]
    text = "\n".join(lines) + "\n"
    (RESULTS / "scale.md").write_text(text)
    return RESULTS / "scale.md"


def _fmt(name: str, value) -> str:
    if value is None:
        return "—"
    if "ratio" in name or "×" in name:
        return f"{value:.1f}×"
    if "bytes" in name:
        return f"{value / 1e6:.2f} MB"
    if "(s)" in name or "p95" in name:
        return f"{value:.3f} s"
    if "per second" in name:
        return f"{value:.2f}"
    return f"{value:,.0f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--folium-sizes", default="10000,100000", help="sizes for plain folium (empty: skip)"
    )
    parser.add_argument(
        "--folium-paint",
        default="10000,100000",
        help="sizes at which plain folium is painted in the browser",
    )
    parser.add_argument(
        "--run-sizes", default="1000000", help="sizes started through atlas run (empty: skip)"
    )
    parser.add_argument(
        "--run-workers", default="1,2", help="the numbers of workers atlas run starts with"
    )
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--viewer-seconds", type=float, default=300)
    parser.add_argument("--viewer-rows", type=int, default=100_000)
    parser.add_argument(
        "--throughput-seconds",
        type=float,
        default=60,
        help="each of the 1- and 2-worker throughput runs (0: skip)",
    )
    parser.add_argument(
        "--no-story",
        dest="story",
        action="store_false",
        help="skip the bundled story's app measurements",
    )
    args = parser.parse_args(argv)
    results: dict = {}
    if args.story:
        print("--- the bundled story", flush=True)
        results["story"] = app_measures(None, actor="Turkey")
        print(json.dumps(results["story"], indent=1), flush=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    folium_sizes = {int(s) for s in args.folium_sizes.split(",") if s}
    paint = {int(s) for s in args.folium_paint.split(",") if s}
    run_sizes = {int(s) for s in args.run_sizes.split(",") if s}
    for rows in sizes:
        print(f"--- {rows:,} events", flush=True)
        entry = data_layer(rows, args.repeat)
        entry.update(app_measures(rows))
        if rows in folium_sizes:
            entry.update(plain_folium(rows, paint=rows in paint))
            folium_paint = entry.get("plain folium: page open to painted map (s)")
            if folium_paint:
                entry["speed-up to painted map (×)"] = (
                    folium_paint / entry["page open to painted map (s)"]
                )
        if rows in run_sizes:
            for workers in (int(w) for w in args.run_workers.split(",") if w):
                entry.update(
                    run_measures(
                        synthetic_files(rows)[1],
                        workers,
                        url_path="/?view=region&start=2017-01-01&end=2024-12-31",
                        painted=_map_frame,
                    )
                )
        results[str(rows)] = entry
        print(json.dumps(entry, indent=1), flush=True)
        write(results)
    if args.viewers:
        print(f"--- {args.viewers} viewers for {args.viewer_seconds:g} s", flush=True)
        results["viewers"] = viewers(args.viewer_rows, args.viewers, args.viewer_seconds)
        print(json.dumps(results["viewers"], indent=1), flush=True)
    if args.throughput_seconds:
        print(f"--- 1 and 2 workers, {args.throughput_seconds:g} s each", flush=True)
        results.setdefault("viewers", {}).update(
            workers_throughput(args.viewer_rows, args.throughput_seconds)
        )
        print(json.dumps(results["viewers"], indent=1), flush=True)
    print(write(results).read_text())
    # the targets, from this one run
    targets = target_table(results)
    (RESULTS / "targets.md").write_text(targets)
    print(targets)


if __name__ == "__main__":
    main()
