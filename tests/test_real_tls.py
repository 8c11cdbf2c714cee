"""Issue 13, item 2, for real: what the program renders for TLS, handed to the tools that read it.

- OpenSSL (Python's ssl module calls the functions libprocess calls: a chain file, a PEM key,
  a cipher list, TLS 1.2 only, a CA file, and for a peer that verifies, its address in the
  certificate): agents and Marathon verify each master by its address; libprocess's own
  default ciphers would find nothing in common with the platform's certificates.
- curl, as the health checks run it in a container (local/curl-standin:1 stands in for the
  Mesos and Marathon images: /bin/sh and curl), against a TLS server holding the role's files.
- keytool (Java 17; the JKS type reads PKCS#12 as Marathon's Jetty default would): the keystore
  the keystore provider builds from the rendered key, chain and password.
- HAProxy (local/marathonlb-standin:1): marathon-lb's rendered head, stats over TLS, the login.
- MarathonApp against the Marathon contract server over HTTPS, trusting the platform's CA.

The certificates come from the mock runtime's pulumi-tls stand-in (ops/mock_tls.py), built as
terraform-provider-tls builds them.
"""
from __future__ import annotations

import base64
import http.server
import json
import re
import socket
import ssl
import subprocess
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import pytest

from components.platform.keystore import Pkcs12KeystoreProvider
from components.platform.marathon_app import MarathonAppProvider
from components.roles import marathon as marathon_role, marathon_lb as lb_role, mesos as mesos_role
from components.roles.tls import CIPHERS

from .conftest import evaluate_changed
from .harness import workloads
from .marathon_contract import MarathonContractServer
from .realhelpers import copy_in, docker, free_port, wait_for
from .test_marathon_app import rendered_app
from .test_tls import marathon_keystore_inputs

pytestmark = pytest.mark.real

LIBPROCESS_DEFAULT_CIPHERS = ("AES128-SHA:AES256-SHA:RC4-SHA:DHE-RSA-AES128-SHA:DHE-DSS-AES128-SHA:"
                              "DHE-RSA-AES256-SHA:DHE-DSS-AES256-SHA")  # Mesos 1.7 libprocess openssl.cpp
CURL_IMAGE = "local/curl-standin:1"
LB_IMAGE = "local/marathonlb-standin:1"


def files_of(d, role: str) -> dict[str, str]:
    """The files (secret ones too) of the first container of `role`."""
    (w, *_) = [w for w in workloads(d) if w.role == role]
    return w.files


def written(tmp: Path, name: str, content: str) -> str:
    path = tmp / name
    path.write_text(content)
    return str(path)


def libprocess_context(server: bool, files: dict[str, str], directory, tmp: Path, ciphers: str = CIPHERS,
                       verify: bool = False) -> ssl.SSLContext:
    """An OpenSSL context made as libprocess makes one from LIBPROCESS_SSL_*: the chain file,
    the key, TLS 1.2 only, the ciphers; with `verify`, the CA file (and for a client, the
    peer's address checked against its certificate, as LIBPROCESS_SSL_VERIFY_IPADD does)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    ctx.load_cert_chain(written(tmp, f"{id(ctx)}-chain.pem", files[directory.chain]),
                        written(tmp, f"{id(ctx)}-key.pem", files[directory.key]))
    if verify:
        ctx.load_verify_locations(written(tmp, f"{id(ctx)}-ca.pem", files[directory.ca]))
        ctx.verify_mode = ssl.CERT_OPTIONAL if server else ssl.CERT_REQUIRED
        ctx.check_hostname = not server
    else:
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return ctx


@contextmanager
def tls_listener(ctx: ssl.SSLContext) -> Iterator[tuple[int, dict]]:
    """One TLS connection accepted on 127.0.0.1 with `ctx`; `seen["peer"]` is the certificate
    the client presented (what a verifying libprocess checks the peer's address against)."""
    sock = socket.create_server(("127.0.0.1", 0))
    seen: dict = {}

    def serve() -> None:
        try:
            conn, _ = sock.accept()
            with ctx.wrap_socket(conn, server_side=True) as tls:
                seen["peer"] = tls.getpeercert()
                tls.sendall(b"ok")
        except (OSError, ssl.SSLError) as e:
            seen["error"] = e

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], seen
    finally:
        sock.close()
        thread.join(5)


