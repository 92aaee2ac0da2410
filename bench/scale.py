"""The dashboard at ACLED scale: ``python -m bench.scale`` (part of ``make bench``).

For each size (synthetic ACLED events, seeded): reading CSV and GeoParquet, filtering,
building the map, then the real app in headless Chromium: page open to painted map (server
warm), a filter change in the UI to the updated map, the bytes the server sends for it, and
the app's peak memory.  Plain folium (a marker per event) is measured alongside, and many
viewers share one server.  Results: bench/results/scale.json and scale.md.  Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import folium
import geopandas as gpd

from bench.runs import run_measures
from bench.targets import target_table
from dashboard.assets import STATIC_DIR, localize_assets
from dashboard.browser import CHROMIUM_FLAGS, chromium_path, launch_chromium
from dashboard.maps import Palette, basemap_geojson, build_base_map, build_data_layers
from dashboard.testing import dashboard_server
from dashboard.views import VIEWS
from geo.filters import Filters, filter_dataset
from geo.grid import CELL_SHAPES, HEXAGONS, HexagonIndex
from geo.io import read_dataset
from geo.story import load_basemap
from geo.synth import synth_acled

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


# --- many viewers -----------------------------------------------------------------------


async def _viewer(
    browser, url: str, deadline: float, times: list[float], errors: list[str], rng: random.Random
) -> None:
    context = await browser.new_context(viewport={"width": 1300, "height": 1100})
    page = await context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        await page.goto(url, timeout=TIMEOUT_MS)
        await page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=TIMEOUT_MS)
        # the map page's status line names the as-of day ("... zones on 14 Dec 2016 ...")
        label = page.locator("[data-testid='stMarkdownContainer']").filter(has_text="events shown")
        while time.monotonic() < deadline:
            before = (await label.inner_text()).strip()
            button = (
                ".st-key-day_forward button" if rng.random() < 0.5 else ".st-key-day_back button"
            )
            start = time.perf_counter()
            # .first: while the app reruns, the sidebar may briefly hold a stale copy too
            await page.locator(button).first.click()
            try:
                await page.wait_for_function(
                    "(b) => { const l = [...document.querySelectorAll("
                    "'[data-testid=\"stMarkdownContainer\"]')].find(e => e.innerText.includes("
                    "'events shown')); return l && l.innerText.trim() !== b; }",
                    arg=before,
                    timeout=60_000,
                )
            except Exception:
                continue
            times.append(time.perf_counter() - start)
            await asyncio.sleep(rng.uniform(0.5, 2.0))  # a person reads the map between clicks
    except Exception as error:
        errors.append(f"{type(error).__name__}: {error}")
    finally:
        await context.close()


async def _viewers(url: str, count: int, seconds: float) -> tuple[list[float], list[str]]:
    from playwright.async_api import async_playwright

    times: list[float] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(
                _viewer(browser, url, deadline, times, errors, random.Random(i))
                for i in range(count)
            )
        )
        await browser.close()
    return times, errors


def viewers(rows: int, count: int, seconds: float) -> dict[str, float]:
    _, parquet_path = synthetic_files(rows)
    with dashboard_server(parquet_path, timeout=300) as server:
        url = f"{server.url}/?view=region&start=2020-01-01&end=2020-12-31&as_of=2020-06-15"
        single, single_errors = asyncio.run(_viewers(url, 1, min(seconds, 30)))
        many, errors = asyncio.run(_viewers(url, count, seconds))
    for error in single_errors + errors:
        print(f"viewer error: {error}", file=sys.stderr)  # counted below; said here
    p95 = lambda xs: statistics.quantiles(xs, n=20)[18] if len(xs) >= 2 else float("nan")  # noqa: E731
    return {
        "viewers": float(count),
        "viewer run (s)": seconds,
        "filter changes made": float(len(many)),
        # a p95 needs at least two changes: say how many the single viewer made
        "single viewer changes made": float(len(single)),
        "errors": float(len(errors) + len(single_errors)),
        "single viewer p95 (s)": p95(single),
        f"{count} viewers p95 (s)": p95(many),
        "p95 ratio (target ≤ 2)": p95(many) / p95(single) if single else float("nan"),
    }


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
    print(write(results).read_text())
    # the targets, from this one run
    targets = target_table(results)
    (RESULTS / "targets.md").write_text(targets)
    print(targets)


if __name__ == "__main__":
    main()
