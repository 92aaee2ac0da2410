"""Servers for tests: loopback only, a free port, polled until ready.

``dashboard_server`` (from ``dashboard.testing``, which the benchmarks share) serves the
dashboard as ``atlas run`` does; ``atlas_run`` runs the ``atlas run`` command itself. Each is
stopped by its own process id (its process group, so its children go too).
"""

from __future__ import annotations

import base64
import http.client
import os
import socket
import ssl
from dataclasses import dataclass

from dashboard.browser import launch_chromium
from dashboard.launch import free_loopback_port as free_port
from dashboard.testing import HOST, AtlasRun, atlas_command, atlas_run, dashboard_server, stop

__all__ = [
    "HOST",
    "AtlasRun",
    "Reply",
    "answers",
    "atlas_command",
    "atlas_run",
    "dashboard_server",
    "free_port",
    "health_ok",
    "launch_chromium",
    "request",
    "stop",
    "websocket_upgrade_status",
]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def request(
    port: int,
    path: str = "/",
    *,
    host_header: str | None = None,
    headers: dict[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
) -> Reply:
    """One HTTP request to 127.0.0.1:PORT with exactly the Host header given (default: the
    address itself)."""
    connection = (
        http.client.HTTPSConnection(HOST, port, context=tls, timeout=10)
        if tls
        else http.client.HTTPConnection(HOST, port, timeout=10)
    )
    try:
        connection.request(
            "GET", path, headers={"Host": host_header or f"{HOST}:{port}", **(headers or {})}
        )
        response = connection.getresponse()
        return Reply(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        connection.close()


def answers(port: int, path: str = "/_stcore/health", *, tls: ssl.SSLContext | None = None) -> bool:
    """Whether anything answers HTTP on 127.0.0.1:PORT (any status: a login page counts)."""
    try:
        request(port, path, tls=tls)
    except (OSError, http.client.HTTPException):
        return False
    return True


def health_ok(port: int) -> bool:
    """Whether the dashboard's health check on 127.0.0.1:PORT answers 200."""
    try:
        return request(port, "/_stcore/health").status == 200
    except (OSError, http.client.HTTPException):
        return False


def websocket_upgrade_status(
    port: int,
    *,
    host_header: str,
    origin: str,
    headers: dict[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
) -> int:
    """The status of a raw HTTP/1.1 upgrade to the dashboard's websocket (101: upgraded)."""
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host_header}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
        f"Origin: {origin}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    with socket.create_connection((HOST, port), timeout=10) as raw:
        sock = tls.wrap_socket(raw, server_hostname=HOST) if tls else raw
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])