def connect(ctx: ssl.SSLContext, port: int, name: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, ctx.wrap_socket(raw, server_hostname=name) as tls:
        return tls.recv(2)


@pytest.fixture(scope="module")
def onprem():
    d = evaluate_changed("onprem", lambda p: None)
    assert d.error is None, d.error
    return d


@pytest.mark.parametrize("client, directory", [("mesos-agent", mesos_role.TLS_FILES), ("marathon", marathon_role.TLS_FILES)])
def test_agents_and_marathon_verify_each_master_by_its_address(onprem, tmp_path, client, directory):
    master = files_of(onprem, "mesos-master")
    server = libprocess_context(True, master, mesos_role.TLS_FILES, tmp_path)  # masters verify no one
    them = libprocess_context(False, files_of(onprem, client), directory, tmp_path, verify=True)
    addresses = [w.env["MESOS_IP"] for w in workloads(onprem) if w.role == "mesos-master"]
    for address in addresses:
        with tls_listener(server) as (port, _):
            assert connect(them, port, address) == b"ok"
    with tls_listener(server) as (port, _), pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
        connect(them, port, "192.0.2.99")  # not a master: whoever answers there is refused


def test_a_master_presents_a_certificate_an_agent_accepts_and_an_agents_certificate_names_no_address(onprem, tmp_path):
    """Master to agent: the agent (LIBPROCESS_SSL_VERIFY_CERT) asks for the master's certificate,
    which chains to the CA and names the masters' addresses (libprocess compares the peer's);
    the agents' own certificate names none, which is why masters verify no one."""
    master, agent = files_of(onprem, "mesos-master"), files_of(onprem, "mesos-agent")
    agent_side = libprocess_context(True, agent, mesos_role.TLS_FILES, tmp_path, verify=True)
    master_side = libprocess_context(False, master, mesos_role.TLS_FILES, tmp_path)
    with tls_listener(agent_side) as (port, seen):
        assert connect(master_side, port, "ignored") == b"ok"
    masters = {w.env["MESOS_IP"] for w in workloads(onprem) if w.role == "mesos-master"}
    assert {v for k, v in seen["peer"]["subjectAltName"] if k == "IP Address"} == masters
    check_agent = libprocess_context(False, master, mesos_role.TLS_FILES, tmp_path, verify=True)
    with tls_listener(libprocess_context(True, agent, mesos_role.TLS_FILES, tmp_path)) as (port, _):
        with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
            connect(check_agent, port, sorted(masters)[0])


def test_libprocess_default_ciphers_share_nothing_with_the_certificates(onprem, tmp_path):
    """Why every party is given LIBPROCESS_SSL_CIPHERS: the default list holds RSA suites only."""
    server = libprocess_context(True, files_of(onprem, "mesos-master"), mesos_role.TLS_FILES, tmp_path)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.minimum_version = client.maximum_version = ssl.TLSVersion.TLSv1_2
    client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
    client.set_ciphers(LIBPROCESS_DEFAULT_CIPHERS)
    with tls_listener(server) as (port, _), pytest.raises(ssl.SSLError):
        connect(client, port, "x")


# -- health checks, in a container holding the role's files --------------------------------

class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200 if self.path in ("/health", "/ping") else 404)
        self.end_headers()
        self.wfile.write(b"pong\n")

    def log_message(self, *_):
        pass


@contextmanager
def https_server(port: int, chain: str, key: str, tmp: Path) -> Iterator[None]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Answer)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers(CIPHERS)
    ctx.load_cert_chain(written(tmp, f"{port}-chain.pem", chain), written(tmp, f"{port}-key.pem", key))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def run_health_check(workload, files: dict[str, str]) -> subprocess.CompletedProcess:
    """The rendered `CMD-SHELL` line, with the container's env, in a container holding `files`."""
    name = f"cp-health-{free_port()}"
    env = [a for k, v in workload.env.items() for a in ("-e", f"{k}={v}")]
    docker("create", "--name", name, "--network", "host", *env, CURL_IMAGE, "sh", "-c", workload.health[-1])
    try:
        copy_in(name, [(path, content, "0400") for path, content in files.items()])
        return subprocess.run(["/usr/bin/docker", "start", "-a", name], capture_output=True, text=True, timeout=60)
    finally:
        docker("rm", "-f", name, check=False)


