"""Offline map assets: Leaflet and the plugins folium uses, served by the app itself.

folium's HTML loads Leaflet, jQuery, Bootstrap and its plugins from public CDNs; offline the
map stays blank.  ``make install`` fetches the few we use from npm into
``dashboard/static/node_modules`` (see ``dashboard/static/package.json``), Streamlit serves
that folder, and :func:`localize_assets` points every element of a map at those copies.
Assets the map does not need (Bootstrap, Font Awesome, awesome-markers) are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import folium
from branca.element import Element

STATIC_DIR = Path(__file__).parent / "static"
NODE_MODULES = STATIC_DIR / "node_modules"

#: folium's asset names → our files, relative to the static folder.
LOCAL_ASSETS = {
    "leaflet": "node_modules/leaflet/dist/leaflet.js",
    "leaflet_css": "node_modules/leaflet/dist/leaflet.css",
    "jquery": "node_modules/jquery/dist/jquery.min.js",
    "Control.Fullscreen.js": "node_modules/leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "node_modules/leaflet.fullscreen/Control.FullScreen.css",
}
#: Assets folium adds by default that nothing on our maps uses.
UNUSED_ASSETS = {
    "bootstrap",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers",
    "awesome_markers_css",
    "awesome_markers_font_css",
    "awesome_rotate_css",
}


def assets_installed() -> bool:
    """True when every local asset file is present (``make install`` fetched them)."""
    return all((STATIC_DIR / path).is_file() for path in LOCAL_ASSETS.values())


def _elements(element: Element) -> Iterator[Element]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _elements(child)


def localize_assets(m: folium.Map, base_url: str) -> folium.Map:
    """Point every element of ``m`` at the local asset copies under ``base_url``.

    ``base_url`` is where the static folder is served (``/app/static`` in the app, a
    relative or ``file:`` path in a standalone export).  Unused folium defaults are dropped.
    Safe to apply again: it sets instance attributes from the names alone.

    Raises
    ------
    KeyError
        For an asset with no local copy, so that no map silently loads from a CDN.
    """
    base = base_url.rstrip("/")
    for element in _elements(m):
        for attribute in ("default_js", "default_css"):
            assets = getattr(element, attribute, None)
            if not assets:
                continue
            local = []
            for name, _url in assets:
                if name in UNUSED_ASSETS:
                    continue
                if name not in LOCAL_ASSETS:
                    raise KeyError(f"no offline copy of the map asset {name!r}")
                local.append((name, f"{base}/{LOCAL_ASSETS[name]}"))
            setattr(element, attribute, local)
    return m
