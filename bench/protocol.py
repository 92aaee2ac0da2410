"""Viewers that speak to the dashboard as a browser's page does, without a browser.

A page keeps one websocket to ``/_stcore/stream`` and sends Streamlit's ``BackMsg``
protobufs on it: a first run (the page's query string), then a rerun carrying the state of
the widget the user changed.  The server answers with ``ForwardMsg`` protobufs (the page's
elements as deltas) and ``script_finished`` once the run is done.  :class:`ProtocolViewer`
does just that with Streamlit's own protocol classes (they ship in its wheel), so that many
viewers load the server rather than the bench's two cores with a Chromium each.  What a
browser does besides (drawing the map, fetching its points, the map's reports of its view)
is left out: the latency measured is the server's, from the change sent to its run done.

Through ``atlas run --workers N`` each viewer first asks for the page over HTTP, as a
browser does, and keeps HAProxy's sticky cookie for its websocket, so the viewers spread
over the workers as browsers would.
"""

from __future__ import annotations

import asyncio
import http.client
import random
import statistics
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

#: How long a run may take before the viewer gives up on it (s).
RUN_TIMEOUT = 120.0


@dataclass
class ProtocolViewer:
    """One page's session on the dashboard at HOST:PORT, opened on QUERY (no leading "?")."""

    host: str
    port: int
    query: str = ""
    #: Each multiselect's widget id by its label, as the last run drew them.
    multiselects: dict[str, str] = field(default_factory=dict)
    #: The status lines the last run wrote (Markdown), to check what it showed.
    texts: list[str] = field(default_factory=list)
    #: The errors the last run showed (a page that failed says so, without details).
    exceptions: list[str] = field(default_factory=list)
    #: Every widget's state as the page holds it, by widget id: a browser sends them all
    #: with each rerun (a widget left out loses its value, and the app its filters).
    states: dict[str, WidgetState] = field(default_factory=dict)
    _socket: object = None
    _page_hash: str = ""
    _drawn: set[str] = field(default_factory=set)

    def _cookie(self) -> str:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request("GET", "/", headers={"Host": f"{self.host}:{self.port}"})
            response = connection.getresponse()
            response.read()
            cookies = response.headers.get_all("Set-Cookie") or []
        finally:
            connection.close()
        return "; ".join(c.split(";", 1)[0] for c in cookies)

    async def open(self) -> float:
        """Open the page: its websocket and its first run; the run's time (s)."""
        cookie = await asyncio.to_thread(self._cookie)
        origin = f"http://{self.host}:{self.port}"
        headers = {"Origin": origin, **({"Cookie": cookie} if cookie else {})}
        self._socket = await websockets.connect(
            f"ws://{self.host}:{self.port}/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            open_timeout=RUN_TIMEOUT,
        )
        return await self._run([])

    async def choose(self, label: str, values: list[str]) -> float:
        """Set the multiselect LABEL to VALUES, as a person picking them; the run's time (s)."""
        state = WidgetState(id=self.multiselects[label])
        state.string_array_value.data.extend(values)
        self.states[state.id] = state
        return await self._run(list(self.states.values()))

    async def close(self) -> None:
        """Close the page's websocket."""
        if self._socket is not None:
            await self._socket.close()

    async def _run(self, states: list[WidgetState]) -> float:
        message = BackMsg()
        rerun = message.rerun_script
        rerun.query_string = self.query
        rerun.page_script_hash = self._page_hash
        rerun.widget_states.widgets.extend(states)
        start = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        self.texts, self.exceptions, self._drawn = [], [], set()
        async with asyncio.timeout(RUN_TIMEOUT):
            while True:
                reply = ForwardMsg()
                reply.ParseFromString(await self._socket.recv())
                kind = reply.WhichOneof("type")
                if kind == "new_session":
                    self._page_hash = reply.new_session.page_script_hash
                elif kind == "delta":
                    self._read(reply.delta)
                elif kind == "script_finished":
                    if reply.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        # the app asked for another run: it follows at once
                        self.texts, self.exceptions, self._drawn = [], [], set()
                        continue
                    if reply.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        raise RuntimeError("the page failed to compile")
                    if reply.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                        # as the frontend: the widgets a whole run did not draw are gone (a
                        # slider whose range changed is a new widget, under a new id)
                        self.states = {k: v for k, v in self.states.items() if k in self._drawn}
                    return time.perf_counter() - start

    def _read(self, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "markdown":
            self.texts.append(element.markdown.body)
        elif kind == "exception":
            self.exceptions.append(element.exception.message)
        elif kind == "multiselect":
            self.multiselects[element.multiselect.label] = element.multiselect.id
        state = widget_state(kind, getattr(element, kind)) if kind else None
        if state is None:
            return
        self._drawn.add(state.id)
        if state.id not in self.states or _set_by_app(kind, element):
            self.states[state.id] = state


def _set_by_app(kind: str, element) -> bool:
    """Whether the app set the widget's value in this run (the page then shows that)."""
    return bool(getattr(getattr(element, kind), "set_value", False))


def _has_default(widget) -> bool:
    try:
        return widget.HasField("default")
    except ValueError:  # a plain (not optional) field: always has a value
        return True


def widget_state(kind: str, widget) -> WidgetState | None:
    """The state a browser reports for a widget as drawn (None: one it reports only when used).

    As Streamlit's frontend: the value the app set (``set_value``), else the default; each
    in the type the widget registers (``value_type`` in ``streamlit/elements/widgets``).
    """
    state = WidgetState(id=widget.id) if hasattr(widget, "id") else None
    chosen = getattr(widget, "set_value", False)
    if kind == "multiselect":
        values = widget.raw_values if chosen else [widget.options[i] for i in widget.default]
        state.string_array_value.data.extend(values)
    elif kind == "date_input":
        state.string_array_value.data.extend(widget.value if chosen else widget.default)
    elif kind == "slider":
        state.double_array_value.data.extend(widget.value if chosen else widget.default)
    elif kind == "checkbox":
        state.bool_value = widget.value if chosen else widget.default
    elif kind in ("radio", "selectbox"):
        if chosen:
            state.string_value = widget.raw_value
        elif _has_default(widget):
            state.string_value = widget.options[widget.default]
        else:
            return None  # nothing chosen yet (a selectbox with a placeholder)
    elif kind == "number_input":
        state.double_value = widget.value if chosen else widget.default
    else:
        return None  # buttons, the map, the table's selection: sent only once used
    return state


@dataclass
class Load:
    """What the viewers of a load saw: each change's time (s), the errors, the run's length."""

    changes: list[float]
    errors: list[str]
    seconds: float

    @property
    def p95(self) -> float:
        """The 95th percentile of the changes' times (s); NaN with fewer than two."""
        if len(self.changes) < 2:
            return float("nan")
        return statistics.quantiles(self.changes, n=20)[18]

    @property
    def per_second(self) -> float:
        """Changes done per second."""
        return len(self.changes) / self.seconds


async def load(
    host: str,
    port: int,
    query: str,
    *,
    viewers: int,
    seconds: float,
    every: float,
    label: str,
    choices: list[str],
    seed: int = 0,
) -> Load:
    """VIEWERS pages on the server, each changing LABEL every EVERY s (0: at once) for SECONDS.

    Each change picks one of CHOICES, or none (the filter cleared).  The viewers start
    spread over the first period, as people arriving do not click in step.
    """
    changes: list[float] = []
    errors: list[str] = []

    async def viewer(number: int) -> None:
        rng = random.Random(seed + number)
        page = ProtocolViewer(host, port, query)
        try:
            await page.open()
            if every:
                await asyncio.sleep(rng.uniform(0, every))
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                picked = rng.choice([[], *([c] for c in choices)])
                tick = time.monotonic()
                took = await page.choose(label, picked)
                if page.exceptions:  # the page showed an error: not a change done
                    errors.append(f"viewer {number}: the page failed: {page.exceptions[0]}")
                else:
                    changes.append(took)
                if every:
                    await asyncio.sleep(max(0.0, every - (time.monotonic() - tick)))
        except Exception as error:  # counted and reported, never hidden
            errors.append(f"viewer {number}: {type(error).__name__}: {error}")
        finally:
            await page.close()

    started = time.monotonic()
    await asyncio.gather(*(viewer(n) for n in range(viewers)))
    return Load(changes, errors, time.monotonic() - started)
