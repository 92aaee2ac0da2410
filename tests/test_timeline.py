"""The timeline's charts name their series in full (a cut name cannot be told apart)."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.components.timeline import area_chart, events_chart, events_per_day

DAY = dt.date(2016, 12, 15)


def _legends(chart) -> list[dict]:
    spec = chart.to_dict()
    return [
        layer["encoding"]["color"]["legend"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {})
    ]


@pytest.fixture
def charts(story):
    from dashboard.cache import zone_areas

    return {
        "events": events_chart(events_per_day(story.events), DAY, DAY, DAY),
        "areas": area_chart(zone_areas(story, story.content_hash()), DAY),
    }


@pytest.mark.parametrize("name", ["events", "areas"])
def test_each_chart_prints_its_legend_names_whole_beside_the_chart(charts, name):
    # Vega's default cuts a label at 160 px: "East Aleppo opposition-…" in the zone legend
    (legend,) = _legends(charts[name])
    assert legend["labelLimit"] == 0, "0: no limit"
    # under the chart, a legend took the plot's height (the app fits a chart's height)
    assert legend["orient"] == "right"
