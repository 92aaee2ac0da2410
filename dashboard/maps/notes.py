"""A story step's own layers: rings on its highlighted events, and its labels and arrows.

Drawn over the data layers in the app's Story page, the published site and each step's
PNG.  Positions are EPSG:4326 ``(lat, lon)``; both looks are in ``map_style.css``, which
every map inlines.
"""

from __future__ import annotations

import folium
import shapely

from dashboard.maps.popups import esc
from dashboard.maps.routes import arrow_bearings
from geo.dataset import Dataset
from geo.narrative import Annotation
from geo.schema import Column

HIGHLIGHT_CLASS = "atlas-highlight"
ANNOTATION_CLASS = "atlas-annotation"


def _bearing(start: tuple[float, float], end: tuple[float, float]) -> float:
    """The screen angle of an arrow from ``start`` to ``end`` ((lat, lon) each)."""
    line = shapely.LineString([(start[1], start[0]), (end[1], end[0])])
    return arrow_bearings(line)[0][2] if start != end else 0.0


def annotation_layer(annotations: tuple[Annotation, ...]) -> folium.FeatureGroup:
    """The step's labels and arrows (their text escaped).

    The label script (``atlas-labels.js``) keeps each label inside the map, turning it to
    the other side of its point near an edge, and hides the map's own names under it.
    """
    group = folium.FeatureGroup(name="Notes", control=False)
    for note in annotations:
        if note.kind == "arrow" and note.to is not None:
            folium.PolyLine([note.at, note.to], color="#111111", weight=3, opacity=0.9).add_to(
                group
            )
            folium.Marker(
                note.to,
                icon=folium.DivIcon(
                    html=(
                        '<div class="atlas-annotation-arrow" '
                        f'style="transform: rotate({_bearing(note.at, note.to):.1f}deg)">'
                        "&#x27A4;</div>"
                    ),
                    icon_size=(20, 20),
                    icon_anchor=(10, 10),
                ),
                interactive=False,
            ).add_to(group)
        if note.text:
            folium.Marker(
                note.at,
                icon=folium.DivIcon(
                    html=f'<div class="{ANNOTATION_CLASS}">{esc(note.text)}</div>',
                    icon_size=None,
                    icon_anchor=(0, 0),
                ),
                interactive=False,
            ).add_to(group)
    return group


def highlight_layer(shown: Dataset, highlight: tuple[str, ...]) -> folium.FeatureGroup:
    """A ring around each highlighted event the step shows."""
    group = folium.FeatureGroup(name="Highlighted", control=False)
    events = shown.events[shown.events[Column.ID].isin(highlight)]
    for _, event in events.iterrows():
        point = event.geometry
        folium.CircleMarker(
            location=(point.y, point.x),
            radius=13,
            color="#111111",
            weight=3,
            fill=False,
            interactive=False,
            class_name=HIGHLIGHT_CLASS,
        ).add_to(group)
    return group
