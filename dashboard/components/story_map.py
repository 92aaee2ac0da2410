"""A story step on the map, as pure functions: the step's layers, its highlights and notes.

Both the app's Story page and ``atlas publish`` draw a step with these: data in (a step and
the data it shows, see ``geo.narrative.step_data``), folium feature groups and escaped HTML
out; no Streamlit call.  Positions are EPSG:4326 degrees; bounds are Leaflet's
``[[south, west], [north, east]]``.
"""

from __future__ import annotations

from html import escape

import folium
import pandas as pd
from branca.element import MacroElement
from folium.template import Template
from markdown_it import MarkdownIt

from dashboard.maps import (
    Palette,
    annotation_layer,
    build_data_layers,
    esc,
    highlight_layer,
    safe_url,
)
from dashboard.views import VIEWS, fit_bounds
from geo.dataset import Dataset
from geo.narrative import Citation, Step

#: CommonMark with raw HTML off: ``<script>`` in a story file is shown as text, and a link
#: is kept only when markdown-it's own check passes (no ``javascript:``, ``data:`` ...).
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown_html(text: str) -> str:
    r"""A step's Markdown text as HTML; any HTML in the text comes out escaped, as text.

    >>> markdown_html("**Aleppo** <script>alert(1)</script>")
    '<p><strong>Aleppo</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n'
    """
    html = _MARKDOWN.render(text)
    # links leave the page for another site: never with the page's referrer or opener
    return html.replace("<a href=", '<a rel="noopener noreferrer" target="_blank" href=')


def step_bounds(step: Step, shown: Dataset) -> list[list[float]]:
    """Where the map goes for the step: its extent, else around what it shows."""
    return (
        step.view.bounds()
        or fit_bounds(shown.events, shown.zones, shown.routes)
        or VIEWS["region"].bounds
    )


def step_as_of(step: Step) -> pd.Timestamp | None:
    """The day the step shows zones and routes for (its as-of day, else its window's end)."""
    return step.view.as_filters().effective_as_of


class FlyTo(MacroElement):
    """Flies the map to bounds when its group is (re)drawn: the app's step changes.

    ``label`` makes the script differ per step, so st_folium redraws (and flies) only when
    the step changes, not on every rerun.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent._parent.get_name() }};
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var bounds = {{ this.bounds|tojavascript }};
  var since = Date.now();
  function go() {
    // a map in a frame still being laid out has no size yet: a fit there ends at zoom 0
    var size = map.getSize();
    if (size.x < 50 || size.y < 50) { setTimeout(go, 50); return; }
    map.invalidateSize();
    map.flyToBounds(bounds, {duration: still ? 0 : 0.8});
  }
  // the frame may still grow to its height just after: fit the step again then (only
  // then: a frame shrinking as its page is left, or only widening, keeps its view)
  var height = map.getSize().y;
  function refit() {
    var grew = map.getSize().y > height + 10;
    height = map.getSize().y;
    if (Date.now() - since >= 3000) { map.off("resize", refit); }
    else if (grew) { map.fitBounds(bounds); }
  }
  map.on("resize", refit);
  go();
  // step {{ this.label|tojavascript }}
})();
{% endmacro %}
"""
    )

    def __init__(self, bounds: list[list[float]], label: str):
        super().__init__()
        self._name = "FlyTo"
        self.bounds = bounds
        self.label = label


def step_groups(
    step: Step,
    shown: Dataset,
    *,
    palette: Palette,
    fly: str | None = None,
) -> list[folium.FeatureGroup]:
    """The step's feature groups: its data layers, its highlights, then its notes.

    ``shown`` is ``geo.narrative.step_data``'s (the step's filters and layers); ``fly``
    (a label unique to the step): the last group flies the map to the step's bounds when
    drawn, as the app wants (a published site flies on its own).
    """
    bounds = step_bounds(step, shown)
    groups, _ = build_data_layers(
        shown,
        palette=palette,
        as_of=step_as_of(step),
        layers=step.view.layers,
        view=bounds,
    )
    extra = [highlight_layer(shown, step.highlight), annotation_layer(step.annotations)]
    if fly is not None:
        FlyTo(bounds, fly).add_to(extra[-1])
    return [*groups, *extra]


def sources_html(cited: list[Citation], *, limit_others: int = 12) -> str:
    """The step's sources as an escaped HTML list: its highlighted events' first.

    Links are kept only when http(s), and open in a new tab without the page's referrer.
    """

    def item(citation: Citation) -> str:
        name = esc(citation.publisher)
        if citation.title:
            name += f": <i>{esc(citation.title)}</i>"
        if citation.date:
            name += f" ({esc(citation.date)})"
        url = safe_url(citation.url)
        if url:
            name = (
                f'<a href="{escape(url, quote=True)}" rel="noopener noreferrer" '
                f'target="_blank">{name}</a>'
            )
        claim = f" — {esc(citation.claim)}" if citation.claim else ""
        return f"<li>{name}{claim}</li>"

    own = [c for c in cited if c.highlighted]
    others = [c for c in cited if not c.highlighted]
    parts = [f"<ul class='atlas-step-sources'>{''.join(map(item, own))}</ul>"] if own else []
    if others:
        shown_others = others[:limit_others]
        more = len(others) - len(shown_others)
        tail = f"<li>and {more} more (in the map's popups)</li>" if more else ""
        parts.append(
            "<details><summary>Also cited by the rest of what the map shows "
            f"({len(others)})</summary><ul class='atlas-step-sources'>"
            f"{''.join(map(item, shown_others))}{tail}</ul></details>"
        )
    return "".join(parts) or "<p>No source is cited by what this step shows.</p>"
