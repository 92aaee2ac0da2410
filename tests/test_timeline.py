"""The timeline's charts name their series in full (a cut name cannot be told apart)."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.components.timeline import area_chart, events_chart, events_per_day

DAY = dt.date(2016, 12, 15)


def _legends(spec: dict) -> list[dict]:
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


@pytest.mark.parametrize("name", ["events", "areas"])
def test_each_chart_is_a_valid_vega_lite_spec_whose_layers_find_their_data(charts, name):
    import altair as alt
    import pandas as pd

    spec = charts[name]
    # Altair's copy of the Vega-Lite schema: a misspelt key or a wrong type raises here
    alt.LayerChart.from_dict({**spec, "datasets": {}}, validate=True)
    named = {layer["data"]["name"] for layer in spec["layer"]}
    assert named == set(spec["datasets"])
    for layer in spec["layer"]:
        frame = spec["datasets"][layer["data"]["name"]]
        assert isinstance(frame, pd.DataFrame) and not frame.empty
        fields = {c["field"] for c in layer["encoding"].values() if isinstance(c, dict)}
        assert fields <= set(frame.columns), layer


def test_the_as_of_rule_and_the_window_are_on_their_days(story):
    window = (dt.date(2016, 12, 13), dt.date(2016, 12, 16))
    spec = events_chart(events_per_day(story.events), *window, DAY)
    assert spec["datasets"]["as_of"]["day"].tolist() == [pd_day(DAY)]
    shade = spec["datasets"]["window"]
    assert (shade["start"].tolist(), shade["end"].tolist()) == (
        [pd_day(window[0])],
        [pd_day(window[1])],
    )


def pd_day(day: dt.date):
    import pandas as pd

    return pd.Timestamp(day)
