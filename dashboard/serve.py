"""Serve the dashboard: Streamlit's server with our options and a Host allow-list in front.

    python -m dashboard.serve --port N --address ADDRESS [--allow-host HOST[:PORT]]...

This is what ``atlas run``, ``make run`` and ``dashboard.testing`` start (the command
line is :func:`streamlit_command`). It runs ``dashboard/app.py`` as an ``st.App``,
Streamlit's supported way to put ASGI middleware in front of every route, so that each HTTP
request and websocket upgrade passes :class:`HostAllowList` before Streamlit sees it; and
the routes of ours, :mod:`dashboard.event_details` (many events' points, a popup).

Nothing here imports Streamlit at module level: ``atlas`` imports this module for the
allow-list and the options, and should stay quick for commands that serve nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dashboard.settings import STREAMLIT_OPTIONS, UPLOAD_SIZE_MB, upload_size_option

APP_SCRIPT = Path(__file__).with_name("app.py")

#: The names a browser on this machine may use, with the port, whatever the address served.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", ""})
DEFAULT_PORTS = {"http": 80, "https": 443}

FRAME_HEADERS = (
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
)


def streamlit_config(*, port: int, address: str) -> dict[str, Any]:
    """Every Streamlit option of one server: ours, where it listens, and the upload limit.

    Ours are ``dashboard.settings.STREAMLIT_OPTIONS``; the upload limit is
    ``ATLAS_MAX_UPLOAD_MB``'s value, so the upload widget refuses what the reader would.

    Parameters
    ----------
    port, address
        Where Streamlit listens.

    Returns
    -------
    dict
        Dotted option names to values, as ``st.App.run(config=...)`` takes them.
    """
    return {
        **STREAMLIT_OPTIONS,
        "server.port": port,
        "server.address": address,
        **upload_size_option(UPLOAD_SIZE_MB.value()),
    }


def is_loopback(address: str) -> bool:
    """Whether ADDRESS (an IP literal or ``localhost``) reaches this machine only."""
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def url_host(address: str) -> str:
    """ADDRESS as a URL or Host header writes it (IPv6 literals in brackets)."""
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(address.strip("[]")).version == 6:
            return f"[{address.strip('[]')}]"
    return address.lower()


def public_url_hosts(url: str) -> set[str]:
    """The Host headers a browser sends for URL: ``name:port``, and ``name`` on its default port.

    Raises
    ------
    ValueError
        When URL is not an http(s) address of a host, with nothing after the host but ``/``.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"expected a public URL like https://atlas.example.org, got {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"a public URL is served from its root: {url!r} has a path")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as error:
        raise ValueError(f"bad port in the public URL {url!r}") from error
    name = url_host(parts.hostname)
    hosts = {f"{name}:{port}"}
    if port == DEFAULT_PORTS[parts.scheme]:
        hosts.add(name)
    return hosts


def host_allow_list(
    address: str,
    port: int,
    *,
    public_url: str | None = None,
    machine_names: Iterable[str] = (),
) -> set[str]:
    """The Host headers that name a dashboard served on ADDRESS:PORT; all others get 403.

    That is ADDRESS itself, the loopback names and, on a wildcard address (``0.0.0.0``,
    ``::``), MACHINE_NAMES, each with PORT; and the public URL's host. A DNS rebinding page
    can make a browser reach the dashboard, but only under the attacker's own name.

    Parameters
    ----------
    address, port
        Where the dashboard is reached (HAProxy's address when it is in front).
    public_url
        The address people use, when it is not ADDRESS (a DNS name, a tunnel, a proxy).
    machine_names
        This machine's own names and addresses (:func:`machine_names`).

    Returns
    -------
    set of str
        Host header values, lower case.
    """
    names = set(LOOPBACK_NAMES)
    if address in WILDCARD_ADDRESSES:
        names.update(url_host(name) for name in machine_names)
    else:
        names.add(url_host(address))
    hosts = {f"{name}:{port}" for name in names}
    if port in DEFAULT_PORTS.values():  # a browser leaves out the port it implies
        hosts.update(names)
    if public_url:
        hosts |= public_url_hosts(public_url)
    return hosts


