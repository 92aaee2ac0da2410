"""The page around the map, laid out as a newsroom locator map.

Top to bottom: the headline and a one-line dek (the dates), then the map with the legend
and a locator inset beside it (under it on a portrait page), never over it; then the
credit line ("Sources: ...; Basemap: ...; Map: conflict-atlas") and, when asked, the full
provenance in small print.  The map keeps a metric scale bar; Leaflet's attribution control
(its prefix, logo and flag) is removed, its credit being in the credit line.

Every text here is escaped for HTML where it lands; the map's script is a class template
that receives data only as variables.
"""

from __future__ import annotations

import json
import math

import shapely
from branca.element import MacroElement
from folium.template import Template
from shapely.geometry import box, shape

from dashboard.maps import esc
from dashboard.maps.palette import LAND, SEA

#: The legend column's width beside the map, in CSS pixels.
SIDE_PX = 250
#: The locator inset's size in CSS pixels (it fills the legend column's width).
LOCATOR_PX = (SIDE_PX, 180)
#: The inset shows this many times the main extent across, and at least this many degrees.
LOCATOR_ZOOM_OUT = 6
LOCATOR_MIN_DEGREES = 14.0
#: A main extent wider than this (degrees of longitude) is its own locator: no inset.
LOCATOR_MAX_DEGREES = 60.0
#: The main extent's outline on the inset.
LOCATOR_MARK = "#c62828"

PAGE_CSS = f"""
html, body {{ height: 100%; margin: 0; background: #fff; }}
/* html body: folium's own stylesheet sets the body's padding and width after ours */
html body {{ box-sizing: border-box; width: 100%; padding: 14px 18px 10px; display: grid;
  grid-template-columns: minmax(0, 1fr) {SIDE_PX}px;
  grid-template-rows: auto minmax(0, 1fr) auto auto;
  grid-template-areas: "head head" "map side" "credit credit" "prov prov";
  column-gap: 16px; font: 14px/1.35 system-ui, "DejaVu Sans", sans-serif; color: #222; }}
.atlas-head {{ grid-area: head; margin: 0 0 8px; }}
.atlas-headline {{ font-size: 26px; line-height: 1.15; font-weight: 700; margin: 0; }}
/* one line where the page has room; wrapped, never cut, where it has not (the as-of day
   is what tells a series' frames apart) */
.atlas-dek {{ font-size: 15px; color: #444; margin: 3px 0 0; }}
.folium-map {{ grid-area: map; position: relative !important; width: auto !important;
  height: auto !important; min-height: 0; min-width: 0; border: 1px solid #bbb; }}
.atlas-side {{ grid-area: side; min-height: 0; overflow: hidden; display: flex;
  flex-direction: column; gap: 12px; }}
.atlas-side .atlas-legend {{ position: static; max-width: none; max-height: none;
  overflow: visible; box-shadow: none; background: none; padding: 0; border-radius: 0;
  font-size: 13px; }}
.atlas-side .atlas-legend summary {{ display: none; }}
.atlas-side .atlas-legend h4 {{ font-size: 13px; margin: 8px 0 3px; }}
.atlas-side .atlas-legend h4:first-child {{ margin-top: 0; }}
.atlas-locator {{ margin-top: auto; }}
.atlas-locator-frame {{ border: 1px solid #bbb; line-height: 0; }}
.atlas-locator svg {{ display: block; width: 100%; height: auto; }}
.atlas-locator-note {{ font-size: 11px; color: #555; margin-top: 2px; }}
.atlas-credit {{ grid-area: credit; font-size: 12px; color: #444; margin-top: 8px;
  padding-top: 5px; border-top: 1px solid #ddd; overflow-wrap: anywhere; }}
.atlas-provenance {{ grid-area: prov; font-size: 10px; line-height: 1.3; color: #666;
  margin-top: 3px; overflow-wrap: anywhere; }}
.leaflet-control-scale-line {{ font-size: 12px; }}
@media (max-aspect-ratio: 1/1) {{
  html body {{ grid-template-columns: minmax(0, 1fr);
    grid-template-rows: auto minmax(0, 1fr) auto auto auto;
    grid-template-areas: "head" "map" "side" "credit" "prov"; }}
  .atlas-side {{ flex-direction: row; margin-top: 10px; max-height: 30vh; }}
  .atlas-side .atlas-legend {{ flex: 1 1 auto; columns: 2; }}
  .atlas-locator {{ margin-top: 0; flex: 0 0 {LOCATOR_PX[0]}px; }}
}}
"""
#: Static exports (PNG, SVG, PDF, video) show no controls but the scale bar.
STATIC_CSS = """
.leaflet-control-zoom, .leaflet-control-layers, .leaflet-control-fullscreen { display: none; }
"""


def header_html(facts: dict[str, str]) -> str:
    """The headline (the title) and the one-line dek, escaped."""
    return (
        '<header class="atlas-head" id="atlas-head">'
        f'<h1 class="atlas-headline" id="atlas-headline">{esc(facts["title"])}</h1>'
        f'<p class="atlas-dek" id="atlas-dek">{esc(facts["dek"])}</p></header>'
    )


