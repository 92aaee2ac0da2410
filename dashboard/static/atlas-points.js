/* conflict-atlas: every event as a point drawn on the GPU (WebGL), up to a million.
 *
 * The page gives compact columns, not a feature per event: each event's longitude and
 * latitude (float32) and one byte, its type's index in the palette with the top bit set
 * for a doubtful status (disputed, rescheduled, planned).  In the app they are fetched
 * from the server as binary (the page holds only their URL); an exported map holds them
 * as base64.  The positions are
 * projected to Web Mercator once, here, into one vertex buffer; each frame is then a single
 * draw call whatever the zoom.  Doubtful events are drawn last, hollow (white inside a ring
 * of their type's colour), as the canvas markers draw them.
 *
 * A click finds the nearest point on screen (a scan of the typed arrays: a few ms at 1M) and
 * opens its popup: asked of the dashboard's server by the event's index (the page ships no
 * popups), or taken from the page where an exported map carries them.
 *
 * Where the browser has no WebGL, the same points are drawn on a plain 2D canvas, more
 * slowly, and a notice over the map says so.  Leaflet's own canvas markers (one object per
 * event) would not survive a million.
 *
 * add(group, payload) puts the layer in a Leaflet layer group: it comes and goes with it.
 * Inlined into every map page by dashboard/maps/points.py.
 *
 * We wrote this rather than use leaflet.glify: measured in headless Chromium on this
 * machine, glify took 5.0 s and 411 MB of JavaScript heap to take 1M points (0.57 s at
 * 100k), as it builds objects per point; this takes the typed arrays as they come.
 */
