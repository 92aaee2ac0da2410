"""The notices drawn over the map (class ``atlas-notice``), each with a button that helps.

:class:`OffViewNotice` rides with the events' layer group (most matches lie out of view);
:class:`TileFailureNotice` with the base map (its tiles cannot load).
"""

from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

from dashboard.maps.palette import outline_styles


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
        l.setStyle({{ this.filled_style|tojson }});
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
        # the offline basemap's country style, as JSON: the same as the outlines' own
        self.filled_style = outline_styles(filled=True)["country"]
