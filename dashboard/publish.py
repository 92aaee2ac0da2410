"""``atlas publish``: a story as a static site that any web host (or a file on disk) serves.

The site is one ``index.html`` with everything inlined: Leaflet and its plugins (from
``dashboard/static/node_modules``, as ``dashboard.snapshot.inline_assets`` inlines them), the
offline basemap, and the data of every step, as the same folium layers the app draws.  Its
own script shows one step at a time (previous and next, the arrow keys, a step list, the
address's ``#step-N``) and flies the map to the step's extent; no server code, no request to
any third party (a tile basemap aside, when chosen), so it works from ``file://`` and from
any static host.  The site carries only the layers and events its steps show.

Beside it: each step as a PNG (``steps/step-NN.png``, rendered by
``dashboard.snapshot.render_png``), the steps in order as a GIF (``steps.gif``), the story
file it was made from, ``provenance.json`` and ``embed.html`` (the ``<iframe>`` snippet,
also printed).  The steps play in order as ``steps.gif`` and ``steps.mp4``; another kind of
moving picture is one more line in :data:`MOTION_WRITERS`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from branca.element import Element, MacroElement
from folium.template import Template

from dashboard.assets import STATIC_DIR
from dashboard.components.story_map import (
    markdown_html,
    sources_html,
    step_bounds,
    step_groups,
)
from dashboard.maps import (
    MAP_LAYERS,
    Palette,
    attribution_text,
    basemap_geojson,
    build_base_map,
    esc,
    legend_html,
    map_html,
)
from dashboard.snapshot import (
    SnapshotRequest,
    content_security_policy,
    inline_assets,
    render_png,
    renderer,
    software,
    write_gif,
    write_mp4,
)
from geo.dataset import Dataset
from geo.filters import format_day
from geo.io import atomic_path
from geo.narrative import Story, step_data, step_sources, story_hash
from geo.story import load_basemap

#: Writers of the steps as one moving picture, by suffix: frames (PNG paths) in, file out.
#: ``atlas publish`` writes one ``steps<suffix>`` per entry.  An ``.mp4`` writer registers
#: here with one line (issue 14 adds it to ``dashboard.snapshot``).
MOTION_WRITERS: dict[str, Callable[[Sequence[Path], Path], Path]] = {
    ".gif": write_gif,
    ".mp4": write_mp4,
}
#: Where a published site is said to live when no address is given (the embed snippet's).
PLACEHOLDER_URL = "https://example.org/your-story/"
STEP_PICTURE_SIZE = (1280, 800)


@dataclass(frozen=True)
class Published:
    """What :func:`publish_site` wrote: the site's folder, its files, and the embed snippet."""

    folder: Path
    files: tuple[Path, ...]
    embed: str


_SITE_CSS = """
html, body { height: 100%; margin: 0; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1d; }
.folium-map { position: fixed !important; top: 0; bottom: 0; left: 0; right: 420px;
  width: auto !important; height: auto !important; }
#atlas-story { position: fixed; top: 0; right: 0; bottom: 0; width: 420px; overflow-y: auto;
  box-sizing: border-box; padding: 14px 18px 18px; background: #fff;
  border-left: 1px solid #ccc; }
#atlas-story h1 { font-size: 19px; margin: 0 0 2px; }
#atlas-story .atlas-subtitle { color: #555; font-size: 13px; margin: 0 0 10px; }
#atlas-story h2 { font-size: 17px; margin: 10px 0 6px; }
.atlas-nav { display: flex; gap: 8px; align-items: center; margin: 6px 0; }
.atlas-nav button { font: inherit; padding: 4px 12px; border: 1px solid #888;
  border-radius: 4px; background: #f4f4f4; cursor: pointer; }
.atlas-nav button:disabled { opacity: .45; cursor: default; }
.atlas-count { color: #555; font-size: 13px; }
.atlas-step[hidden] { display: none; }
.atlas-steps { padding-left: 22px; margin: 6px 0; }
.atlas-steps button { font: inherit; background: none; border: 0; padding: 1px 0;
  text-align: left; color: #0b4f8a; cursor: pointer; }
.atlas-steps button[aria-current="step"] { font-weight: 700; color: #111; }
.atlas-step-sources { padding-left: 18px; font-size: 13px; }
.atlas-provenance { font-size: 12px; color: #555; border-top: 1px solid #ddd;
  margin-top: 12px; padding-top: 8px; overflow-wrap: anywhere; }
@media (max-width: 760px) {
  .folium-map { right: 0; bottom: 45vh; }
  #atlas-story { top: auto; height: 45vh; width: 100%; border-left: 0;
    border-top: 1px solid #ccc; }
}
"""


