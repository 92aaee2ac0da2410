"""One event's popup, asked for by the map when a WebGL point is clicked.

A map of many events ships no popups (:mod:`dashboard.maps.points`): each would cost about
2.3 kB.  Instead, when the app draws events as points it registers them here
(:func:`register`): the loaded table it filtered them from, and their row positions in it,
under a token that no one can guess (a keyed hash of the two).  The browser then asks
``GET {PATH}?set=TOKEN&i=N`` for the popup of the N-th point, and the server answers with
the same escaped HTML a marker's popup holds.

The registry is per server process (HAProxy keeps a viewer on the process that drew their
map) and bounded: it keeps the most recently drawn sets, up to :data:`MAX_SETS` and
:data:`MAX_POSITIONS` rows in all; the tables themselves are the loaded ones, shared, not
copies.  An evicted set answers 404, and the map says to click again after a change.

Nothing here imports Streamlit: :func:`route` is a Starlette route that ``dashboard.serve``
puts beside Streamlit's own.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Where the map asks for an event's popup (below the server's base path, if any).
PATH = "/atlas/event"
MAX_SETS = 64
#: 16M row positions (int64): 128 MB at most, whatever the number of viewers.
MAX_POSITIONS = 16_000_000

_KEY = secrets.token_bytes(32)  # per process: tokens mean nothing to another server


@dataclass(frozen=True)
class _Set:
    table: pd.DataFrame
    positions: np.ndarray


_sets: OrderedDict[str, _Set] = OrderedDict()
_lock = threading.Lock()


def path(base_url_path: str | None = "") -> str:
    """The details route under Streamlit's ``server.baseUrlPath`` (``""``: at the root).

    >>> path("atlas/")
    '/atlas/atlas/event'
    """
    base = (base_url_path or "").strip("/")
    return f"/{base}{PATH}" if base else PATH


def register(table: pd.DataFrame, shown: pd.DataFrame) -> str:
    """Keep ``shown`` (rows of ``table``, by index label) for lookups; return its token.

    ``table`` is the loaded events table the app filtered (its index unique); ``shown``
    the rows drawn, in the order the page's columns hold them.  The same rows of the same
    table give the same token, so a rerun that draws the same map sends the same page.
    """
    if isinstance(table.index, pd.RangeIndex) and table.index.step == 1:
        positions = shown.index.to_numpy(dtype=np.int64) - table.index.start
    else:
        positions = table.index.get_indexer(shown.index).astype(np.int64)
    if len(positions) and (positions.min() < 0 or positions.max() >= len(table)):
        raise ValueError("the rows shown are not all rows of the table they came from")
    digest = hashlib.blake2b(key=_KEY, digest_size=16)
    digest.update(id(table).to_bytes(8, "little", signed=False))
    digest.update(positions.tobytes())
    token = digest.hexdigest()
    with _lock:
        _sets[token] = _Set(table, positions)
        _sets.move_to_end(token)
        while len(_sets) > MAX_SETS or (
            len(_sets) > 1 and sum(len(s.positions) for s in _sets.values()) > MAX_POSITIONS
        ):
            _sets.popitem(last=False)
    return token


def event_row(token: str, index: int) -> pd.Series | None:
    """The ``index``-th event of the set ``token`` (None: no such set, or out of range)."""
    with _lock:
        held = _sets.get(token)
        if held is not None:
            _sets.move_to_end(token)
    if held is None or not 0 <= index < len(held.positions):
        return None
    return held.table.iloc[int(held.positions[index])]


def details_url(base: str, token: str) -> str:
    """The URL the page's points ask (the browser appends ``&i=N``)."""
    return f"{base}?set={token}"


def popup_for(token: str, index_text: str) -> tuple[int, str]:
    """(HTTP status, body) for a request of the ``index_text``-th event of ``token``."""
    from dashboard.maps.events import marker_popup  # the map's code: only when asked

    if not index_text.isdigit() or len(index_text) > 9:
        return 400, "i must be a point's index, a whole number"
    row = event_row(token, int(index_text))
    if row is None:
        return 404, "no such event: the map is older than the server's memory of it"
    return 200, marker_popup(row)


async def endpoint(request):  # a Starlette request: typed loosely, Starlette is Streamlit's
    """The route's handler: the popup as HTML, never cached by a shared cache."""
    from starlette.responses import HTMLResponse, PlainTextResponse

    status, body = popup_for(request.query_params.get("set", ""), request.query_params.get("i", ""))
    headers = {
        "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
        # the body is a fragment for the map's popup; opened on its own it may run nothing
        "Content-Security-Policy": "default-src 'none'",
    }
    if status != 200:
        return PlainTextResponse(body, status_code=status, headers=headers)
    return HTMLResponse(body, headers=headers)


def route(base_url_path: str | None = ""):
    """The Starlette route of :func:`endpoint`, at :func:`path`."""
    from starlette.routing import Route

    return Route(path(base_url_path), endpoint, methods=["GET"])
