"""marathon-lb: HAProxy configured from Marathon's event stream (`sse` mode).

Apps labelled `HAPROXY_GROUP=<group>` are served on their service port, so a service's
address is `<load balancer host>:<service port>`, known before the app is deployed.

Facts from marathon-lb v1.14.1 (marathon_lb.py's argument parser and the image's `run`
script; ../shared/reference/upstream/marathon-lb):
- `--marathon` takes every URL after one flag (`nargs="+"`); repeating the flag keeps only
  the last list, so all Marathon instances follow a single `--marathon`.
- credentials given as `--auth-credentials` or `MARATHON_USER`/`MARATHON_PASSWORD` end up in
  the generated command line (`ps`, `docker logs`): they are read from a file instead
  (`--marathon-auth-credential-file`).
- HAProxy's stats and health-check endpoint is fixed at port 9090 by the built-in template.
- The built-in templates give way to files of the same name in `templates/` (the image's
  workdir is /marathon-lb): `HAPROXY_HEAD` below replaces the head, whose stats endpoint would
  otherwise serve the stats page, the config and the reload signals (`/_mlb_signal/hup`) to
  anyone, over plain HTTP. It keeps what marathon-lb relies on: the stats socket its reload
  script talks to, the server-state file, the Lua services its endpoints are.
"""
from __future__ import annotations

from typing import Optional, Sequence

import pulumi

from ..outputs import concat
from ..spec import Instance
from ..spec.model import MARATHON_LB_STATS_PORT as STATS_PORT, Discovery
from .container import ContainerSpec, HealthCheck, container_name
from .tls import CIPHERS, TlsFiles, TlsMaterial

CREDENTIALS_FILE = "/etc/marathon-lb/credentials"
HEAD_TEMPLATE = "/marathon-lb/templates/HAPROXY_HEAD"
TLS_FILES = TlsFiles("/etc/marathon-lb/tls")
STATS_PEM = f"{TLS_FILES.directory}/stats.pem"  # HAProxy's `crt`: the chain and the key in one file
HEALTH_URI = "/_haproxy_health_check"
# The Lua services of marathon-lb's endpoints: {service: path}.
SERVICES = {"getpids": "/_haproxy_getpids", "getvhostmap": "/_haproxy_getvhostmap",
            "getappmap": "/_haproxy_getappmap", "getconfig": "/_haproxy_getconfig",
            "signalmlbhup": "/_mlb_signal/hup", "signalmlbusr1": "/_mlb_signal/usr1"}
LUA_FILES = ("getpids", "getconfig", "getmaps", "signalmlb")
CIPHER_SUITES = CIPHERS + ":ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"


def haproxy_quoted(text: str) -> str:
    """`text` as one HAProxy argument: single quotes take everything literally, and a quote
    itself is closed, escaped and reopened (HAProxy configuration manual, 2.2)."""
    return "'" + text.replace("'", "'\\''") + "'"


