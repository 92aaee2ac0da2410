"""Wide extents: a PNG of a world-wide table shows every event, as the HTML does."""

from __future__ import annotations

import colorsys
import io
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from dashboard.maps import attribution_text, basemap_geojson
from dashboard.snapshot import READY_ATTRIBUTE, SnapshotRequest, renderer, snapshot_html
from dashboard.views import fit_bounds
from geo.filters import Filters
from geo.io import read_dataset
from geo.schema import Column
from geo.story import load_basemap


def _world_wide(story, count: int = 3_000):
    """Events from Alaska to New Zealand, citing many publishers with long names (as GED)."""
    rng = np.random.default_rng(13)
    lon = np.r_[-165.0, 178.0, rng.uniform(-160, 175, count - 2)].round(4)
    lat = np.r_[64.0, -46.0, rng.uniform(-50, 70, count - 2)].round(4)
    one = story.events.iloc[[0]]
    events = one.loc[one.index.repeat(count)].reset_index(drop=True)
    events[Column.ID] = [f"event-{i}" for i in range(count)]
    events[Column.LONGITUDE], events[Column.LATITUDE] = lon, lat
    long_name = "Agence de presse locale numéro {} " + "(dépêche reprise par plusieurs titres) " * 8
    events[Column.SOURCES] = pd.array(
        [json.dumps([{"publisher": long_name.format(i % 700)}]) for i in range(count)],
        dtype="string",
    )
    events = events.set_geometry(gpd.GeoSeries(shapely.points(lon, lat), crs=4326))
    empty = {name: story.layer(name).iloc[:0] for name in ("zones", "routes", "places")}
    return story.with_layers(events=events, **empty)


def test_fit_bounds_stay_on_the_one_world_leaflet_draws(story):
    events = gpd.GeoDataFrame(geometry=shapely.points([-179.9, 179.9], [-89, 89]), crs=4326)
    (south, west), (north, east) = fit_bounds(events)
    assert (west, east) == (-180, 180)
    assert south > -85.06 and north < 85.06, "Web Mercator ends at 85.05°"


@pytest.mark.browser
def test_a_png_of_a_world_wide_table_shows_every_event(story):
    dataset = _world_wide(story)
    bounds = fit_bounds(dataset.events)
    basemap = load_basemap()
    request = SnapshotRequest(
        dataset=dataset, filters=Filters.make(), bounds=bounds, layers=("events",)
    )
    html = snapshot_html(
        request, basemap_geojson(basemap), attribution=attribution_text(basemap), interactive=False
    )
    name = re.search(r"var (map_[0-9a-f]+) = L\.map", html).group(1)
    with renderer() as using:
        using.render(html, width=request.width, height=request.height)
        page = using._page(request.width, request.height, request.scale)
        assert page.evaluate(f"document.documentElement.hasAttribute('{READY_ATTRIBUTE}')")
        view = page.evaluate(
            f"""(() => {{
              const b = {name}.getBounds();
              return {{south: b.getSouth(), west: b.getWest(), north: b.getNorth(),
                       east: b.getEast(), height: {name}.getSize().y}};
            }})()"""
        )
    assert view["height"] >= request.height / 2, "the caption leaves the map most of the page"
    lon, lat = dataset.events[Column.LONGITUDE], dataset.events[Column.LATITUDE]
    assert view["west"] <= lon.min() and lon.max() <= view["east"], view
    assert view["south"] <= lat.min() and lat.max() <= view["north"], view
    # and not a view of the whole world many times over
    assert view["east"] - view["west"] < 540, view


#: Real UCDP candidate GED rows from four continents, Mexico to Afghanistan (CC BY 4.0;
#: see its .source.md).
REAL_WORLD = Path(__file__).parent / "data" / "real" / "ged_candidate_world_sample.csv"
ARTIFACTS = Path(__file__).parent / "artifacts" / "wide"
#: Every event marker's centre in page pixels, and the map's box on the page.
DRAWN = """(name) => { const map = window[name]; const box = map.getContainer().getBoundingClientRect();
  const points = []; map.eachLayer(l => { if (l.options && l.options.className === 'atlas-event') {
    const p = map.latLngToContainerPoint(l.getLatLng());
    points.push({x: p.x + box.left, y: p.y + box.top}); } });
  return {points, box: {left: box.left, top: box.top, width: box.width, height: box.height}}; }"""


def _saturation(rgb: tuple[int, ...]) -> float:
    return colorsys.rgb_to_hsv(*(c / 255 for c in rgb[:3]))[1]


@pytest.mark.browser
def test_a_png_of_a_real_world_wide_ged_table_draws_every_event_across_its_extent():
    dataset, report = read_dataset(REAL_WORLD)
    events = dataset.events
    assert report.layers[0].layout == "UCDP GED" and len(events) == 20
    assert events[Column.LONGITUDE].max() - events[Column.LONGITUDE].min() > 160
    request = SnapshotRequest(
        dataset=dataset,
        filters=Filters.make(),
        bounds=fit_bounds(events),
        layers=("events",),
        title="UCDP candidate GED, January–June 2026",
        provenance_footer=True,  # the small print counts what the map holds
    )
    basemap = load_basemap()
    html = snapshot_html(
        request, basemap_geojson(basemap), attribution=attribution_text(basemap), interactive=False
    )
    name = re.search(r"var (map_[0-9a-f]+) = L\.map", html).group(1)
    with renderer() as using:
        png = using.render(html, width=request.width, height=request.height)
        page = using._page(request.width, request.height, request.scale)
        drawn = page.evaluate(DRAWN, name)
        caption = page.inner_text("body")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "ged-candidate-world.png").write_bytes(png)
    # the caption counts what the map holds, and the map draws every one of them in view
    assert "20 events" in caption
    points, box = drawn["points"], drawn["box"]
    assert len(points) == len(events)
    inside = [
        box["left"] <= p["x"] <= box["left"] + box["width"]
        and box["top"] <= p["y"] <= box["top"] + box["height"]
        for p in points
    ]
    assert all(inside), drawn
    # fitted, not lost in a whole world drawn small: Mexico to Afghanistan spans the map
    xs = [p["x"] for p in points]
    assert max(xs) - min(xs) >= 0.6 * box["width"], drawn
    # and the PNG itself shows a coloured marker at each event, not the grey basemap
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = image.width / request.width
    for p in points:
        x, y = round(p["x"] * scale), round(p["y"] * scale)
        around = [image.getpixel((x + dx, y + dy)) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        assert max(map(_saturation, around)) > 0.3, (p, around)
