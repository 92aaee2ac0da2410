"""The Story page: the story step by step, its text beside the map, and its authoring."""

from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from dashboard import cache
from dashboard import state as S
from dashboard.components import story as story_mode
from dashboard.components.story_map import (
    markdown_html,
    sources_html,
    step_bounds,
    step_groups,
)
from dashboard.components.text import md_text
from dashboard.context import RunContext, current
from dashboard.maps import (
    MAP_CSS,
    ViewReportSwitch,
    build_base_map,
    layer_control,
    leaflet_bounds,
    reported_view,
)
from geo.narrative import Step, StoryError, check_story, step_data, step_sources, story_yaml

K_MAP = "atlas_story_map"
K_BASE_BOUNDS = "story_base_bounds"  # the map's first extent, kept: a new one would remount it
K_ZIP = "story_site_zip"
K_EDITING = "story_editing"  # the authoring tools are open (the map then reports its view)
MAP_HEIGHT = 540

PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.2rem; padding-bottom: 2rem; }
[data-testid="stMain"] h1 { font-size: 1.45rem; line-height: 1.3; padding: 0; }
.atlas-story-text p { margin: 0 0 .6em; }
.atlas-step-sources { font-size: 0.85rem; padding-left: 1.1rem; }
</style>"""


def _draw_map(ctx: RunContext, step: Step, number: int, *, editing: bool) -> None:
    """The map of the view on screen, with the step's highlights and notes.

    It sends its view back only while the story is edited (*Add this view as a step*
    takes it).  Read, it starts no rerun: each one would carry this page, and Streamlit
    lets it win over a click elsewhere (on Map, say) made just then.
    """
    # the sidebar holds the step's view (or what the user made of it since)
    shown_step = Step(
        title=step.title,
        view=story_mode.view_of(ctx.state, step.view.bounds()),
        highlight=step.highlight,
        annotations=step.annotations,
    )
    shown = step_data(shown_step, ctx.dataset)
    bounds = step_bounds(step, shown)
    base_bounds = st.session_state.setdefault(K_BASE_BOUNDS, bounds)
    base = build_base_map(
        cache.basemap_url(ctx.asset_base_url),
        bounds=base_bounds,
        palette=ctx.palette,
        tiles=ctx.tiles,
        attribution=cache.basemap_attribution(),
        asset_base_url=ctx.asset_base_url,
        fold_legend_below_px=1000,
        hold_view_reports=True,
    )
    fly = S.fly_pending()
    if fly:  # the view on screen is the step's until editing sends where the reader took it
        S.keep_story_map_extent(bounds)
    groups = step_groups(
        shown_step,
        shown,
        palette=ctx.palette,
        fly=f"{number}:{st.session_state.get(S.K_STEP)}" if fly else None,
    )
    switch = folium.FeatureGroup(name="View reports", control=False)
    ViewReportSwitch(on=editing).add_to(switch)
    returned = st_folium(
        base,
        key=K_MAP,
        feature_group_to_add=[*groups, switch],
        layer_control=layer_control(),
        returned_objects=["bounds", "center", "zoom"],
        height=MAP_HEIGHT,
        use_container_width=True,
    )
    seen = leaflet_bounds((returned or {}).get("bounds"))
    if seen is not None:
        S.keep_story_map_extent(seen)
    S.keep_map_view(reported_view(returned))


def _publish_panel(ctx: RunContext, story) -> None:
    from dashboard.publish import publish_zip

    with st.popover("Publish as a site", width="stretch"):
        st.caption(
            "A static site of this story (index.html with the map and every step, no server "
            "code), as a zip for any web host."
        )
        pictures = st.checkbox("With each step's PNG and a GIF (slower)", key="story_pictures")
        if st.button("Make the site", key="story_make_site"):
            with st.spinner("Writing the site..."):
                try:
                    st.session_state[K_ZIP] = publish_zip(
                        story, ctx.dataset, story_text=story_yaml(story), pictures=pictures
                    )
                except (FileNotFoundError, RuntimeError) as error:
                    st.error(md_text(f"The site could not be made: {error}"))
        if st.session_state.get(K_ZIP):
            st.download_button(
                "Download the site (.zip)",
                data=st.session_state[K_ZIP],
                file_name=f"{story.id}-site.zip",
                mime="application/zip",
                key="story_site_download",
            )


def render(ctx: RunContext) -> None:
    """Draw the Story page."""
    st.html(PAGE_CSS)
    try:
        story = story_mode.session_story()
    except StoryError as error:
        st.error(md_text(f"The story file cannot be used: {error}"))
        return
    if story_mode.enter(story, ctx.choices):
        st.rerun()
    number = min(S.current_step(), len(story.steps))
    step = story.step(number)
    for warning in st.session_state.get(S.K_WARNINGS, []):
        st.warning(md_text(f"Link: {warning}"))
    missing = check_story(story, ctx.dataset, source=story.id)
    if missing:
        st.warning(md_text(f"This dataset lacks part of the story: {missing[0]}"))

    head, tools = st.columns([5, 1.3], vertical_alignment="bottom")
    head.title(md_text(story.title), anchor=False)
    with tools:
        _publish_panel(ctx, story)
    editing = bool(st.session_state.get(K_EDITING))
    map_col, text_col = st.columns([3, 2], gap="medium")
    with map_col:
        _draw_map(ctx, step, number, editing=editing)
    with text_col:
        back, count, forward = st.columns([1, 1, 1], vertical_alignment="center")
        back.button(
            story_mode.PREVIOUS,
            key="story_previous",
            on_click=story_mode.step_by,
            args=(-1, ctx.choices),
            disabled=number == 1,
            width="stretch",
        )
        count.markdown(f"Step **{number}** of {len(story.steps)}")
        forward.button(
            story_mode.NEXT,
            key="story_next",
            on_click=story_mode.step_by,
            args=(1, ctx.choices),
            disabled=number == len(story.steps),
            width="stretch",
        )
        with st.container(height=MAP_HEIGHT - 60, border=False):
            st.subheader(md_text(f"{number}. {step.title}"), anchor=False)
            # the step's Markdown with HTML off (escaped), then sanitised again by st.html
            st.html(f"<div class='atlas-story-text'>{markdown_html(step.text)}</div>")
            st.markdown("**Sources**")
            cited = step_sources(step, step_data(step, ctx.dataset))
            st.html(f"<style>{MAP_CSS}</style>{sources_html(cited)}")
        with st.expander("All steps"):
            for n, listed in enumerate(story.steps, start=1):
                st.button(
                    md_text(f"{n}. {listed.title}"),
                    key=f"story_goto_{n}",
                    on_click=story_mode.go_to,
                    args=(n, ctx.choices),
                    disabled=n == number,
                    type="tertiary",
                )
    st.iframe(story_mode.KEYS_SCRIPT, height=1)  # constant script, no data in it
    st.toggle(
        "Edit this story",
        key=K_EDITING,
        help="Add the view on screen as a step, edit, reorder, delete, save or open a story.",
    )
    if editing:
        with st.container(border=True):
            story_mode.render_authoring(story, ctx.choices)


render(current())
