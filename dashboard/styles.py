"""Colours and line styles: colour-blind-safe, the same on the map, the legend and the charts.

The palette is Okabe and Ito's (2008), designed to stay distinct under the common forms of
colour blindness.
"""

from __future__ import annotations

from collections.abc import Iterable

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
GREY = "#7f7f7f"

EVENT_TYPE_COLOURS = {
    "Battles": OKABE_ITO["purple"],
    "Explosions/Remote violence": OKABE_ITO["orange"],
    "Violence against civilians": OKABE_ITO["black"],
    "Strategic developments": OKABE_ITO["blue"],
    "Protests": OKABE_ITO["sky_blue"],
    "Riots": OKABE_ITO["yellow"],
}

#: Conventional colours of the Syrian war's maps, kept within the palette.
CONTROLLER_COLOURS = {
    "Syrian government": OKABE_ITO["vermillion"],
    "Syrian opposition": OKABE_ITO["green"],
    "YPG": OKABE_ITO["yellow"],
}

#: Marker outlines per dataset when several are open: the first keeps the usual near-black
#: outline; the others get dark tones that no event type's (bright) fill uses.
DATASET_OUTLINES = ("#222222", "#8c2d04", "#54278f", "#006d2c", "#08306b", "#67000d")

ROUTE_STATUS_STYLES = {
    "active": {"color": OKABE_ITO["blue"], "weight": 4, "dash_array": None, "opacity": 0.9},
    "suspended": {"color": GREY, "weight": 4, "dash_array": "8 6", "opacity": 0.9},
    None: {"color": OKABE_ITO["sky_blue"], "weight": 3, "dash_array": "2 6", "opacity": 0.8},
}

#: Colours for values with no fixed colour, assigned in order of first appearance.
_SPARE = [
    OKABE_ITO["sky_blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["purple"],
    OKABE_ITO["blue"],
    OKABE_ITO["green"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["yellow"],
    GREY,
]


def colour_map(
    values: Iterable[str], fixed: dict[str, str], *, kept: dict[str, str] | None = None
) -> dict[str, str]:
    """A colour for each distinct value: its fixed colour, its ``kept`` one, else a spare one.

    ``kept`` holds the colours an earlier load gave: a value keeps its colour from one load
    to the next, whatever values come or go.  Spare colours skip those already used by the
    values present, so that two values in one legend never share a colour while spare
    colours remain.

    >>> colour_map(["b"], {}, kept={"b": "#E69F00"})
    {'b': '#E69F00'}
    """
    kept = kept or {}
    distinct = list(dict.fromkeys(v for v in values if isinstance(v, str)))
    colours = {v: fixed.get(v) or kept[v] for v in distinct if v in fixed or v in kept}
    spare = [c for c in _SPARE if c not in colours.values()] or _SPARE
    for i, value in enumerate(v for v in distinct if v not in colours):
        colours[value] = spare[i % len(spare)]
    return {v: colours[v] for v in distinct}
