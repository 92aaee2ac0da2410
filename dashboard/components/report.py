"""A load report on screen: what was read, accepted, placed by name and rejected, and why."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.text import md_text
from geo.problems import LoadReport

#: Rejected rows listed on screen; the download holds every one.
SHOWN_PROBLEMS = 500


def show_report(report: LoadReport, *, key: str) -> None:
    """Counts, notes, and the rejected rows (listed, and downloadable as CSV)."""
    read = sum(r.rows_read for r in report.layers)
    accepted = sum(r.rows_accepted for r in report.layers)
    rejected = sum(r.rows_rejected for r in report.layers)
    geocoded = sum(r.geocoded for r in report.layers)
    cols = st.columns(4)
    cols[0].metric("Rows read", f"{read:,}")
    cols[1].metric("Accepted", f"{accepted:,}")
    cols[2].metric("Rejected", f"{rejected:,}")
    cols[3].metric("Placed by name", f"{geocoded:,}", help="Geocoded offline from GeoNames")
    st.text(report.summary())
    for note in report.notes:
        st.info(md_text(note))
    if report.problems:
        problems = report.problems
        st.dataframe(
            pd.DataFrame(
                [(p.where, p.column, p.message) for p in problems[:SHOWN_PROBLEMS]],
                columns=["row", "column", "reason"],
            ),
            hide_index=True,
            width="stretch",
        )
        if len(problems) > SHOWN_PROBLEMS:
            shown = f"The first {SHOWN_PROBLEMS} of {len(problems):,} problems"
            st.caption(f"{shown}; the download holds them all.")
        st.download_button(
            "Download the rejected rows (CSV)",
            report.problems_csv,  # made on click, not on every rerun of the page
            file_name="rejected_rows.csv",
            mime="text/csv",
            key=f"rejected_{key}",
            on_click="ignore",
        )