class StoryController(MacroElement):
    """The site's script: one step at a time, its groups on the map, the map flown there.

    ``steps`` is data (group variable names, bounds, the legend's escaped entries), put in
    as JavaScript literals.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var steps = {{ this.steps|tojavascript }};
  var layers = steps.map(function (s) { return s.groups.map(function (n) { return window[n]; }); });
  var sections = document.querySelectorAll(".atlas-step");
  var items = document.querySelectorAll(".atlas-steps button");
  var previous = document.getElementById("atlas-previous");
  var next = document.getElementById("atlas-next");
  var count = document.getElementById("atlas-count");
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var current = -1;
  function show(i, fly) {
    i = Math.max(0, Math.min(steps.length - 1, i));
    layers.forEach(function (group, j) {
      group.forEach(function (layer) {
        if (j === i) { if (!map.hasLayer(layer)) { map.addLayer(layer); } }
        else if (map.hasLayer(layer)) { map.removeLayer(layer); }
      });
    });
    sections.forEach(function (s, j) { s.hidden = j !== i; });
    items.forEach(function (b, j) {
      if (j === i) { b.setAttribute("aria-current", "step"); }
      else { b.removeAttribute("aria-current"); }
    });
    var legend = document.getElementById("atlas-legend-body");
    if (legend) { legend.innerHTML = steps[i].legend; }
    previous.disabled = i === 0;
    next.disabled = i === steps.length - 1;
    count.textContent = "Step " + (i + 1) + " of " + steps.length;
    current = i;
    var root = document.documentElement;
    root.removeAttribute("data-atlas-arrived");
    // once the map has arrived at the step (a test, or a screenshot, waits for it)
    map.once("moveend", function () {
      if (current === i) { root.setAttribute("data-atlas-arrived", String(i + 1)); }
    });
    if (fly && !still) { map.flyToBounds(steps[i].bounds, {duration: 0.8}); }
    else { map.fitBounds(steps[i].bounds, {animate: false}); }
    root.setAttribute("data-atlas-step", String(i + 1));
    if (history.replaceState) { history.replaceState(null, "", "#step-" + (i + 1)); }
  }
  previous.addEventListener("click", function () { show(current - 1, true); });
  next.addEventListener("click", function () { show(current + 1, true); });
  items.forEach(function (b, j) { b.addEventListener("click", function () { show(j, true); }); });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (/^(INPUT|TEXTAREA|SELECT)$/.test((e.target || {}).tagName || "")) { return; }
    var step = {ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1}[e.key];
    if (step) { show(current + step, true); e.preventDefault(); }
  });
  var asked = /^#step-(\\d+)$/.exec(location.hash);
  show(asked ? parseInt(asked[1], 10) - 1 : 0, false);
})();
{% endmacro %}
"""
    )

    def __init__(self, steps: list[dict]):
        super().__init__()
        self._name = "StoryController"
        self.steps = steps


def _panel_html(
    story: Story, steps_html: list[str], titles: list[str], provenance: dict[str, str]
) -> str:
    """The story's panel: heading, controls, every step (hidden but the current), provenance."""
    listed = "".join(f"<li><button type='button'>{esc(title)}</button></li>" for title in titles)
    facts = "".join(
        f"<div><b>{esc(label)}:</b> {esc(value)}</div>" for label, value in provenance.items()
    )
    return f"""
<aside id="atlas-story" aria-label="The story, step by step">
  <h1>{esc(story.title)}</h1>
  {f'<p class="atlas-subtitle">{esc(story.subtitle)}</p>' if story.subtitle else ""}
  <div class="atlas-nav">
    <button type="button" id="atlas-previous" aria-label="Previous step">&larr; Previous</button>
    <button type="button" id="atlas-next" aria-label="Next step">Next &rarr;</button>
    <span class="atlas-count" id="atlas-count"></span>
  </div>
  {"".join(steps_html)}
  <details><summary>All steps</summary><ol class="atlas-steps">{listed}</ol></details>
  <div class="atlas-provenance">{facts}</div>
</aside>"""


