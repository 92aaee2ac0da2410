// The rendered snapshot page as SVG markup: the page's boxes as <rect>s and <line>s, its
// text as <text> (one element per line of words, at the place the browser laid it out),
// Leaflet's SVG panes (the map's layers) and inline SVGs (the locator) copied as vectors,
// with their computed styles written onto each shape; canvases (the WebGL points) as
// pictures.  Returns the inner markup; the
// caller wraps it in the <svg> root with the file's metadata.
() => {
  const out = [];
  let clips = 0;
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;")
    .replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const n = (v) => Math.round(v * 100) / 100;
  function colour(text) {
    const m = /rgba?\(([^)]+)\)/.exec(text || "");
    if (!m) { return null; }
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    const alpha = p.length > 3 ? p[3] : 1;
    return alpha > 0 ? {rgb: `rgb(${p[0]},${p[1]},${p[2]})`, alpha: alpha} : null;
  }
  function paintBox(el, cs, r) {
    const bg = colour(cs.backgroundColor);
    const radius = Math.min(parseFloat(cs.borderTopLeftRadius) || 0, r.width / 2, r.height / 2);
    const sides = ["Top", "Right", "Bottom", "Left"].map((s) => ({
      width: parseFloat(cs[`border${s}Width`]) || 0,
      style: cs[`border${s}Style`],
      colour: colour(cs[`border${s}Color`]),
    })).map((s) => (s.width > 0 && s.style !== "none" && s.colour ? s : null));
    const same = sides.every((s) => s && sides[0] && s.width === sides[0].width &&
      s.colour.rgb === sides[0].colour.rgb && s.style === sides[0].style);
    if (bg || same) {
      let a = `<rect x="${n(r.left)}" y="${n(r.top)}" width="${n(r.width)}" height="${n(r.height)}"`;
      if (radius) { a += ` rx="${n(radius)}"`; }
      a += bg ? ` fill="${bg.rgb}"${bg.alpha < 1 ? ` fill-opacity="${bg.alpha}"` : ""}` : ` fill="none"`;
      if (same) {
        const s = sides[0];
        a += ` stroke="${s.colour.rgb}" stroke-width="${s.width}"`;
        if (s.style === "dashed") { a += ` stroke-dasharray="${3 * s.width},${2 * s.width}"`; }
      }
      out.push(a + "/>");
    }
    if (!same) {
      const edges = [
        [r.left, r.top, r.right, r.top], [r.right, r.top, r.right, r.bottom],
        [r.left, r.bottom, r.right, r.bottom], [r.left, r.top, r.left, r.bottom],
      ];
      sides.forEach((s, i) => {
        if (!s) { return; }
        const [x1, y1, x2, y2] = edges[i];
        const h = s.width / 2 * (i === 0 || i === 3 ? 1 : -1);
        const dx = i % 2 ? h : 0, dy = i % 2 ? 0 : h;
        out.push(`<line x1="${n(x1 + dx)}" y1="${n(y1 + dy)}" x2="${n(x2 + dx)}" ` +
          `y2="${n(y2 + dy)}" stroke="${s.colour.rgb}" stroke-width="${s.width}"` +
          (s.style === "dashed" ? ` stroke-dasharray="${3 * s.width},${2 * s.width}"` : "") + "/>");
      });
    }
  }
  const SHAPE_STYLE = ["fill", "fill-opacity", "fill-rule", "stroke", "stroke-opacity",
    "stroke-width", "stroke-dasharray", "stroke-linecap", "stroke-linejoin", "opacity"];
  function paintSvg(svg) {
    const r = svg.getBoundingClientRect();
    if (!r.width || !r.height) { return; }
    const copy = svg.cloneNode(true);
    const shapes = svg.querySelectorAll("path, rect, circle, line, polyline, polygon, text");
    const copies = copy.querySelectorAll("path, rect, circle, line, polyline, polygon, text");
    shapes.forEach((shape, i) => {
      const cs = getComputedStyle(shape);
      const target = copies[i];
      if (cs.display === "none" || cs.visibility === "hidden") { target.remove(); return; }
      SHAPE_STYLE.forEach((p) => {
        const v = cs.getPropertyValue(p);
        if (v && v !== "none" || p === "fill" || p === "stroke") { target.setAttribute(p, v); }
      });
      target.removeAttribute("class");
      target.removeAttribute("pointer-events");
    });
    const box = svg.getAttribute("viewBox") || `0 0 ${r.width} ${r.height}`;
    const inner = Array.from(copy.childNodes)
      .map((c) => new XMLSerializer().serializeToString(c)).join("");
    out.push(`<svg x="${n(r.left)}" y="${n(r.top)}" width="${n(r.width)}" ` +
      `height="${n(r.height)}" viewBox="${esc(box)}" preserveAspectRatio="none" ` +
      `overflow="hidden">${inner}</svg>`);
  }
  function rotation(el) {
    const t = getComputedStyle(el).transform;
    const m = /matrix\(([^)]+)\)/.exec(t || "");
    if (!m) { return 0; }
    const [a, b] = m[1].split(",").map(Number);
    return Math.round(Math.atan2(b, a) * 180 / Math.PI * 100) / 100;
  }
  function paintText(node, cs) {
    const text = node.data;
    const words = [];
    const range = document.createRange();
    // words, and the parts of a word a line may break after (a dash, a slash)
    for (const m of text.matchAll(/[^\s\-–—\/]*[\-–—\/]|[^\s\-–—\/]+/g)) {
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = range.getClientRects();
      if (!rects.length) { continue; }
      words.push({start: m.index, end: m.index + m[0].length, rect: rects[0]});
    }
    if (!words.length) { return; }
    const fill = colour(cs.color) || {rgb: "rgb(0,0,0)", alpha: 1};
    const size = parseFloat(cs.fontSize);
    let attrs = `font-family="${esc(cs.fontFamily)}" font-size="${n(size)}" ` +
      `font-weight="${esc(cs.fontWeight)}" fill="${fill.rgb}"` +
      (fill.alpha < 1 ? ` fill-opacity="${fill.alpha}"` : "") +
      (cs.fontStyle === "italic" ? ` font-style="italic"` : "");
    // a white text-shadow (a label's halo) is a white stroke painted under the fill
    if (/rgb\(255, 255, 255\)/.test(cs.textShadow || "")) {
      attrs += ` stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"`;
    }
    const angle = rotation(node.parentElement);
    if (angle) {
      const r = node.parentElement.getBoundingClientRect();
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      out.push(`<text x="${n(cx)}" y="${n(cy + 0.35 * size)}" text-anchor="middle" ` +
        `transform="rotate(${angle} ${n(cx)} ${n(cy)})" ${attrs}>${esc(text.trim())}</text>`);
      return;
    }
    let line = [words[0]];
    const lines = [line];
    for (const w of words.slice(1)) {
      if (Math.abs(w.rect.top - line[0].rect.top) < size / 2) { line.push(w); }
      else { line = [w]; lines.push(line); }
    }
    const W = document.documentElement.clientWidth, H = document.documentElement.clientHeight;
    for (const l of lines) {
      const first = l[0].rect;
      if (first.right < 0 || first.bottom < 0 || first.left > W || first.top > H) { continue; }
      const words = text.slice(l[0].start, l[l.length - 1].end).replace(/\s+/g, " ");
      const y = first.top + first.height / 2 + 0.35 * size;
      out.push(`<text x="${n(first.left)}" y="${n(y)}" ${attrs}>${esc(words)}</text>`);
    }
  }
  // an element without a z-index of its own forms no stacking context: its children are
  // stacked with its siblings (Leaflet's controls, z-index 1000, lie in such a container)
  function zIndex(el, depth = 0) {
    const z = parseInt(getComputedStyle(el).zIndex, 10);
    if (!Number.isNaN(z)) { return z; }
    if (depth > 3) { return 0; }
    let most = 0;
    for (const c of el.children) { most = Math.max(most, zIndex(c, depth + 1)); }
    return most;
  }
  function paint(el) {
    const cs = getComputedStyle(el);
    if (cs.display === "none" || cs.visibility === "hidden" || parseFloat(cs.opacity) === 0) {
      return;
    }
    if (el instanceof SVGSVGElement) { paintSvg(el); return; }
    if (el.tagName === "SCRIPT" || el.tagName === "STYLE") { return; }
    const r = el.getBoundingClientRect();
    const opacity = parseFloat(cs.opacity);
    const clip = cs.overflow !== "visible" && r.width && r.height;
    let closing = 0;
    if (opacity < 1) { out.push(`<g opacity="${opacity}">`); closing++; }
    if (r.width && r.height) { paintBox(el, cs, r); }
    if (el.tagName === "IMG" && el.src) {
      out.push(`<image href="${esc(el.src)}" x="${n(r.left)}" y="${n(r.top)}" ` +
        `width="${n(r.width)}" height="${n(r.height)}" preserveAspectRatio="none"/>`);
    }
    if (el.tagName === "CANVAS" && el.width && el.height) {
      // the events as WebGL points: a picture in the SVG (a million circles would not
      // open in an editor); counts per cell stay vectors
      out.push(`<image href="${el.toDataURL("image/png")}" x="${n(r.left)}" y="${n(r.top)}" ` +
        `width="${n(r.width)}" height="${n(r.height)}" preserveAspectRatio="none"/>`);
    }
    if (clip) {
      const id = `atlas-clip-${++clips}`;
      out.push(`<clipPath id="${id}"><rect x="${n(r.left)}" y="${n(r.top)}" ` +
        `width="${n(r.width)}" height="${n(r.height)}"/></clipPath><g clip-path="url(#${id})">`);
      closing++;
    }
    const children = Array.from(el.childNodes).map((c, i) => ({c: c, i: i,
      z: c.nodeType === 1 ? zIndex(c) : 0}));
    children.sort((a, b) => a.z - b.z || a.i - b.i);
    for (const {c} of children) {
      if (c.nodeType === 3) { paintText(c, cs); }
      else if (c.nodeType === 1) { paint(c); }
    }
    out.push("</g>".repeat(closing));
  }
  paint(document.body);
  return out.join("\n");
}
