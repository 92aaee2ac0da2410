"""The map page: the story on a map, its timeline and its events, under the sidebar's filters."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import cache, event_details
from dashboard import state as S
from dashboard.components.export import render_export_panel
from dashboard.components.table import show_event_table, table_choice
from dashboard.components.text import md_text
from dashboard.components.timeline import area_chart, events_chart
from dashboard.context import RunContext, current
from dashboard.maps import (
    MAP_CSS,
    MAX_MARKERS,
    Aggregation,
    build_base_map,
    build_data_layers,
    event_id_from_popup,
    event_popup_html,
    layer_control,
    leaflet_bounds,
    redrawn_for_view,
    reported_view,
)
from dashboard.views import COUNTED_IN, FIT, VIEWS, fit_bounds
from geo.filters import Filters, describe_filters
from geo.grid import HEXAGONS
from geo.schema import Column

K_MAP = "atlas_map"
K_LAST_POPUP = "last_map_popup"
K_LAST_TABLE = "last_table_choice"
K_SEEN_BOUNDS = "map_bounds_seen"
MAP_HEIGHT = 620
#: The map fills the window below the heading (this far from the top), but never less than
#: MIN_MAP_HEIGHT.
MAP_TOP_PX = 200
MIN_MAP_HEIGHT = 380
#: Narrower maps (a laptop's) open with the legend folded to its title.
LEGEND_FOLD_BELOW_PX = 1000
SELECTED_ZOOM = 13


def _bounds(ctx: RunContext) -> list[list[float]]:
    if ctx.state.view != FIT:
        return VIEWS[ctx.state.view].bounds
    fitted = fit_bounds(ctx.filtered.events, ctx.filtered.zones, ctx.filtered.routes)
    return fitted or VIEWS["region"].bounds


def _coverage_note(ctx: RunContext) -> str | None:
    events = ctx.dataset.events
    if events.empty:
        return "This dataset has no events."
    first = events[Column.DATE_START].min().date()
    last = events[Column.DATE_END].fillna(events[Column.DATE_START]).max().date()
    if ctx.state.end < first or ctx.state.start > last:
        return (
            f"This dataset's events run from {first} to {last}: the chosen window "
            f"({ctx.state.start} to {ctx.state.end}) lies outside them, so no event can show."
        )
    return None


#: The page's own layout: a compact heading, and a map that fills the window below it.
#: Only constant CSS here (no data), through st.html, which places a lone <style> out of flow.
PAGE_CSS = f"""<style>
[data-testid="stMainBlockContainer"] {{ padding-top: 3.6rem; padding-bottom: 3rem; }}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: 0.55rem; }}
[data-testid="stMain"] h1 {{ font-size: 1.55rem; line-height: 1.3; padding: 0;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
[data-testid="stMain"] [data-testid="stCaptionContainer"] p {{ white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; margin: 0; }}
iframe[title="streamlit_folium.st_folium"] {{
  height: max({MIN_MAP_HEIGHT}px, calc(100vh - {MAP_TOP_PX}px)) !important; }}
</style>"""


def heading(ctx: RunContext) -> tuple[str, str]:
    """The page's title and subtitle: the story's name split at its colon, or the datasets.

    With several datasets shown, the title counts them and the subtitle names them.
    """
    shown = list(ctx.state.datasets or ctx.choices.datasets)
    if len(shown) > 1:
        return f"{len(shown)} datasets", "; ".join(shown)
    name = shown[0] if shown else (ctx.dataset.name or "conflict-atlas")
    title, _, subtitle = name.partition(": ")
    return title, subtitle


def hidden_datasets(ctx: RunContext) -> list[str]:
    """The open datasets the datasets filter leaves off the map (none: all are shown)."""
    chosen = ctx.state.datasets
    return [name for name in ctx.choices.datasets if chosen and name not in chosen]


def _show_all_datasets() -> None:
    st.session_state[S.K_DATASETS] = []


def status_line(ctx: RunContext, aggregation: Aggregation) -> str:
    """What the map shows, in one line: counts, the as-of day, the filters, how it is drawn.

    Markdown; the filters' description (which holds the data's names) is escaped.
    """
    routes = len(ctx.filtered.routes)
    as_of = ctx.state.effective_as_of
    parts = [
        f"**{len(ctx.filtered.events):,} of {len(ctx.dataset.events):,} events** shown",
        f"{len(ctx.filtered.zones)} zones on {as_of.day} {as_of:%b %Y}",
        f"{routes} route{'s' if routes != 1 else ''} in use",
    ]
    if ctx.state.actors or ctx.state.types or ctx.state.bbox:
        narrowed = Filters.make(
            actors=ctx.state.actors, event_types=ctx.state.types, bbox=ctx.state.bbox
        )
        parts.append(md_text(describe_filters(narrowed).split(";")[0]))
    if aggregation.aggregated:
        parts.append(
            f"{aggregation.events:,} in view, counted per {aggregation.cell} "
            f"(zoom in for single events below {MAX_MARKERS:,})"
        )
    elif aggregation.points:
        parts.append(f"{aggregation.points:,} drawn as points: click one for its details")
    return " · ".join(parts)


def details_link(ctx: RunContext) -> Callable[[gpd.GeoDataFrame, bytes], dict[str, str]]:
    """How the map's WebGL points come from the server, and a clicked one's popup.

    The points are rows of the loaded table (``ctx.dataset.events``, held once for every
    session); the server keeps their positions, not a copy (:mod:`dashboard.event_details`).
    """

    def link(shown: gpd.GeoDataFrame, columns: bytes) -> dict[str, str]:
        token = event_details.register(ctx.dataset.events, shown, columns)
        return event_details.urls(ctx.base_url_path, token)

    return link


def render(ctx: RunContext) -> None:
    """Draw the map page."""
    st.html(PAGE_CSS)
    title, subtitle = heading(ctx)
    hidden = hidden_datasets(ctx)
    if hidden:
        # after an upload the map shows the new file alone: say so, one click from all
        head, show_all, tools = st.columns([4, 1.4, 1.2], vertical_alignment="bottom")
        show_all.button(
            f"Show all {len(ctx.choices.datasets)} datasets",
            key="show_all_datasets",
            on_click=_show_all_datasets,
            icon=":material/layers:",
            width="stretch",
            help="Also open: " + md_text("; ".join(hidden)),  # help is Markdown: names are data
        )
        others = f"{len(hidden)} other open dataset{'s are' if len(hidden) > 1 else ' is'}"
        subtitle = f"{subtitle + ' · ' if subtitle else ''}{others} hidden"
    else:
        # the export button's column holds its label whole at 1280 px ("Export this vi…")
        head, tools = st.columns([4, 1], vertical_alignment="bottom")
    head.title(md_text(title), anchor=False)
    if subtitle:
        head.caption(md_text(subtitle))
    for warning in st.session_state.get(S.K_WARNINGS, []):
        st.warning(md_text(f"Link: {warning}"))
    if ctx.asset_base_url is None:
        st.warning(
            "The map's offline copies of Leaflet are not installed, so the map loads them "
            "from public CDNs (run `make install` to work offline)."
        )

    events = ctx.filtered.events
    if events.empty:
        note = _coverage_note(ctx) or "No event matches these filters."
        st.info(note, icon="🔎")
        st.button("Reset filters", key="reset_empty", on_click=S.reset_to, args=(ctx.defaults,))

    selected = st.session_state.get(S.K_SELECTED)
    # a row chosen in the table (drawn below the map) moves the map: read it first, so the
    # map is sent to the browser before the timeline and the table
    chosen_row = table_choice()
    if chosen_row is not None and chosen_row != st.session_state.get(K_LAST_TABLE):
        selected = chosen_row
        row = events[events[Column.ID] == chosen_row]
        if not row.empty:
            # kept until the next choice: st_folium moves the map only when this changes
            st.session_state[S.K_GO_CENTER] = (row.geometry.iloc[0].y, row.geometry.iloc[0].x)
            st.session_state[S.K_GO_ZOOM] = SELECTED_ZOOM
    st.session_state[K_LAST_TABLE] = chosen_row
    # where a link or a chosen row sends the map (None: the view's own extent)
    center = st.session_state.get(S.K_GO_CENTER)
    zoom = st.session_state.get(S.K_GO_ZOOM)

    bounds = S.arrival_extent(ctx.state) or _bounds(ctx)
    seen = st.session_state.get(K_SEEN_BOUNDS)
    base = build_base_map(
        cache.basemap_url(ctx.asset_base_url),
        bounds=bounds,
        palette=ctx.palette,
        tiles=ctx.tiles,
        attribution=cache.basemap_attribution(),
        asset_base_url=ctx.asset_base_url,
        # fixed per dataset and drawing: no remount while the filters change
        counts=ctx.state.draw in COUNTED_IN and len(ctx.dataset.events) > MAX_MARKERS,
        fold_legend_below_px=LEGEND_FOLD_BELOW_PX,
    )
    groups, aggregation = build_data_layers(
        ctx.filtered,
        palette=ctx.palette,
        as_of=pd.Timestamp(ctx.state.effective_as_of),
        layers=ctx.state.layers,
        view=seen or bounds,
        narrowed=bool(ctx.state.actors or ctx.state.types or ctx.state.bbox),
        count_in=COUNTED_IN.get(ctx.state.draw),
        hexagons=(
            cache.hexagon_index(ctx.dataset, ctx.dataset.content_hash())
            if COUNTED_IN.get(ctx.state.draw) == HEXAGONS
            else None
        ),
        details=details_link(ctx),
    )
    # written once the layers are built (they say how events are drawn), never emptied
    # first: a rerun leaves the line in place, and the map below it does not jump
    st.markdown(status_line(ctx, aggregation))
    with tools.container(horizontal_alignment="right"):  # flush with the map's right edge
        render_export_panel(ctx, seen or bounds)
    returned = st_folium(
        base,
        key=K_MAP,
        feature_group_to_add=groups,
        layer_control=layer_control(),
        # the bounds feed the PNG export ("the extent the user sees") and the detail shown
        # the extent also goes into the address bar, so a link reopens this very view
        returned_objects=["last_object_clicked_popup", "bounds", "center", "zoom"],
        center=center,
        zoom=zoom,
        height=MAP_HEIGHT,
        use_container_width=True,
    )
    seen_bounds = leaflet_bounds((returned or {}).get("bounds"))
    if seen_bounds is not None and seen_bounds != seen:
        st.session_state[K_SEEN_BOUNDS] = seen_bounds
        if redrawn_for_view(events, aggregation, seen_bounds):
            # this run drew the events for the old view: counts or markers change with it
            st.session_state[S.K_RERUN] = True
    popup = (returned or {}).get("last_object_clicked_popup")
    if popup and popup != st.session_state.get(K_LAST_POPUP):
        clicked = event_id_from_popup(popup)
        if clicked is not None:
            selected = clicked
    st.session_state[K_LAST_POPUP] = popup
    if selected != st.session_state.get(S.K_SELECTED):
        st.session_state[S.K_SELECTED] = selected
        st.session_state[S.K_RERUN] = True  # the table's mark follows on the next run
    view = reported_view(returned)
    if view is not None:
        st.session_state[S.K_MAP_VIEW] = view

    st.subheader("Timeline")
    counts = cache.events_per_day_for(
        ctx.dataset,
        ctx.dataset.content_hash(),
        ctx.state.actors,
        ctx.state.types,
        ctx.state.datasets,
    )
    if not counts.empty:
        st.vega_lite_chart(
            spec=events_chart(counts, ctx.state.start, ctx.state.end, ctx.state.effective_as_of),
            width="stretch",
        )
    areas = cache.zone_areas(ctx.dataset, ctx.dataset.content_hash())
    if not areas.empty:
        st.caption("Drawn area of the zones that change over time (see each zone's method).")
        st.vega_lite_chart(spec=area_chart(areas, ctx.state.effective_as_of), width="stretch")

    st.subheader("Events")
    if selected is not None:
        match = ctx.dataset.events[ctx.dataset.events[Column.ID] == selected]
        if not match.empty:
            # a marker's popup shows it on the map; a row chosen here shows it here, where
            # the user is looking, while the map moves to it
            with st.container(border=True):
                st.markdown("**Selected event**")
                st.html(f"<style>{MAP_CSS}</style>{event_popup_html(match.iloc[0])}")
    show_event_table(events, selected)


render(current())
