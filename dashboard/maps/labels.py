"""Map labels: what is named first, the label element, and the script that declutters them.

Every label on the map (places, zones, routes, context towns, and any layer's that follows
this convention, such as the city's neighbourhoods) is a permanent Leaflet tooltip with
the class ``atlas-label`` whose content carries ``data-priority``: a smaller number is named
first.  :class:`LabelDeclutter`, on the base map, runs ``dashboard/static/atlas-labels.js``:
after every zoom, pan and layer change it hides each label that would overlap a label of
higher priority (or one of equal priority met earlier), and shows it again when there is
room.  A PNG snapshot calls it once more before the page says it is ready.

The text of a label is set as text (``textContent``), never as HTML: a name is data.
"""

from __future__ import annotations

import re

import folium
from branca.element import MacroElement
from folium.template import Template

from dashboard.assets import STATIC_DIR

#: The story's own places: Aleppo, Idlib, Moscow, Ankara, Tehran, the Su-24 site.
PRIORITY_STORY = 1
#: Control zones ("Opposition-held, 13 Dec").
PRIORITY_ZONE = 2
#: Routes ("to Idlib").
PRIORITY_ROUTE = 3
#: The dataset's other capitals and cities.
PRIORITY_PLACE = 4
#: The dataset's other places: towns, districts, sites, crossings.
PRIORITY_MINOR_PLACE = 6
#: Context towns start here, plus their rank (Natural Earth's scale rank, GeoNames 11–12).
PRIORITY_TOWN = 10

#: The places the bundled story is about, named first wherever they appear (a city or
#: capital whose name starts with one of these).
KEY_PLACE_NAMES = ("Aleppo", "Idlib", "Moscow", "Ankara", "Tehran")
#: A place whose name says it is the Su-24 site is named first too.
KEY_SITE = re.compile(r"\bSu-24\b", re.IGNORECASE)

#: The languages labels can be drawn in; Arabic where the data has the name.
LANGUAGES = ("en", "ar")

#: The decluttering script, read once (it is inlined into every map: no request, no CSP hole).
SCRIPT = (STATIC_DIR / "atlas-labels.js").read_text(encoding="utf-8")

#: How labels look: text with a white halo, no box; hidden ones keep their place in the
#: layout (so that they can be measured) but are not seen.
LABEL_CSS = """
.leaflet-tooltip.atlas-label { background: transparent; border: 0; box-shadow: none;
  padding: 0 2px; color: #222; font: 600 12px/1.2 system-ui, sans-serif;
  text-shadow: 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; white-space: nowrap; }
.leaflet-tooltip.atlas-label::before { display: none; }
.leaflet-tooltip.atlas-label.atlas-label-hidden { visibility: hidden; }
.leaflet-tooltip.atlas-label-story { font-size: 14px; font-weight: 700; color: #111; }
.leaflet-tooltip.atlas-label-zone { font-size: 12px; font-weight: 700;
  letter-spacing: 0.02em; color: #333; }
.leaflet-tooltip.atlas-label-route { font-size: 11px; font-style: italic; color: #333; }
.leaflet-tooltip.atlas-label-town { font-size: 11px; font-weight: 500; color: #555; }
.leaflet-tooltip.atlas-label-road { font-size: 10px; font-weight: 700; color: #fff;
  background: #8a6d3b; border-radius: 2px; padding: 0 3px; text-shadow: none; }
.leaflet-tooltip.atlas-label-river { font-size: 11px; font-style: italic; color: #3a6d99; }
.leaflet-tooltip.atlas-label [lang="ar"] { font-family: "Noto Naskh Arabic", "Noto Sans Arabic",
  "DejaVu Sans", sans-serif; font-size: 1.1em; }
"""


def short_name(name: str) -> str:
    """A place's name as a label: without its parenthesis or its " - " explanation.

    >>> short_name("Latakia (Al Ladhiqiyah)"), short_name("Turkmen Mountain - Su-24 crash")
    ('Latakia', 'Turkmen Mountain')
    """
    return str(name).split(" (")[0].split(" - ")[0].split(", ")[0].strip()


