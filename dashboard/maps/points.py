"""Every event as a point on the GPU: compact columns for ``atlas-points.js``.

Above :data:`~dashboard.maps.drawing.MAX_MARKERS` events in view, the events layer no
longer draws a canvas marker (with its popup) per event: it sends the browser three
columns, base64 in the page, and ``dashboard/static/atlas-points.js`` draws them with WebGL
(a plain canvas where WebGL is missing).  Per event that is 9 bytes (12 as base64), not the
2.3 kB of a marker with its popup.  A click asks the dashboard's server for that one
event's popup (:mod:`dashboard.event_details`), or, in an exported map that has no server,
reads it from the page when the export holds few enough events to carry them.
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
) -> dict[str, Any]:
    """The columns ``atlas-points.js`` draws: positions and one kind byte per event.

    ``events`` in EPSG:4326, with ``geometry`` points, ``event_type`` and ``status``.
    Returns ``lon`` and ``lat`` (float32, base64), ``kind`` (uint8, base64: the type's index
    in ``colours``, plus :data:`DOUBTFUL_BIT` for a status in ``doubtful_statuses``),
    ``colours`` and ``types`` (the palette's), ``grey`` (an unknown type's) and ``count``.

    >>> import geopandas as gpd, shapely
    >>> frame = gpd.GeoDataFrame({"event_type": ["Battles"], "status": ["disputed"]},
    ...     geometry=[shapely.Point(37.1, 36.2)], crs=4326)
    >>> cols = point_columns(frame, Palette(event_types={"Battles": "#ff0000"}), {"disputed"})
    >>> cols["count"], list(base64.b64decode(cols["kind"]))
    (1, [128])
    """
    types = list(palette.event_types)[:MAX_KINDS]
    points = events.geometry
    lon = np.asarray(points.x, dtype=np.float32)
    lat = np.asarray(points.y, dtype=np.float32)
    # -1 for a type the palette has no colour for (grey, as on the markers)
    codes = pd.Index(types).get_indexer(events[Column.EVENT_TYPE].astype(object))
    kind = np.where(codes < 0, MAX_KINDS, codes).astype(np.uint8)
    kind |= np.where(events[Column.STATUS].isin(doubtful_statuses), DOUBTFUL_BIT, 0).astype(
        np.uint8
    )
    return {
        "count": len(events),
        "lon": _b64(lon),
        "lat": _b64(lat),
        "kind": _b64(kind),
        "colours": [palette.event_types[name] for name in types],
        "types": types,
        "grey": GREY,
    }


def _b64(array: np.ndarray) -> str:
    # little-endian, as every browser's typed arrays read it
    return base64.b64encode(array.astype(array.dtype.newbyteorder("<")).tobytes()).decode()


class EventPoints(MacroElement):
    """The events as WebGL points, inside the events' layer group (see the module).

    ``payload`` is :func:`point_columns`' dict, with ``details`` (the URL the browser asks
    for one event's popup, ``&i=N`` appended) or ``popups`` (each event's escaped popup
    HTML, in the columns' order).
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
