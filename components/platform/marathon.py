"""Marathon (HA: one instance per master by default) and marathon-lb for service discovery."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi

from ..roles import marathon as role
from ..roles.container import http_url
from ..roles.marathon_lb import marathon_lb
from ..roles.tls import TlsMaterial
from ..hosts import Host
from ..spec import model
from ..spec.placement import Instance
from .rolling import run_one_at_a_time


@dataclass(frozen=True)
class MarathonArgs:
    instances: Sequence[Instance]  # placed Marathon instances, with their ports
    load_balancers: Sequence[Instance]  # placed marathon-lb instances
    hosts: Mapping[str, Host]  # each instance's `host` -> where it runs
    zk_connect: pulumi.Input[str]
    http_credentials: pulumi.Input[str]  # `user:password` guarding the REST API (and marathon-lb's stats)
    mesos_principal: str  # whom Marathon registers with Mesos as
    mesos_secret: pulumi.Input[str]
    zk_secret: pulumi.Input[str]  # its ZooKeeper digest identity's password
    settings: model.Marathon = model.Marathon()
    discovery: model.Discovery = model.Discovery()
    platform_name: str = "platform"
    has_public_agents: bool = False  # then it registers for the public agents' role too
    tls: Optional[TlsMaterial] = None  # its certificate and keystore: the API is then HTTPS only
    load_balancer_tls: Optional[TlsMaterial] = None  # marathon-lb's stats certificate
    after: Sequence[pulumi.Resource] = ()  # what must exist first (the masters)


class Marathon(pulumi.ComponentResource):
    urls: list[pulumi.Output[str]]

    def __init__(self, name: str, args: MarathonArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:marathon:Marathon", name, None, opts)
        self.credentials = args.http_credentials
        hosts, tls = args.hosts, args.tls
        self.instances = run_one_at_a_time(
            [(hosts[n.host], role.marathon(n, hosts[n.host].address, args.zk_connect, args.settings, args.platform_name,
                                           args.has_public_agents, http_credentials=args.http_credentials,
                                           mesos_principal=args.mesos_principal, mesos_secret=args.mesos_secret,
                                           zk_secret=args.zk_secret, tls=tls))
             for n in args.instances],
            parent=self, depends_on=args.after)
        self.urls = [pulumi.Output.from_input(http_url(hosts[n.host].address, n.port("http"), tls=tls is not None))
                     for n in args.instances]
        # What a client of the REST API trusts (MarathonApp): the CA, where TLS is on.
        self.ca_certificate = tls.ca if tls is not None else None
        self.load_balancers = [
            hosts[n.host].run(marathon_lb(n, self.urls, args.discovery, args.platform_name, args.http_credentials,
                                          args.load_balancer_tls),
                              parent=self, depends_on=self.instances)
            for n in args.load_balancers
        ]
        self.load_balancer_addresses = [hosts[n.host].address for n in args.load_balancers]
        self.register_outputs({"urls": self.urls})
