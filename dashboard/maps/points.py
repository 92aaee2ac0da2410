"""Every event as a point on the GPU: compact columns for ``atlas-points.js``.

Above :data:`~dashboard.maps.drawing.MAX_MARKERS` events in view, the events layer no
longer draws a canvas marker (with its popup) per event: the browser gets three binary
columns, 9 bytes per event (not the 2.3 kB of a marker with its popup), and
``dashboard/static/atlas-points.js`` draws them with WebGL (a plain canvas where WebGL is
missing).  In the app the page holds only a URL: the browser fetches the columns from the
server (:mod:`dashboard.event_details`), as binary, outside Streamlit's messages, whose
frontend takes seconds per megabyte of a component's arguments (measured: 1.2 MB of
base64 points added 2.8 s before the map frame was even told to draw).  An exported map,
with no server, carries them as base64.  A click asks the server for that one event's
popup, or, in an export, reads it from the page when it holds few enough events.
"""

from __future__ import annotations

import base64
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from dashboard.assets import STATIC_DIR
from dashboard.maps.palette import Palette
from dashboard.maps.popups import EVENT_POPUP_OPTIONS
from dashboard.styles import GREY
from geo.schema import Column

SCRIPT = (STATIC_DIR / "atlas-points.js").read_text(encoding="utf-8")
#: An exported map (no server to ask) carries its points' popups up to this many events.
EMBEDDED_POPUPS = 2000
#: The top bit of a point's kind byte: a doubtful status (drawn hollow).
DOUBTFUL_BIT = 128
#: Event types beyond this many share the grey of an unknown type (the bits left over).
MAX_KINDS = 127


def point_columns(
    events: gpd.GeoDataFrame, palette: Palette, doubtful_statuses: set[str]
) -> tuple[bytes, dict[str, Any]]:
    """The columns ``atlas-points.js`` draws, as one binary body, and what reads them.

    ``events`` in EPSG:4326, with ``geometry`` points, ``event_type`` and ``status``.  The
    body is, for N events, N longitudes then N latitudes (float32, little-endian) then N
    kind bytes (the type's index in ``colours``, plus :data:`DOUBTFUL_BIT` for a status in
    ``doubtful_statuses``).  The dict: ``count``, ``colours`` and ``types`` (the
    palette's), ``grey`` (the colour of a type without one), ``popup`` (Leaflet's popup
    options, the markers').

    >>> import geopandas as gpd, shapely
    >>> frame = gpd.GeoDataFrame({"event_type": ["Battles"], "status": ["disputed"]},
    ...     geometry=[shapely.Point(37.1, 36.2)], crs=4326)
    >>> body, legend = point_columns(frame, Palette(event_types={"Battles": "#f00"}), {"disputed"})
    >>> len(body), body[-1], legend["count"]
    (9, 128, 1)
    """
    types = list(palette.event_types)[:MAX_KINDS]
    points = events.geometry
    lon = np.asarray(points.x, dtype="<f4")
    lat = np.asarray(points.y, dtype="<f4")
    # -1 for a type the palette has no colour for (grey, as on the markers)
    codes = pd.Index(types).get_indexer(events[Column.EVENT_TYPE].astype(object))
    kind = np.where(codes < 0, MAX_KINDS, codes).astype(np.uint8)
    kind |= np.where(events[Column.STATUS].isin(doubtful_statuses), DOUBTFUL_BIT, 0).astype(
        np.uint8
    )
    about = {
        "count": len(events),
        "popup": EVENT_POPUP_OPTIONS,
        "colours": [palette.event_types[name] for name in types],
        "types": types,
        "grey": GREY,
    }
    return lon.tobytes() + lat.tobytes() + kind.tobytes(), about


def inline_columns(body: bytes) -> str:
    """The body of :func:`point_columns` as base64, for a page that has no server to ask."""
    return base64.b64encode(body).decode("ascii")


class EventPoints(MacroElement):
    """The events as WebGL points, inside the events' layer group (see the module).

    ``payload`` is :func:`point_columns`' dict, with the columns themselves: ``columns``
    (the URL the browser fetches them from) or ``inline`` (:func:`inline_columns`); and
    the popups: ``details`` (the URL the browser asks for one event's, ``&i=N`` appended)
    or ``popups`` (each event's escaped popup HTML, in the columns' order).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
if (window.atlasPoints) {
  window.atlasPoints.add({{ this._parent.get_name() }}, {{ this.payload|tojson }});
}
{% endmacro %}
"""
    )

    def __init__(self, payload: dict[str, Any]):
        super().__init__()
        self._name = "EventPoints"
        self.payload = payload


class PointsScript(MacroElement):
    """``atlas-points.js``, inlined once into the base map, before any data layer."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
{{ this.code }}
{% endmacro %}
"""
    )

    def __init__(self):
        super().__init__()
        self._name = "PointsScript"
        self.code = SCRIPT


def add_points(group: folium.FeatureGroup, payload: dict[str, Any]) -> folium.FeatureGroup:
    """Put the points of ``payload`` (see :class:`EventPoints`) into ``group``."""
    EventPoints(payload).add_to(group)
    return group
