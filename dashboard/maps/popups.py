"""What a click or a hover on the map shows: popups and tooltips, and their text.

The popup text of events, zones and routes is escaped HTML built here (every piece of data
text escaped, links kept only when they are http(s)); :class:`HtmlPopup` puts it into the
page as a JSON string, :class:`TextTooltip` and the binders set tooltips as text, never as
HTML.  The binders bind the popups and tooltips of features in the browser, for the
layers drawn as one GeoJSON of many features (events, count cells).
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

import folium
import pandas as pd
from folium.template import Template
from folium.utilities import JsCode

from geo.filters import format_day
from geo.parsing import decode_json_list
from geo.schema import LOCATION_PRECISION_RADIUS_KM, Column

#: Each event popup ends with this, then the event's id: how a click is traced to its event.
EVENT_ID_LABEL = "Event id: "


def esc(value: Any) -> str:
    """HTML-escaped text of a cell; empty for missing values."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def safe_url(url: Any) -> str | None:
    """The URL, escaped for an attribute, if it is http(s); None otherwise (no javascript:)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not re.match(r"^https?://[^\s<>\"']+$", url, flags=re.IGNORECASE):
        return None
    return html.escape(url, quote=True)


def date_text(start: pd.Timestamp, end: Any, precision: Any) -> str:
    """``15 December 2016`` or ``5–6 December 2016``, with the precision when not a day."""
    text = format_day(start)
    if isinstance(end, pd.Timestamp) and not pd.isna(end) and end != start:
        text = f"{format_day(start)} – {format_day(end)}"
    if isinstance(precision, str) and precision != "day":
        text += f" (precision: {precision})"
    return text


def sources_html(sources_json: Any) -> str:
    """Every source as an escaped list item: publisher, title, date, link, quote, claim."""
    items = []
    for source in decode_json_list(sources_json):
        parts = [f"<b>{esc(source.get('publisher'))}</b>"]
        if source.get("title"):
            parts.append(f"<i>{esc(source['title'])}</i>")
        if source.get("date"):
            parts.append(esc(source["date"]))
        url = safe_url(source.get("url"))
        if url:
            parts.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer">link</a>')
        item = ", ".join(parts)
        if source.get("quote"):
            item += f'<blockquote class="atlas-quote">“{esc(source["quote"])}”</blockquote>'
        if source.get("claim"):
            item += f'<div class="atlas-claim">Says: {esc(source["claim"])}</div>'
        if source.get("note"):
            item += f'<div class="atlas-note">{esc(source["note"])}</div>'
        items.append(f"<li>{item}</li>")
    return f'<ol class="atlas-sources">{"".join(items)}</ol>' if items else ""


def _actors_text(event: pd.Series) -> str:
    names = [event[Column.ACTOR1], event[Column.ACTOR2]]
    main = " vs ".join(esc(n) for n in names if isinstance(n, str))
    assoc = event[Column.ASSOC_ACTORS]
    if isinstance(assoc, str):
        main += f" (with {esc(assoc)})"
    return main


def event_popup_html(event: pd.Series) -> str:
    """The popup of one event: date and precision, actors, description, status, sources."""
    status = event[Column.STATUS]
    badge = f'<span class="atlas-status atlas-status-{esc(status)}">{esc(status)}</span>'
    location = esc(event[Column.PLACE_NAME]) or "Location"
    precision = esc(event[Column.LOCATION_PRECISION])
    where = f"{location} <span class='atlas-muted'>(precision: {precision}"
    if bool(event[Column.ESTIMATE]):
        where += f", estimated position ±{uncertainty_km(event):g} km"
    where += ")</span>"
    fatalities = event[Column.FATALITIES]
    when = date_text(event[Column.DATE_START], event[Column.DATE_END], event[Column.DATE_PRECISION])
    kind = esc(event[Column.EVENT_TYPE])
    if isinstance(event[Column.SUB_EVENT_TYPE], str):
        kind += f" · {esc(event[Column.SUB_EVENT_TYPE])}"
    rows = [
        f"<div class='atlas-date'>{esc(when)} {badge}</div>",
        f"<div class='atlas-type'>{kind}</div>",
        f"<div class='atlas-actors'>{_actors_text(event)}</div>",
        f"<div class='atlas-where'>{where}</div>",
    ]
    if not pd.isna(fatalities):
        rows.append(f"<div>Fatalities: {int(fatalities)}</div>")
    if isinstance(event[Column.DESCRIPTION], str):
        rows.append(f"<p>{esc(event[Column.DESCRIPTION])}</p>")
    rows += _notes_and_sources(event, "Note: ")
    if isinstance(event.get(Column.GEOCODE), str):
        rows.append(f"<div class='atlas-muted'>Placed by name: {esc(event[Column.GEOCODE])}</div>")
    if isinstance(event.get(Column.DATASET), str):
        rows.append(f"<div class='atlas-muted'>Dataset: {esc(event[Column.DATASET])}</div>")
    rows.append(f"<div class='atlas-id'>{EVENT_ID_LABEL}{esc(event[Column.ID])}</div>")
    return f"<div class='atlas-popup'>{''.join(rows)}</div>"


def _notes_and_sources(row: pd.Series, note_prefix: str = "") -> list[str]:
    """The end of every popup: the row's notes, then its sources (escaped)."""
    parts = []
    if isinstance(row[Column.NOTES], str):
        parts.append(f"<p class='atlas-note'>{note_prefix}{esc(row[Column.NOTES])}</p>")
    parts.append(f"<div class='atlas-heading'>Sources</div>{sources_html(row[Column.SOURCES])}")
    return parts


