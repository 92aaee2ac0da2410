"""``atlas run``'s processes: Streamlit replicas, HAProxy in front, and what the user sees.

HAProxy is in front when the dashboard is shared over TLS or served by several workers.

:func:`plan_sharing` decides from the options who may reach the dashboard (refusing an open
one beyond the loopback unless asked for); :func:`serve` starts the processes as children,
waits until they answer, opens the user's browser, prints the banner and stops them all,
each by its own process id, when it is stopped (Ctrl+C, SIGTERM) or one of them exits.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dashboard import proxy
from dashboard.proxy import AccessError, User
from dashboard.serve import (
    WILDCARD_ADDRESSES,
    host_allow_list,
    is_loopback,
    machine_names,
    public_url_hosts,
    url_host,
)

#: How long Streamlit may take to answer its health check, importing geopandas and all.
START_TIMEOUT = 120.0
#: More Streamlit servers than this on one machine is a mistake (each holds the table).
MAX_WORKERS = 16
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.1


@dataclass(frozen=True)
class Sharing:
    """Where ``atlas run`` serves and who may reach it.

    Attributes
    ----------
    address, port
        Where people reach it (HAProxy's address when it is in front).
    public_url
        The address people use when it is not ADDRESS:PORT.
    users_file, users
        The login (empty: none).
    certificate, key
        TLS (None: plain HTTP, no HAProxy).
    haproxy
        The haproxy executable, when it is in front (TLS, or several workers).
    workers
        How many Streamlit servers share the viewers (more than one: HAProxy in front).
    """

    address: str
    port: int
    public_url: str | None = None
    users_file: Path | None = None
    users: tuple[User, ...] = ()
    certificate: Path | None = None
    key: Path | None = None
    haproxy: str | None = None
    workers: int = 1

    @property
    def behind_proxy(self) -> bool:
        """Whether HAProxy serves it (TLS, with or without a login, or several workers)."""
        return self.certificate is not None or self.workers > 1

    @property
    def scheme(self) -> str:
        """``https`` with a certificate, else ``http``."""
        return "https" if self.certificate is not None else "http"


def refusal(address: str) -> str:
    """What ``atlas run --host ADDRESS`` says when it would be open to anyone who reaches it."""
    return (
        f"--host {address} would let anyone who can reach this machine use the dashboard.\n"
        "  Require a login: --users USERS_FILE --tls-cert CERT.pem [--tls-key KEY.pem]\n"
        "    (make USERS_FILE with: atlas passwd USERS_FILE NAME),\n"
        "  or say that it may be open to everyone: --open-to-everyone"
    )


def plan_sharing(
    address: str,
    port: int,
    *,
    users_file: Path | None = None,
    certificate: Path | None = None,
    key: Path | None = None,
    public_url: str | None = None,
    open_to_everyone: bool = False,
    workers: int = 1,
) -> Sharing:
    """Check the access options of ``atlas run``, before anything is started or bound.

    Beyond the loopback, a dashboard needs a login (which needs TLS) or an explicit
    OPEN_TO_EVERYONE.  WORKERS Streamlit servers (1 to :data:`MAX_WORKERS`) share the
    viewers; more than one puts HAProxy in front.

    Raises
    ------
    AccessError
        When the options would share it openly without saying so, send passwords in clear,
        contradict each other, or name files that cannot be used.
    """
    if users_file and not certificate:
        raise AccessError(
            "--users needs --tls-cert: without TLS, basic authentication sends every "
            "password across the network in clear"
        )
    if users_file and open_to_everyone:
        raise AccessError("--users and --open-to-everyone contradict each other: choose one")
    if key and not certificate:
        raise AccessError("--tls-key goes with --tls-cert")
    if not 1 <= workers <= MAX_WORKERS:
        raise AccessError(f"--workers must be 1 to {MAX_WORKERS}, got {workers}")
    if not (is_loopback(address) or users_file or open_to_everyone):
        raise AccessError(refusal(address))
    if public_url:
        public_url_hosts(public_url)  # raises on a URL it could not serve
    users = proxy.read_users(users_file) if users_file else ()
    haproxy = None
    if certificate:
        proxy.certificate_pem(certificate, key)  # raises on files HAProxy could not use
    if certificate or workers > 1:
        haproxy = proxy.find_haproxy()
    return Sharing(address, port, public_url, users_file, users, certificate, key, haproxy, workers)


def connect_host(address: str) -> str:
    """The address to connect to for ADDRESS: this machine's loopback for a wildcard."""
    if address in WILDCARD_ADDRESSES:
        return "::1" if ":" in address else "127.0.0.1"
    return address.strip("[]")


def dashboard_urls(sharing: Sharing, names: Sequence[str] = ()) -> list[str]:
    """The addresses to give the user: the one for this machine first, then the public ones.

    Parameters
    ----------
    sharing
        Where it serves.
    names
        This machine's names, listed too on a wildcard address.
    """
    first = f"{sharing.scheme}://{url_host(connect_host(sharing.address))}:{sharing.port}"
    urls = [first]
    if sharing.public_url:
        urls.append(sharing.public_url.rstrip("/"))
    if sharing.address in WILDCARD_ADDRESSES:
        urls += [f"{sharing.scheme}://{url_host(name)}:{sharing.port}" for name in names]
    return list(dict.fromkeys(urls))


def banner(sharing: Sharing, urls: Sequence[str]) -> str:
    """What ``atlas run`` prints once the dashboard answers: where it is, how to stop it."""
    lines = [f"conflict-atlas is serving the dashboard on {urls[0]}"]
    lines += [f"  also on {url}" for url in urls[1:]]
    if sharing.users:
        lines.append(
            f"  login required: a name and password from {sharing.users_file} "
            f"(add one with: atlas passwd {sharing.users_file} NAME)"
        )
    elif not is_loopback(sharing.address):
        lines.append("  open to everyone who can reach it: no login")
    if sharing.workers > 1:
        lines.append(f"  {sharing.workers} workers behind HAProxy; each viewer stays on one")
    lines.append("Stop it with Ctrl+C.")
    return "\n".join(lines)


def should_open_browser(
    no_browser: bool, platform: str = sys.platform, environ: Mapping[str, str] = os.environ
) -> bool:
    """Whether to open the user's browser: unless NO_BROWSER, when there is a display for it.

    Always on macOS and Windows; on Linux and the BSDs only under X11 or Wayland (not over
    ssh, in a container or as a service).
    """
    if no_browser:
        return False
    if platform == "darwin" or platform.startswith("win"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def health_answers(host: str, port: int) -> bool:
    """Whether the Streamlit server on HOST:PORT answers its health check with 200."""
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", "/_stcore/health")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def port_accepts(host: str, port: int) -> bool:
    """Whether something accepts connections on HOST:PORT."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


class ChildExited(RuntimeError):
    """A child process ended while atlas run needed it."""


def describe(child: subprocess.Popen) -> str:
    """What CHILD is, for messages."""
    if "dashboard.serve" not in child.args:
        return "HAProxy"
    port = child.args[child.args.index("--port") + 1] if "--port" in child.args else ""
    return f"the dashboard (port {port})" if port else "the dashboard"


def wait_until(ready: Callable[[], bool], children: Sequence[subprocess.Popen], what: str) -> None:
    """Poll READY until it is true; raise ChildExited if a child ends, TimeoutError if slow."""
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        for child in children:
            if child.poll() is not None:
                raise ChildExited(f"{describe(child)} exited ({child.returncode})")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not answer in {START_TIMEOUT:.0f} s")
        time.sleep(POLL_INTERVAL)  # polling interval, not a wait for readiness


def stop(child: subprocess.Popen) -> None:
    """Stop CHILD by its process id: SIGTERM, then SIGKILL if it lingers."""
    if child.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        child.terminate()
    try:
        child.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        child.wait()


def free_loopback_port() -> int:
    """A port free on 127.0.0.1 now, for a server that only HAProxy reaches."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(
    sharing: Sharing,
    streamlit_command: Callable[..., list[str]],
    *,
    env: Mapping[str, str],
    open_browser: bool,
) -> int:
    """Serve until stopped: Streamlit, and HAProxy in front of it when SHARING wants TLS.

    Parameters
    ----------
    sharing
        Where and for whom (from :func:`plan_sharing`).
    streamlit_command
        :func:`dashboard.serve.streamlit_command`.
    env
        The environment of the Streamlit server (the dataset to open...).
    open_browser
        Whether to open the user's browser on it once it answers.

    Returns
    -------
    int
        0 when stopped by Ctrl+C or SIGTERM; 1 when a server ended by itself.
    """
    names = sorted(machine_names()) if sharing.address in WILDCARD_ADDRESSES else []
    public = host_allow_list(
        sharing.address, sharing.port, public_url=sharing.public_url, machine_names=names
    )
    children: list[subprocess.Popen] = []
    # a service manager stops us with SIGTERM: stop the children as Ctrl+C would
    previous_handler = signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="atlas-run-") as scratch:
        try:
            children += start_servers(sharing, streamlit_command, env, public, Path(scratch))
            urls = dashboard_urls(sharing, names)
            if open_browser:
                webbrowser.open(urls[0])
            print(banner(sharing, urls), flush=True)
            while all(child.poll() is None for child in children):
                time.sleep(POLL_INTERVAL * 5)  # polling interval: nothing to do until then
            ended = next(child for child in children if child.poll() is not None)
            print(
                f"atlas run: {describe(ended)} stopped by itself ({ended.returncode}); "
                "stopping the rest",
                file=sys.stderr,
            )
            return 1
        except KeyboardInterrupt:
            return 0
        except StartFailed as error:
            children += error.children
            print(f"atlas run: {error}", file=sys.stderr)
            return 1
        finally:
            for child in reversed(children):  # HAProxy first: no new requests to a stopping one
                stop(child)
            signal.signal(signal.SIGTERM, previous_handler)


