"""The timeline: events per day by primary actor with the window marked, and zone areas.

The charts are Vega-Lite specs written as plain dicts, their data as DataFrames under
``datasets`` (``st.vega_lite_chart`` sends those as Arrow).  Altair built the same specs
before, at ~55 ms a run for the two charts (its schema validation, twice), under a lock
that every session's thread shares; the tests validate these against Altair's copy of
the Vega-Lite schema instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.schema import Column

TOP_ACTORS = 7
#: The counts are per day: no tick between two days (a short window would show hours).
DAY_AXIS = {"tickMinStep": 24 * 60 * 60 * 1000, "title": None}
#: The as-of day's mark, on both charts.
AS_OF_RULE = {"type": "rule", "color": "#D55E00", "strokeDash": [4, 3]}
CHART_HEIGHT = 170

VegaLiteSpec = dict[str, Any]


def whole_names_legend(title: str) -> dict[str, Any]:
    """A legend beside the chart that prints every name whole.

    Vega cuts labels at 160 px by default ("East Aleppo opposition-…"), and a cut name of
    a zone or an actor cannot be told from its neighbour.  Beside, not under: the app's
    charts fit their height, and a legend under one took its plot's height away.
    """
    return {"title": title, "orient": "right", "labelLimit": 0}


def events_per_day(events: gpd.GeoDataFrame) -> pd.DataFrame:
    """Counts per day and primary actor (the rarer actors pooled as 'other actors')."""
    frame = pd.DataFrame(
        {"day": events[Column.DATE_START], "actor": events[Column.ACTOR1].astype("string")}
    )
    top = frame["actor"].value_counts().index[:TOP_ACTORS]
    frame["actor"] = frame["actor"].where(frame["actor"].isin(top), "other actors")
    return frame.groupby(["day", "actor"]).size().rename("events").reset_index()


def _day_mark(as_of: dt.date) -> pd.DataFrame:
    return pd.DataFrame({"day": [pd.Timestamp(as_of)]})


def _rule_layer() -> dict[str, Any]:
    return {
        "data": {"name": "as_of"},
        "mark": {**AS_OF_RULE},  # each spec its own dicts: Streamlit may edit what it gets
        "encoding": {"x": {"field": "day", "type": "temporal"}},
    }


def _series_encoding(
    series: str,
    legend: str,
    scheme: str,
    value: str,
    y: dict[str, Any],
    *,
    tooltip: tuple[str, ...],
) -> dict[str, Any]:
    """Days along x, VALUE up y (with Y's title and axis), a colour per SERIES named whole."""
    kinds = {"day": "temporal", series: "nominal", value: "quantitative"}
    return {
        "x": {"field": "day", "type": "temporal", "axis": {**DAY_AXIS}},
        "y": {"field": value, "type": "quantitative", **y},
        "color": {
            "field": series,
            "type": "nominal",
            "legend": whole_names_legend(legend),
            "scale": {"scheme": scheme},
        },
        "tooltip": [{"field": field, "type": kinds[field]} for field in tooltip],
    }


def events_chart(
    counts: pd.DataFrame, start: dt.date, end: dt.date, as_of: dt.date
) -> VegaLiteSpec:
    """Bars of events per day, the window shaded and the as-of day marked.

    ``counts`` has :func:`events_per_day`'s columns: ``day``, ``actor`` and ``events``.
    """
    window = pd.DataFrame({"start": [pd.Timestamp(start)], "end": [pd.Timestamp(end)]})
    shade = {
        "data": {"name": "window"},
        "mark": {"type": "rect", "color": "#0072B2", "opacity": 0.12},
        "encoding": {"x": {"field": "start", "type": "temporal"}, "x2": {"field": "end"}},
    }
    bars = {
        "data": {"name": "counts"},
        "mark": {"type": "bar", "size": 4},
        "encoding": _series_encoding(
            "actor",
            "primary actor",
            "tableau10",
            "events",
            {"title": "events per day", "axis": {"tickMinStep": 1}},
            tooltip=("day", "actor", "events"),
        ),
    }
    return {
        "layer": [shade, bars, _rule_layer()],
        "height": CHART_HEIGHT,
        "datasets": {"window": window, "counts": counts, "as_of": _day_mark(as_of)},
    }


def area_chart(areas: pd.DataFrame, as_of: dt.date) -> VegaLiteSpec:
    """Step lines of each changing zone's drawn area, with the as-of day marked.

    ``areas`` has a row per dated shape: ``name``, ``valid_from``, ``valid_to`` (missing:
    still standing) and ``area_km2``.
    """
    rows = []
    for row in areas.itertuples():
        rows.append({"name": row.name, "day": row.valid_from, "area_km2": row.area_km2})
        if not pd.isna(row.valid_to):
            rows.append({"name": row.name, "day": row.valid_to, "area_km2": row.area_km2})
    frame = pd.DataFrame(rows).sort_values(["name", "day"])
    lines = {
        "data": {"name": "areas"},
        "mark": {"type": "line", "interpolate": "step-after", "point": True},
        "encoding": _series_encoding(
            "name",
            "zone",
            "dark2",
            "area_km2",
            {"title": "drawn area (km²)"},
            tooltip=("name", "day", "area_km2"),
        ),
    }
    return {
        "layer": [lines, _rule_layer()],
        "height": CHART_HEIGHT,
        "datasets": {"areas": frame, "as_of": _day_mark(as_of)},
    }
