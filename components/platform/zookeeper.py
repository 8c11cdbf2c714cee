"""ZooKeeperEnsemble: 1, 3 or 5 nodes; its connect string is built from host address outputs."""
from __future__ import annotations

from typing import Mapping, Optional

import pulumi

from ..roles import zookeeper as role
from ..outputs import depending_on
from ..roles.container import lift
from ..hosts import Host
from ..spec import Environment
from .rolling import run_one_at_a_time


class ZooKeeperEnsemble(pulumi.ComponentResource):
    connect_string: pulumi.Output[str]

    def __init__(self, name: str, env: Environment, hosts: Mapping[str, Host],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:zookeeper:ZooKeeperEnsemble", name, None, opts)
        zk, nodes = env.platform.zookeeper, env.of("zookeeper")
        addresses = [hosts[n.host].address for n in nodes]
        self.containers = run_one_at_a_time(
            [(hosts[n.host], role.zookeeper_node(n, nodes, addresses, zk, env.platform.name)) for n in nodes],
            parent=self, protect=zk.protect)
        connect = lift(lambda *a: role.connect_string(role.servers(nodes, a)), *addresses)
        # Every consumer of the connect string also depends on the nodes themselves.
        self.connect_string = depending_on(connect, self.containers)
        self.register_outputs({"connect_string": self.connect_string})
