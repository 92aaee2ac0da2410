"""HAProxy in front of the dashboard: a login over TLS, and replicas for many viewers.

The login is HAProxy's, not ours: a ``userlist`` of SHA-512 crypt hashes checked by
``http_auth``, on a ``bind ... ssl crt`` frontend. :func:`haproxy_config` is a pure function
from :class:`ProxySettings` to the configuration text; each replica is one more
:class:`Backend`.  A viewer stays on one replica (a cookie HAProxy inserts), because a
Streamlit session, its uploads and its downloads live in that one process.

A users file has one ``NAME:HASH`` line per person (``#`` starts a comment); ``atlas passwd
FILE NAME`` writes them, hashing with ``openssl passwd -6``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dashboard.settings import HAPROXY

#: Where HAProxy lives when it is not on PATH (Debian's /usr/sbin is not, for most users).
HAPROXY_PLACES = ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
HOW_TO_GET_HAPROXY = (
    "--users, --tls-cert and --workers put HAProxy in front of the dashboard, and no haproxy "
    "was found: install it (Debian/Ubuntu: sudo apt-get install haproxy; Fedora: sudo dnf "
    f"install haproxy; macOS: brew install haproxy), or point {HAPROXY.variable} at it."
)
REALM = "conflict-atlas"
#: The cookie that keeps a viewer on one replica (its value: the replica's name).
WORKER_COOKIE = "atlas_worker"
USERLIST = "atlas_users"

USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
#: crypt(3) SHA-512, as ``openssl passwd -6`` and ``mkpasswd -m sha-512`` write it.
SHA512_CRYPT = re.compile(r"\$6\$(rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{86}")


class AccessError(ValueError):
    """A login or certificate that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class User:
    """One person who may log in: a name and the crypt hash of their password."""

    name: str
    password_hash: str


@dataclass(frozen=True)
class Backend:
    """One Streamlit server behind HAProxy."""

    name: str
    address: str
    port: int


@dataclass(frozen=True)
class ProxySettings:
    """What :func:`haproxy_config` needs.

    Attributes
    ----------
    bind_address, bind_port
        Where HAProxy listens (the address people use).
    certificate
        A PEM file holding the certificate chain and its private key; None: plain HTTP (only
        for replicas on the loopback or open to everyone: a login needs TLS).
    backends
        The Streamlit servers it forwards to.
    users
        Who may log in; empty: TLS alone, no login.
    health_host
        The Host header of health checks: one the backends' allow-list accepts.
    """

    bind_address: str
    bind_port: int
    certificate: Path | None
    backends: tuple[Backend, ...]
    users: tuple[User, ...] = ()
    health_host: str = "127.0.0.1"


def _bind_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def haproxy_config(settings: ProxySettings) -> str:
    """HAProxy's configuration for SETTINGS: TLS, the login, the websocket, health, stickiness.

    New viewers go to the replica with the fewest open connections (each viewer holds one
    websocket for as long as the page is open); the cookie :data:`WORKER_COOKIE` then keeps
    every request of theirs (the websocket, uploads, ``/media/`` downloads) on that replica.
    A replica failing its health check gets no new viewers.

    Parameters
    ----------
    settings
        Where to listen, with which certificate, for whom, in front of what.

    Returns
    -------
    str
        The text of a haproxy.cfg.

    Examples
    --------
    >>> one = (Backend("streamlit-1", "127.0.0.1", 8601),)
    >>> alice = (User("alice", "$6$salt$hash"),)
    >>> text = haproxy_config(ProxySettings("0.0.0.0", 8443, Path("/x/site.pem"), one, alice))
    >>> for line in text.splitlines():
    ...     if line.startswith(("    user", "    bind", "    http-request", "    server")):
    ...         print(line.strip())
    user alice password $6$salt$hash
    bind 0.0.0.0:8443 ssl crt /x/site.pem alpn h2,http/1.1
    http-request auth realm conflict-atlas unless { http_auth(atlas_users) }
    http-request del-header Authorization
    server streamlit-1 127.0.0.1:8601 check inter 2s cookie streamlit-1
    """
    lines = [
        "# Written by atlas run for this run only; HAProxy runs as its child and stops with it.",
        "global",
        # no daemon, chroot or user switch: the user's own process, in the foreground
        "    ssl-default-bind-options ssl-min-ver TLSv1.2",
        "",
        "defaults",
        "    mode http",
        "    timeout connect 5s",
        "    timeout client 1m",
        "    timeout server 1m",
        "    timeout http-request 10s",
        "    # the dashboard's websocket (/_stcore/stream) stays open as long as its page",
        "    timeout tunnel 1h",
        "    timeout client-fin 30s",
        "",
    ]
    if settings.users:
        lines += [f"userlist {USERLIST}"]
        lines += [f"    user {user.name} password {user.password_hash}" for user in settings.users]
        lines += [""]
    bind = f"{_bind_host(settings.bind_address)}:{settings.bind_port}"
    tls = f" ssl crt {settings.certificate} alpn h2,http/1.1" if settings.certificate else ""
    lines += ["frontend dashboard", f"    bind {bind}{tls}"]
    if settings.users:
        lines += [
            f"    http-request auth realm {REALM} unless {{ http_auth({USERLIST}) }}",
            "    # the password stops here: Streamlit (and the pages' st.context) never see it",
            "    http-request del-header Authorization",
        ]
    lines += [
        "    default_backend streamlit",
        "",
        "backend streamlit",
        "    balance leastconn",
        f"    cookie {WORKER_COOKIE} insert indirect nocache httponly"
        f"{' secure' if settings.certificate else ''} attr SameSite=Lax",
        "    option httpchk",
        "    http-check send meth GET uri /_stcore/health ver HTTP/1.1 "
        f"hdr Host {settings.health_host}",
        "    http-check expect status 200",
    ]
    lines += [
        f"    server {backend.name} {_bind_host(backend.address)}:{backend.port} check inter 2s"
        f" cookie {backend.name}"
        for backend in settings.backends
    ]
    return "\n".join(lines) + "\n"


