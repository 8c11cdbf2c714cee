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
"""
from __future__ import annotations

from typing import Optional, Sequence

import pulumi

from ..spec import Instance
from ..spec.model import MARATHON_LB_STATS_PORT as STATS_PORT, Discovery
from .container import ContainerSpec, HealthCheck, container_name

CREDENTIALS_FILE = "/etc/marathon-lb/credentials"


def marathon_lb(node: Instance, marathon_urls: Sequence[pulumi.Input[str]], spec: Discovery,
                platform_name: str, credentials: Optional[pulumi.Input[str]] = None) -> ContainerSpec:
    # A custom command replaces the image's whole default command: it starts with the mode and
    # names the group again. Only service ports are served: 80/443 stay free on the host.
    args: list[pulumi.Input[str]] = ["sse", "--group", spec.group, "--health-check", "--dont-bind-http-https"]
    if credentials is not None:
        args += ["--marathon-auth-credential-file", CREDENTIALS_FILE]
    args += ["--marathon", *marathon_urls]
    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=spec.image,
        args=tuple(args),
        secret_files={CREDENTIALS_FILE: credentials} if credentials is not None else {},
        # The image's `run` script exits unless PORTS is set (it only logs it).
        # An empty HAPROXY_SYSCTL_PARAMS skips the kernel tuning the image applies at start:
        # writing the host's net sysctls needs a privileged container, and this one is not.
        env={"PORTS": str(STATS_PORT), "HAPROXY_SYSCTL_PARAMS": ""},
        # The image has python3 but no curl.
        health=HealthCheck(("CMD", "python3", "-c",
                            f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{STATS_PORT}/_haproxy_health_check', timeout=3)")),
        labels={"container-platform/role": "marathon-lb"},
    )
