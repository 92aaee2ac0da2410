"""The events layer: canvas markers one by one, WebGL points when many, or counts per cell.

Up to :data:`MAX_MARKERS` events in view are drawn one by one, as one GeoJSON layer of
canvas circle markers whose popups and tooltips the browser binds (no clustering: every
marker stays clickable).  More are drawn as WebGL points, every filtered event
(:mod:`dashboard.maps.points`: compact columns, popups asked of the server on a click),
or, when the user chooses counts, counted per cell (:mod:`geo.grid` counts them: round
degree squares or H3 hexagons) and drawn as canvas polygons.  The layer's legend entries
are here too.
"""

from __future__ import annotations

import math
from typing import Any

import branca.colormap
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from dashboard.maps.drawing import MAX_MARKERS, Aggregation, DrawContext, Drawn, MapLayer
from dashboard.maps.legend import swatch
from dashboard.maps.notices import OffViewNotice
from dashboard.maps.palette import Palette
from dashboard.maps.points import EMBEDDED_POPUPS, add_points, inline_columns, point_columns
from dashboard.maps.popups import BIND_CELL, BIND_EVENT, esc, event_popup_html, uncertainty_km
from dashboard.styles import GREY
from geo.dataset import Dataset
from geo.filters import format_day
from geo.grid import (
    HEXAGONS,
    HexagonIndex,
    cell_size,
    cell_words,
    count_per_cell,
    count_per_hexagon,
    extent,
    hexagon_resolution,
    hexagon_ring,
    in_bounds,
)
from geo.schema import Column, Layer

LABEL = "Events"
#: Precisions coarse enough that the point alone would mislead: draw their circle.
COARSE_PRECISIONS = {"near", "region", "area", "country"}
DOUBTFUL_STATUSES = {"disputed", "rescheduled", "planned"}
#: A halo of uncertainty wider than this share of the map's smaller side is not drawn:
#: at that size it tells nothing of where the event was and hides the map (one around
#: Idlib filled the corridor view).  The event's popup and the legend say so.
RING_SHARE = 0.2
#: The halo: a faint fill of the event's colour and a hairline, quieter than the events.
RING_STYLE = {"weight": 0.5, "opacity": 0.3, "fillOpacity": 0.05}
#: Set in the ``attrs`` of the events a layer drew as WebGL points, which have no halos:
#: the legend then leaves the halo's entry out.
DRAWN_AS_POINTS = "atlas_drawn_as_points"


def event_layer(events: gpd.GeoDataFrame, palette: Palette) -> folium.FeatureGroup:
    """Events as canvas circle markers coloured by type, with uncertainty circles.

    Disputed, rescheduled and planned events have a dashed outline; estimated or coarse
    positions get a faint halo of their uncertainty, not drawn while it is wider than
    :data:`RING_SHARE` of the view (:class:`RingLimit`; the popup says so).  Each set is
    one GeoJSON layer whose markers, popups and tooltips the browser makes: building 800
    events takes milliseconds.
    """
    group = folium.FeatureGroup(name=LABEL, show=True)
    if events.empty:
        return group
    points, rings = [], []
    outlines = palette.datasets
    for _, event in events.iterrows():
        point = event.geometry
        colour = palette.event_types.get(event[Column.EVENT_TYPE], GREY)
        doubtful = event[Column.STATUS] in DOUBTFUL_STATUSES
        position = [point.x, point.y]
        popup = marker_popup(event)
        if _uncertain(event):
            rings.append(
                _point_feature(
                    position,
                    {
                        "colour": colour,
                        "radius": uncertainty_km(event) * 1000,
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
                    "popup": popup,
                    "tooltip": _event_tooltip(event, doubtful),
                },
            )
        )
    if rings:
        halos = folium.GeoJson(
            {"type": "FeatureCollection", "features": rings},
            marker=folium.Circle(radius=1000, fill=True, interactive=False),
            style_function=lambda f: {
                "radius": f["properties"]["radius"],
                "color": f["properties"]["colour"],
                "fillColor": f["properties"]["colour"],
                **RING_STYLE,
                "className": "atlas-uncertainty",
                "interactive": False,
            },
            control=False,
            name="event-uncertainty",
        )
        RingLimit(RING_SHARE).add_to(halos)
        halos.add_to(group)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": points},
        marker=folium.CircleMarker(radius=7, fill=True),
        style_function=_event_style,
        on_each_feature=BIND_EVENT,
        control=False,
        name="events",
    ).add_to(group)
    return group


def _uncertain(event: pd.Series) -> bool:
    return bool(event[Column.ESTIMATE]) or event[Column.LOCATION_PRECISION] in COARSE_PRECISIONS


