"""The points of a map of many events, and one event's popup when a point is clicked.

A map of many events ships neither its points nor its popups in Streamlit's messages
(:mod:`dashboard.maps.points`).  When the app draws events as points it registers them here
(:func:`register`): the loaded table it filtered them from, their row positions in it, and
the points' binary columns, under a token no one can guess (a keyed hash of them).  The
browser then fetches ``GET {COLUMNS_PATH}?set=TOKEN`` (the columns, binary, cached by the
browser: the same points have the same token) and, for a clicked point,
``GET {PATH}?set=TOKEN&i=N``: the same escaped HTML a marker's popup holds.

The registry is per server process (HAProxy keeps a viewer on the process that drew their
map) and bounded: it keeps the most recently drawn sets, up to :data:`MAX_SETS` and
:data:`MAX_BYTES` in all (13 bytes per point); the tables themselves are the loaded ones,
shared, not copies.  An evicted set answers 404, and the map says to click again.

Nothing here imports Streamlit: :func:`routes` are Starlette routes that
``dashboard.serve`` puts beside Streamlit's own.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Where the map asks for an event's popup, and fetches its points (below the server's
#: base path, if any).
PATH = "/atlas/event"
COLUMNS_PATH = "/atlas/points"
MAX_SETS = 64
#: Positions (4 bytes a point) and columns (9): 208 MB at most, whatever the viewers.
MAX_BYTES = 208_000_000

_KEY = secrets.token_bytes(32)  # per process: tokens mean nothing to another server


@dataclass(frozen=True)
class _Set:
    table: pd.DataFrame
    positions: np.ndarray
    columns: bytes

    @property
    def size(self) -> int:
        return self.positions.nbytes + len(self.columns)


_sets: OrderedDict[str, _Set] = OrderedDict()
_lock = threading.Lock()


def path(base_url_path: str | None = "", route: str = PATH) -> str:
    """A route of ours under Streamlit's ``server.baseUrlPath`` (``""``: at the root).

    >>> path("atlas/")
    '/atlas/atlas/event'
    """
    base = (base_url_path or "").strip("/")
    return f"/{base}{route}" if base else route


def register(table: pd.DataFrame, shown: pd.DataFrame, columns: bytes = b"") -> str:
    """Keep ``shown`` (rows of ``table``, by index label) and its points; return its token.

    ``table`` is the loaded events table the app filtered (its index unique); ``shown``
    the rows drawn, in the order the points' ``columns`` (their binary body) hold them.
    The same rows and columns of the same table give the same token, so a rerun that
    draws the same map sends the same page, and the browser's cached points serve.
    """
    if isinstance(table.index, pd.RangeIndex) and table.index.step == 1:
        positions = shown.index.to_numpy(dtype=np.int64) - table.index.start
    else:
        positions = table.index.get_indexer(shown.index).astype(np.int64)
    if len(positions) and (positions.min() < 0 or positions.max() >= len(table)):
        raise ValueError("the rows shown are not all rows of the table they came from")
    positions = positions.astype(np.int32 if len(table) < 2**31 else np.int64)
    digest = hashlib.blake2b(key=_KEY, digest_size=16)
    digest.update(id(table).to_bytes(8, "little", signed=False))
    digest.update(positions.tobytes())
    digest.update(columns)
    token = digest.hexdigest()
    with _lock:
        _sets[token] = _Set(table, positions, columns)
        _sets.move_to_end(token)
        while len(_sets) > MAX_SETS or (
            len(_sets) > 1 and sum(held.size for held in _sets.values()) > MAX_BYTES
        ):
            _sets.popitem(last=False)
    return token


def _held(token: str) -> _Set | None:
    with _lock:
        held = _sets.get(token)
        if held is not None:
            _sets.move_to_end(token)
    return held


def event_row(token: str, index: int) -> pd.Series | None:
    """The ``index``-th event of the set ``token`` (None: no such set, or out of range)."""
    held = _held(token)
    if held is None or not 0 <= index < len(held.positions):
        return None
    return held.table.iloc[int(held.positions[index])]


def urls(base_url_path: str | None, token: str) -> dict[str, str]:
    """The URLs of a set's points (``columns``) and popups (``details``; ``&i=N`` added)."""
    return {
        "columns": f"{path(base_url_path, COLUMNS_PATH)}?set={token}",
        "details": f"{path(base_url_path, PATH)}?set={token}",
    }


def popup_for(token: str, index_text: str) -> tuple[int, str]:
    """(HTTP status, body) for a request of the ``index_text``-th event of ``token``."""
    from dashboard.maps.events import marker_popup  # the map's code: only when asked

    if not index_text.isdigit() or len(index_text) > 9:
        return 400, "i must be a point's index, a whole number"
    row = event_row(token, int(index_text))
    if row is None:
        return 404, "no such event: the map is older than the server's memory of it"
    return 200, marker_popup(row)


#: Every answer: for this viewer only; a fragment or data, never a page that runs anything.
_HEADERS = {
    "Cache-Control": "private, max-age=3600",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
}


async def endpoint(request):  # a Starlette request: typed loosely, Starlette is Streamlit's
    """The popup route's handler: the clicked event's popup as HTML."""
    from starlette.responses import HTMLResponse, PlainTextResponse

    status, body = popup_for(request.query_params.get("set", ""), request.query_params.get("i", ""))
    if status != 200:
        return PlainTextResponse(body, status_code=status, headers=_HEADERS)
    return HTMLResponse(body, headers=_HEADERS)


async def columns_endpoint(request):
    """The points route's handler: the set's binary columns (see ``points.point_columns``)."""
    from starlette.responses import PlainTextResponse, Response

    held = _held(request.query_params.get("set", ""))
    if held is None:
        return PlainTextResponse("no such points", status_code=404, headers=_HEADERS)
    return Response(held.columns, media_type="application/octet-stream", headers=_HEADERS)


def routes(base_url_path: str | None = ""):
    """The Starlette routes of :func:`endpoint` and :func:`columns_endpoint`."""
    from starlette.routing import Route

    return [
        Route(path(base_url_path, PATH), endpoint, methods=["GET"]),
        Route(path(base_url_path, COLUMNS_PATH), columns_endpoint, methods=["GET"]),
    ]
