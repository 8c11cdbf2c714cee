"""Everything the aws target adds around the platform: provider, network, security groups,
IAM, the EC2 hosts (ZooKeeper, masters, ...) and, once ZooKeeper is known, the agent groups."""
from __future__ import annotations

from collections import Counter
from typing import Optional

import pulumi
import pulumi_aws as aws

from ..hosts.aws import AwsHost
from ..roles.container import lift
from ..roles.mesos import AgentAuth
from ..spec import Environment
from ..spec.placement import zone_of
from .agents import AgentGroup
from .iam import InstanceRoles
from .network import AwsNetwork, host_address
from .security import SecurityGroups

# Roles that make a host a "master" host for IAM; other hosts carry ZooKeeper only.
MASTER_SIDE = {"mesos-master", "marathon", "marathon-lb", "spark-master", "spark-worker", "spark-history"}
# Roles whose members must change one at a time (a majority keeps ZooKeeper and the masters'
# replicated log up; Marathon keeps a leader): their hosts are replaced one after another.
QUORUM_ROLES = {"zookeeper", "mesos-master", "marathon"}


def host_role(roles: set[str]) -> str:
    return "master" if roles & MASTER_SIDE else "zookeeper"


class AwsTarget:
    def __init__(self, env: Environment, first: Optional[pulumi.Resource] = None):
        """`first`: what must pass before the first host of a quorum role changes (the chain of
        the others follows it)."""
        p, a = env.platform, env.platform.aws
        self.env, self.stack = env, pulumi.get_stack()
        self.provider = aws.Provider("aws", region=a.region, default_tags=aws.ProviderDefaultTagsArgs(tags={
            "container-platform:stack": self.stack, "container-platform:platform": p.name}))
        self.network = AwsNetwork("network", a, self.provider)
        self.security = SecurityGroups("security", env, self.network.vpc_id, self.network.cidr, self.provider)
        roles_on: dict[str, set[str]] = {h.name: set() for h in p.hosts}
        for i in env.instances:
            roles_on[i.host].add(i.role)
        kinds = sorted({host_role(r) for r in roles_on.values()}) + [f"agent-{pool.name}" for pool in p.mesos.agent_pools]
        self.iam = InstanceRoles("iam", kinds, self.stack, a.region, self.provider)
        self._kind_of = {h: host_role(r) for h, r in roles_on.items()}
        for kind in sorted({host_role(r) for r in roles_on.values() if r & QUORUM_ROLES}):
            self.iam.allow_run_command(kind)
        self._groups: list[AgentGroup] = []
        invoke = pulumi.InvokeOutputOptions(provider=self.provider)
        self.ami_id = a.ami.id or aws.ec2.get_ami_output(
            most_recent=True, owners=a.ami.owners,
            filters=[aws.ec2.GetAmiFilterArgs(name="name", values=[a.ami.name]),
                     aws.ec2.GetAmiFilterArgs(name="architecture", values=["x86_64"])], opts=invoke).id
        in_zone: Counter = Counter()
        self.hosts: dict[str, AwsHost] = {}
        previous: Optional[AwsHost] = None  # the last host with a quorum member: the next waits for its gate
        for h in p.hosts:
            zone, roles = zone_of(p, h.name), roles_on[h.name]
            address = lift(lambda cidr, k=in_zone[zone]: host_address(cidr, k), self.network.private_cidrs[zone])
            in_zone[zone] += 1
            stateful = (("zookeeper" in roles and p.zookeeper.protect) or ("mesos-master" in roles and p.mesos.masters.protect))
            self.hosts[h.name] = AwsHost(
                h.name, p.name, self.stack, address, self.network.private_subnet_ids[zone],
                [self.security.ids[r] for r in sorted(roles)], self.iam.profiles[host_role(roles)], self.ami_id,
                h.instance_type or a.instance_type, a.region, a.root_volume_gb, a.data_volume_gb, a.kms_key_id,
                a.ssh_key_name, protect=bool(stateful), roles=sorted(roles), provider=self.provider,
                termination_protection=a.termination_protection and "mesos-master" in roles,
                zone=self.network.private_zones[zone], state_gb=a.state_volume_gb,
                rolling=bool(roles & QUORUM_ROLES), after=previous.ready if previous else first)
            if roles & QUORUM_ROLES:
                previous = self.hosts[h.name]

    def agent_groups(self, zk_connect: pulumi.Input[str], auth: AgentAuth) -> list[AgentGroup]:
        p = self.env.platform
        ports = self.env.public_ports
        self._groups = [
            AgentGroup(f"agent-{pool.name}", self.env, i, zk_connect, auth, self.network.private_subnet_ids,
                       self.network.public_subnet_ids, self.network.vpc_id, self.security.ids[f"agent-{pool.name}"],
                       self.iam.profiles[f"agent-{pool.name}"], self.ami_id, ports if pool.public else [], self.provider)
            for i, pool in enumerate(p.mesos.agent_pools)
        ]
        for group in self._groups:
            self.iam.allow_agent_watch(f"agent-{group.pool}", group.group.arn)
        return self._groups

    def finish(self) -> None:
        """Once every container is placed (and each host finished): each host role may read the
        secrets of the containers on its hosts, each agent group those of its agent."""
        paths: dict[str, set[str]] = {kind: set() for kind in self._kind_of.values()}
        for name, host in self.hosts.items():
            paths[self._kind_of[name]] |= host.secret_paths
        for group in self._groups:
            paths[f"agent-{group.pool}"] = group.secret_paths
        for kind, containers_path in paths.items():
            self.iam.grant_reads(kind, sorted(containers_path))
