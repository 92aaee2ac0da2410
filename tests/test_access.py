"""Who may reach a dashboard: the loopback by default, a login over TLS (HAProxy) to share it,
and never under another site's name (DNS rebinding).

Every server here is real and listens on 127.0.0.1 only, on a free port.
"""

from __future__ import annotations

import base64
import io
import os
import re
import signal
import ssl
import subprocess
import tomllib
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.launch import should_open_browser
from dashboard.proxy import (
    AccessError,
    Backend,
    ProxySettings,
    User,
    certificate_pem,
    find_haproxy,
    haproxy_config,
    hash_password,
    read_users,
    write_private,
)
from dashboard.serve import host_allow_list, public_url_hosts, streamlit_config
from dashboard.settings import STREAMLIT_OPTIONS
from geo.io import MAX_UPLOAD_MB
from tests.servers import (
    HOST,
    atlas_command,
    atlas_run,
    dashboard_server,
    free_port,
    health_ok,
    request,
    websocket_upgrade_status,
)

EVIL = "evil.example"
FRAME_HEADERS = {
    "x-frame-options": "SAMEORIGIN",
    "content-security-policy": "frame-ancestors 'self'",
}


def atlas(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
    """Run an ``atlas`` command to its end; killed (with its children) if it outlives timeout."""
    process = subprocess.Popen(
        atlas_command(*args),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"atlas {' '.join(args)} still ran after {timeout} s:\n{out}\n{err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# --- the Host header (DNS rebinding) and framing, on the server the browser tests use ----------


@pytest.fixture(scope="module")
def dashboard():
    with dashboard_server() as running:
        yield running


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


@pytest.mark.server
def test_another_sites_name_in_the_host_header_gets_403(dashboard):
    port = port_of(dashboard)
    assert request(port, "/", host_header=EVIL).status == 403
    assert request(port, "/_stcore/health", host_header=f"{EVIL}:{port}").status == 403
    status = websocket_upgrade_status(port, host_header=EVIL, origin=f"http://{EVIL}")
    assert status == 403


@pytest.mark.server
def test_the_served_address_and_the_loopback_names_pass_only_with_the_right_port(dashboard):
    port = port_of(dashboard)
    for name in (HOST, "localhost", "[::1]", "LOCALHOST"):
        assert request(port, "/", host_header=f"{name}:{port}").status == 200, name
    assert request(port, "/", host_header=f"{HOST}:{port + 1}").status == 403
    assert request(port, "/", host_header=HOST).status == 403  # port 80 is not where it serves
    origin = f"http://{HOST}:{port}"
    assert websocket_upgrade_status(port, host_header=f"{HOST}:{port}", origin=origin) == 101


@pytest.mark.server
def test_pages_may_be_framed_only_by_the_dashboard_itself(dashboard):
    port = port_of(dashboard)
    for reply in (request(port, "/"), request(port, "/_stcore/health")):
        assert reply.status == 200
        for name, value in FRAME_HEADERS.items():
            assert reply.headers.get(name) == value


# --- sharing: refused when open, a login over TLS through HAProxy ------------------------------


def test_sharing_beyond_the_loopback_without_access_control_is_refused():
    done = atlas("run", "--host", "0.0.0.0", "--port", str(free_port()), "--no-browser")
    assert done.returncode == 2
    for option in ("--users", "--tls-cert", "--open-to-everyone"):
        assert option in done.stderr
    assert "Traceback" not in done.stderr


def test_a_login_without_tls_is_refused(tmp_path):
    users = tmp_path / "users.txt"
    atlas("passwd", str(users), "alice", stdin="correct horse\n")
    done = atlas("run", "--host", "0.0.0.0", "--users", str(users), "--no-browser")
    assert done.returncode == 2
    assert "--tls-cert" in done.stderr
    assert "clear" in done.stderr  # why: the passwords would cross the network in clear


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    where = ["-keyout", str(key), "-out", str(cert), "-subj", f"/CN={HOST}"]
    subprocess.run(
        [*request, *where, "-addext", f"subjectAltName=IP:{HOST}"], check=True, capture_output=True
    )
    return cert, key


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """``atlas run`` behind HAProxy: a login (alice) over TLS, on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("shared")
    cert, key = make_certificate(folder)
    users = folder / "users.txt"
    made = atlas("passwd", str(users), "alice", stdin="correct horse\n")
    assert made.returncode == 0, made.stderr
    tls = ssl.create_default_context(cafile=str(cert))
    port = free_port()

    def asks_for_a_login() -> bool:
        try:
            return request(port, "/_stcore/health", tls=tls).status == 401
        except OSError:
            return False

    with atlas_run(
        "--host", HOST, "--port", str(port), "--users", str(users),
        "--tls-cert", str(cert), "--tls-key", str(key), "--no-browser",
        ready=asks_for_a_login,
    ) as running:  # fmt: skip
        yield running, port, tls


@pytest.mark.server
def test_no_credentials_or_wrong_ones_get_401(shared):
    _, port, tls = shared
    reply = request(port, "/", tls=tls)
    assert reply.status == 401
    assert reply.headers["www-authenticate"].startswith("Basic realm=")
    assert request(port, "/", tls=tls, headers=basic("alice", "wrong")).status == 401
    assert request(port, "/", tls=tls, headers=basic("mallory", "correct horse")).status == 401


@pytest.mark.server
def test_the_right_credentials_get_the_dashboard_over_tls(shared):
    _, port, tls = shared
    login = basic("alice", "correct horse")
    page = request(port, "/", tls=tls, headers=login)
    assert page.status == 200
    assert b"<html" in page.body.lower()
    assert request(port, "/_stcore/health", tls=tls, headers=login).status == 200
    for name, value in FRAME_HEADERS.items():
        assert page.headers.get(name) == value


@pytest.mark.server
def test_the_websocket_is_tunnelled_only_with_credentials(shared):
    _, port, tls = shared
    site = dict(host_header=f"{HOST}:{port}", origin=f"https://{HOST}:{port}", tls=tls)
    assert websocket_upgrade_status(port, **site, headers=basic("alice", "correct horse")) == 101
    assert websocket_upgrade_status(port, **site) == 401


@pytest.mark.server
def test_behind_haproxy_another_sites_name_still_gets_403(shared):
    _, port, tls = shared
    login = basic("alice", "correct horse")
    assert request(port, "/", tls=tls, headers=login, host_header=EVIL).status == 403


@pytest.mark.server
def test_nothing_is_served_in_clear(shared):
    _, port, _ = shared
    with pytest.raises(OSError):  # plain HTTP to the TLS port: dropped, unanswered
        request(port, "/", headers=basic("alice", "correct horse"))


@pytest.mark.server
def test_the_banner_gives_the_https_address_and_how_to_stop(shared):
    running, port, _ = shared
    log = running.log()
    assert f"https://{HOST}:{port}" in log
    assert "Ctrl+C" in log


def children_of(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(child) for child in text.split()}


@pytest.mark.server
def test_stopping_atlas_run_stops_its_haproxy_and_streamlit(tmp_path):
    cert, key = make_certificate(tmp_path)
    tls = ssl.create_default_context(cafile=str(cert))
    port = free_port()

    def serves() -> bool:
        try:
            return request(port, "/_stcore/health", tls=tls).status == 200
        except OSError:
            return False

    with atlas_run(
        "--host", HOST, "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key),
        "--no-browser", ready=serves,
    ) as running:  # fmt: skip
        children = children_of(running.process.pid)
        names = {Path(f"/proc/{child}/comm").read_text().strip() for child in children}
        assert "haproxy" in names and len(children) == 2, names
        os.kill(running.process.pid, signal.SIGTERM)  # the parent alone, as a service manager does
        assert running.process.wait(timeout=30) == 0
        for child in children:
            assert not Path(f"/proc/{child}").exists(), f"{child} outlived atlas run"
        assert not health_ok(port)


# --- the pieces: the allow-list, the options, the users file, HAProxy's configuration ----------


def test_a_wildcard_address_is_reached_by_the_machines_names_never_by_0_0_0_0():
    hosts = host_allow_list("0.0.0.0", 8501, machine_names=["Atlas-Box", "192.168.1.5", "fe80::1"])
    assert {"atlas-box:8501", "192.168.1.5:8501", "[fe80::1]:8501"} <= hosts
    assert {"127.0.0.1:8501", "localhost:8501", "[::1]:8501"} <= hosts
    assert "0.0.0.0:8501" not in hosts and "atlas-box" not in hosts


def test_a_public_url_adds_its_host_with_and_without_its_default_port():
    hosts = host_allow_list(HOST, 8501, public_url="https://Atlas.Example.org/")
    assert {"atlas.example.org", "atlas.example.org:443", "127.0.0.1:8501"} <= hosts
    assert public_url_hosts("http://[2001:db8::1]:8080") == {"[2001:db8::1]:8080"}
    for bad in ("atlas.example.org", "ftp://atlas.example.org", "https://x.org/atlas"):
        with pytest.raises(ValueError):
            public_url_hosts(bad)


def test_the_config_file_sets_exactly_what_atlas_run_sets():
    with open(Path(__file__).parents[1] / ".streamlit" / "config.toml", "rb") as file:
        sections = tomllib.load(file)
    in_file = {
        f"{s}.{name}": value for s, options in sections.items() for name, value in options.items()
    }
    assert in_file == {**STREAMLIT_OPTIONS, "server.maxUploadSize": MAX_UPLOAD_MB}
    assert STREAMLIT_OPTIONS.items() <= streamlit_config(port=8501, address=HOST).items()


def test_error_details_are_off_with_a_value_streamlit_knows():
    from streamlit import config
    from streamlit.config import ShowErrorDetailsConfigOptions

    assert STREAMLIT_OPTIONS["client.showErrorDetails"] == ShowErrorDetailsConfigOptions.NONE
    for name in STREAMLIT_OPTIONS:
        config.get_option(name)  # raises on an option Streamlit does not have


def test_the_browser_opens_only_where_there_is_a_display():
    assert not should_open_browser(False, "linux", {})
    assert should_open_browser(False, "linux", {"DISPLAY": ":0"})
    assert should_open_browser(False, "linux", {"WAYLAND_DISPLAY": "wayland-0"})
    assert should_open_browser(False, "darwin", {}) and should_open_browser(False, "win32", {})
    assert not should_open_browser(True, "darwin", {"DISPLAY": ":0"})


def test_atlas_passwd_keeps_only_a_sha512_crypt_hash_readable_by_its_owner(
    tmp_path, monkeypatch, capsys
):
    users = tmp_path / "users.txt"
    for name, password in [("alice", "correct horse"), ("bob", "battery"), ("alice", "staple")]:
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{password}\n"))
        assert main(["passwd", str(users), name]) == 0
    assert "changed the password of alice" in capsys.readouterr().err
    text = users.read_text()
    assert [line.split(":")[0] for line in text.splitlines()] == ["alice", "bob"]
    assert "staple" not in text and "battery" not in text
    alice = text.splitlines()[0].split(":", 1)[1]
    salt = alice.split("$")[2]
    again = subprocess.run(
        ["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
        input="staple\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert again.stdout.strip() == alice
    assert users.stat().st_mode & 0o777 == 0o600
    assert [user.name for user in read_users(users)] == ["alice", "bob"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("alice:correct horse", "users.txt:2: alice's password is not a SHA-512 crypt hash"),
        ("alice:$1$abc$0123456789012345678901", "users.txt:2: alice's password is not a SHA-512"),
        ("al ice:$6$x$" + 86 * "a", "users.txt:2: expected NAME:HASH"),
        ("bob:$6$x$" + 86 * "a", "users.txt:2: bob is listed twice"),
    ],
)
def test_a_users_file_line_that_haproxy_could_not_use_is_refused_by_number(tmp_path, line, message):
    users = tmp_path / "users.txt"
    users.write_text(f"bob:$6$x${86 * 'a'}\n{line}\n")
    with pytest.raises(AccessError, match=re.escape(message)):
        read_users(users)


def test_the_haproxy_configuration_is_one_haproxy_accepts(tmp_path):
    cert, key = make_certificate(tmp_path)
    settings = ProxySettings(
        bind_address=HOST,
        bind_port=free_port(),
        certificate=write_private(tmp_path / "site.pem", certificate_pem(cert, key)),
        backends=(Backend("streamlit-1", HOST, 8601), Backend("streamlit-2", HOST, 8602)),
        users=(User("alice", hash_password("correct horse")),),
        health_host=f"{HOST}:8443",
    )
    text = haproxy_config(settings)
    for line in (
        f"bind {HOST}:{settings.bind_port} ssl crt {settings.certificate}",
        "http-request auth realm conflict-atlas unless { http_auth(atlas_users) }",
        "timeout tunnel 1h",
        f"http-check send meth GET uri /_stcore/health ver HTTP/1.1 hdr Host {HOST}:8443",
        f"server streamlit-2 {HOST}:8602 check",
    ):
        assert line in text
    (tmp_path / "haproxy.cfg").write_text(text)
    checked = subprocess.run(
        [find_haproxy(), "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_without_haproxy_atlas_run_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    cert, key = make_certificate(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("ATLAS_HAPROXY", raising=False)
    monkeypatch.setattr("dashboard.proxy.HAPROXY_PLACES", ())
    code = main(["run", "--tls-cert", str(cert), "--tls-key", str(key), "--no-browser"])
    assert code == 2
    assert "apt-get install haproxy" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--users", "u.txt", "--open-to-everyone", "--tls-cert", "c.pem"], "contradict"),
        (["--tls-key", "k.pem"], "--tls-key goes with --tls-cert"),
        (["--public-url", "atlas.example.org"], "expected a public URL like https://"),
    ],
)
def test_options_that_do_not_fit_together_are_refused_before_anything_starts(
    capsys, options, message
):
    assert main(["run", *options, "--no-browser"]) == 2
    assert message in capsys.readouterr().err


def test_a_certificate_without_its_key_is_refused(tmp_path, capsys):
    cert, _ = make_certificate(tmp_path)
    assert main(["run", "--tls-cert", str(cert), "--no-browser"]) == 2
    assert "holds no private key: give it with --tls-key" in capsys.readouterr().err


def test_the_example_in_haproxy_configs_docstring_holds():
    import doctest

    from dashboard import proxy

    assert doctest.testmod(proxy).failed == 0