def find_haproxy() -> str:
    """The haproxy executable: $ATLAS_HAPROXY, else on PATH, else Debian's /usr/sbin.

    Raises
    ------
    AccessError
        When there is none; the message says how to install it.
    """
    explicit = HAPROXY.value()
    if explicit:
        if shutil.which(explicit):
            return explicit
        raise AccessError(
            f"{HAPROXY.variable}={explicit} is not an executable. {HOW_TO_GET_HAPROXY}"
        )
    found = shutil.which("haproxy")
    if found:
        return found
    for place in HAPROXY_PLACES:
        if os.access(place, os.X_OK):
            return place
    raise AccessError(HOW_TO_GET_HAPROXY)


def read_users(path: Path) -> tuple[User, ...]:
    """The people in a users file (``NAME:HASH`` lines), every line checked.

    Raises
    ------
    AccessError
        When the file cannot be read, holds nobody, or a line is not a name and a SHA-512
        crypt hash; the message names the line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AccessError(f"cannot read the users file {path}: {error}") from error
    users: dict[str, User] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, password_hash = line.partition(":")
        if not USER_NAME.fullmatch(name):
            raise AccessError(
                f"{path}:{number}: expected NAME:HASH with a name of letters, digits and . _ @ + -"
            )
        if not SHA512_CRYPT.fullmatch(password_hash):
            raise AccessError(
                f"{path}:{number}: {name}'s password is not a SHA-512 crypt hash ($6$...); "
                f"set it with: atlas passwd {path} {name}"
            )
        if name in users:
            raise AccessError(f"{path}:{number}: {name} is listed twice")
        users[name] = User(name, password_hash)
    if not users:
        raise AccessError(f"{path} lists nobody: add someone with: atlas passwd {path} NAME")
    return tuple(users.values())


def hash_password(password: str) -> str:
    """PASSWORD's SHA-512 crypt hash, by ``openssl passwd -6`` (with a fresh random salt).

    Raises
    ------
    AccessError
        When openssl is missing or fails.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise AccessError("openssl is needed to hash passwords: install it (apt install openssl)")
    done = subprocess.run(
        [openssl, "passwd", "-6", "-stdin"],
        input=password + "\n",  # the password goes through a pipe, never the command line
        capture_output=True,
        text=True,
        check=False,
    )
    password_hash = done.stdout.strip()
    if done.returncode != 0 or not SHA512_CRYPT.fullmatch(password_hash):
        raise AccessError(f"openssl passwd failed: {done.stderr.strip()}")
    return password_hash


def set_password(path: Path, name: str, password_hash: str) -> bool:
    """Write NAME's hash into the users file at PATH (made if missing, readable by its owner).

    Other lines are kept as they are. Returns whether NAME was already there.

    Raises
    ------
    AccessError
        When NAME is not a valid user name.
    """
    if not USER_NAME.fullmatch(name):
        raise AccessError(f"a user name is letters, digits and . _ @ + - (got {name!r})")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    entry = f"{name}:{password_hash}"
    replaced = False
    for index, line in enumerate(lines):
        if line.strip().partition(":")[0] == name:
            lines[index], replaced = entry, True
    if not replaced:
        lines.append(entry)
    temporary = path.with_name(f".{path.name}.new")
    temporary.unlink(missing_ok=True)  # left by an interrupted run
    os.replace(write_private(temporary, "\n".join(lines) + "\n"), path)
    return replaced


def certificate_pem(certificate: Path, key: Path | None) -> str:
    """The PEM text HAProxy's ``crt`` wants: the certificate (and chain) with its private key.

    Parameters
    ----------
    certificate
        A PEM file with the certificate, and its key unless KEY is given.
    key
        A PEM file with the private key, or None.

    Raises
    ------
    AccessError
        When a file cannot be read, holds no certificate, or the key is missing.
    """
    try:
        text = certificate.read_text(encoding="ascii")
        key_text = key.read_text(encoding="ascii") if key else ""
    except (OSError, UnicodeDecodeError) as error:
        raise AccessError(f"cannot read the TLS certificate or key: {error}") from error
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise AccessError(f"{certificate} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    if key is None:
        if "PRIVATE KEY-----" not in text:
            raise AccessError(f"{certificate} holds no private key: give it with --tls-key KEY.pem")
        return text
    if "PRIVATE KEY-----" not in key_text:
        raise AccessError(f"{key} holds no PEM private key")
    return text.rstrip("\n") + "\n" + key_text


def write_private(path: Path, text: str) -> Path:
    """Write TEXT to a new file at PATH that only its owner may read; return PATH."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    return path


def haproxy_command(haproxy: str, config: Path) -> Sequence[str]:
    """The command that runs HAProxy on CONFIG in the foreground (``-db``: no daemon)."""
    return [haproxy, "-db", "-f", str(config)]
