"""Marathon (HA: one instance per master by default) and marathon-lb for service discovery."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import pulumi

from ..roles import marathon as role
from ..roles.container import http_url
from ..roles.marathon_lb import marathon_lb
from ..roles.tls import TlsMaterial
from ..hosts import Host
from ..spec import Environment
from .rolling import run_one_at_a_time


class Marathon(pulumi.ComponentResource):
    urls: list[pulumi.Output[str]]

    def __init__(self, name: str, env: Environment, hosts: Mapping[str, Host],
                 zk_connect: pulumi.Input[str], depends_on: Sequence[pulumi.Resource],
                 credentials: pulumi.Output[str], mesos_principal: str, mesos_secret: pulumi.Input[str],
                 zk_secret: pulumi.Input[str], tls: Optional[TlsMaterial] = None,
                 load_balancer_tls: Optional[TlsMaterial] = None, opts: Optional[pulumi.ResourceOptions] = None):
        """`credentials` (`user:password`) guard Marathon's REST API; Marathon registers with
        Mesos as `mesos_principal` with `mesos_secret`. With `tls` (Marathon's certificate and
        keystore) its API is HTTPS only; `load_balancer_tls` is marathon-lb's stats certificate."""
        super().__init__("container-platform:marathon:Marathon", name, None, opts)
        self.credentials = credentials
        p = env.platform
        public = any(pool.public for pool in p.mesos.agent_pools)
        nodes = env.of("marathon")
        self.instances = run_one_at_a_time(
            [(hosts[n.host], role.marathon(n, hosts[n.host].address, zk_connect, p.marathon, p.name, public,
                                           http_credentials=credentials, mesos_principal=mesos_principal,
                                           mesos_secret=mesos_secret, zk_secret=zk_secret, tls=tls))
             for n in nodes],
            parent=self, depends_on=depends_on)
        self.urls = [pulumi.Output.from_input(http_url(hosts[n.host].address, n.port("http"), tls=tls is not None))
                     for n in nodes]
        # What a client of the REST API trusts (MarathonApp): the CA, where TLS is on.
        self.ca_certificate = tls.ca if tls is not None else None
        self.load_balancers = [
            hosts[n.host].run(marathon_lb(n, self.urls, p.discovery, p.name, credentials, load_balancer_tls),
                              parent=self, depends_on=self.instances)
            for n in env.of("marathon-lb")
        ]
        self.load_balancer_addresses = [hosts[n.host].address for n in env.of("marathon-lb")]
        self.register_outputs({"urls": self.urls})
