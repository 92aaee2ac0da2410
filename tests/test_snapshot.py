"""Snapshots: PNGs that are what the map shows and say what they show; offline HTML; series."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dashboard.components.export import csv_bytes, geojson_bytes, gpkg_bytes
from dashboard.maps import LAND
from dashboard.snapshot import (
    SnapshotRequest,
    parse_series,
    read_metadata,
    render_png,
    snapshot_html,
)
from dashboard.styles import CONTROLLER_COLOURS, EVENT_TYPE_COLOURS
from dashboard.views import VIEWS
from geo.filters import Filters, filter_dataset
from geo.schema import DATASET_LAYERS, LAYER_SPECS, Layer
from geo.validation import normalise

pytestmark = pytest.mark.browser


#: The dataset's own layers: the zones are then drawn straight over the land, so their
#: colour in a PNG is known (the context and city layers tint the ground beneath them).
DATA_LAYERS = [str(layer) for layer in DATASET_LAYERS]


def _request(story, as_of="2016-12-15", **kw) -> SnapshotRequest:
    return SnapshotRequest(
        dataset=story,
        filters=Filters.make(start="2016-11-15", end="2016-12-22", as_of=as_of),
        bounds=VIEWS["aleppo"].bounds,
        link="http://127.0.0.1:8501/?view=aleppo",
        **{"layers": DATA_LAYERS, **kw},
    )


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _pixels_near(image: Image.Image, colour: np.ndarray, tolerance: float = 8) -> int:
    pixels = np.asarray(image.convert("RGB"), dtype=float)
    return int((np.abs(pixels - colour).max(axis=2) <= tolerance).sum())


def _zone_fill(controller: str) -> np.ndarray:
    """A zone's colour as drawn: 30 % of its colour over the land."""
    return 0.3 * _rgb(CONTROLLER_COLOURS[controller]) + 0.7 * _rgb(LAND)


def test_a_png_has_the_requested_size_and_density(story, basemap, browser_renderer):
    json_text, attribution = basemap
    png = render_png(
        _request(story, width=900, height=700, scale=2.0),
        json_text,
        attribution=attribution,
        using=browser_renderer,
    )
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (1800, 1400)


def test_a_png_shows_the_zones_where_they_are_and_the_legend(story, basemap, browser_renderer):
    json_text, attribution = basemap
    png = render_png(_request(story), json_text, attribution=attribution, using=browser_renderer)
    image = Image.open(io.BytesIO(png))
    assert image.size == (1600, 1000)
    colours = np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0)
    assert len(colours) > 200, "not a blank image"
    # the pocket is about 2.7 km² on 15 December (tests/test_zones_reported.py): a small
    # patch at this view, but drawn
    assert _pixels_near(image, _zone_fill("Syrian opposition")) > 500
    assert _pixels_near(image, _zone_fill("Syrian government")) > 20_000
    # the legend sits in the column right of the map: its opaque event-type dots are there
    legend = image.crop((1330, 0, 1600, 500))
    assert _pixels_near(legend, _rgb(EVENT_TYPE_COLOURS["Battles"]), 3) > 40
    assert _pixels_near(legend, _rgb(EVENT_TYPE_COLOURS["Strategic developments"]), 3) > 40


def test_two_as_of_days_show_visibly_different_enclaves(story, basemap, browser_renderer):
    json_text, attribution = basemap
    areas = {}
    for day in ("2016-11-20", "2016-12-14"):
        png = render_png(
            _request(story, as_of=day), json_text, attribution=attribution, using=browser_renderer
        )
        areas[day] = _pixels_near(Image.open(io.BytesIO(png)), _zone_fill("Syrian opposition"))
    assert areas["2016-11-20"] > 3 * areas["2016-12-14"] > 0


def test_the_png_metadata_holds_the_filter_state_and_the_link(story, basemap, browser_renderer):
    json_text, attribution = basemap
    request = _request(story, as_of="2016-12-16")
    meta = read_metadata(
        render_png(request, json_text, attribution=attribution, using=browser_renderer)
    )
    state = json.loads(meta["atlas:state"])
    assert (state["start"], state["end"], state["as_of"]) == (
        "2016-11-15",
        "2016-12-22",
        "2016-12-16",
    )
    assert state["bounds"] == VIEWS["aleppo"].bounds
    assert meta["atlas:link"] == "http://127.0.0.1:8501/?view=aleppo"
    assert "zones and routes as of 16 December 2016" in meta["Description"]
    assert story.content_hash() in meta["Source"]
    assert "Natural Earth" in meta["Copyright"]


