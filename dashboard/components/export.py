"""The export panel beside the map: the view for publication, and the data shown.

The view goes out as a PNG (a chosen size and density, or a preset: social card, print at
300 dpi), as vector SVG and PDF for print, as standalone HTML, and as an MP4 video of the
window's days (one frame per as-of day).  The events go out as CSV and as an Excel
workbook: spreadsheets open a workbook's Arabic (or any non-Latin) text as it is, where
their CSV import often garbles it.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from dashboard import cache
from dashboard.context import RunContext
from dashboard.settings import PUBLIC_URL, SNAPSHOT_PRESETS, VIDEO_MAX_FRAMES
from dashboard.snapshot import (
    SnapshotRequest,
    render_pdf,
    render_png,
    render_svg,
    renderer,
    snapshot_html,
    write_mp4,
)
from dashboard.state import to_query
from dashboard.views import COUNTED_IN
from geo.dataset import Dataset
from geo.io import feature_collection, to_text_table, write_dataset, write_layer
from geo.schema import DATASET_LAYERS, LAYER_SPECS, Layer

K_WIDTH, K_HEIGHT, K_SCALE = "export_width", "export_height", "export_scale"
K_PRESET, K_FOOTER = "export_preset", "export_provenance_footer"
#: The size choice that keeps the width, height and density typed in.
CHOSEN_SIZE = "chosen"


def share_link(ctx: RunContext) -> str:
    """The URL of this view, with the state's query string.

    At the public address (``ATLAS_PUBLIC_URL``, which ``atlas run --public-url`` sets) if
    there is one, else at the address the user reached the app at.
    """
    query = urlencode(to_query(ctx.state), doseq=True)
    public = PUBLIC_URL.value() or ""
    try:
        scheme, netloc, path, _, _ = urlsplit(public or st.context.url or "")
    except AttributeError:
        scheme = netloc = path = ""
    if not netloc:
        return f"?{query}"
    return urlunsplit((scheme, netloc, path or "/", query, ""))


def metadata_state(ctx: RunContext) -> dict[str, object]:
    """The link's state as PNG metadata holds it: one value per name; actors, types as lists."""
    return {
        name: values if name in ("actor", "type") else values[0]
        for name, values in to_query(ctx.state).items()
    }


def visible(ctx: RunContext) -> Dataset:
    """The filtered data, without the tables whose map layers are switched off."""
    empty = {
        str(layer): ctx.filtered.layer(layer).iloc[:0]
        for layer in DATASET_LAYERS
        if str(layer) not in ctx.state.layers
    }
    return ctx.filtered.with_layers(**empty) if empty else ctx.filtered


def geojson_bytes(data: Dataset, layers: tuple[str, ...]) -> bytes:
    """The visible layers as one FeatureCollection with a ``layer`` property on every feature.

    ``layers``: map layers' names; those that draw no table of their own have none to export.
    """
    frames = {Layer(name): data.layer(name) for name in layers if name in DATASET_LAYERS}
    return json.dumps(feature_collection(frames, tag_layer=True), ensure_ascii=False).encode()


def csv_bytes(data: Dataset) -> bytes:
    """The filtered events as CSV (latitude and longitude columns)."""
    return to_text_table(data.events, LAYER_SPECS[Layer.EVENTS]).to_csv(index=False).encode()


def xlsx_bytes(data: Dataset) -> bytes:
    """The filtered events as an Excel workbook (a sheet named ``events``)."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_layer(data.events, Path(folder) / "events.xlsx", Layer.EVENTS)
        return path.read_bytes()


def gpkg_bytes(data: Dataset) -> bytes:
    """Every visible layer as a GeoPackage."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_dataset(data, Path(folder) / "atlas.gpkg")
        return path.read_bytes()


def snapshot_request(
    ctx: RunContext,
    bounds: list[list[float]],
    size: tuple[int, int, float],
    *,
    preset: str = CHOSEN_SIZE,
    provenance_footer: bool = False,
) -> SnapshotRequest:
    """What the user sees, as a snapshot request, at ``size`` or at a named ``preset``."""
    width, height, scale = size
    request = SnapshotRequest(
        dataset=ctx.dataset,
        filters=ctx.state.filters(),
        bounds=bounds,
        layers=ctx.state.layers,
        tiles=ctx.tiles,
        link=share_link(ctx),
        width=width,
        height=height,
        scale=scale,
        state={**metadata_state(ctx), "bounds": bounds, "basemap": ctx.tiles},
        provenance_footer=provenance_footer,
        count_in=COUNTED_IN.get(ctx.state.draw),
    )
    return request if preset == CHOSEN_SIZE else request.with_preset(preset)


def video_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """The as-of days a video of the window shows: every day, the last ones if too many.

    >>> len(video_days(dt.date(2016, 1, 1), dt.date(2016, 12, 31))) == VIDEO_MAX_FRAMES
    True
    """
    first = max(start, end - dt.timedelta(days=VIDEO_MAX_FRAMES - 1))
    return [first + dt.timedelta(days=n) for n in range((end - first).days + 1)]


