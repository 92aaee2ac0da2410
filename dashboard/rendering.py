"""Data is never template source: folium and branca render what they are given once, as text.

branca's ``MacroElement.render`` (and folium's own ``render`` methods) render an element's
macros and then wrap the *output* in ``Element(output)``, whose argument branca compiles as a
new Jinja template that the figure renders a second time.  The output holds the data (a
popup's text, the GeoJSON of every feature, the legend), so a ``{{ ... }}`` in a data file
was evaluated on the server in that second pass: template injection, up to running shell
commands.  Every caller of ``Element(str)`` in folium and branca passes text that is already
rendered, so here such an element holds its text literally: the second pass is a copy.

:func:`install` does this once per process (idempotent; ``dashboard.maps`` calls it on
import, so nothing can build a map without it), and :func:`check` proves it is in force
before each render.
"""

from __future__ import annotations

import types
from typing import Any

from branca.element import Element

__all__ = ["TemplateInjection", "check", "install"]

_PROBE = "{{ 6 * 7 }}{% if true %}{% endif %}{# c #}"


class TemplateInjection(RuntimeError):
    """Text would be rendered as a Jinja template: refuse rather than evaluate it."""


class _LiteralText:
    """Stands in for a ``jinja2.Template`` compiled from already-rendered text."""

    __slots__ = ("text",)
    #: what ``MacroElement.render`` looks for (no header/html/script macros here)
    module = types.SimpleNamespace()

    def __init__(self, text: str):
        self.text = text

    def render(self, *args: Any, **kwargs: Any) -> str:
        """The text as it was given: nothing in it is evaluated."""
        return self.text


_branca_init = Element.__init__
_branca_setstate = Element.__setstate__


def _literal_init(self: Element, template: str | None = None, template_name: str | None = None):
    _branca_init(self, None, template_name)
    self._template_str = template
    if template is not None:
        self._template = _LiteralText(str(template))


def _literal_setstate(self: Element, state: dict) -> None:
    text = state.get("_template_str")
    _branca_setstate(self, {**state, "_template_str": None})
    if text is not None:
        self._template = _LiteralText(text)
        self._template_str = text


def install() -> None:
    """Make ``Element(text)`` hold ``text`` literally, for the whole process.

    Templates that are part of a class (folium's, branca's and ours: ``_template =
    Template(...)`` written in code) are untouched; data only ever reaches them as variables.
    """
    if Element.__init__ is not _literal_init:
        Element.__init__ = _literal_init
        Element.__setstate__ = _literal_setstate


def check() -> None:
    """Raise :class:`TemplateInjection` unless rendered text is held literally.

    Called before every map render, so that a folium or branca upgrade that renders text
    another way fails loudly instead of evaluating data.

    >>> install(); check()
    """
    rendered = Element(_PROBE).render()
    if rendered != _PROBE:
        raise TemplateInjection(
            "folium/branca compiled rendered text as a Jinja template (it gave "
            f"{rendered!r} for {_PROBE!r}): refusing to render data as template source"
        )
