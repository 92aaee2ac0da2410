"""The map page: the story on a map, its timeline and its events, under the sidebar's filters."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import cache
from dashboard import state as S
from dashboard.components.export import render_export_panel
from dashboard.components.table import show_event_table, table_choice
from dashboard.components.text import md_text
from dashboard.components.timeline import area_chart, events_chart
from dashboard.context import RunContext, current
from dashboard.maps import (
    MAX_MARKERS,
    build_base_map,
    build_data_layers,
    event_id_from_popup,
    event_popup_html,
    layer_control,
    leaflet_bounds,
)
from dashboard.views import FIT, VIEWS, fit_bounds
from geo.filters import describe_filters
from geo.schema import Column

K_MAP = "atlas_map"
K_LAST_POPUP = "last_map_popup"
K_LAST_TABLE = "last_table_choice"
K_CENTER = "map_center"
K_SEEN_BOUNDS = "map_bounds_seen"
MAP_HEIGHT = 620
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


def render(ctx: RunContext) -> None:
    """Draw the map page."""
    # with several datasets open, the title names those shown
    st.title(md_text(" + ".join(ctx.state.datasets) or ctx.dataset.name or "conflict-atlas"))
    filters = ctx.state.filters()
    st.caption(md_text(describe_filters(filters)))
    for warning in st.session_state.get(S.K_WARNINGS, []):
        st.warning(md_text(f"Link: {warning}"))
    if ctx.asset_base_url is None:
        st.warning(
            "The map's offline copies of Leaflet are not installed, so the map loads them "
            "from public CDNs (run `make install` to work offline)."
        )

    events = ctx.filtered.events
    total = len(ctx.dataset.events)
    zones_count, routes_count = len(ctx.filtered.zones), len(ctx.filtered.routes)
    col1, col2, col3 = st.columns(3)
    col1.metric("Events shown", f"{len(events)} of {total}")
    col2.metric(f"Zones on {ctx.state.effective_as_of:%d %b %Y}", zones_count)
    col3.metric("Routes in use", routes_count)

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
            st.session_state[K_CENTER] = (row.geometry.iloc[0].y, row.geometry.iloc[0].x)
    st.session_state[K_LAST_TABLE] = chosen_row
    center = st.session_state.get(K_CENTER)
    zoom = SELECTED_ZOOM if center is not None else None

    bounds = _bounds(ctx)
    seen = st.session_state.get(K_SEEN_BOUNDS)
    base = build_base_map(
        cache.basemap_url(ctx.asset_base_url),
        bounds=bounds,
        palette=ctx.palette,
        tiles=ctx.tiles,
        attribution=cache.basemap_attribution(),
        asset_base_url=ctx.asset_base_url,
        counts=len(ctx.dataset.events) > MAX_MARKERS,  # fixed per dataset: no remount
    )
    groups, aggregation = build_data_layers(
        ctx.filtered,
        palette=ctx.palette,
        as_of=pd.Timestamp(ctx.state.effective_as_of),
        layers=ctx.state.layers,
        view=seen or bounds,
    )
    if aggregation.aggregated:
        st.info(f"Events are counted per cell: {aggregation.describe()}")
    render_export_panel(ctx, seen or bounds)
    returned = st_folium(
        base,
        key=K_MAP,
        feature_group_to_add=groups,
        layer_control=layer_control(),
        # the bounds feed the PNG export ("the extent the user sees") and the detail shown
        returned_objects=["last_object_clicked_popup", "bounds"],
        center=center,
        zoom=zoom,
        height=MAP_HEIGHT,
        use_container_width=True,
    )
    seen_bounds = leaflet_bounds((returned or {}).get("bounds"))
    if seen_bounds is not None and seen_bounds != seen:
        st.session_state[K_SEEN_BOUNDS] = seen_bounds
        if len(events) > MAX_MARKERS:
            # this run drew the events for the old view: counts or single events may change
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
    if selected is not None:
        match = ctx.dataset.events[ctx.dataset.events[Column.ID] == selected]
        if not match.empty:
            st.markdown("**Selected event**")
            st.html(event_popup_html(match.iloc[0]))

    st.subheader("Timeline")
    counts = cache.events_per_day_for(
        ctx.dataset,
        ctx.dataset.content_hash(),
        ctx.state.actors,
        ctx.state.types,
        ctx.state.datasets,
    )
    if not counts.empty:
        st.altair_chart(
            events_chart(counts, ctx.state.start, ctx.state.end, ctx.state.effective_as_of),
            width="stretch",
        )
    areas = cache.zone_areas(ctx.dataset, ctx.dataset.content_hash())
    if not areas.empty:
        st.caption("Drawn area of the zones that change over time (see each zone's method).")
        st.altair_chart(area_chart(areas, ctx.state.effective_as_of), width="stretch")

    st.subheader("Events")
    show_event_table(events, selected)


render(current())