def event_id_from_popup(popup_text: Any) -> str | None:
    """The event id in the text of a clicked event's popup (st_folium returns its innerText)."""
    if not isinstance(popup_text, str):
        return None
    for line in reversed(popup_text.strip().splitlines()):
        if line.startswith(EVENT_ID_LABEL):
            return line[len(EVENT_ID_LABEL) :].strip() or None
    return None


def uncertainty_km(row: pd.Series) -> float:
    """The radius (km) of a row's circle of uncertainty: its own, else its precision's."""
    given = row[Column.UNCERTAINTY_KM]
    if not pd.isna(given):
        return float(given)
    return LOCATION_PRECISION_RADIUS_KM.get(row[Column.LOCATION_PRECISION], 2.0)


def zone_popup_html(zone: pd.Series) -> str:
    """The popup of one zone: controller, validity, how it was drawn, its uncertainty, sources."""
    until = zone[Column.VALID_TO]
    validity = f"from {format_day(zone[Column.VALID_FROM])}"
    validity += " (open-ended)" if pd.isna(until) else f" to {format_day(until)}"
    rows = [
        f"<div class='atlas-date'><b>{esc(zone[Column.NAME])}</b></div>",
        f"<div>Held by {esc(zone[Column.CONTROLLER])}, {esc(validity)}</div>",
        f"<p><span class='atlas-heading'>How it was drawn:</span> {esc(zone[Column.METHOD])}</p>",
    ]
    if isinstance(zone[Column.UNCERTAINTY], str):
        rows.append(
            "<p><span class='atlas-heading'>Uncertainty:</span> "
            f"{esc(zone[Column.UNCERTAINTY])}</p>"
        )
    rows += _notes_and_sources(zone)
    return f"<div class='atlas-popup'>{''.join(rows)}</div>"


def people_moved_text(people_json: Any, as_of: pd.Timestamp | None) -> list[str]:
    """Each count of people moved known by ``as_of`` (all when None), with its source."""
    lines = []
    for count in decode_json_list(people_json):
        if as_of is not None and count.get("as_of") and pd.Timestamp(count["as_of"]) > as_of:
            continue
        source = count.get("source", {})
        text = f"{count.get('qualifier', '')} {count['count']:,} people".strip()
        if count.get("as_of"):
            text += f" by {format_day(count['as_of'])}"
        text += f" — {source.get('publisher', '')}"
        lines.append(text)
    return lines