def test_each_health_check_passes_against_its_role_over_https_and_a_stranger_fails_it(onprem, tmp_path):
    """The local stack with TLS on (every address 127.0.0.1), ports moved to free ones: each
    health check, exactly as rendered, against a server holding that role's certificate."""
    base = free_port()
    d = evaluate_changed("local", lambda p: p.update(
        tls={"enabled": True}, mesos={**p["mesos"], "masters": {"count": 1, "port": base},
                                      "agent_pools": [{**p["mesos"]["agent_pools"][0], "port": free_port()}]},
        marathon={"enabled": True, "port": free_port()}, spark={"enabled": False}, stacks=[]))
    assert d.error is None, d.error
    checked = set()
    for w in workloads(d):
        if w.role not in ("mesos-master", "mesos-agent", "marathon"):
            continue
        tls = mesos_role.TLS_FILES if w.role.startswith("mesos") else marathon_role.TLS_FILES
        port = int(re.search(r":(\d+)/(health|ping)", w.health[-1]).group(1))
        with https_server(port, w.files[tls.chain], w.files[tls.key], tmp_path):
            ran = run_health_check(w, {tls.ca: w.files[tls.ca]})
            assert ran.returncode == 0, (w.name, w.health[-1], ran.stderr)
            if "--cacert" in w.health[-1]:  # the CA is what makes it pass: another one fails it
                stranger = run_health_check(w, {tls.ca: files_of(onprem, "mesos-master")[mesos_role.TLS_FILES.ca]})
                assert stranger.returncode == 60, (w.name, stranger.stderr)  # curl: peer certificate not verified
        checked.add(w.role)
    assert checked == {"mesos-master", "mesos-agent", "marathon"}


# -- Marathon's keystore ----------------------------------------------------------------------