def test_the_page_names_dates_sources_and_basemap_and_the_footer_the_version(story, basemap):
    json_text, attribution = basemap
    html = snapshot_html(_request(story), json_text, attribution=attribution)
    dek = html[html.index('id="atlas-dek"') :]
    assert dek.startswith(
        'id="atlas-dek">15 November – 22 December 2016 · zones and routes as of '
        "15 December 2016</p>"
    )
    credit = html[html.index('id="atlas-credit"') :]
    credit = credit[: credit.index("</footer>")]
    assert "Story source article" in credit and "Wikipedia" in credit
    assert "Natural Earth" in credit and "Map: conflict-atlas" in credit
    footer = snapshot_html(
        _request(story, provenance_footer=True), json_text, attribution=attribution
    )
    small = footer[footer.index('id="atlas-provenance"') :]
    assert story.content_hash() in small[: small.index("</div></div>")]


def _hostile(story):
    rows = story.events.iloc[:2].drop(columns="geometry").copy()
    rows["description"] = "<img src=x onerror=alert(1)>"
    rows["place_name"] = "<script>alert(2)</script>"
    rows["sources"] = json.dumps(
        [{"publisher": "<b onmouseover=alert(3)>Evil</b>", "url": "javascript:alert(4)"}]
    )
    return story.with_layers(events=normalise(rows, LAYER_SPECS[Layer.EVENTS])).renamed(
        "<svg onload=alert(5)>"
    )


def test_the_html_opens_offline_from_disk_shows_the_layers_and_runs_no_user_script(
    story, basemap, tmp_path, browser_renderer
):
    json_text, attribution = basemap
    hostile = _hostile(story)
    request = SnapshotRequest(dataset=hostile, filters=Filters(), bounds=VIEWS["aleppo"].bounds)
    path = tmp_path / "snapshot.html"
    path.write_text(snapshot_html(request, json_text, attribution=attribution))
    context = browser_renderer.browser.new_context()
    requests, dialogs, errors = [], [], []
    context.route(
        "**/*",
        lambda route: (
            requests.append(route.request.url),
            route.continue_() if route.request.url.startswith("file:") else route.abort(),
        ),
    )
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector("html[data-atlas-ready]", state="attached")
    counts = page.evaluate(
        "() => { const m = Object.values(window).find(v => v instanceof L.Map); let e = 0,"
        " z = 0; m.eachLayer(l => { if (l.options.className === 'atlas-event') e++;"
        " if (l.options.className === 'atlas-zone') z++; }); return [e, z]; }"
    )
    page.locator("#atlas-headline").wait_for()
    caption = page.locator("#atlas-headline").inner_text()
    context.close()
    assert counts == [2, len(story.zones)]
    assert [u for u in requests if not u.startswith("file:")] == [], "nothing from the network"
    assert dialogs == [] and errors == []
    assert "<svg onload=alert(5)>" in caption, "the hostile title shows as text"


@pytest.mark.parametrize("layers", [("events", "zones", "routes", "places"), ("zones",)])
def test_the_data_exports_round_trip_through_geopandas(story, tmp_path, layers):
    data = filter_dataset(
        story, Filters.make(start="2016-12-13", end="2016-12-22", as_of="2016-12-16")
    )
    collection = json.loads(geojson_bytes(data, layers))
    assert {f["properties"]["layer"] for f in collection["features"]} == set(layers)
    (tmp_path / "x.geojson").write_bytes(geojson_bytes(data, layers))
    frame = gpd.read_file(tmp_path / "x.geojson")
    assert len(frame) == sum(len(data.layer(layer)) for layer in layers)
    (tmp_path / "x.gpkg").write_bytes(gpkg_bytes(data))
    assert len(gpd.read_file(tmp_path / "x.gpkg", layer="events")) == len(data.events)
    assert len(gpd.read_file(tmp_path / "x.gpkg", layer="zones")) == len(data.zones)
    events = pd.read_csv(io.BytesIO(csv_bytes(data)))
    assert list(events["id"]) == list(data.events["id"])