(function () {
  "use strict";
  if (window.atlasPoints) { return; }
  var DOUBTFUL = 128;
  var HIT_SLOP_PX = 3;  // a click this far outside a point still takes it

  function bytesOf(text) {
    var raw = atob(text || ""), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function rgbOf(hex) {
    var m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(hex || "");
    return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [119, 119, 119];
  }

  /* A point's diameter in CSS pixels at a zoom: small when the map holds a country. */
  function diameterAt(zoom) {
    return Math.max(3, Math.min(10, zoom - 1.5));
  }

  var VERTEX = [
    "attribute vec2 a_position;",
    "attribute vec4 a_colour;",
    "uniform vec2 u_origin;",
    "uniform float u_scale;",
    "uniform vec2 u_size;",
    "uniform float u_diameter;",
    "varying vec4 v_colour;",
    "void main() {",
    "  vec2 p = a_position * u_scale - u_origin;",
    "  gl_Position = vec4(2.0 * p.x / u_size.x - 1.0, 1.0 - 2.0 * p.y / u_size.y, 0.0, 1.0);",
    "  gl_PointSize = u_diameter;",
    "  v_colour = a_colour;",
    "}"
  ].join("\n");
  // a_colour's alpha carries the hollow flag (0: solid, 1: hollow); u_edge is the dark
  // outline's share of a solid point's radius (a hollow one's ring is at least half)
  var FRAGMENT = [
    "precision mediump float;",
    "uniform float u_edge;",
    "varying vec4 v_colour;",
    "void main() {",
    "  vec2 c = 2.0 * gl_PointCoord - 1.0;",
    "  float r = length(c);",
    "  if (r > 1.0) { discard; }",
    "  bool hollow = v_colour.a > 0.5;",
    "  bool edge = r > 1.0 - (hollow ? max(u_edge, 0.5) : u_edge);",
    "  vec3 fill = hollow ? vec3(1.0) : v_colour.rgb;",
    "  vec3 line = hollow ? v_colour.rgb : vec3(0.133);",
    "  float alpha = 0.9;",
    "  gl_FragColor = vec4((edge ? line : fill) * alpha, alpha);",
    "}"
  ].join("\n");

  function shader(gl, kind, source) {
    var s = gl.createShader(kind);
    gl.shaderSource(s, source);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) {
      throw new Error("atlas-points shader: " + gl.getShaderInfoLog(s));
    }
    return s;
  }

  function program(gl) {
    var p = gl.createProgram();
    gl.attachShader(p, shader(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(p, shader(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) {
      throw new Error("atlas-points program: " + gl.getProgramInfoLog(p));
    }
    return p;
  }

  var PointsLayer = L.Layer.extend({
    /* ``body``: the columns as one buffer (N float32 longitudes, N latitudes, N bytes). */
    initialize: function (payload, body) {
      var n = Math.floor(body.byteLength / 9);
      var lon = new Float32Array(body, 0, n);
      var lat = new Float32Array(body, 4 * n, n);
      var kind = new Uint8Array(body, 8 * n, n);
      var colours = (payload.colours || []).map(rgbOf);
      var grey = rgbOf(payload.grey);
      // world pixels at zoom 0, less the data's centre: small numbers keep float32 exact
      // to a fraction of a pixel at the deepest zoom
      var x = new Float64Array(n), y = new Float64Array(n), cx = 0, cy = 0, i;
      for (i = 0; i < n; i++) {
        var sin = Math.sin(Math.max(-85.0511, Math.min(85.0511, lat[i])) * Math.PI / 180);
        x[i] = 256 * (lon[i] + 180) / 360;
        y[i] = 256 * (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI));
        cx += x[i]; cy += y[i];
      }
      cx = n ? cx / n : 0; cy = n ? cy / n : 0;
      // solid points first, doubtful ones after: drawn later, they stay on top
      var order = new Uint32Array(n), v = 0;
      for (i = 0; i < n; i++) { if (!(kind[i] & DOUBTFUL)) { order[v++] = i; } }
      for (i = 0; i < n; i++) { if (kind[i] & DOUBTFUL) { order[v++] = i; } }
      var position = new Float32Array(2 * n), colour = new Uint8Array(4 * n);
      for (v = 0; v < n; v++) {
        i = order[v];
        position[2 * v] = x[i] - cx;
        position[2 * v + 1] = y[i] - cy;
        var k = kind[i] & 127, rgb = k < colours.length ? colours[k] : grey;
        colour[4 * v] = rgb[0]; colour[4 * v + 1] = rgb[1]; colour[4 * v + 2] = rgb[2];
        colour[4 * v + 3] = (kind[i] & DOUBTFUL) ? 255 : 0;
      }
      this.count = n;
      this.mode = null;
      this._lon = lon; this._lat = lat; this._kind = kind;
      this._order = order; this._position = position; this._colour = colour;
      this._centre = [cx, cy];
      this._types = payload.types || [];
      this._popupOptions = payload.popup || {};  // the server sends the markers' options
      this._popups = payload.popups || null;
      this._url = payload.details || null;
      this._frame = null;
    },

    onAdd: function (map) {
      var canvas = this._canvas = L.DomUtil.create("canvas", "atlas-points leaflet-zoom-hide");
      canvas.style.pointerEvents = "none";
      map.getPane("overlayPane").appendChild(canvas);
      var gl = null;
      try {
        gl = canvas.getContext("webgl", { preserveDrawingBuffer: true, antialias: false });
      } catch (e) { gl = null; }
      if (gl && this._setUp(gl)) {
        this.mode = "webgl";
      } else {
        this._gl = null;
        this._2d = canvas.getContext("2d");
        this.mode = "canvas";
        this._notice = L.DomUtil.create("div", "atlas-notice atlas-points-notice",
          map.getContainer());
        this._notice.textContent = "This browser has no WebGL: the " +
          this.count.toLocaleString("en") + " events are drawn on a plain canvas, more slowly.";
      }
      map._atlasPoints = this;
      map.on("move zoomend viewreset resize", this._schedule, this);
      map.on("click", this._click, this);
      this._draw();
    },

    onRemove: function (map) {
      map.off("move zoomend viewreset resize", this._schedule, this);
      map.off("click", this._click, this);
      if (this._frame) { L.Util.cancelAnimFrame(this._frame); this._frame = null; }
      if (this._gl) {
        var lose = this._gl.getExtension("WEBGL_lose_context");
        if (lose) { lose.loseContext(); }  // frees the GPU's copy at once, not at GC
        this._gl = null;
      }
      if (this._notice) { L.DomUtil.remove(this._notice); this._notice = null; }
      L.DomUtil.remove(this._canvas);
      if (map._atlasPoints === this) { delete map._atlasPoints; }
    },

    _setUp: function (gl) {
      try {
        var p = program(gl);
        gl.useProgram(p);
        this._gl = gl;
        this._uniforms = {};
        ["u_origin", "u_scale", "u_size", "u_diameter", "u_edge"].forEach(function (name) {
          this._uniforms[name] = gl.getUniformLocation(p, name);
        }, this);
        var buffer = gl.createBuffer(), at = gl.getAttribLocation(p, "a_position");
        gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
        gl.bufferData(gl.ARRAY_BUFFER, this._position, gl.STATIC_DRAW);
        gl.enableVertexAttribArray(at);
        gl.vertexAttribPointer(at, 2, gl.FLOAT, false, 0, 0);
        buffer = gl.createBuffer();
        at = gl.getAttribLocation(p, "a_colour");
        gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
        gl.bufferData(gl.ARRAY_BUFFER, this._colour, gl.STATIC_DRAW);
        gl.enableVertexAttribArray(at);
        gl.vertexAttribPointer(at, 4, gl.UNSIGNED_BYTE, true, 0, 0);
        gl.enable(gl.BLEND);
        gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
        return true;
      } catch (e) {
        if (window.console) { window.console.warn(e); }
        return false;
      }
    },

    _schedule: function () {
      if (!this._frame) {
        this._frame = L.Util.requestAnimFrame(function () {
          this._frame = null;
          this._draw();
        }, this);
      }
    },

    /* Where the canvas's top-left corner is, in world pixels at this zoom less the centre. */
    _view: function () {
      var map = this._map, size = map.getSize(), zoom = map.getZoom();
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      var world = topLeft.add(map.getPixelOrigin()), scale = Math.pow(2, zoom);
      return {
        size: size, zoom: zoom, scale: scale, topLeft: topLeft,
        origin: [world.x - this._centre[0] * scale, world.y - this._centre[1] * scale],
        diameter: diameterAt(zoom)
      };
    },

    _draw: function () {
      if (!this._map) { return; }
      var view = this._view(), canvas = this._canvas, ratio = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(canvas, view.topLeft);
      var width = Math.round(view.size.x * ratio), height = Math.round(view.size.y * ratio);
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width; canvas.height = height;
        canvas.style.width = view.size.x + "px"; canvas.style.height = view.size.y + "px";
      }
      if (this._gl) {
        var gl = this._gl, u = this._uniforms;
        gl.viewport(0, 0, width, height);
        gl.clearColor(0, 0, 0, 0);
        gl.clear(gl.COLOR_BUFFER_BIT);
        gl.uniform2f(u.u_origin, view.origin[0], view.origin[1]);
        gl.uniform1f(u.u_scale, view.scale);
        gl.uniform2f(u.u_size, view.size.x, view.size.y);
        gl.uniform1f(u.u_diameter, view.diameter * ratio);
        // a dark outline only where a point is big enough to keep its colour inside it
        gl.uniform1f(u.u_edge, view.diameter >= 6 ? 1.2 / view.diameter : 0);
        gl.drawArrays(gl.POINTS, 0, this.count);
      } else {
        this._drawFlat(view, ratio);
      }
    },

    /* Without WebGL: the same points, in the same order, on a 2D canvas. */
    _drawFlat: function (view, ratio) {
      var ctx = this._2d, pos = this._position, col = this._colour, n = this.count;
      var d = view.diameter, half = d / 2, w = view.size.x, h = view.size.y;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      ctx.lineWidth = 1;
      for (var v = 0; v < n; v++) {
        var px = pos[2 * v] * view.scale - view.origin[0];
        var py = pos[2 * v + 1] * view.scale - view.origin[1];
        if (px < -d || py < -d || px > w + d || py > h + d) { continue; }
        var rgb = "rgb(" + col[4 * v] + "," + col[4 * v + 1] + "," + col[4 * v + 2] + ")";
        if (col[4 * v + 3]) {
          ctx.fillStyle = "#fff";
          ctx.fillRect(px - half, py - half, d, d);
          ctx.strokeStyle = rgb;
          ctx.strokeRect(px - half + 0.5, py - half + 0.5, d - 1, d - 1);
        } else {
          ctx.fillStyle = rgb;
          ctx.fillRect(px - half, py - half, d, d);
        }
      }
    },

    /* The index (in the page's columns) of the point drawn nearest a container point, or -1. */
    nearest: function (point) {
      var view = this._view(), pos = this._position, n = this.count;
      var reach = view.diameter / 2 + HIT_SLOP_PX, best = reach * reach, found = -1;
      var tx = (point.x + view.origin[0]) / view.scale, ty = (point.y + view.origin[1]) / view.scale;
      var box = reach / view.scale;
      for (var v = 0; v < n; v++) {
        var dx = pos[2 * v] - tx;
        if (dx > box || dx < -box) { continue; }
        var dy = pos[2 * v + 1] - ty;
        if (dy > box || dy < -box) { continue; }
        var d2 = (dx * dx + dy * dy) * view.scale * view.scale;
        if (d2 <= best) { best = d2; found = v; }  // <=: the one drawn last is on top
      }
      return found < 0 ? -1 : this._order[found];
    },

    _click: function (e) {
      var index = this.nearest(e.containerPoint);
      if (index >= 0) { this.open(index); }
    },

    /* Opens the popup of the event at ``index`` in the page's columns. */
    open: function (index) {
      var content = document.createElement("div");
      content.setAttribute("data-event-index", String(index));
      var popup = L.popup(this._popupOptions)
        .setLatLng([this._lat[index], this._lon[index]]);
      if (this._popups) {
        content.innerHTML = this._popups[index];  // escaped HTML, made by the server
      } else if (this._url) {
        content.textContent = "Loading this event…";
        var url = this._url + (this._url.indexOf("?") < 0 ? "?" : "&") + "i=" + index;
        fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.text();
        }).then(function (html) {
          content.innerHTML = html;  // the server's popup: escaped HTML, as the markers'
          popup.update();
        }).catch(function () {
          content.textContent = "This event's details are no longer held by the server " +
            "(it keeps the latest maps only): change a filter or reload the page, then " +
            "click again.";
          popup.update();
        });
      } else {
        var type = this._types[this._kind[index] & 127];
        content.textContent = (type || "Event") +
          ". This exported map carries no details for its many events: open the dashboard " +
          "for this event's date, actors and sources.";
      }
      popup.setContent(content).openOn(this._map);
      return popup;
    }
  });

  /* Draws the payload's points in ``group``: fetched from the server (``columns``, the
   * app's maps) or decoded from the page (``inline``, exported maps).  A fetch that comes
   * back after the group left the map (the filters changed again) draws nothing. */
  function add(group, payload) {
    if (!payload.columns) {
      var layer = new PointsLayer(payload, bytesOf(payload.inline).buffer);
      group.addLayer(layer);
      return layer;
    }
    return fetch(payload.columns, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error("atlas-points: " + response.status); }
      return response.arrayBuffer();
    }).then(function (body) {
      var layer = new PointsLayer(payload, body);
      if (group._map) { group.addLayer(layer); }
      return layer;
    }).catch(function (error) {
      if (window.console) { window.console.warn(error); }
      var map = group._map;
      if (map) {
        var box = L.DomUtil.create("div", "atlas-notice atlas-points-notice", map.getContainer());
        box.textContent = "The events could not be loaded from the dashboard: reload the page.";
        group.once("remove", function () { L.DomUtil.remove(box); });
      }
      return null;
    });
  }

  window.atlasPoints = { add: add, PointsLayer: PointsLayer, diameterAt: diameterAt };
})();
