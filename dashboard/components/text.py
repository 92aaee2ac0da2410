"""User text shown through Streamlit's Markdown (titles, captions, messages) as plain text."""

from __future__ import annotations

#: Characters Markdown gives a meaning to; HTML is never rendered (no unsafe_allow_html),
#: but a file name or actor like ``[x](javascript:...)`` would otherwise become a link.
_MARKDOWN = set("\\`*_{}[]()#+-.!<>|~:$")


def md_text(text: object) -> str:
    r"""``text`` escaped so that Streamlit's Markdown shows it exactly as written.

    >>> md_text("[x](javascript:alert(1)) *bold*")
    '\\[x\\]\\(javascript\\:alert\\(1\\)\\) \\*bold\\*'
    """
    return "".join(f"\\{c}" if c in _MARKDOWN else c for c in str(text))
