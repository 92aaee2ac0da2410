"""The timeline: events per day by primary actor with the window marked, and zone areas."""

from __future__ import annotations

import datetime as dt

import altair as alt
import geopandas as gpd
import pandas as pd

from geo.schema import Column

TOP_ACTORS = 7
#: The counts are per day: no tick between two days (a short window would show hours).
DAY_AXIS = alt.Axis(tickMinStep=24 * 60 * 60 * 1000, title=None)


def whole_names_legend(title: str) -> alt.Legend:
    """A legend beside the chart that prints every name whole.

    Vega cuts labels at 160 px by default ("East Aleppo opposition-…"), and a cut name of
    a zone or an actor cannot be told from its neighbour.  Beside, not under: the app's
    charts fit their height, and a legend under one took its plot's height away.
    """
    return alt.Legend(title=title, orient="right", labelLimit=0)


def events_per_day(events: gpd.GeoDataFrame) -> pd.DataFrame:
    """Counts per day and primary actor (the rarer actors pooled as 'other actors')."""
    frame = pd.DataFrame(
        {"day": events[Column.DATE_START], "actor": events[Column.ACTOR1].astype("string")}
    )
    top = frame["actor"].value_counts().index[:TOP_ACTORS]
    frame["actor"] = frame["actor"].where(frame["actor"].isin(top), "other actors")
    return frame.groupby(["day", "actor"]).size().rename("events").reset_index()


def events_chart(
    counts: pd.DataFrame, start: dt.date, end: dt.date, as_of: dt.date
) -> alt.LayerChart:
    """Bars of events per day, the window shaded and the as-of day marked."""
    window = pd.DataFrame({"start": [pd.Timestamp(start)], "end": [pd.Timestamp(end)]})
    shade = (
        alt.Chart(window).mark_rect(opacity=0.12, color="#0072B2").encode(x="start:T", x2="end:T")
    )
    bars = (
        alt.Chart(counts)
        .mark_bar(size=4)
        .encode(
            x=alt.X("day:T", axis=DAY_AXIS),
            y=alt.Y("events:Q", title="events per day", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "actor:N",
                legend=whole_names_legend("primary actor"),
                scale=alt.Scale(scheme="tableau10"),
            ),
            tooltip=[alt.Tooltip("day:T"), "actor:N", "events:Q"],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"day": [pd.Timestamp(as_of)]}))
        .mark_rule(color="#D55E00", strokeDash=[4, 3])
        .encode(x="day:T")
    )
    return alt.layer(shade, bars, rule).properties(height=170)


def area_chart(areas: pd.DataFrame, as_of: dt.date) -> alt.LayerChart:
    """Step lines of each changing zone's drawn area, with the as-of day marked."""
    rows = []
    for row in areas.itertuples():
        rows.append({"name": row.name, "day": row.valid_from, "area_km2": row.area_km2})
        if not pd.isna(row.valid_to):
            rows.append({"name": row.name, "day": row.valid_to, "area_km2": row.area_km2})
    frame = pd.DataFrame(rows).sort_values(["name", "day"])
    lines = (
        alt.Chart(frame)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("day:T", axis=DAY_AXIS),
            y=alt.Y("area_km2:Q", title="drawn area (km²)"),
            color=alt.Color(
                "name:N", legend=whole_names_legend("zone"), scale=alt.Scale(scheme="dark2")
            ),
            tooltip=["name:N", alt.Tooltip("day:T"), "area_km2:Q"],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"day": [pd.Timestamp(as_of)]}))
        .mark_rule(color="#D55E00", strokeDash=[4, 3])
        .encode(x="day:T")
    )
    return alt.layer(lines, rule).properties(height=170)
