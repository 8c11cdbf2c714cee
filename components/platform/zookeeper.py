"""ZooKeeperEnsemble: 1, 3 or 5 nodes; its connect string is built from host address outputs.

It takes only what an ensemble needs (`ZooKeeperEnsembleArgs`), so any Pulumi program can run
one on its own hosts (examples/zookeeper/ does, on this machine).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_random as random

from ..hosts import Host
from ..outputs import depending_on
from ..roles import zookeeper as role
from ..roles.container import container_name, lift
from ..spec.model import ZooKeeper
from ..spec.placement import Instance, expand, zookeeper_group
from .rolling import run_one_at_a_time

# How long new members have to start and follow before the change of members gives up.
MEMBERSHIP_TIMEOUT_S = 300


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
    """The nodes, run one at a time (rolling.py), and their membership: a new node count (3 to
    5, 5 to 3, 1 to 3) is a change in place. Every node keeps the members ZooKeeper has across
    its own recreation (roles/zookeeper.py); once all nodes are up, `membership` asks the
    ensemble, through the first node (in every membership), for exactly these members; nodes no
    longer wanted are deleted after that, as Pulumi deletes what a program dropped last."""

    connect_string: pulumi.Output[str]

    def __init__(self, name: str, args: ZooKeeperEnsembleArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:zookeeper:ZooKeeperEnsemble", name, None, opts)
        nodes = list(args.nodes)
        addresses = [args.hosts[n.host].address for n in nodes]
        # The superuser, who alone may change the members (ZooKeeper's digest provider).
        admin = pulumi.Output.secret(random.RandomPassword(
            f"{name}-superuser", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)).result)
        self.containers = run_one_at_a_time(
            [(args.hosts[n.host], role.zookeeper_node(n, nodes, addresses, args.settings, args.platform_name, admin))
             for n in nodes],
            parent=self, protect=args.settings.protect)
        first = nodes[0]
        self.membership = args.hosts[first.host].when_changed(
            f"{name}-members", lift(lambda *a: role.membership_script(
                container_name(args.platform_name, first.name), role.servers(nodes, a)[0], role.servers(nodes, a),
                MEMBERSHIP_TIMEOUT_S), *addresses),
            MEMBERSHIP_TIMEOUT_S, parent=self, depends_on=self.containers, purpose="set ZooKeeper's members")
        connect = lift(lambda *a: role.connect_string(role.servers(nodes, a)), *addresses)
        # Every consumer of the connect string also depends on the nodes and on their membership.
        self.connect_string = depending_on(connect, [*self.containers, self.membership])
        self.register_outputs({"connect_string": self.connect_string})
