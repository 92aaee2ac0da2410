"""What the context and the labels cost: ``python -m bench.labels [--repeat N]``.

For the region, corridor and Aleppo views of the bundled story (13 Dec 2016, 1600×1000):
the snapshot page's size with and without the context layer, how many labels the page
holds and shows, and the time one run of the declutter script takes in headless Chromium
(the median of N runs, in milliseconds).  Nothing here is asserted; tests/test_labels.py
and tests/test_context.py check what the script does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.maps import MAP_LAYERS, attribution_text, basemap_geojson  # noqa: E402
from dashboard.snapshot import SnapshotRequest, snapshot_html  # noqa: E402
from dashboard.views import VIEWS  # noqa: E402
from geo.filters import Filters  # noqa: E402
from geo.story import load_basemap, load_story  # noqa: E402

_TIME = """(repeat) => {
  const m = Object.values(window).find(v => v instanceof L.Map);
  const times = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    window.atlasLabels.declutter(m);
    times.push(performance.now() - start);
  }
  return {times: times,
    labels: document.querySelectorAll('.atlas-label').length,
    hidden: document.querySelectorAll('.atlas-label-hidden').length};
}"""


def main(argv: list[str] | None = None) -> int:
    """Print one Markdown table row per view."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from dashboard.browser import launch_chromium

    story, frame = load_story(), load_basemap()
    outlines, credit = basemap_geojson(frame), attribution_text(frame)
    print("| view | page kB (no context) | page kB | labels | shown | declutter ms (median) |")
    print("|---|---|---|---|---|---|")
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as folder:
        browser = launch_chromium(playwright)
        for view in ("region", "corridor", "aleppo"):
            sizes = []
            for layers in ([n for n in MAP_LAYERS.names() if n != "context"], MAP_LAYERS.names()):
                request = SnapshotRequest(
                    dataset=story,
                    filters=Filters.make(start="2016-11-15", end="2016-12-31", as_of="2016-12-13"),
                    bounds=VIEWS[view].bounds,
                    layers=list(layers),
                )
                html = snapshot_html(request, outlines, attribution=credit)
                sizes.append(len(html.encode()) / 1024)
            path = Path(folder) / f"{view}.html"
            path.write_text(html, encoding="utf-8")
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(path.as_uri())
            page.wait_for_selector("html[data-atlas-ready]", state="attached")
            seen = page.evaluate(_TIME, args.repeat)
            page.close()
            print(
                f"| {view} | {sizes[0]:.0f} | {sizes[1]:.0f} | {seen['labels']} | "
                f"{seen['labels'] - seen['hidden']} | {statistics.median(seen['times']):.1f} |"
            )
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