def side_html(locator: str) -> str:
    """The column beside the map: the legend is moved in by the page's script; the inset."""
    inset = (
        f'<div class="atlas-locator" id="atlas-locator">'
        f'<div class="atlas-locator-frame">{locator}</div>'
        '<div class="atlas-locator-note">The red box is the area of the map.</div></div>'
        if locator
        else ""
    )
    return f'<aside class="atlas-side" id="atlas-side">{inset}</aside>'


def credit_html(credit: str) -> str:
    """The credit line under the map (plain text, escaped here)."""
    return f'<footer class="atlas-credit" id="atlas-credit">{esc(credit)}</footer>'


class SnapshotLayout(MacroElement):
    """Puts the legend beside the map, a metric scale bar on it, and the attribution away.

    Added to the map last, so that it runs once the legend's entries are in.  The legend is
    replaced by a copy, without the handlers that fold it over the map in the app.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var side = document.getElementById("atlas-side");
  var legend = document.getElementById("atlas-legend");
  if (legend && side) {
    var copy = legend.cloneNode(true);
    copy.open = true;
    side.insertBefore(copy, side.firstChild);
    legend.parentNode.removeChild(legend);
  }
  if (map.attributionControl) { map.attributionControl.remove(); }
  L.control.scale({metric: true, imperial: false, maxWidth: 160, position: "bottomleft"})
    .addTo(map);
})();
{% endmacro %}
"""
    )

    def __init__(self):
        super().__init__()
        self._name = "SnapshotLayout"


def _mercator(lat: float) -> float:
    """Web Mercator's y in degrees of longitude at the equator (the inset's projection)."""
    lat = max(-85.05, min(85.05, lat))
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def _unmercator(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(math.radians(y))) - math.pi / 2)


def locator_svg(
    basemap_json: str, bounds: list[list[float]], size: tuple[int, int] = LOCATOR_PX
) -> str:
    """A small overview map as inline SVG: the basemap's outlines around the main extent.

    ``basemap_json``: the basemap's GeoJSON text (WGS 84; features with a ``kind``,
    ``country`` or another), as :func:`dashboard.maps.basemap_geojson` writes it.
    ``bounds``: the main map's ``[[south, west], [north, east]]``, outlined in red.
    Web Mercator, like the map.  Empty when the extent is too wide to need locating, or the
    basemap is a URL rather than GeoJSON text.
    """
    (south, west), (north, east) = bounds
    if east - west > LOCATOR_MAX_DEGREES or basemap_json.lstrip()[:1] != "{":
        return ""
    width, height = size
    span_x = min(360.0, max(LOCATOR_ZOOM_OUT * (east - west), LOCATOR_MIN_DEGREES))
    span_y = span_x * height / width
    cx = (west + east) / 2
    cy = (_mercator(south) + _mercator(north)) / 2
    left, top = cx - span_x / 2, cy + span_y / 2

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return ((lon - left) / span_x * width, (top - _mercator(lat)) / span_y * height)

    frame = box(
        left, _unmercator(cy - span_y / 2), left + span_x, _unmercator(cy + span_y / 2)
    ).buffer(0.5, join_style="mitre")
    countries, regions = [], []
    for feature in json.loads(basemap_json).get("features", []):
        geometry = feature.get("geometry")
        if not geometry:
            continue
        clipped = shape(geometry).intersection(frame)
        if clipped.is_empty:
            continue
        d = _path(clipped, xy)
        if d:
            kind = (feature.get("properties") or {}).get("kind")
            (countries if kind == "country" else regions).append(d)
    x0, y0 = xy(west, north)
    x1, y1 = xy(east, south)
    # an extent a few pixels across is drawn as a small square, so that it shows
    mark_w, mark_h = max(x1 - x0, 6.0), max(y1 - y0, 6.0)
    mark_x, mark_y = (x0 + x1 - mark_w) / 2, (y0 + y1 - mark_h) / 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="atlas-locator-map" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="Where the map lies">'
        f'<rect width="{width}" height="{height}" fill="{SEA}"/>'
        + "".join(
            f'<path d="{d}" fill="{LAND}" stroke="#8a8a8a" stroke-width="0.6" fill-rule="evenodd"/>'
            for d in countries
        )
        + "".join(
            f'<path d="{d}" fill="none" stroke="#c4c4c4" stroke-width="0.4"/>' for d in regions
        )
        + f'<rect x="{mark_x:.1f}" y="{mark_y:.1f}" width="{mark_w:.1f}" height="{mark_h:.1f}" '
        f'fill="none" stroke="{LOCATOR_MARK}" stroke-width="2"/>'
        "</svg>"
    )


def _path(geometry, xy) -> str:
    """SVG path data for the polygons (and lines) of a shapely geometry, in inset pixels."""
    parts = []
    for part in shapely.get_parts(geometry):
        rings = [part.exterior, *part.interiors] if part.geom_type == "Polygon" else [part]
        for ring in rings:
            coords = list(ring.coords)
            if len(coords) < 2:
                continue
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(*c[:2]) for c in coords))
            parts.append(f"M{points}{'Z' if part.geom_type == 'Polygon' else ''}")
    return "".join(parts)
