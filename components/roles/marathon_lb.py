"""marathon-lb: HAProxy configured from Marathon's event stream (`sse` mode).

Apps labelled `HAPROXY_GROUP=<group>` are served on their service port, so a service's
address is `<load balancer host>:<service port>`, known before the app is deployed.
"""
from __future__ import annotations

from typing import Optional, Sequence

import pulumi

from ..spec import Instance
from ..spec.model import Discovery
from .container import ContainerSpec, HealthCheck, container_name


def marathon_lb(node: Instance, marathon_urls: Sequence[pulumi.Input[str]], spec: Discovery,
                platform_name: str, credentials: Optional[pulumi.Input[str]] = None) -> ContainerSpec:
    stats = node.port("stats")
    args: list[pulumi.Input[str]] = ["sse", "--group", spec.group, "--health-check"]
    for url in marathon_urls:
        args += ["--marathon", url]
    entrypoint = None
    if credentials is not None:
        # The credentials come from the environment, never the command line (which `ps`, `docker
        # inspect` and cloud-init user data would show): a shell appends them to the image's
        # own entrypoint, /marathon-lb/run.
        entrypoint = ("/bin/sh", "-c", 'exec /marathon-lb/run "$@" --auth-credentials "$MARATHON_LB_CREDENTIALS"',
                      "marathon-lb")
    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=spec.image,
        args=tuple(args),
        entrypoint=entrypoint,
        secret_env={"MARATHON_LB_CREDENTIALS": credentials} if credentials is not None else {},
        # HAProxy binds the stats port first; service ports follow as apps appear.
        # An empty HAPROXY_SYSCTL_PARAMS skips the kernel tuning the image applies at start:
        # writing the host's net sysctls needs a privileged container, and this one is not.
        env={"PORTS": str(stats), "HAPROXY_SYSCTL_PARAMS": ""},
        # The image has python3 but no curl.
        health=HealthCheck(("CMD", "python3", "-c",
                            f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{stats}/_haproxy_health_check', timeout=3)")),
        labels={"container-platform/role": "marathon-lb"},
    )