def place_priority(name: str, kind: str) -> int:
    """Which comes first: the story's places, then capitals and cities, then the rest.

    >>> place_priority("Aleppo (city, NE point)", "city"), place_priority("Moscow Kremlin", "site")
    (1, 6)
    >>> place_priority("Turkmen Mountain, Latakia - Su-24 crash area", "site")
    1
    >>> place_priority("Damascus", "capital"), place_priority("Binnish", "town")
    (4, 6)
    """
    text = str(name)
    if KEY_SITE.search(text):
        return PRIORITY_STORY
    if kind in {"capital", "city"}:
        if short_name(text).startswith(KEY_PLACE_NAMES):
            return PRIORITY_STORY
        return PRIORITY_PLACE
    return PRIORITY_MINOR_PLACE


def held_by(controller: str) -> str:
    """A zone's controller as a label's first words.

    >>> held_by("Syrian opposition"), held_by("Syrian government"), held_by("YPG")
    ('Opposition-held', 'Government-held', 'YPG-held')
    """
    words = str(controller).strip()
    words = re.sub(r"^Syrian\s+", "", words)
    return f"{words[:1].upper()}{words[1:]}-held"


def destination_name(destination: str) -> str:
    """Where a route goes, as a route label's place: its first name, without descriptors.

    >>> destination_name("Idlib governorate"), destination_name("Moscow")
    ('Idlib', 'Moscow')
    >>> destination_name("Jibrin temporary housing centre, east of Aleppo")
    'Jibrin'
    """
    name = short_name(destination)
    name = re.split(r"\s+(?:governorate|province|district|temporary|camp|centre|city)\b", name)[0]
    return name.strip() or short_name(destination)


class LabelTooltip(folium.Tooltip):
    """A permanent label: text set as text, its priority and language on its element.

    ``kind`` is the label's style (story, place, zone, route, town, road, river);
    ``language`` "ar" sets ``lang`` and ``dir`` so that Arabic reads right to left.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var tip = document.createElement("span");
  tip.textContent = {{ this.text|tojavascript }};
  tip.setAttribute("data-priority", {{ this.priority|tojavascript }});
  tip.setAttribute("lang", {{ this.language|tojavascript }});
  tip.setAttribute("dir", {{ this.direction_text|tojavascript }});
  {{ this._parent.get_name() }}.bindTooltip(tip, {{ this.options|tojavascript }});
})();
{% endmacro %}
"""
    )

    def __init__(
        self,
        text: str,
        priority: int,
        *,
        kind: str,
        language: str = "en",
        direction: str = "right",
        offset: tuple[int, int] = (4, 0),
    ):
        super().__init__(
            str(text),
            permanent=True,
            direction=direction,
            offset=offset,
            opacity=1,
            interactive=False,
            class_name=f"atlas-label atlas-label-{kind}",
        )
        self.priority = int(priority)
        self.language = "ar" if language == "ar" else "en"
        self.direction_text = "rtl" if self.language == "ar" else "ltr"


def label_anchor(location: tuple[float, float], tooltip: LabelTooltip) -> folium.Marker:
    """An invisible point carrying a label (for a zone's or route's label, where no marker is)."""
    marker = folium.Marker(
        location,
        icon=folium.DivIcon(html="", icon_size=(0, 0), class_name="atlas-label-anchor"),
        interactive=False,
        keyboard=False,
    )
    tooltip.add_to(marker)
    return marker


class LabelDeclutter(MacroElement):
    """Hides labels that would overlap one of higher priority, at every zoom and pan.

    Added once to the base map; the script is ``dashboard/static/atlas-labels.js``, inlined.
    ``window.atlasLabels.declutter(map)`` runs it at once (a snapshot does, before it says
    it is ready).
    """

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>{{ this.css }}</style>
{% endmacro %}
{% macro script(this, kwargs) %}
{{ this.code }}
window.atlasLabels.watch({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self):
        super().__init__()
        self._name = "LabelDeclutter"
        self.css = LABEL_CSS
        self.code = SCRIPT
