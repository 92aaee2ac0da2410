"""What a snapshot says about itself: the dek, the credit line, and the full provenance.

The reader sees a headline, a one-line dek (the dates) and, under the map, a credit line
(the most cited publishers, the basemap, "Map: conflict-atlas").  The full provenance (the
filters in plain English, what is shown, the dataset's version, the whole attribution, the
link back) goes into the file's metadata: PNG iTXt chunks, HTML ``<meta>``, SVG
``<metadata>``, the PDF's document information; and, when asked, a small-print footer.
Every function here returns plain text or escaped HTML; nothing is template source.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

from dashboard.maps import MAP_LAYERS, MAX_MARKERS, esc
from dashboard.maps.base import TILES, map_credit
from dashboard.maps.legend import short_attribution
from dashboard.snapshot.request import SnapshotRequest, software
from geo.dataset import Dataset
from geo.filters import (
    FILTER_FIELDS,
    DateWindow,
    describe_filters,
    filters_to_text,
    format_day,
)
from geo.grid import cell_words, in_bounds
from geo.parsing import decode_json_list
from geo.schema import DATASET_LAYERS, Column, Layer

#: How many publishers the credit line names, the most cited first; the rest are counted.
#: A line listing them all (a GED table cites thousands) would push the map off the page.
SOURCES_IN_CAPTION = 8
#: The longest publisher name the credit line shows whole (some tables put a citation there).
PUBLISHER_CHARACTERS = 80


def cited_sources(shown: Dataset, layers: Sequence[str]) -> Counter[str]:
    """How often each publisher is cited by the features shown (events, zones, routes)."""
    counts: Counter[str] = Counter()
    for layer in (Layer.EVENTS, Layer.ZONES, Layer.ROUTES):
        if str(layer) not in layers:
            continue
        for cell in shown.layer(layer)[Column.SOURCES]:
            for source in decode_json_list(cell):
                counts[str(source.get("publisher", "")).strip()] += 1
    counts.pop("", None)
    return counts


def _window(request: SnapshotRequest) -> str:
    filters = request.filters
    if filters.start is None and filters.end is None:
        return "all dates"
    return " – ".join(format_day(d) for d in (filters.start, filters.end) if d is not None)


def _credited_attribution(request: SnapshotRequest, attribution: str) -> str:
    """The map's credits (``map_credit``), after a tile provider's own when tiles are drawn."""
    tiles = TILES.get(request.tiles)
    return "; ".join(part for part in (tiles[1] if tiles else "", map_credit(attribution)) if part)


def provenance(request: SnapshotRequest, shown: Dataset, attribution: str) -> dict[str, str]:
    """The snapshot's provenance as plain text fields (the page, the footer, the metadata).

    ``shown`` is the filtered dataset; ``attribution`` the basemap's full credit.
    """
    filters = request.filters
    as_of = filters.effective_as_of
    # the tables' rows shown, in the map's order (a layer drawing no table of its own: none)
    shown_layers = [
        name for name in MAP_LAYERS.names() if name in request.layers and name in DATASET_LAYERS
    ]
    counts = ", ".join(f"{len(shown.layer(layer))} {layer}" for layer in shown_layers)
    if Layer.EVENTS in shown_layers and len(shown.events) > MAX_MARKERS:
        visible = in_bounds(shown.events, request.bounds)
        if len(visible) > MAX_MARKERS and request.count_in:
            cell = cell_words(request.count_in, request.bounds)
            counts += f" (events counted per {cell}: {len(visible):,} in view)"
        elif len(visible) > MAX_MARKERS:
            counts += " (events drawn as points)"
    window = _window(request)
    as_of_text = format_day(as_of) if as_of is not None else "every date"
    # one short line for readers: the window, the day, then any other filter on events
    others = [f.describe() for f in filters.event_filters() if not isinstance(f, DateWindow)]
    dek = f"{compact_window(filters.start, filters.end)} · zones and routes as of {as_of_text}"
    if others:
        dek += " · events " + ", ".join(others)
    return {
        "title": request.title or request.dataset.name or "conflict-atlas snapshot",
        "dek": dek,
        "window": window,
        "as_of": as_of_text,
        "filters": describe_filters(filters),
        "shown": counts or "no layers",
        "dataset": f"{request.dataset.name or request.dataset.source} "
        f"(version {request.dataset.content_hash()})",
        "attribution": _credited_attribution(request, attribution),
        "link": request.link,
        "made_at": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
    }


def compact_window(start, end) -> str:
    """The date window as a dek says it, each month and year once.

    >>> import pandas as pd
    >>> compact_window(pd.Timestamp("2016-11-15"), pd.Timestamp("2016-12-22"))
    '15 November – 22 December 2016'
    >>> compact_window(pd.Timestamp("2016-12-13"), pd.Timestamp("2016-12-22"))
    '13–22 December 2016'
    >>> compact_window(None, None)
    'All dates'
    """
    if start is None and end is None:
        return "All dates"
    if start is None:
        return f"Up to {format_day(end)}"
    if end is None:
        return f"From {format_day(start)}"
    if start == end:
        return format_day(start)
    if start.year != end.year:
        return f"{format_day(start)} – {format_day(end)}"
    if start.month != end.month:
        return f"{start.day} {start:%B} – {format_day(end)}"
    return f"{start.day}–{format_day(end)}"


def _shortened(name: str) -> str:
    if len(name) <= PUBLISHER_CHARACTERS:
        return name
    return name[: PUBLISHER_CHARACTERS - 1].rstrip() + "…"


def sources_text(sources: Counter[str]) -> str:
    """The :data:`SOURCES_IN_CAPTION` most cited publishers, and how many more (plain text).

    >>> sources_text(Counter({"Reuters": 3, "AFP": 1}))
    'Reuters, AFP'
    """
    listed = [_shortened(name) for name, _ in sources.most_common(SOURCES_IN_CAPTION)]
    text = ", ".join(listed) or "none cited"
    if len(sources) > len(listed):
        text += f" and {len(sources) - len(listed):,} more (see the data export)"
    return text


def credit_text(facts: dict[str, str], sources: Counter[str]) -> str:
    """The credit line under the map, as plain text.

    ``Sources: <publishers>. Basemap: <names>. Map: conflict-atlas``.
    """
    basemap = short_attribution(facts["attribution"]) or facts["attribution"]
    parts = [f"Sources: {sources_text(sources)}"]
    if basemap:
        parts.append(f"Basemap: {basemap}")
    parts.append("Map: conflict-atlas")
    return ". ".join(parts)


def caption_html(facts: dict[str, str], sources: Counter[str]) -> str:
    """The small-print provenance footer (``--provenance footer``), every value escaped.

    It names the :data:`SOURCES_IN_CAPTION` most cited publishers with their counts, and
    how many more there are (the data exports list them all).
    """
    listed = sources.most_common(SOURCES_IN_CAPTION)
    cited = "; ".join(f"{esc(_shortened(name))} ({n:,})" for name, n in listed)
    if len(sources) > len(listed):
        cited += f"; and {len(sources) - len(listed):,} more (see the data export)"
    return (
        '<div class="atlas-provenance" id="atlas-provenance">'
        f"<div><b>Filters:</b> {esc(facts['filters'])} <b>Shown:</b> {esc(facts['shown'])}."
        f" <b>Sources cited by what is shown:</b> {cited or 'none'}</div>"
        f"<div><b>Data:</b> {esc(facts['dataset'])} · <b>Basemap:</b> "
        f"{esc(facts['attribution'])} · made with {esc(software())}, {esc(facts['made_at'])}"
        f" · <b>Link:</b> {esc(facts['link']) or '—'}</div>"
        "</div>"
    )


def metadata(request: SnapshotRequest, facts: dict[str, str]) -> dict[str, str]:
    """Every export's metadata: the standard keys and the machine-readable filter state.

    Standard keys (PNG's): Title, Description, Source, Software, Comment, Creation Time,
    Copyright; and ``atlas:state`` (JSON), ``atlas:link``.
    """
    return {
        "Title": facts["title"],
        "Description": f"{facts['filters']} Shown: {facts['shown']}.",
        "Source": facts["dataset"],
        "Software": software(),
        "Comment": f"Open this view: {facts['link']}" if facts["link"] else "",
        "Creation Time": facts["made_at"],
        "Copyright": f"Map data: {facts['attribution']}",
        "atlas:state": json.dumps(request.state or state_of(request), ensure_ascii=False),
        "atlas:link": facts["link"],
    }


png_metadata = metadata


def state_of(request: SnapshotRequest) -> dict[str, Any]:
    """Every filter by its link name (lists for the repeatable ones), and how it was drawn."""
    texts = filters_to_text(request.filters)
    state: dict[str, Any] = {
        spec.query: texts.get(spec.query, [])
        if spec.many
        else next(iter(texts.get(spec.query, [])), None)
        for spec in FILTER_FIELDS
    }
    return {
        **state,
        "layers": list(request.layers),
        "bounds": request.bounds,
        "basemap": request.tiles,
    }


def html_meta(meta: dict[str, str]) -> str:
    """The metadata as HTML ``<meta>`` elements (names lower-cased, values escaped)."""
    names = {"Description": "description", "Software": "generator", "Copyright": "copyright"}
    return "\n".join(
        f'<meta name="{esc(names.get(key, key.lower().replace(" ", "-")))}" content="{esc(value)}">'
        for key, value in meta.items()
        if value and key != "Title"
    )


def svg_metadata(meta: dict[str, str]) -> str:
    """The metadata as an SVG ``<title>``, ``<desc>`` and Dublin Core ``<metadata>``."""
    dc = {
        "title": meta["Title"],
        "description": meta["Description"],
        "source": meta["Source"],
        "creator": meta["Software"],
        "date": meta["Creation Time"],
        "rights": meta["Copyright"],
        "relation": meta["atlas:link"],
    }
    fields = "".join(f"<dc:{key}>{esc(value)}</dc:{key}>" for key, value in dc.items() if value)
    return (
        f"<title>{esc(meta['Title'])}</title><desc>{esc(meta['Description'])}</desc>"
        '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atlas="https://github.com/conflict-atlas/conflict-atlas#">'
        f'<rdf:Description rdf:about="">{fields}'
        f"<atlas:state>{esc(meta['atlas:state'])}</atlas:state></rdf:Description>"
        "</rdf:RDF></metadata>"
    )


def pdf_info(meta: dict[str, str]) -> dict[str, str]:
    """The metadata as a PDF document information dictionary (keys as PDF names)."""
    return {
        "/Title": meta["Title"],
        "/Subject": meta["Description"],
        "/Keywords": meta["Source"],
        "/Creator": meta["Software"],
        "/Producer": f"{meta['Software']} (Chromium, pypdf)",
        "/AtlasCopyright": meta["Copyright"],
        "/AtlasState": meta["atlas:state"],
        "/AtlasLink": meta["atlas:link"],
    }


def with_metadata(png: bytes, text: dict[str, str], *, dpi: int | None = None) -> bytes:
    """The same image with ``text`` in PNG iTXt chunks (UTF-8), and its density if given."""
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        if value:
            info.add_itxt(key, value)
    with Image.open(io.BytesIO(png)) as image:
        out = io.BytesIO()
        extra = {"dpi": (dpi, dpi)} if dpi else {}
        image.save(out, format="PNG", pnginfo=info, optimize=False, **extra)
    return out.getvalue()


def read_metadata(png: bytes | Path) -> dict[str, str]:
    """The text chunks of a PNG (to trace a snapshot back to its view)."""
    data = png.read_bytes() if isinstance(png, Path) else png
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return dict(image.text)