def marker_popup(event: pd.Series) -> str:
    """One event's popup as its marker (or WebGL point) shows it: escaped HTML.

    An uncertain position adds :func:`ring_note`, before the id line that ends every event
    popup (a click is traced by it).
    """
    popup = event_popup_html(event)
    if not _uncertain(event):
        return popup
    head, marker, tail = popup.rpartition("<div class='atlas-id'>")
    note = ring_note(uncertainty_km(event))
    return f"{head}{note}{marker}{tail}" if marker else popup + note


def ring_note(radius_km: float) -> str:
    """The popup's line on an uncertain position and its halo (escaped HTML).

    >>> "a fifth" in ring_note(25)
    True
    """
    return (
        f"<div class='atlas-note'>Position uncertain: within about {radius_km:g} km "
        "(the faint halo). The halo is not drawn while it is wider than a fifth of the "
        "view: zoom out to see it.</div>"
    )


class RingLimit(MacroElement):
    """Hides a layer's halos while they are wider than ``share`` of the view, at every zoom.

    The parent is a GeoJSON layer of circles; the script is ``atlasLabels.limitRings`` in
    ``dashboard/static/atlas-labels.js``.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
if (window.atlasLabels) {
  window.atlasLabels.limitRings({{ this._parent.get_name() }}, {{ this.share|tojson }},
    {{ this.style|tojson }});
}
{% endmacro %}
"""
    )

    def __init__(self, share: float, *, style: dict | None = None):
        super().__init__()
        self._name = "RingLimit"
        self.share = float(share)
        self.style = RING_STYLE if style is None else style


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


def _count_colour(share: float) -> str:
    """The colour of a count cell, ``share`` of the way from few (0) to many (1)."""
    return branca.colormap.linear.YlOrRd_09(0.15 + 0.85 * share)[:7]


#: The counts' colour ramp (light to dark on a log scale), in 32 steps: a cell's colour is
#: looked up, not computed, for each of thousands of cells on every rerun.
_CELL_COLOURS = [_count_colour(i / 31) for i in range(32)]


def _square_rings(cells: pd.DataFrame, size: float) -> list[list[list[float]]]:
    """Each counted square's outline, a closed ring of ``[longitude, latitude]``."""
    return [
        [
            [west, south],
            [west + size, south],
            [west + size, south + size],
            [west, south + size],
            [west, south],
        ]
        for west, south in zip(cells["west"].tolist(), cells["south"].tolist(), strict=True)
    ]


