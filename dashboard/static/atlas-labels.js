/* conflict-atlas: labels that do not collide, and layers drawn only at the zooms they suit.
 *
 * Labels are permanent Leaflet tooltips with the class "atlas-label" whose content (or the
 * tooltip itself) carries data-priority: a smaller number is named first.  declutter(map)
 * shows every label, measures them all, then keeps them in order of priority (ties in the
 * order they were added to the map), hiding each one that would overlap a label already
 * kept or that is not wholly inside the map, or that a control over the map (the legend,
 * the zoom buttons, the scale, the credit) or a story step's note would cover.  Hidden
 * labels keep their place in the layout (visibility: hidden), so they are measured again at
 * the next zoom and return when there is room.  watch(map) runs it after every zoom, pan,
 * resize and layer change, once per frame at most; it also shows each legend entry only
 * from the zoom its layer is drawn at.  Inlined into every map page by
 * dashboard/maps/labels.py.
 */
(function () {
  "use strict";
  if (window.atlasLabels) { return; }
  var PAD = 2;  // px kept clear around every label

  function priorityOf(el) {
    var text = el.getAttribute("data-priority");
    if (text === null) {
      var inner = el.querySelector("[data-priority]");
      text = inner ? inner.getAttribute("data-priority") : null;
    }
    var value = parseFloat(text);
    return isNaN(value) ? 100 : value;
  }

  function overlaps(a, b) {
    return a.left < b.right + PAD && b.left < a.right + PAD &&
      a.top < b.bottom + PAD && b.top < a.bottom + PAD;
  }

  function inside(r, box) {
    return r.width > 0 && r.height > 0 && r.left >= box.left - 1 && r.right <= box.right + 1 &&
      r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  }

  /* Leaflet places a centred tooltip by its width when it opens; where the stylesheet came
   * later (st_folium loads it after the layers), that width was the whole map's.  Place
   * every label again, once, when the stylesheet holds (each update is a reflow). */
  function placeAgain(map) {
    labelTips(map).forEach(function (tip) { tip.update(); });
  }

  /* The map's open labels.  Not the page's: a label whose layer has just left the map (the
   * app redraws its layers on every rerun) stays in the page, faded out, for 200 ms, and
   * would be kept in place of its own new copy. */
  function labelTips(map) {
    var tips = [];
    map.eachLayer(function (layer) {
      var tip = layer.getTooltip && layer.getTooltip();
      if (tip && tip._container && tip._map && tip.options.permanent &&
          /(^|\s)atlas-label(\s|$)/.test(tip.options.className || "")) {
        tips.push(tip);
      }
    });
    return tips;
  }

  /* A story step's notes (class "atlas-annotation") are always shown.  Each starts at its
   * point and runs right and down; near the map's right or bottom edge it is turned to the
   * other side of its point.  Their boxes are returned: labels give way to them. */
  function placeNotes(container, box) {
    var boxes = [];
    container.querySelectorAll(".atlas-annotation").forEach(function (note) {
      note.classList.remove("atlas-flip-x", "atlas-flip-y");
      var r = note.getBoundingClientRect();
      if (r.right > box.right - 4 && r.left - r.width > box.left) {
        note.classList.add("atlas-flip-x");
      }
      if (r.bottom > box.bottom - 24 && r.top - r.height > box.top) {
        note.classList.add("atlas-flip-y");
      }
      r = note.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) { boxes.push(r); }
    });
    return boxes;
  }

  /* A legend entry says from which zoom what it keys is drawn (data-min-zoom): it is
   * shown from there on.  The page's, not the map's: a snapshot's legend sits beside it. */
  function keyByZoom(map) {
    var zoom = map.getZoom();
    document.querySelectorAll("[data-min-zoom]").forEach(function (entry) {
      entry.style.display = zoom < parseFloat(entry.getAttribute("data-min-zoom")) ? "none" : "";
    });
  }

  function declutter(map) {
    keyByZoom(map);
    var container = map.getContainer();
    var box = container.getBoundingClientRect();
    var nodes = labelTips(map).map(function (tip) { return tip._container; });
    var items = [];
    var i;
    if (nodes.length && getComputedStyle(nodes[0]).position !== "absolute") {
      // Leaflet's stylesheet is not in yet: nothing can be measured; try again shortly
      setTimeout(function () { declutter(map); }, 50);
      return -1;
    }
    if (!map._atlasLabelsPlaced) {  // once: a label opened later is placed right by Leaflet
      map._atlasLabelsPlaced = true;
      placeAgain(map);
    }
    for (i = 0; i < nodes.length; i++) {
      nodes[i].classList.remove("atlas-label-hidden");
    }
    for (i = 0; i < nodes.length; i++) {  // measured once all are back in the layout
      items.push({ el: nodes[i], order: i, priority: priorityOf(nodes[i]),
        rect: nodes[i].getBoundingClientRect() });
    }
    items.sort(function (a, b) { return a.priority - b.priority || a.order - b.order; });
    // a step's notes and the controls over the map (legend, zoom, scale, credit) are in
    // the way of any label
    var kept = placeNotes(container, box);
    var controls = container.querySelectorAll(".leaflet-control");
    for (i = 0; i < controls.length; i++) {
      var r = controls[i].getBoundingClientRect();
      if (r.width > 0 && r.height > 0) { kept.push(r); }
    }
    items.forEach(function (item) {
      var clear = inside(item.rect, box) && !kept.some(function (r) { return overlaps(item.rect, r); });
      if (clear) {
        kept.push(item.rect);
      } else {
        item.el.classList.add("atlas-label-hidden");
      }
    });
    return items.filter(function (item) {
      return !item.el.classList.contains("atlas-label-hidden");
    }).length;
  }

  function watch(map) {
    if (map._atlasLabelsWatched) { return; }
    map._atlasLabelsWatched = true;
    var pending = false;
    function soon() {
      if (pending) { return; }
      pending = true;
      requestAnimationFrame(function () { pending = false; declutter(map); });
    }
    map.on("zoomend moveend resize viewreset layeradd layerremove overlayadd overlayremove", soon);
    map.whenReady(soon);
  }

  /* Layers of a group drawn only between their zooms: each item is {layer, min, max}.
   * The items join the group while the map's zoom is within [min, max) and leave it
   * otherwise; the group may be added to and removed from the map (the layer control). */
  function zoomRange(group, items) {
    var map = null;
    function update() {
      if (!map) { return; }
      var zoom = map.getZoom();
      items.forEach(function (item) {
        var wanted = zoom >= item.min && zoom < item.max;
        if (wanted && !group.hasLayer(item.layer)) { group.addLayer(item.layer); }
        if (!wanted && group.hasLayer(item.layer)) { group.removeLayer(item.layer); }
      });
    }
    function attach() {
      if (map) { map.off("zoomend", update); }
      map = group._map || null;
      if (map) { map.on("zoomend", update); update(); }
    }
    group.on("add", attach);
    group.on("remove", function () { if (map) { map.off("zoomend", update); } map = null; });
    attach();
    return update;
  }

  /* Rings of uncertainty wider than `share` of the map's smaller side are not drawn: at
   * that size a ring says nothing about where the event was, and it covers the map.
   * rings: an L.GeoJSON of L.Circle layers whose feature has properties.radius (m). */
  function limitRings(rings, share, style) {
    var map = null;
    function update() {
      if (!map) { return; }
      var size = map.getSize();
      var limit = share * Math.min(size.x, size.y);
      var metresPerPixel = function (lat) {
        return 40075016.686 * Math.cos(lat * Math.PI / 180) / (256 * Math.pow(2, map.getZoom()));
      };
      rings.eachLayer(function (layer) {
        var diameter = 2 * layer.getRadius() / metresPerPixel(layer.getLatLng().lat);
        var hidden = diameter > limit;
        if (layer._atlasHidden !== hidden) {
          layer._atlasHidden = hidden;
          layer.setStyle(hidden ? { opacity: 0, fillOpacity: 0 } : style);
        }
      });
    }
    function attach() {
      if (map) { map.off("zoomend resize", update); }
      map = rings._map || null;
      if (map) { map.on("zoomend resize", update); update(); }
    }
    rings.on("add", attach);
    rings.on("remove", function () { if (map) { map.off("zoomend resize", update); } map = null; });
    attach();
    return update;
  }

  window.atlasLabels = { declutter: declutter, watch: watch, zoomRange: zoomRange,
    limitRings: limitRings };
})();