def _rendered(request: SnapshotRequest, render) -> Callable[[], bytes]:
    def make() -> bytes:
        with renderer() as browser:
            return render(
                request,
                cache.basemap_json(),
                attribution=cache.basemap_attribution(),
                using=browser,
            )

    return make


def _png(request: SnapshotRequest) -> Callable[[], bytes]:
    return _rendered(request, render_png)


def _mp4(request: SnapshotRequest, days: list[dt.date]) -> Callable[[], bytes]:
    # a video is for screens: the page's CSS pixels, not a print preset's 300 dpi
    request = replace(request, scale=1.0, dpi=None)

    def make() -> bytes:
        basemap_json, attribution = cache.basemap_json(), cache.basemap_attribution()
        with renderer() as browser:
            frames = [
                render_png(
                    request.with_as_of(day), basemap_json, attribution=attribution, using=browser
                )
                for day in days
            ]
        with tempfile.TemporaryDirectory() as folder:
            return write_mp4(frames, Path(folder) / "series.mp4").read_bytes()

    return make


def _html(request: SnapshotRequest) -> Callable[[], bytes]:
    def make() -> bytes:
        return snapshot_html(
            request, cache.basemap_json(), attribution=cache.basemap_attribution()
        ).encode()

    return make


def render_export_panel(ctx: RunContext, bounds: list[list[float]]) -> None:
    """Draw the panel; files are made only when their button is clicked."""
    name = f"atlas-{ctx.state.effective_as_of:%Y-%m-%d}"
    with st.popover("Export this view", width="content"):
        st.caption(
            "Laid out for publication: headline, dates, legend, scale bar and credit line. "
            "The full provenance (filters, dataset version, the link back) is in each "
            "file's metadata."
        )
        sizes = {
            CHOSEN_SIZE: "Width × height below",
            **{name: preset.label for name, preset in SNAPSHOT_PRESETS.items()},
        }
        preset = st.selectbox("Size", list(sizes), key=K_PRESET, format_func=sizes.__getitem__)
        cols = st.columns(3)
        chosen = preset == CHOSEN_SIZE
        width = cols[0].number_input(
            "Width", 400, 6000, 1600, step=100, key=K_WIDTH, disabled=not chosen
        )
        height = cols[1].number_input(
            "Height", 300, 6000, 1000, step=100, key=K_HEIGHT, disabled=not chosen
        )
        scale = cols[2].selectbox(
            "Density",
            [1.0, 2.0, 3.0],
            key=K_SCALE,
            format_func=lambda s: f"{s:g}×",
            disabled=not chosen,
        )
        footer = st.checkbox(
            "Provenance in small print under the map",
            key=K_FOOTER,
            help="The filters, the dataset's version, the whole basemap credit and the link.",
        )
        request = snapshot_request(
            ctx,
            bounds,
            (int(width), int(height), float(scale)),
            preset=preset,
            provenance_footer=footer,
        )
        days = video_days(ctx.state.start, ctx.state.end)
        data = visible(ctx)
        files = (
            ("PNG image", _png(request), f"{name}.png", "image/png"),
            (
                "SVG (vector, for print)",
                _rendered(request, render_svg),
                f"{name}.svg",
                "image/svg+xml",
            ),
            (
                "PDF (vector, for print)",
                _rendered(request, render_pdf),
                f"{name}.pdf",
                "application/pdf",
            ),
            (
                f"Video of {len(days)} days (MP4)",
                _mp4(request, days),
                f"atlas-{days[0]:%Y-%m-%d}-to-{days[-1]:%Y-%m-%d}.mp4",
                "video/mp4",
            ),
            ("Interactive HTML (works offline)", _html(request), f"{name}.html", "text/html"),
            (
                "GeoJSON (visible layers)",
                lambda: geojson_bytes(data, ctx.state.layers),
                f"{name}.geojson",
                "application/geo+json",
            ),
            ("CSV (filtered events)", lambda: csv_bytes(data), f"{name}-events.csv", "text/csv"),
            (
                "Events (Excel)",
                lambda: xlsx_bytes(data),
                f"{name}-events.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                "GeoPackage (all layers)",
                lambda: gpkg_bytes(data),
                f"{name}.gpkg",
                "application/geopackage+sqlite3",
            ),
        )
        for label, make, file_name, mime in files:
            # made only when clicked (a deferred callable), so reruns stay cheap
            st.download_button(
                label,
                make,
                file_name=file_name,
                mime=mime,
                key=f"download_{file_name.rsplit('.', 1)[-1]}",
                on_click="ignore",
            )
        st.caption(
            f"The video shows the zones and routes of each day from {days[0]:%d %B %Y} to "
            f"{days[-1]:%d %B %Y}, one frame a day (at most {VIDEO_MAX_FRAMES} days)."
        )
        st.caption(f"Link to this view: {share_link(ctx)}")