def render_head(login: str, tls: bool) -> str:
    """HAPROXY_HEAD: global settings and defaults as marathon-lb's own head has them, and a stats
    endpoint that answers its health check to anyone and everything else (the stats page, the
    maps, the config, the reload signals) only to `login` (`user:password`), over TLS if `tls`."""
    user, _, password = login.partition(":")
    bind = f"bind 0.0.0.0:{STATS_PORT}" + (f" ssl crt {STATS_PEM}" if tls else "")
    lines = [
        "global",
        "  log /dev/log local0",
        "  log /dev/log local1 notice",
        "  spread-checks 5",
        "  max-spread-checks 15000",
        "  maxconn 50000",
        "  tune.ssl.default-dh-param 2048",
        f"  ssl-default-bind-ciphers {CIPHER_SUITES}",
        "  ssl-default-bind-options no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets",
        f"  ssl-default-server-ciphers {CIPHER_SUITES}",
        "  ssl-default-server-options no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets",
        # marathon-lb's reload script hands the listeners over through this socket.
        "  stats socket /var/run/haproxy/socket expose-fd listeners",
        "  server-state-file global",
        "  server-state-base /var/state/haproxy/",
        *(f"  lua-load /marathon-lb/{name}.lua" for name in LUA_FILES),
        "userlist operators",
        f"  user {haproxy_quoted(user)} insecure-password {haproxy_quoted(password)}",
        "defaults",
        "  load-server-state-from-file global",
        "  log global",
        "  retries 3",
        "  backlog 10000",
        "  maxconn 10000",
        "  timeout connect 3s",
        "  timeout client 30s",
        "  timeout server 30s",
        "  timeout tunnel 3600s",
        "  timeout http-keep-alive 1s",
        "  timeout http-request 15s",
        "  timeout queue 30s",
        "  timeout tarpit 60s",
        "  option dontlognull",
        "  option http-server-close",
        "  option redispatch",
        "listen stats",
        f"  {bind}",
        "  balance",
        "  mode http",
        "  stats enable",
        # Answered before any http-request rule: health checks need no login.
        f"  monitor-uri {HEALTH_URI}",
        "  http-request auth realm marathon-lb unless { http_auth(operators) }",
        *(line for service, path in SERVICES.items()
          for line in (f"  acl {service} path {path}", f"  http-request use-service lua.{service} if {service}")),
    ]
    return "\n".join(lines) + "\n"


def marathon_lb(node: Instance, marathon_urls: Sequence[pulumi.Input[str]], spec: Discovery,
                platform_name: str, credentials: pulumi.Input[str], tls: Optional[TlsMaterial] = None) -> ContainerSpec:
    """`credentials` (`user:password`): Marathon's login, which marathon-lb reads its event stream
    with and which guards the stats endpoint; `tls`: the certificate of the stats endpoint, and
    the CA that Marathon's HTTPS certificate is checked against."""
    # A custom command replaces the image's whole default command: it starts with the mode and
    # names the group again. Only service ports are served: 80/443 stay free on the host.
    args: list[pulumi.Input[str]] = ["sse", "--group", spec.group, "--health-check", "--dont-bind-http-https",
                                     "--marathon-auth-credential-file", CREDENTIALS_FILE]
    files: dict[str, pulumi.Input[str]] = {}
    secret_files: dict[str, pulumi.Input[str]] = {
        CREDENTIALS_FILE: credentials,
        HEAD_TEMPLATE: pulumi.Output.from_input(credentials).apply(lambda c: render_head(c, tls is not None)),
    }
    # The image has python3 but no curl. The check asks this very host, so a certificate's chain
    # is checked, not its names.
    check = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{STATS_PORT}{HEALTH_URI}', timeout=3)"
    if tls is not None:
        args += ["--marathon-ca-cert", TLS_FILES.ca]
        files[TLS_FILES.ca] = tls.ca
        secret_files[STATS_PEM] = concat(tls.chain, tls.key)
        check = (f"import ssl, urllib.request; c = ssl.create_default_context(cafile='{TLS_FILES.ca}'); "
                 f"c.check_hostname = False; urllib.request.urlopen('https://127.0.0.1:{STATS_PORT}{HEALTH_URI}', "
                 "timeout=3, context=c)")
    args += ["--marathon", *marathon_urls]
    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=spec.image,
        args=tuple(args),
        files=files,
        secret_files=secret_files,
        # The image's `run` script exits unless PORTS is set (it only logs it).
        # An empty HAPROXY_SYSCTL_PARAMS skips the kernel tuning the image applies at start:
        # writing the host's net sysctls needs a privileged container, and this one is not.
        env={"PORTS": str(STATS_PORT), "HAPROXY_SYSCTL_PARAMS": ""},
        health=HealthCheck(("CMD", "python3", "-c", check)),
        labels={"container-platform/role": "marathon-lb"},
    )
