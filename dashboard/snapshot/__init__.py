"""Map snapshots for publication, with their provenance: HTML, PNG, SVG, PDF, GIF and MP4.

A snapshot is the same folium map the app shows, in a newsroom layout
(:mod:`~dashboard.snapshot.layout`): headline and dek, the map with its legend and a locator
beside it, a scale bar, a credit line.  Its full provenance (:mod:`~dashboard.snapshot.
provenance`) goes into each file's metadata, and into a small-print footer on request.
The standalone HTML (:mod:`~dashboard.snapshot.page`) inlines every asset (it opens from
disk, offline); PNG, PDF and SVG are that page rendered by headless Chromium
(:mod:`~dashboard.snapshot.render`); a series of as-of days makes frames, a GIF and an MP4
(:mod:`~dashboard.snapshot.series`).
"""

from __future__ import annotations

from dashboard.snapshot.layout import locator_svg
from dashboard.snapshot.page import (
    READY_ATTRIBUTE,
    ReadySignal,
    content_security_policy,
    inline_assets,
    snapshot_html,
    snapshot_page,
)
from dashboard.snapshot.provenance import (
    PUBLISHER_CHARACTERS,
    SOURCES_IN_CAPTION,
    caption_html,
    cited_sources,
    credit_text,
    metadata,
    png_metadata,
    provenance,
    read_metadata,
    with_metadata,
)
from dashboard.snapshot.render import Renderer, render_pdf, render_png, render_svg, renderer
from dashboard.snapshot.request import DEFAULT_SIZE, SnapshotRequest, parse_paper, software
from dashboard.snapshot.series import parse_series, write_gif, write_mp4

__all__ = [
    "DEFAULT_SIZE",
    "PUBLISHER_CHARACTERS",
    "READY_ATTRIBUTE",
    "SOURCES_IN_CAPTION",
    "ReadySignal",
    "Renderer",
    "SnapshotRequest",
    "caption_html",
    "cited_sources",
    "content_security_policy",
    "credit_text",
    "inline_assets",
    "locator_svg",
    "metadata",
    "parse_paper",
    "parse_series",
    "png_metadata",
    "provenance",
    "read_metadata",
    "render_pdf",
    "render_png",
    "render_svg",
    "renderer",
    "snapshot_html",
    "snapshot_page",
    "software",
    "with_metadata",
    "write_gif",
    "write_mp4",
]
