"""Marathon: every instance joins the same leader election under `<zk>/marathon`.

Flags are `MARATHON_<FLAG>` environment variables, which Marathon's start script turns into
`--<flag>` (Marathon 1.7 command-line flags); checked against `marathon_flags.txt`.
"""
from __future__ import annotations

import pulumi

from ..spec import Instance
from ..spec.model import Marathon
from .container import ContainerSpec, HealthCheck, container_name, zk_auth_url, zk_url
from .mesos import PUBLIC_ROLE

MESOS_SECRET_FILE = "/etc/marathon/mesos-secret"
ZK_IDENTITY = "marathon"  # Marathon's ZooKeeper digest user


def mesos_role(has_public_agents: bool) -> str:
    """The role Marathon registers with: the public agents' role where there are any (it still
    gets unreserved `*` resources), else Marathon's default `*`."""
    return PUBLIC_ROLE if has_public_agents else "*"


def marathon(node: Instance, address: pulumi.Input[str], zk_connect: pulumi.Input[str],
             spec: Marathon, platform_name: str, has_public_agents: bool, *,
             http_credentials: pulumi.Input[str], mesos_principal: str, mesos_secret: pulumi.Input[str],
             zk_secret: pulumi.Input[str]) -> ContainerSpec:
    """`http_credentials` (`user:password`) guards the REST API; Marathon registers with Mesos as
    `mesos_principal`, with the secret read from a file; its state in ZooKeeper is readable and
    writable only with `zk_secret`."""
    port = node.port("http")
    env: dict[str, pulumi.Input[str]] = {
        "MARATHON_MASTER": zk_url(zk_connect, "mesos"),
        "MARATHON_HOSTNAME": address,
        "MARATHON_HTTP_ADDRESS": address,
        "MARATHON_HTTP_PORT": str(port),
        "MARATHON_FRAMEWORK_NAME": "marathon",
        "MARATHON_MESOS_AUTHENTICATION": "",  # an empty value is a boolean flag: --mesos_authentication
        "MARATHON_MESOS_AUTHENTICATION_PRINCIPAL": mesos_principal,
        "MARATHON_MESOS_AUTHENTICATION_SECRET_FILE": MESOS_SECRET_FILE,
    }
    if has_public_agents:
        # Register for the public role too, so apps can ask for public agents with
        # acceptedResourceRoles: ["slave_public"].
        env["MARATHON_MESOS_ROLE"] = mesos_role(has_public_agents)
        env["MARATHON_DEFAULT_ACCEPTED_RESOURCE_ROLES"] = "*"
    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=spec.image,
        env=env,
        # Marathon takes its HTTP credentials only as a value, never from a file. As
        # MARATHON_HTTP_CREDENTIALS it would be turned into `--http_credentials` on the Java
        # command line (visible in `ps`); MESOSPHERE_HTTP_CREDENTIALS is read as that flag's
        # default (HttpConf.scala) and stays in the environment, which only root and `docker
        # inspect` can read.
        # MARATHON_ZK, with its digest credentials, likewise: Marathon turns MARATHON_* variables
        # into flags inside the JVM (Main.scala, envToArgs), not on the command line.
        secret_env={"MESOSPHERE_HTTP_CREDENTIALS": http_credentials,
                    "MARATHON_ZK": zk_auth_url(zk_connect, "marathon", ZK_IDENTITY, zk_secret)},
        secret_files={MESOS_SECRET_FILE: mesos_secret},
        # /ping needs no credentials and answers once the HTTP service is up.
        health=HealthCheck(("CMD-SHELL", f"curl -fsS http://$MARATHON_HTTP_ADDRESS:{port}/ping"),
                           start_period_s=120),
        labels={"container-platform/role": "marathon"},
    )