def machine_names() -> set[str]:
    """The names people on the network may reach this machine by.

    Its host name, the addresses that resolves to, and the address of its default route:
    what a dashboard on a wildcard address is reached by, without a public URL.
    """
    names: set[str] = set()
    hostname = socket.gethostname()
    if hostname:
        names.add(hostname.lower())
        with contextlib.suppress(OSError):
            for *_, sockaddr in socket.getaddrinfo(hostname, None):
                names.add(str(sockaddr[0]))
    # a UDP "connection" sends nothing: it only asks the kernel which address routes outward
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never a real peer
        names.add(probe.getsockname()[0])
    return {name for name in names if not is_loopback(name) and name not in WILDCARD_ADDRESSES}


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class HostAllowList:
    """ASGI middleware: 403 for a request whose Host is not the dashboard's; no foreign frames.

    Covers HTTP and websocket alike (a websocket refused before its handshake is answered
    403 by the server). Every HTTP response also gets ``X-Frame-Options: SAMEORIGIN`` and
    ``Content-Security-Policy: frame-ancestors 'self'``, so no other site can frame the
    dashboard to trick its users into clicks.

    Parameters
    ----------
    app
        The ASGI app behind it.
    allowed_hosts
        Host header values to accept (see :func:`host_allow_list`), compared in lower case.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a request on if its Host is allowed; refuse it otherwise."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan
            return
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        allowed = len(hosts) == 1 and hosts[0].decode("latin-1").lower() in self.allowed_hosts
        if scope["type"] == "websocket":
            if allowed:
                await self.app(scope, receive, send)
            else:
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008})  # answered 403
            return
        send = with_frame_headers(send)
        if allowed:
            await self.app(scope, receive, send)
            return
        body = b"This dashboard is not served under that name.\n"
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def with_frame_headers(send: Send) -> Send:
    """SEND, adding :data:`FRAME_HEADERS` to the response's headers."""

    async def send_framed(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            extra = [(name, value) for name, value in FRAME_HEADERS if name not in present]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return send_framed


def streamlit_command(
    *,
    port: int,
    host: str,
    allowed_hosts: Iterable[str] | None = None,
    python: str = sys.executable,
) -> list[str]:
    """The command that serves the dashboard on HOST:PORT (``python -m dashboard.serve``).

    Its Streamlit options come from ``dashboard.settings.STREAMLIT_OPTIONS`` (headless, no
    usage statistics, no error details...).

    Parameters
    ----------
    port, host
        Where Streamlit listens.
    allowed_hosts
        The Host headers it accepts (others get 403); default: HOST and the loopback names,
        with PORT.
    python
        The interpreter to run it with.
    """
    hosts = host_allow_list(host, port) if allowed_hosts is None else allowed_hosts
    command = [python, "-m", "dashboard.serve", "--port", str(port), "--address", host]
    for allowed in sorted(hosts):
        command += ["--allow-host", allowed]
    return command


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m dashboard.serve`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.serve",
        description="Serve the dashboard (atlas run starts this; use atlas run).",
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="a Host header to accept (repeat); default: the address and loopback names",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the dashboard until stopped (SIGINT or SIGTERM)."""
    args = build_parser().parse_args(argv)
    allowed = args.allow_host or host_allow_list(args.address, args.port)

    import streamlit as st
    from starlette.middleware import Middleware

    from dashboard import event_details

    config = streamlit_config(port=args.port, address=args.address)
    app = st.App(
        APP_SCRIPT,
        # the points of a map of many events, and a clicked one's popup
        routes=event_details.routes(config.get("server.baseUrlPath")),
        middleware=[Middleware(HostAllowList, allowed_hosts=allowed)],
    )
    sys.argv = sys.argv[:1]  # st.App passes the rest to the page scripts: they take none
    app.run(config=config)


if __name__ == "__main__":
    main()
