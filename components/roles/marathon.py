"""Marathon: every instance joins the same leader election under `<zk>/marathon`.

Flags are `MARATHON_<FLAG>` environment variables, which Marathon's start script turns into
`--<flag>` (Marathon 1.7 command-line flags); checked against `marathon_flags.txt`.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from ..spec import Instance
from ..spec.model import Marathon
from .container import ContainerSpec, HealthCheck, container_name, zk_url
from .mesos import PUBLIC_ROLE


def marathon(node: Instance, address: pulumi.Input[str], zk_connect: pulumi.Input[str],
             spec: Marathon, platform_name: str, has_public_agents: bool,
             credentials: Optional[pulumi.Input[str]] = None) -> ContainerSpec:
    port = node.port("http")
    env: dict[str, pulumi.Input[str]] = {
        "MARATHON_MASTER": zk_url(zk_connect, "mesos"),
        "MARATHON_ZK": zk_url(zk_connect, "marathon"),
        "MARATHON_HOSTNAME": address,
        "MARATHON_HTTP_ADDRESS": address,
        "MARATHON_HTTP_PORT": str(port),
        "MARATHON_FRAMEWORK_NAME": "marathon",
    }
    if has_public_agents:
        # Register for the public role too, so apps can ask for public agents with
        # acceptedResourceRoles: ["slave_public"].
        env["MARATHON_MESOS_ROLE"] = PUBLIC_ROLE
        env["MARATHON_DEFAULT_ACCEPTED_RESOURCE_ROLES"] = "*"
    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=spec.image,
        env=env,
        # `user:password` from the secret marathonPassword.
        secret_env={"MARATHON_HTTP_CREDENTIALS": credentials} if credentials is not None else {},
        # /ping needs no credentials and answers once the HTTP service is up.
        health=HealthCheck(("CMD-SHELL", f"curl -fsS http://$MARATHON_HTTP_ADDRESS:{port}/ping"),
                           start_period_s=120),
        labels={"container-platform/role": "marathon"},
    )