@pytest.mark.parametrize("store_type", ["PKCS12", "JKS"])
def test_keytool_opens_marathons_keystore_with_its_password_and_finds_the_key_and_chain(onprem, tmp_path, store_type):
    props, _ = marathon_keystore_inputs(onprem)
    store = tmp_path / "keystore.p12"
    store.write_bytes(base64.b64decode(Pkcs12KeystoreProvider().create(props).outs["keystore"]))
    listed = subprocess.run(["keytool", "-list", "-v", "-keystore", str(store), "-storetype", store_type],
                            input=props["password"] + "\n", capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "Your keystore contains 1 entry" in listed.stdout
    assert "Alias name: marathon" in listed.stdout and "Entry type: PrivateKeyEntry" in listed.stdout
    assert "Certificate chain length: 2" in listed.stdout
    wrong = subprocess.run(["keytool", "-list", "-keystore", str(store), "-storetype", store_type],
                           input="wrong\n", capture_output=True, text=True, timeout=60)
    assert wrong.returncode != 0


# -- marathon-lb's stats endpoint ---------------------------------------------------------------

@contextmanager
def haproxy(files: dict[str, str]) -> Iterator[tuple[str, int]]:
    """The marathon-lb stand-in running `files` (HAPROXY_HEAD as its whole config); its name and
    the loopback port its 9090 is published on."""
    name = f"cp-mlb-{free_port()}"
    config = {**files, "/marathon-lb/haproxy.cfg": files[lb_role.HEAD_TEMPLATE]}
    docker("create", "--name", name, "-p", f"127.0.0.1::{lb_role.STATS_PORT}", LB_IMAGE)
    try:
        copy_in(name, [(path, content, "0400") for path, content in config.items()])
        docker("start", name)
        port = int(docker("port", name, f"{lb_role.STATS_PORT}/tcp").stdout.split(":")[-1])
        yield name, port
    finally:
        docker("rm", "-f", name, check=False)


def get(url: str, ctx: Optional[ssl.SSLContext], login: Optional[str] = None) -> int:
    request = urllib.request.Request(url)
    if login:
        request.add_header("Authorization", "Basic " + base64.b64encode(login.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5, context=ctx) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.mark.parametrize("password", ["placeholder-password", "it's a #pw $X\\y \"q\""])
def test_marathon_lb_stats_answer_health_checks_to_anyone_and_the_rest_only_to_the_login(tmp_path, password):
    d = evaluate_changed("onprem", lambda p: None, secrets={"marathonPassword": password})
    assert d.error is None, d.error
    files = files_of(d, "marathon-lb")
    ca = ssl.create_default_context(cafile=written(tmp_path, "ca.pem", files[lb_role.TLS_FILES.ca]))
    ca.check_hostname = False
    login = f"ops:{password}"
    with haproxy(files) as (name, port):
        base = f"https://127.0.0.1:{port}"
        wait_for("HAProxy's health check", lambda: get(base + lb_role.HEALTH_URI, ca) == 200, timeout=30)
        for path in [*lb_role.SERVICES.values(), "/haproxy?stats"]:
            assert get(base + path, ca) == 401, path
            assert get(base + path, ca, "ops:wrong") == 401, path
            assert get(base + path, ca, login) == 200, path
        with pytest.raises((urllib.error.URLError, ConnectionError)):  # no plain HTTP: the connection is closed
            get(f"http://127.0.0.1:{port}{lb_role.HEALTH_URI}", None)
        # The container's own health check (exec form), as rendered, in the container.
        w = next(w for w in workloads(d) if w.role == "marathon-lb")
        assert w.health[0] == "CMD"
        check = docker("exec", name, *w.health[1:], check=False)
        assert check.returncode == 0, check.stderr
        # What a client that checks names sees: the load balancers' addresses.
        names = ssl.create_default_context(cafile=written(tmp_path, "ca2.pem", files[lb_role.TLS_FILES.ca]))
        for address in d.outputs["service_discovery"]["load_balancers"]:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                    names.wrap_socket(raw, server_hostname=address):
                pass


def test_marathon_lb_stats_on_the_local_target_are_plain_http_but_still_behind_the_login():
    d = evaluate_changed("local", lambda p: None)
    files = files_of(d, "marathon-lb")
    assert lb_role.STATS_PEM not in files
    with haproxy(files) as (name, port):
        base = f"http://127.0.0.1:{port}"
        wait_for("HAProxy's health check", lambda: get(base + lb_role.HEALTH_URI, None) == 200, timeout=30)
        assert get(base + "/_mlb_signal/hup", None) == 401
        assert get(base + "/_mlb_signal/hup", None, d.outputs["marathon_credentials"]) == 200


# -- MarathonApp over HTTPS ---------------------------------------------------------------------

def test_marathon_app_deploys_over_https_trusting_the_platforms_ca_and_refuses_another(onprem, tmp_path):
    d = evaluate_changed("local", lambda p: p.update(tls={"enabled": True}))
    assert d.error is None, d.error
    files = files_of(d, "marathon")
    tls = marathon_role.TLS_FILES
    with MarathonContractServer(tls=(written(tmp_path, "chain.pem", files[tls.chain]),
                                     written(tmp_path, "key.pem", files[tls.key]))) as server:
        assert server.url.startswith("https://127.0.0.1:")
        app = rendered_app()
        props = {"app": app, "marathon_urls": [server.url], "credentials": None, "timeout_seconds": 10,
                 "ca_certificate": d.outputs["tls_ca_certificate"]}
        created = MarathonAppProvider().create(props)
        assert created.id == app["id"] and server.apps[app["id"]]["id"] == app["id"]
        stranger = {**props, "ca_certificate": files_of(onprem, "marathon")[tls.ca], "timeout_seconds": 2}
        with pytest.raises(ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            MarathonAppProvider().create(stranger)
        assert json.dumps(server.log).count("PUT") == 1  # the stranger never got a request through
