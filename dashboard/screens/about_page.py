"""About the data: what the dataset holds, how its zones were drawn, whose work it cites."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import cache
from dashboard.components.report import show_report
from dashboard.components.text import md_text
from dashboard.context import RunContext, current
from geo.parsing import decode_json_list
from geo.schema import DATASET_LAYERS, Column


def render(ctx: RunContext) -> None:
    """Draw the about page."""
    st.title("About the data")
    info = ctx.dataset.info()
    st.markdown(f"**Dataset version** `{info['version']}` · source: {md_text(info['source'])}")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "layer": name,
                    "rows": entry["count"],
                    "from": entry.get("first_date"),
                    "to": entry.get("last_date"),
                }
                for name, entry in info["layers"].items()
            ]
        ),
        hide_index=True,
    )
    if ctx.report.layers:
        st.subheader("How it was loaded")
        if not ctx.report.ok:
            st.warning(f"{len(ctx.report.problems)} rows were rejected when it was loaded.")
        show_report(ctx.report, key="base")

    st.subheader("How the zones were drawn")
    methods = ctx.dataset.zones[[Column.NAME, Column.METHOD, Column.UNCERTAINTY]].drop_duplicates(
        subset=[Column.METHOD]
    )
    st.dataframe(methods, hide_index=True, width="stretch")

    st.subheader("Sources cited")
    cited: dict[str, int] = {}
    for layer in DATASET_LAYERS:
        for cell in ctx.dataset.layer(layer)[Column.SOURCES]:
            for source in decode_json_list(cell):
                cited[source.get("publisher", "")] = cited.get(source.get("publisher", ""), 0) + 1
    st.dataframe(
        pd.DataFrame(
            sorted(cited.items(), key=lambda kv: -kv[1]), columns=["publisher", "citations"]
        ),
        hide_index=True,
    )
    st.subheader("Basemap and privacy")
    st.text(f"Basemap: {cache.basemap_attribution()}")
    st.text(
        "With the offline outlines, viewing the map sends no request to any third party; "
        "choosing a tile basemap loads images from its provider."
    )


render(current())