def route_popup_html(route: pd.Series, as_of: pd.Timestamp | None) -> str:
    """The popup of one route: its status on the day, periods, people moved, sources."""
    status = route.get(Column.STATUS_AS_OF)
    rows = [f"<div class='atlas-date'><b>{esc(route[Column.NAME])}</b></div>"]
    if isinstance(status, str) and as_of is not None:
        rows.append(f"<div>On {esc(format_day(as_of))}: <b>{esc(status)}</b></div>")
    periods = decode_json_list(route[Column.PERIODS])
    if periods:
        items = "".join(
            f"<li>{esc(p['start'])} – {esc(p.get('end', 'open'))}: {esc(p['status'])}"
            + (f" <span class='atlas-muted'>({esc(p['note'])})</span>" if p.get("note") else "")
            + "</li>"
            for p in periods
        )
        rows.append(f"<div class='atlas-heading'>Periods</div><ul>{items}</ul>")
    counts = people_moved_text(route[Column.PEOPLE_MOVED], as_of)
    if counts:
        items = "".join(f"<li>{esc(c)}</li>" for c in counts)
        rows.append(f"<div class='atlas-heading'>People moved (as reported)</div><ul>{items}</ul>")
    if isinstance(route[Column.METHOD], str):
        rows.append(f"<p class='atlas-muted'>{esc(route[Column.METHOD])}</p>")
    rows += _notes_and_sources(route)
    return f"<div class='atlas-popup'>{''.join(rows)}</div>"


# --- popups, tooltips and the browser-side binders ------------------------------------


class HtmlPopup(folium.Popup):
    """A popup of escaped HTML, put into the page as a JSON string.

    folium's own popup writes its HTML inside a JavaScript template literal, where a
    ``${...}`` or a backtick in the text would run as script: here the text is a JSON
    string (``<``, ``>``, ``&`` and ``'`` escaped too, so no ``</script>`` ends the block).
    """

    _template = Template(
        """
var {{ this.get_name() }} = L.popup({{ this.options|tojavascript }});
(function () {
  var content = document.createElement("div");
  content.innerHTML = {{ this.content|tojavascript }};
  {{ this.get_name() }}.setContent(content);
})();
{{ this._parent.get_name() }}.bindPopup({{ this.get_name() }});
"""
    )

    def __init__(self, content: str, *, max_width: int = 380):
        super().__init__(max_width=max_width)
        self.content = content


class TextTooltip(folium.Tooltip):
    """A tooltip whose text is set as text (``textContent``): never HTML, never script."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var tip = document.createElement("div");
  tip.textContent = {{ this.text|tojavascript }};
  {{ this._parent.get_name() }}.bindTooltip(tip, {{ this.options|tojavascript }});
})();
{% endmacro %}
"""
    )


#: Every event popup's Leaflet options, markers' and WebGL points' alike.  A popup opened
#: near the map's top-left corner pans clear of the zoom and full-screen buttons, which
#: would otherwise cover its first words.
EVENT_POPUP_OPTIONS = {"maxWidth": 380, "autoPanPaddingTopLeft": [56, 12]}

#: Binds each event's popup (escaped HTML, held as a DOM element so that st_folium can read
#: a clicked event's text) and its tooltip (set as text) in the browser.
BIND_EVENT = JsCode(
    """function (feature, layer) {
        var content = document.createElement("div");
        content.innerHTML = feature.properties.popup;
        layer.bindPopup(content, """
    + json.dumps(EVENT_POPUP_OPTIONS)
    + """);
        var tip = document.createElement("div");
        tip.textContent = feature.properties.tooltip;
        layer.bindTooltip(tip);
    }"""
)
#: Binds a count cell's tooltip, set as text (the commonest type is the data's text).
BIND_CELL = JsCode(
    """function (feature, layer) {
        var tip = document.createElement("div");
        tip.textContent = feature.properties.label;
        layer.bindTooltip(tip, {sticky: true});
    }"""
)
