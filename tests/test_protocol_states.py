"""The states a protocol viewer reports for the widgets it was sent, as Streamlit's frontend does."""

from __future__ import annotations

from streamlit.proto.Element_pb2 import Element

from bench.protocol import widget_state


def _widget(kind: str, **fields) -> object:
    element = Element()
    widget = getattr(element, kind)
    for name, value in fields.items():
        if isinstance(value, list):
            getattr(widget, name).extend(value)
        else:
            setattr(widget, name, value)
    return widget


def test_a_widget_reports_its_default_until_the_app_sets_a_value():
    chosen = _widget("multiselect", id="m", options=["a", "b", "c"], default=[1])
    assert list(widget_state("multiselect", chosen).string_array_value.data) == ["b"]
    set_by_app = _widget("multiselect", id="m", options=["a"], raw_values=["x"], set_value=True)
    assert list(widget_state("multiselect", set_by_app).string_array_value.data) == ["x"]
    box = _widget("checkbox", id="c", default=True)
    assert widget_state("checkbox", box).bool_value is True
    radio = _widget("radio", id="r", options=["offline", "osm"], default=1)
    assert widget_state("radio", radio).string_value == "osm"
    slider = _widget("slider", id="s", default=[3.0], value=[5.0], set_value=True)
    assert list(widget_state("slider", slider).double_array_value.data) == [5.0]
    days = _widget("date_input", id="d", default=["2016/11/15", "2016/12/22"])
    assert list(widget_state("date_input", days).string_array_value.data)[1] == "2016/12/22"


def test_buttons_and_the_map_report_nothing_until_used():
    assert widget_state("button", _widget("button", id="b")) is None
    assert widget_state("markdown", Element().markdown) is None