def _step_section(number: int, step, shown: Dataset, *, picture: bool) -> str:
    when = step.view.as_filters()
    window = " – ".join(format_day(d) for d in (when.start, when.end) if d is not None)
    picture_link = (
        f'<p style="font-size:12px"><a href="steps/step-{number:02d}.png">'
        "This step as a picture (PNG)</a></p>"
    )
    return f"""
<section class="atlas-step" id="step-{number}" hidden>
  <h2>{number}. {esc(step.title)}</h2>
  <div class="atlas-when">{esc(window)}</div>
  <div class="atlas-text">{markdown_html(step.text)}</div>
  <h3 style="font-size:14px;margin:10px 0 2px">Sources</h3>
  {sources_html(step_sources(step, shown))}
  {picture_link if picture else ""}
</section>"""


def site_html(
    story: Story,
    dataset: Dataset,
    *,
    story_text: str,
    tiles: str = "offline",
    pictures: bool = False,
) -> tuple[str, dict[str, str]]:
    """The site's ``index.html`` (everything inlined) and the provenance it states.

    ``story_text`` is the story file's text (its hash is the story's version);
    ``pictures``: each step links to its PNG (``steps/step-NN.png``).

    Raises
    ------
    FileNotFoundError
        When the offline map assets are not installed (``make install``).
    """
    basemap = load_basemap()
    attribution = attribution_text(basemap)
    palette = Palette.for_dataset(dataset)
    shown = [step_data(step, dataset) for step in story.steps]
    bounds = [step_bounds(step, data) for step, data in zip(story.steps, shown, strict=True)]
    m = build_base_map(
        basemap_geojson(basemap),
        bounds=bounds[0],
        palette=palette,
        tiles=tiles,
        attribution=attribution,
        asset_base_url=STATIC_DIR.as_uri(),
        fold_legend_below_px=1000,
    )
    data = []
    for step, step_shown, step_box in zip(story.steps, shown, bounds, strict=True):
        groups = step_groups(step, step_shown, palette=palette)
        for group in groups:
            group.add_to(m)
        data.append(
            {
                "groups": [group.get_name() for group in groups],
                "bounds": step_box,
                "legend": legend_html(palette, shown=step_shown, layers=step.view.layers),
            }
        )
    StoryController(data).add_to(m)
    provenance = {
        "Story": f"{story.title} (story file {story_hash(story_text)})",
        "Data": f"{dataset.name or dataset.source} (version {dataset.content_hash()})",
        "Basemap": attribution,
        "Made with": f"{software()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
    }
    root = m.get_root()
    root.header.add_child(
        Element(
            '<meta http-equiv="Content-Security-Policy" '
            f'content="{esc(content_security_policy(tiles))}">'
        ),
        name="atlas_csp",
        index=0,
    )
    root.header.add_child(
        Element('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        name="atlas_viewport",
    )
    root.header.add_child(Element(f"<style>{_SITE_CSS}</style>"), name="atlas_site_css")
    sections = [
        _step_section(n, step, data, picture=pictures)
        for n, (step, data) in enumerate(zip(story.steps, shown, strict=True), start=1)
    ]
    root.html.add_child(
        Element(_panel_html(story, sections, [s.title for s in story.steps], provenance)),
        name="atlas_story_panel",
    )
    root.title = esc(story.title)  # folium writes the title into <title> as it is
    return inline_assets(map_html(m)), provenance


def embed_snippet(url: str, title: str) -> str:
    """The ``<iframe>`` a newsroom's CMS takes (``url``: where ``index.html`` is served)."""
    src = url if url.endswith(".html") else url.rstrip("/") + "/index.html"
    return (
        f'<iframe src="{esc(src)}" title="{esc(title)}" width="100%" height="640" '
        'style="border:0" loading="lazy" allowfullscreen></iframe>'
    )


def _write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def step_picture_request(
    story: Story, dataset: Dataset, number: int, *, tiles: str = "offline"
) -> SnapshotRequest:
    """What step ``number``'s PNG draws: its view, extent, highlights and notes."""
    step = story.step(number)
    shown = step_data(step, dataset)
    return SnapshotRequest(
        dataset=dataset,
        filters=step.view.as_filters(),
        bounds=step_bounds(step, shown),
        layers=tuple(name for name in MAP_LAYERS.names() if name in step.view.layers),
        tiles=tiles,
        link=f"index.html#step-{number}",
        title=f"{story.title} · {number}. {step.title}",
        width=STEP_PICTURE_SIZE[0],
        height=STEP_PICTURE_SIZE[1],
        highlight=step.highlight,
        annotations=step.annotations,
    )


def step_pictures(
    story: Story, dataset: Dataset, out: Path, *, tiles: str = "offline"
) -> list[Path]:
    """Each step as a PNG with its provenance (``dashboard.snapshot.render_png``)."""
    basemap = load_basemap()
    basemap_json, attribution = basemap_geojson(basemap), attribution_text(basemap)
    frames = []
    with renderer() as using:
        for number in range(1, len(story.steps) + 1):
            request = step_picture_request(story, dataset, number, tiles=tiles)
            png = render_png(request, basemap_json, attribution=attribution, using=using)
            frame = out / f"step-{number:02d}.png"
            with atomic_path(frame) as tmp:
                tmp.write_bytes(png)
            frames.append(frame)
    return frames


def publish_site(
    story: Story,
    dataset: Dataset,
    out: str | Path,
    *,
    story_text: str,
    url: str = PLACEHOLDER_URL,
    tiles: str = "offline",
    pictures: bool = True,
) -> Published:
    """Write the static site into ``out`` (created if needed; each file written atomically).

    ``pictures``: also render each step's PNG and the moving pictures (needs Chromium).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    html, provenance = site_html(
        story, dataset, story_text=story_text, tiles=tiles, pictures=pictures
    )
    files = [_write_text(out / "index.html", html)]
    files.append(_write_text(out / "story.yaml", story_text))
    embed = embed_snippet(url, story.title)
    files.append(_write_text(out / "embed.html", embed + "\n"))
    files.append(
        _write_text(
            out / "provenance.json",
            json.dumps(
                {**provenance, "steps": len(story.steps), "story_id": story.id},
                ensure_ascii=False,
                indent=2,
            ),
        )
    )
    if pictures:
        frames = step_pictures(story, dataset, out / "steps", tiles=tiles)
        files.extend(frames)
        for suffix, writer in MOTION_WRITERS.items():
            files.append(writer(frames, out / f"steps{suffix}"))
    return Published(out, tuple(files), embed)


def publish_zip(story: Story, dataset: Dataset, *, story_text: str, pictures: bool = True) -> bytes:
    """The published site as a zip (the app's download), its files under ``site/``."""
    with tempfile.TemporaryDirectory(prefix="atlas-publish-") as folder:
        site = Path(folder) / "site"
        published = publish_site(story, dataset, site, story_text=story_text, pictures=pictures)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in published.files:
                archive.write(path, path.relative_to(Path(folder)).as_posix())
        shutil.rmtree(site, ignore_errors=True)
    return buffer.getvalue()


def run_publish(
    dataset: Dataset,
    story_path: Path | None,
    out: Path,
    *,
    url: str = PLACEHOLDER_URL,
    tiles: str = "offline",
    pictures: bool = True,
) -> Published:
    """``atlas publish``: read the story (the bundled one by default), check it, write the site.

    Raises
    ------
    geo.narrative.StoryError
        When the story file is invalid, or names events the dataset does not have.
    """
    from geo.narrative import StoryError, check_story, parse_story
    from geo.story import story_file

    path = story_path or story_file()
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError) as error:
        raise StoryError(str(path), "cannot be read as UTF-8 text") from error
    story = parse_story(text, source=str(path), layers=MAP_LAYERS.names())
    problems = check_story(story, dataset, source=str(path))
    if problems:
        raise StoryError(str(path), "; ".join(p.removeprefix(f"{path}, ") for p in problems))
    return publish_site(
        story, dataset, out, story_text=text, url=url, tiles=tiles, pictures=pictures
    )
