"""What a built map holds, read from its public results: ``to_dict()`` and the rendered HTML.

folium keeps an element's children in a private attribute; tests read the element tree
through ``to_dict()`` (each child's kind and name) and a child's data and options from the
page the map renders, as the browser gets them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import folium
from branca.element import Element

from dashboard.maps import map_html


def rendered(element: Element) -> str:
    """The HTML page of a map, or of a fresh map holding ``element`` (a layer group)."""
    if isinstance(element, folium.Map):
        return map_html(element)
    holder = folium.Map(tiles=None)
    element.add_to(holder)
    return map_html(holder)


def children(element: Element, kind: str, *, deep: bool = False) -> list[str]:
    """The names (``get_name()``) of the children drawn as ``kind``, in order.

    ``kind`` is folium's name for the element ("GeoJson", "PolyLine", "CircleMarker", ...);
    ``deep``: the children's children too, and so on.
    """

    def walk(tree: dict[str, Any]) -> list[str]:
        names = []
        for name, child in tree.get("children", {}).items():
            if child["name"] == kind:
                names.append(name)
            if deep:
                names += walk(child)
        return names

    return walk(element.to_dict(depth=-1 if deep else 1))


def geojson_data(html: str, name: str) -> dict[str, Any]:
    """The GeoJSON a rendered ``folium.GeoJson`` of this name adds to the map."""
    found = re.search(rf"\b{re.escape(name)}_add\((.*)\);\n", html)
    assert found, f"no data for {name} in the page"
    return json.loads(found.group(1))


def options(html: str, name: str) -> dict[str, Any]:
    """The options a rendered vector layer (``L.polyline``, ``L.circleMarker``...) is made with."""
    found = re.search(rf"var {re.escape(name)} = L\.\w+\(\n\s*.*\n\s*(\{{.*\}})\n", html)
    assert found, f"no options for {name} in the page"
    return json.loads(found.group(1))


def event_features(element: Element, html: str | None = None) -> list[dict[str, Any]]:
    """The features of the events' GeoJSON layer in ``element`` (each carries a popup).

    ``html``: the element's rendered page, when the test has it already.
    """
    html = rendered(element) if html is None else html
    for name in children(element, "GeoJson", deep=True):
        features = geojson_data(html, name)["features"]
        if features and "popup" in features[0].get("properties", {}):
            return features
    raise AssertionError("no layer of events in the element")
