"""MesosCluster: masters with a majority quorum, and agent pools (private and public)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi

from ..roles import marathon as marathon_role, mesos as role, spark as spark_role
from ..roles.container import http_url
from ..roles.tls import TlsMaterial
from ..hosts import Host
from ..spec.model import Mesos
from ..spec.placement import Instance
from . import credentials as creds
from .authorization import mesos_acls
from .rolling import run_one_at_a_time


@dataclass(frozen=True)
class MesosSecrets:
    """`principals[name]`: each Mesos principal's secret (credentials.py); `zookeeper`: the
    masters' ZooKeeper password; `agent_operator`: the agents' HTTP login's."""

    principals: Mapping[str, pulumi.Input[str]]
    zookeeper: pulumi.Input[str]
    agent_operator: pulumi.Input[str]


@dataclass(frozen=True)
class MesosClusterArgs:
    masters: Sequence[Instance]  # placed (spec.placement), with their ports
    agents: Sequence[Instance]  # placed; each names its pool (`agent-<pool>`)
    hosts: Mapping[str, Host]  # each instance's `host` -> where it runs
    zk_connect: pulumi.Input[str]
    secrets: MesosSecrets
    settings: Mesos = Mesos()  # images, the masters' quorum, the pools, ...
    platform_name: str = "platform"
    host_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # host -> its labels (agent attributes)
    public_ports: Sequence[int] = ()  # what public services publish (offers.py)
    masters_tls: Optional[TlsMaterial] = None  # the masters' certificate, where TLS is on (roles/tls.py)
    agents_tls: Optional[TlsMaterial] = None
    masters_after: Sequence[pulumi.Resource] = ()  # what must pass before any master changes (masters_quorum.py)


class MesosCluster(pulumi.ComponentResource):
    master_urls: list[pulumi.Output[str]]
    leader_url: pulumi.Output[str]  # any master redirects its UI to the leader

    def __init__(self, name: str, args: MesosClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:mesos:MesosCluster", name, None, opts)
        mesos, hosts, secrets = args.settings, args.hosts, args.secrets
        master_credentials = creds.master_credentials_file(dict(secrets.principals))
        public = any(pool.public for pool in mesos.agent_pools)
        acls = mesos_acls(marathon_role.mesos_role(public), spark_role.MESOS_ROLE, mesos.authenticate_frameworks)
        self.agent_auth = role.AgentAuth(creds.agent_credential_file(secrets.principals[creds.AGENT]),
                                         creds.http_credentials_file(creds.AGENT_OPERATOR, secrets.agent_operator), acls,
                                         args.agents_tls)
        self.masters = run_one_at_a_time(
            [(hosts[n.host], role.mesos_master(n, hosts[n.host].address, args.zk_connect, mesos, args.platform_name,
                                               credentials=master_credentials, zk_secret=secrets.zookeeper, acls=acls,
                                               tls=args.masters_tls))
             for n in args.masters],
            parent=self, protect=mesos.masters.protect, depends_on=args.masters_after)
        self.master_urls = [
            pulumi.Output.from_input(http_url(hosts[n.host].address, n.port("http"), tls=args.masters_tls is not None))
            for n in args.masters
        ]
        pools = {f"agent-{pool.name}": pool for pool in mesos.agent_pools}
        # Agents register with whichever master leads; starting them after the masters
        # saves a round of registration retries.
        self.agents = [
            hosts[n.host].run(role.mesos_agent(n, pools[n.group], hosts[n.host].address, args.zk_connect, mesos,
                                               args.platform_name, dict(args.host_labels.get(n.host, {})),
                                               args.public_ports, auth=self.agent_auth),
                              parent=self, depends_on=self.masters)
            for n in args.agents
        ]
        self.leader_url = self.master_urls[0]
        self.register_outputs({"master_urls": self.master_urls})