def aggregate_layer(
    events: gpd.GeoDataFrame,
    bounds: list[list[float]],
    shape: str,
    hexagons: HexagonIndex | None = None,
) -> tuple[folium.FeatureGroup, Aggregation]:
    """Events in view as counts per cell: canvas polygons, darker for more (log scale).

    ``events``: EPSG:4326 points with ``event_type``; ``shape``: one of
    :data:`geo.grid.CELL_SHAPES`, sized for ``bounds`` (Leaflet's).  A hexagon's tooltip
    also gives its H3 index, to find the same cell in another tool.  ``hexagons``: the
    table's :class:`~geo.grid.HexagonIndex`, if kept.
    """
    if shape == HEXAGONS:
        cells = count_per_hexagon(events, hexagon_resolution(bounds), hexagons)
        rings = [hexagon_ring(cell) for cell in cells["cell"].tolist()]
        labels = [f" (H3 {cell})" for cell in cells["cell"].tolist()]
    else:
        size = cell_size(bounds)
        cells = count_per_cell(events, size)
        rings = _square_rings(cells, size)
        labels = [""] * len(cells)
    group = folium.FeatureGroup(name=LABEL, show=True)
    top = math.log1p(float(cells["count"].max())) if len(cells) else 1.0
    shares = np.log1p(cells["count"].to_numpy(dtype=float)) / (top or 1.0)
    steps = np.rint(shares * (len(_CELL_COLOURS) - 1)).astype(int)
    features = [
        {
            "type": "Feature",
            "properties": {
                "count": int(count),
                "label": f"{count:,} event{'s' if count != 1 else ''}; most: {top_type}{label}",
                "colour": _CELL_COLOURS[step],
            },
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for ring, label, count, top_type, step in zip(
            rings,
            labels,
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
        on_each_feature=BIND_CELL,
        name="event-counts",
        control=False,
    ).add_to(group)
    return group, Aggregation(events=len(events), cells=len(cells), cell=cell_words(shape, bounds))


def points_layer(events: gpd.GeoDataFrame, context: DrawContext) -> folium.FeatureGroup:
    """Every event as a WebGL point (:mod:`dashboard.maps.points`), EPSG:4326 geometry.

    With ``context.details`` the browser fetches the points from the server and asks it
    for a clicked one's popup; without (an exported map), the page carries the points, and
    the popups of up to :data:`~dashboard.maps.points.EMBEDDED_POPUPS` events.
    """
    group = folium.FeatureGroup(name=LABEL, show=True)
    body, payload = point_columns(events, context.palette, DOUBTFUL_STATUSES)
    if context.details is not None:
        payload.update(context.details(events, body))
    else:
        payload["inline"] = inline_columns(body)
        if len(events) <= EMBEDDED_POPUPS:
            payload["popups"] = [marker_popup(event) for _, event in events.iterrows()]
    return add_points(group, payload)


def draw(data: Dataset, context: DrawContext) -> Drawn:
    """The filtered events: markers, or WebGL points, or counts per cell (see the module).

    Up to :data:`MAX_MARKERS` events in view are markers; beyond, every filtered event is a
    WebGL point (panning needs no new data), or, when ``context.count_in`` names a cell
    shape, the events in view are counted per cell of that shape.
    """
    events = data.events
    group, aggregation = None, Aggregation(events=len(events))
    if len(events) > MAX_MARKERS:
        # where and what is all counting needs: a narrow copy is cheap at a million rows
        located = events[[Column.EVENT_TYPE, events.geometry.name]]
        visible = in_bounds(located, context.view)
        if len(visible) > MAX_MARKERS and context.count_in:
            group, aggregation = aggregate_layer(
                visible, context.view or extent(visible), context.count_in, context.hexagons
            )
        elif len(visible) > MAX_MARKERS:
            group = points_layer(events, context)
            aggregation = Aggregation(events=len(events), points=len(events))
            events = events.copy(deep=False)  # a view: marked for the legend, not copied
            events.attrs[DRAWN_AS_POINTS] = True
        else:
            events = in_bounds(events, context.view)
            aggregation = Aggregation(events=len(events))
    if group is None:
        group = event_layer(events, context.palette)
        if context.narrowed:
            OffViewNotice().add_to(group)
    return Drawn(group, shown={Layer.EVENTS.value: events}, aggregation=aggregation)


def redrawn_for_view(
    events: gpd.GeoDataFrame, drawn: Aggregation, view: list[list[float]] | None
) -> bool:
    """Whether the events, drawn as ``drawn`` says, must be drawn again for a new ``view``.

    Counts per cell and markers belong to the view they were drawn for; WebGL points hold
    every filtered event, so a pan or zoom needs nothing new, until few enough are in view
    for markers (``events``: the filtered events, EPSG:4326).
    """
    if len(events) <= MAX_MARKERS:
        return False  # markers of every event, whatever the view
    if not drawn.points:
        return True
    return len(in_bounds(events[[events.geometry.name]], view)) <= MAX_MARKERS


def legend(palette: Palette, shown: Dataset | None, counts: bool) -> str:
    """Event types, doubtful statuses, uncertain positions, datasets; or the count ramp."""
    events = shown.events if shown is not None else None
    if events is not None and events.empty:
        return ""
    parts = []
    if counts:
        steps = "".join(
            f'<span class="sw" style="background:{_count_colour(i / 4)};margin:0"></span>'
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
                parts.append(swatch("sw dot", f"background:{colour}", esc(name)))
        if events is None or events[Column.STATUS].isin(DOUBTFUL_STATUSES).any():
            parts.append(swatch("sw dot dash", "", "disputed, rescheduled or planned"))
        if events is not None and events.attrs.get(DRAWN_AS_POINTS):
            pass  # points have no halo: their popups say how uncertain they are
        elif (
            events is None
            or (
                events[Column.ESTIMATE].astype(bool)
                | events[Column.LOCATION_PRECISION].isin(COARSE_PRECISIONS)
            ).any()
        ):
            parts.append(
                swatch(
                    "sw dot",
                    "background:rgba(119,119,119,0.18);border:1px solid rgba(119,119,119,0.4)",
                    "faint halo: position uncertain (not drawn when wider than a fifth "
                    "of the view)",
                )
            )
    if palette.datasets:
        present = None if events is None else set(events.get(Column.DATASET, []))
        outlines = {n: c for n, c in palette.datasets.items() if present is None or n in present}
        if len(palette.datasets) > 1 and outlines:  # several open: outlines tell apart
            parts.append("<h4>Datasets (marker outline)</h4>")
            for name, colour in outlines.items():
                parts.append(
                    swatch("sw dot", f"border:2px solid {colour};background:#fff", esc(name))
                )
    return "".join(parts)


LAYER = MapLayer(Layer.EVENTS, LABEL, draw, legend, draw_order=40, legend_order=10)
