"""The event table under the map: filtered events with their sources, sortable, selectable."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.parsing import decode_json_list
from geo.schema import Column

K_TABLE = "event_table"
K_TABLE_IDS = "event_table_ids"
#: Rows sent to the browser at most: the latest events first; exports hold them all.
MAX_ROWS = 1_000


def event_table(events: gpd.GeoDataFrame, selected_id: str | None = None) -> pd.DataFrame:
    """The rows shown: one per event, the selected one first and marked.

    Every value is plain text: Streamlit's table never renders it as HTML or Markdown.
    """
    sources = [decode_json_list(cell) for cell in events[Column.SOURCES]]
    table = pd.DataFrame(
        {
            "selected": (events[Column.ID] == selected_id).map({True: "●", False: ""}),
            "date": events[Column.DATE_START].dt.strftime("%Y-%m-%d"),
            "until": events[Column.DATE_END].dt.strftime("%Y-%m-%d"),
            "event type": events[Column.EVENT_TYPE],
            "actors": [
                " · ".join(str(v) for v in (a1, a2, assoc) if isinstance(v, str))
                for a1, a2, assoc in zip(
                    events[Column.ACTOR1],
                    events[Column.ACTOR2],
                    events[Column.ASSOC_ACTORS],
                    strict=True,
                )
            ],
            "place": events[Column.PLACE_NAME],
            "status": events[Column.STATUS],
            "description": events[Column.DESCRIPTION],
            "sources": ["; ".join(s.get("publisher", "") for s in found) for found in sources],
            "first link": [
                next((s["url"] for s in found if str(s.get("url", "")).startswith("http")), None)
                for found in sources
            ],
            "id": events[Column.ID],
        }
    ).reset_index(drop=True)
    # an empty cell reads as empty, not "None"
    text = [c for c in table.columns if c != "first link"]
    table[text] = table[text].astype("string").fillna("")
    if selected_id is not None:
        table = pd.concat([table[table["selected"] == "●"], table[table["selected"] != "●"]])
    return table.reset_index(drop=True)


def table_choice() -> str | None:
    """The id of the row chosen in the table as it was last drawn (None: no choice)."""
    state = st.session_state.get(K_TABLE)
    ids = st.session_state.get(K_TABLE_IDS, [])
    try:
        rows = state["selection"]["rows"]
    except (TypeError, KeyError):
        return None
    return ids[rows[0]] if rows and rows[0] < len(ids) else None


def show_event_table(events: gpd.GeoDataFrame, selected_id: str | None) -> str | None:
    """Draw the table (the latest ``MAX_ROWS`` events); return the id the user chose, if any."""
    if len(events) > MAX_ROWS:
        # the positions of the latest rows, not a sorted copy of every row (costly at 1M)
        days = events[Column.DATE_START].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        latest = events.iloc[np.argsort(-days, kind="stable")[:MAX_ROWS]]
        chosen = events[events[Column.ID] == selected_id]
        total = len(events)
        events = pd.concat([chosen, latest]).drop_duplicates(Column.ID)
        st.caption(
            f"The {MAX_ROWS:,} latest of {total:,} events are listed; "
            "the CSV and GeoPackage exports hold them all."
        )
    table = event_table(events, selected_id)
    result = st.dataframe(
        table,
        key=K_TABLE,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        column_config={
            "selected": st.column_config.TextColumn(
                "On map", width="small", help="● the event selected on the map"
            ),
            "date": st.column_config.TextColumn("date", width=95),
            "until": st.column_config.TextColumn("until", width=95),
            "first link": st.column_config.LinkColumn("first link", display_text="open"),
            "description": st.column_config.TextColumn("description", width="large"),
        },
    )
    st.session_state[K_TABLE_IDS] = [str(i) for i in table["id"]]
    rows = result.selection.rows if result is not None else []
    return str(table.iloc[rows[0]]["id"]) if rows else None
