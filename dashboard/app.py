"""The dashboard's entry point: load the data, draw the shared sidebar, route to a page.

atlas run [--data PATH] [--port N]      (or: make run)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from dashboard import cache
from dashboard import state as S
from dashboard.assets import assets_installed
from dashboard.components.sidebar import prepare_filters, render_filters
from dashboard.context import RunContext, publish
from dashboard.settings import VIEW
from dashboard.views import MAX_MARKERS, VIEW_NAMES
from geo.filters import filter_dataset

PAGES = Path(__file__).parent / "screens"  # not pages/: that name turns on the old page mode

#: Where the bundled story opens: the siege's last weeks, the day of the first evacuation.
STORY_PRESET = {
    "start": dt.date(2016, 11, 15),
    "end": dt.date(2016, 12, 22),
    "as_of": dt.date(2016, 12, 15),
    "view": "aleppo",
}


def asset_base_url() -> str | None:
    """Where the offline Leaflet copies are served, or None when they are not available."""
    if not (assets_installed() and st.get_option("server.enableStaticServing")):
        return None
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static" if base else "/app/static"


def main() -> None:
    """Run one pass of the app."""
    # no Material icons (page or app): the favicon would be fetched from Google's font servers
    st.set_page_config(page_title="conflict-atlas", layout="wide")
    dataset, report = cache.load_dataset()
    brought = S.uploads()
    if brought:
        dataset = cache.combined(dataset, *(u.dataset for u in brought))
    version = dataset.content_hash()
    choices = cache.choices(dataset, version)
    preset = dict(STORY_PRESET) if cache.data_path() is None else {}
    view = VIEW.value()
    if view in VIEW_NAMES:  # another name is ignored, as a link's view= is
        preset["view"] = view
    defaults = S.default_state(choices, preset)
    S.init_session(version, choices, defaults)
    pages = [
        st.Page(PAGES / "map_page.py", title="Map", default=True),
        st.Page(PAGES / "story_page.py", title="Story", url_path=S.STORY_PAGE),
        st.Page(PAGES / "data_page.py", title="Your data", url_path="data"),
        st.Page(PAGES / "about_page.py", title="About the data"),
    ]
    page = st.navigation(pages)
    in_story = page.url_path == S.STORY_PAGE
    if not in_story and st.session_state.get(S.K_LINK_PAGE) == S.STORY_PAGE:
        # a link ?page=story&step=4 opens the Story page (its step is applied there)
        st.session_state.pop(S.K_LINK_PAGE)
        st.switch_page(pages[1], query_params=st.query_params.to_dict())
    S.set_story_mode(in_story)
    state, tiles = prepare_filters()
    S.sync_url(state)
    ctx = RunContext(
        dataset=dataset,
        report=report,
        choices=choices,
        palette=cache.palette(dataset, version),
        defaults=defaults,
        state=state,
        tiles=tiles,
        filtered=filter_dataset(dataset, state.filters()),
        asset_base_url=asset_base_url(),
        base_url_path=st.get_option("server.baseUrlPath") or "",
    )
    publish(ctx)
    page.run()
    # after the page: the map reaches the browser first
    render_filters(choices, defaults, many=len(dataset.events) > MAX_MARKERS)
    S.filters_drawn()
    S.sync_url(S.session_state())  # again: the page may have moved the map or selected
    if st.session_state.pop(S.K_RERUN, False):
        st.rerun()


main()
