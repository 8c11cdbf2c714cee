"""ZooKeeperEnsemble: 1, 3 or 5 nodes; its connect string is built from host address outputs.

It takes only what an ensemble needs (`ZooKeeperEnsembleArgs`), so any Pulumi program can run
one on its own hosts (examples/zookeeper/ does, on this machine).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi

from ..hosts import Host
from ..outputs import depending_on
from ..roles import zookeeper as role
from ..roles.container import lift
from ..spec.model import ZooKeeper
from ..spec.placement import Instance, expand, zookeeper_group
from .rolling import run_one_at_a_time


@dataclass(frozen=True)
class ZooKeeperEnsembleArgs:
    nodes: Sequence[Instance]  # placed, with their ports (spec.placement, or `on` below)
    hosts: Mapping[str, Host]  # each node's `host` -> where it runs
    settings: ZooKeeper = ZooKeeper()  # image, tick time, ports, protect, ...
    platform_name: str = "platform"  # names containers and volumes: several platforms may share hosts

    @classmethod
    def on(cls, hosts: Sequence[Host], settings: ZooKeeper = ZooKeeper(), platform_name: str = "platform") -> "ZooKeeperEnsembleArgs":
        """`settings.count` nodes over `hosts` in turn, placed as spec.placement places them
        (nodes that share a host take consecutive ports)."""
        nodes = expand(zookeeper_group(settings, [h.name for h in hosts]), machine=lambda host: host)
        return cls(nodes, {h.name: h for h in hosts}, settings, platform_name)


class ZooKeeperEnsemble(pulumi.ComponentResource):
    connect_string: pulumi.Output[str]

    def __init__(self, name: str, args: ZooKeeperEnsembleArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:zookeeper:ZooKeeperEnsemble", name, None, opts)
        nodes = list(args.nodes)
        addresses = [args.hosts[n.host].address for n in nodes]
        self.containers = run_one_at_a_time(
            [(args.hosts[n.host], role.zookeeper_node(n, nodes, addresses, args.settings, args.platform_name))
             for n in nodes],
            parent=self, protect=args.settings.protect)
        connect = lift(lambda *a: role.connect_string(role.servers(nodes, a)), *addresses)
        # Every consumer of the connect string also depends on the nodes themselves.
        self.connect_string = depending_on(connect, self.containers)
        self.register_outputs({"connect_string": self.connect_string})