class StartFailed(RuntimeError):
    """A server did not come up; CHILDREN are those already started, to be stopped."""

    def __init__(self, message: str, children: list[subprocess.Popen]) -> None:
        super().__init__(message)
        self.children = children


def start_servers(
    sharing: Sharing,
    streamlit_command: Callable[..., list[str]],
    env: Mapping[str, str],
    public_hosts: set[str],
    scratch: Path,
) -> list[subprocess.Popen]:
    """Start Streamlit (its replicas, and HAProxy in front) and return once they answer.

    Raises
    ------
    StartFailed
        When one exits or does not answer in time; it holds those already started.
    KeyboardInterrupt
        On Ctrl+C or SIGTERM meanwhile, once those already started are stopped.
    """
    children: list[subprocess.Popen] = []
    try:
        if not sharing.behind_proxy:
            command = streamlit_command(
                port=sharing.port, host=sharing.address, allowed_hosts=public_hosts
            )
            children.append(subprocess.Popen(command, env=env))
            host = connect_host(sharing.address)
            wait_until(lambda: health_answers(host, sharing.port), children, "the dashboard")
            return children
        ports = [free_loopback_port() for _ in range(sharing.workers)]
        # one cookie secret for every replica, made for this run: a replica can read the
        # cookies (XSRF tokens) another one wrote, should a viewer be moved to it
        replica_env = {**env, "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}
        for port in ports:  # all start at once: the wait below is the slowest one's
            # HAProxy forwards the browser's Host: the backend accepts the public names too
            allowed = public_hosts | host_allow_list("127.0.0.1", port)
            command = streamlit_command(port=port, host="127.0.0.1", allowed_hosts=allowed)
            children.append(subprocess.Popen(command, env=replica_env))
        for port in ports:
            wait_until(
                lambda port=port: health_answers("127.0.0.1", port), children, "the dashboard"
            )
        config = scratch / "haproxy.cfg"
        config.write_text(proxy.haproxy_config(proxy_settings(sharing, ports, scratch)))
        haproxy = sharing.haproxy or proxy.find_haproxy()
        children.append(subprocess.Popen(proxy.haproxy_command(haproxy, config)))
        host = connect_host(sharing.address)
        wait_until(lambda: port_accepts(host, sharing.port), children, "HAProxy")
        return children
    except (ChildExited, TimeoutError, AccessError) as error:
        raise StartFailed(str(error), children) from error
    except KeyboardInterrupt:
        for child in reversed(children):
            stop(child)
        raise


def proxy_settings(
    sharing: Sharing, streamlit_ports: Sequence[int], scratch: Path
) -> proxy.ProxySettings:
    """HAProxy's settings for SHARING in front of the Streamlit servers on STREAMLIT_PORTS.

    The certificate and its key (if any) are joined in SCRATCH, readable by the user only.
    """
    certificate = None
    if sharing.certificate is not None:
        pem = proxy.certificate_pem(sharing.certificate, sharing.key)
        certificate = proxy.write_private(scratch / "certificate.pem", pem)
    return proxy.ProxySettings(
        bind_address=sharing.address,
        bind_port=sharing.port,
        certificate=certificate,
        backends=tuple(
            proxy.Backend(f"streamlit-{number}", "127.0.0.1", port)
            for number, port in enumerate(streamlit_ports, start=1)
        ),
        users=sharing.users,
        # the Host a browser on this machine sends: every backend's allow-list has it
        health_host=f"127.0.0.1:{sharing.port}",
    )
