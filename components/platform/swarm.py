"""SwarmCluster: Docker Swarm mode over the platform's hosts.

The first manager initialises the swarm; the other managers and the workers join it with
tokens that exist only as secret outputs (they travel to the joining host over stdin). Every
script is idempotent: a node that is already part of a swarm is left alone.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi

from ..hosts import Host
from ..spec.model import SWARM_PORT

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


NODE_ID = "docker info --format '{{.Swarm.NodeID}}'"


def labels_script(labels: Mapping[str, str]) -> str:
    """Run on a manager with the node's id on stdin: the node's labels become exactly the host's
    (platform.hosts[].labels), so `node.labels.<k>==v` constraints mean what they do on Marathon."""
    keep = " ".join(sorted(labels))
    adds = " ".join(f"--label-add {shlex.quote(f'{k}={v}')}" for k, v in sorted(labels.items()))
    return ("set -eu\n"
            "id=$(cat)\n"
            "for k in $(docker node inspect -f '{{range $k, $v := .Spec.Labels}}{{$k}} {{end}}' \"$id\"); do\n"
            f'  case " {keep} " in *" $k "*) ;; *) docker node update --label-rm "$k" "$id" >/dev/null ;; esac\n'
            "done\n"
            + (f'docker node update {adds} "$id" >/dev/null\n' if labels else ""))


@dataclass(frozen=True)
class SwarmClusterArgs:
    managers: Sequence[Host]  # the first initialises the swarm; services are created through it
    workers: Sequence[Host] = ()
    port: int = SWARM_PORT  # the managers' cluster-management port
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # host name -> node labels


class SwarmCluster(pulumi.ComponentResource):
    """`manager` is the host whose engine the stack's services are created through."""

    def __init__(self, name: str, args: SwarmClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:swarm:SwarmCluster", name, None, opts)
        hosts = {h.name: h for h in [*args.managers, *args.workers]}
        manager_names = [h.name for h in args.managers]
        worker_names = [h.name for h in args.workers]
        self.manager = args.managers[0]
        port = args.port
        init = self.manager.shell(f"{name}-init", self.manager.address.apply(lambda a: init_script(a, port)),
                                  parent=self, delete=LEAVE)
        self.initialized = init  # enough for swarm-scoped objects (networks, configs, secrets)
        self.members: list[pulumi.Resource] = [init]  # every node in (and labelled): what services wait for
        joined: dict[str, pulumi.Resource] = {manager_names[0]: init}
        for role, names in (("manager", manager_names[1:]), ("worker", worker_names)):
            if not names:
                continue
            token = self.manager.shell(f"{name}-{role}-token", token_script(role), parent=self,
                                       secret_stdout=True, depends_on=[init])
            for n in names:
                host = hosts[n]
                script = pulumi.Output.all(host.address, self.manager.address).apply(
                    lambda a: join_script(a[0], a[1], port))
                joined[n] = host.shell(f"{name}-join-{n}", script, parent=self, delete=LEAVE,
                                       stdin=token.stdout, depends_on=[token])
                self.members.append(joined[n])
        for n, membership in joined.items():
            labels = args.labels.get(n) or {}
            if not labels:
                continue
            node = hosts[n].shell(f"{name}-node-{n}", NODE_ID, parent=self, depends_on=[membership])
            self.members.append(self.manager.shell(f"{name}-labels-{n}", labels_script(labels), parent=self,
                                                   stdin=node.stdout, depends_on=[node]))
        self.register_outputs({"managers": manager_names, "workers": worker_names})
