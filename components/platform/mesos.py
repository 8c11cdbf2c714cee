"""MesosCluster: masters with a majority quorum, and agent pools (private and public)."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import pulumi

from ..roles import marathon as marathon_role, mesos as role, spark as spark_role
from ..roles.container import http_url
from ..roles.tls import TlsMaterial
from ..hosts import Host
from ..spec import Environment
from . import credentials as creds
from .authorization import mesos_acls
from .rolling import run_one_at_a_time


class MesosCluster(pulumi.ComponentResource):
    master_urls: list[pulumi.Output[str]]
    leader_url: pulumi.Output[str]  # any master redirects its UI to the leader

    def __init__(self, name: str, env: Environment, hosts: Mapping[str, Host],
                 zk_connect: pulumi.Input[str], secrets: Mapping[str, pulumi.Input[str]],
                 zk_secret: pulumi.Input[str], agent_operator_secret: pulumi.Input[str],
                 masters_tls: Optional[TlsMaterial] = None, agents_tls: Optional[TlsMaterial] = None,
                 masters_after: Sequence[pulumi.Resource] = (), opts: Optional[pulumi.ResourceOptions] = None):
        """`secrets[principal]` is each Mesos principal's secret (credentials.py); `zk_secret`
        the masters' ZooKeeper password; `agent_operator_secret` the agents' HTTP login's;
        `masters_tls` and `agents_tls` their certificates, where TLS is on (roles/tls.py);
        `masters_after`: what must pass before any master changes (masters_quorum.py)."""
        super().__init__("container-platform:mesos:MesosCluster", name, None, opts)
        p = env.platform
        master_credentials = creds.master_credentials_file(dict(secrets))
        public = any(pool.public for pool in p.mesos.agent_pools)
        acls = mesos_acls(marathon_role.mesos_role(public), spark_role.MESOS_ROLE, p.mesos.authenticate_frameworks)
        self.agent_auth = role.AgentAuth(creds.agent_credential_file(secrets[creds.AGENT]),
                                         creds.http_credentials_file(creds.AGENT_OPERATOR, agent_operator_secret), acls,
                                         agents_tls)
        self.masters = run_one_at_a_time(
            [(hosts[n.host], role.mesos_master(n, hosts[n.host].address, zk_connect, p.mesos, p.name,
                                               credentials=master_credentials, zk_secret=zk_secret, acls=acls,
                                               tls=masters_tls))
             for n in env.of("mesos-master")],
            parent=self, protect=p.mesos.masters.protect, depends_on=masters_after)
        self.master_urls = [
            pulumi.Output.from_input(http_url(hosts[n.host].address, n.port("http"), tls=masters_tls is not None))
            for n in env.of("mesos-master")
        ]
        pools = {f"agent-{pool.name}": pool for pool in p.mesos.agent_pools}
        labels = {h.name: h.labels for h in p.hosts}
        # Agents register with whichever master leads; starting them after the masters
        # saves a round of registration retries.
        self.agents = [
            hosts[n.host].run(role.mesos_agent(n, pools[n.group], hosts[n.host].address, zk_connect, p.mesos,
                                               p.name, labels[n.host], env.public_ports, auth=self.agent_auth),
                              parent=self, depends_on=self.masters)
            for n in env.of("mesos-agent")
        ]
        self.leader_url = self.master_urls[0]
        self.register_outputs({"master_urls": self.master_urls})