def atlas(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the atlas command line in its own process (it starts its own browser)."""
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=300,
    )


def test_a_series_writes_one_frame_per_day_and_a_gif_of_them(tmp_path):
    out = tmp_path / "frames"
    done = atlas(
        "snapshot",
        "--view",
        "aleppo",
        "--start",
        "2016-11-15",
        "--end",
        "2016-12-22",
        "--as-of",
        "2016-12-13:2016-12-22",
        "--width",
        "640",
        "--height",
        "480",
        "--out",
        f"{out}/",
        "--gif",
        str(tmp_path / "evacuation.gif"),
    )
    assert done.returncode == 0, done.stderr
    frames = sorted(out.glob("frame-*.png"))
    assert [f.name[11:21] for f in frames] == [f"2016-12-{d}" for d in range(13, 23)]
    assert json.loads(read_metadata(frames[3])["atlas:state"])["as_of"] == "2016-12-16"
    with Image.open(tmp_path / "evacuation.gif") as gif:
        assert gif.n_frames == 10
        assert gif.size == (640, 480)


def test_snapshot_writes_png_and_html_from_the_command_line(tmp_path):
    done = atlas(
        "snapshot",
        "--view",
        "border",
        "--width",
        "800",
        "--height",
        "600",
        "--out",
        str(tmp_path / "border.png"),
    )
    assert done.returncode == 0, done.stderr
    meta = read_metadata(tmp_path / "border.png")
    assert json.loads(meta["atlas:state"])["bounds"] == VIEWS["border"].bounds
    assert "view=border" in meta["atlas:link"]
    done = atlas(
        "snapshot",
        "--view",
        "corridor",
        "--as-of",
        "2016-12-16",
        "--out",
        str(tmp_path / "corridor.html"),
    )
    assert done.returncode == 0, done.stderr
    assert "leaflet" in (tmp_path / "corridor.html").read_text().lower()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as-of", "2016-12-22:2016-12-13", "--out", "x/"], "ends (2016-12-13) before it starts"),
        (["--as-of", "2016-12-13:2016-12-22:0", "--out", "x/"], "step must be at least 1 day"),
        (["--as-of", "2016-12-13:2016-12-14", "--out", "x.png"], "a series is written to a folder"),
        (["--out", "x.jpg"], "a snapshot is a .png, .html, .svg or .pdf file"),
    ],
)
def test_snapshot_refuses_bad_arguments(tmp_path, argv, message):
    argv = [str(tmp_path / a) if a.startswith("x") else a for a in argv]
    done = atlas("snapshot", *argv)
    assert done.returncode == 2
    assert message in done.stderr


def test_without_a_browser_the_error_says_how_to_get_one(tmp_path):
    done = atlas(
        "snapshot",
        "--out",
        str(tmp_path / "x.png"),
        env={"ATLAS_CHROMIUM": str(tmp_path / "no-such-chromium")},
    )
    assert done.returncode == 2
    assert "playwright install chromium" in done.stderr
    assert not (tmp_path / "x.png").exists()


def test_parse_series_steps_through_the_days():
    assert parse_series("2016-12-13:2016-12-22:3") == [
        dt.date(2016, 12, 13),
        dt.date(2016, 12, 16),
        dt.date(2016, 12, 19),
        dt.date(2016, 12, 22),
    ]


def test_with_a_tile_basemap_the_png_waits_for_tiles_but_not_forever(
    story, basemap, browser_renderer
):
    """Offline, the tiles never come: the PNG is still made (after the tile wait)."""
    json_text, attribution = basemap
    request = _request(story, width=400, height=300, tiles="osm")
    html = snapshot_html(request, json_text, attribution=attribution, interactive=False)
    assert "tile.openstreetmap.org" in html and "TileLayer" in html
    png = render_png(request, json_text, attribution=attribution, using=browser_renderer)
    assert Image.open(io.BytesIO(png)).size == (400, 300)
