"""SwarmCluster: Docker Swarm mode over the platform's hosts.

The first manager initialises the swarm; the other managers and the workers join it with
tokens that exist only as secret outputs (they travel to the joining host over stdin). Every
script is idempotent: a node that is already part of a swarm is left alone.
"""
from __future__ import annotations

import shlex
from typing import Mapping, Optional

import pulumi

from ..hosts import Host
from ..spec import Environment
from ..spec.model import swarm_managers

STATE = "docker info --format '{{.Swarm.LocalNodeState}}'"
LEAVE = "docker swarm leave --force >/dev/null 2>&1 || true"


def init_script(address: str, port: int) -> str:
    endpoint = shlex.quote(f"{address}:{port}")
    return ("set -eu\n"
            f'if [ "$({STATE})" != active ]; then\n'
            f"  docker swarm init --advertise-addr {endpoint} --listen-addr {endpoint} >/dev/null\n"
            "fi\n")


def join_script(address: str, leader: str, port: int) -> str:
    """Reads the join token from stdin."""
    return ("set -eu\n"
            "token=$(cat)\n"
            f'if [ "$({STATE})" != active ]; then\n'
            f'  docker swarm join --token "$token" --advertise-addr {shlex.quote(address)} '
            f"{shlex.quote(f'{leader}:{port}')} >/dev/null\n"
            "fi\n")


def token_script(role: str) -> str:
    return f"docker swarm join-token -q {role}"


class SwarmCluster(pulumi.ComponentResource):
    """`manager` is the host whose engine the stack's services are created through."""

    def __init__(self, name: str, env: Environment, hosts: Mapping[str, Host],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:swarm:SwarmCluster", name, None, opts)
        p = env.platform
        manager_names = swarm_managers(p)
        self.manager = hosts[manager_names[0]]
        port = p.swarm.port
        init = self.manager.shell(f"{name}-init", self.manager.address.apply(lambda a: init_script(a, port)),
                                  parent=self, delete=LEAVE)
        self.initialized = init  # enough for swarm-scoped objects (networks, configs, secrets)
        self.members: list[pulumi.Resource] = [init]  # every node in: what services wait for
        for role, names in (("manager", manager_names[1:]), ("worker", p.swarm.workers)):
            if not names:
                continue
            token = self.manager.shell(f"{name}-{role}-token", token_script(role), parent=self,
                                       secret_stdout=True, depends_on=[init])
            for n in names:
                host = hosts[n]
                script = pulumi.Output.all(host.address, self.manager.address).apply(
                    lambda a: join_script(a[0], a[1], port))
                self.members.append(host.shell(f"{name}-join-{n}", script, parent=self, delete=LEAVE,
                                               stdin=token.stdout, depends_on=[token]))
        self.register_outputs({"managers": manager_names, "workers": p.swarm.workers})
