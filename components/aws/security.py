"""Security groups per role, least privilege: every rule names who may reach which port.

`ingress_rules` is the whole policy as data (tested rule by rule); `SecurityGroups` turns it
into one `aws.vpc.SecurityGroupIngressRule` per line. Egress is explicit too: HTTPS and HTTP
out (images, packages, SSM), and anything inside the VPC.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from ..roles.container import slug
from ..spec import Environment
from ..spec.offers import task_ports

ADMIN = "admin"  # the admin CIDRs
AGENTS = "agents"  # every agent pool
INTERNET = "0.0.0.0/0"
EGRESS_PORTS = (443, 80)  # images, packages, SSM; everything else stays inside the VPC
EGRESS_RULES_PER_GROUP = len(EGRESS_PORTS) + 1  # those, and one for the VPC

# (role, port purpose) -> who may connect. Roles are those of spec/placement.py.
ACCESS: dict[tuple[str, str], tuple[str, ...]] = {
    ("zookeeper", "client"): ("zookeeper", "mesos-master", "marathon", "spark-master", AGENTS),
    ("zookeeper", "peer"): ("zookeeper",),
    ("zookeeper", "election"): ("zookeeper",),
    ("zookeeper", "admin"): (ADMIN,),
    # Masters replicate their log to each other; agents, Marathon and Mesos-mode drivers (on
    # agents) talk to the leader; operators open the UI.
    ("mesos-master", "http"): ("mesos-master", "marathon", AGENTS, ADMIN),
    ("marathon", "http"): ("marathon", "marathon-lb", ADMIN),
    ("marathon-lb", "stats"): (ADMIN,),
    # Internal services (databases among them) only for tasks; public services are published on
    # the public agents (and their load balancer) instead.
    ("marathon-lb", "services"): (AGENTS, "marathon-lb"),
    ("spark-master", "rpc"): ("spark-master", "spark-worker", ADMIN),
    ("spark-master", "ui"): (ADMIN,),
    ("spark-master", "rest"): (ADMIN,),
    ("spark-worker", "rpc"): ("spark-master",),
    ("spark-worker", "ui"): (ADMIN,),
    ("spark-history", "ui"): (ADMIN,),
}


@dataclass(frozen=True)
class Rule:
    group: str  # the security group the rule belongs to: a role, or "agent-<pool>"
    from_port: int
    to_port: int
    source: str  # another group, or a CIDR
    description: str


def groups_of(env: Environment) -> list[str]:
    roles = sorted({i.role for i in env.instances})
    return roles + [f"agent-{pool.name}" for pool in env.platform.mesos.agent_pools]


def ingress_rules(env: Environment) -> list[Rule]:
    p = env.platform
    present = set(groups_of(env))
    agents = [f"agent-{pool.name}" for pool in p.mesos.agent_pools]

    def sources(names: Sequence[str]) -> list[str]:
        out: list[str] = []
        for n in names:
            if n == ADMIN:
                out += p.aws.admin_cidrs
            elif n == AGENTS:
                out += agents
            elif n in present:
                out.append(n)
        return out

    rules: set[Rule] = set()
    for inst in env.instances:
        for use in inst.ports:
            for src in sources(ACCESS.get((inst.role, use.purpose), ())):
                rules.add(Rule(inst.role, use.port, use.port + use.span - 1, src, f"{inst.role} {use.purpose}"))
    for pool in p.mesos.agent_pools:
        group = f"agent-{pool.name}"
        # Only masters talk to an agent's own port; tasks are reached by the load balancer
        # and health-checked by Marathon.
        for src in sources(("mesos-master",)):
            rules.add(Rule(group, pool.port, pool.port, src, "mesos-agent http"))
        for low, high in task_ports(pool):
            for src in sources(("marathon-lb", "marathon")):
                rules.add(Rule(group, low, high, src, "task ports"))
        if pool.public:
            for port in env.public_ports:
                rules.add(Rule(group, port, port, INTERNET, f"public service port {port}"))
    if p.aws.ssh_key_name:
        for group in present:
            for cidr in p.aws.admin_cidrs:
                rules.add(Rule(group, 22, 22, cidr, "ssh"))
    return sorted(rules, key=lambda r: (r.group, r.from_port, r.source))


def _is_cidr(source: str) -> bool:
    return "/" in source


class SecurityGroups(pulumi.ComponentResource):
    """`ids[group]` is the security group of a role (or agent pool)."""

    def __init__(self, name: str, env: Environment, vpc_id: pulumi.Input[str], vpc_cidr: pulumi.Input[str],
                 provider: aws.Provider, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:aws:SecurityGroups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        prefix = env.platform.name
        groups = {
            g: aws.ec2.SecurityGroup(f"{name}-{g}", vpc_id=vpc_id, description=f"container-platform {prefix} {g}",
                                     tags={"Name": f"{prefix}-{g}"}, opts=child)
            for g in groups_of(env)
        }
        self.ids = {g: sg.id for g, sg in groups.items()}
        for r in ingress_rules(env):
            source = {"cidr_ipv4": r.source} if _is_cidr(r.source) else {"referenced_security_group_id": groups[r.source].id}
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{r.group}-{r.from_port}-{slug(r.source)}",
                security_group_id=groups[r.group].id, ip_protocol="tcp", from_port=r.from_port, to_port=r.to_port,
                description=r.description, **source, opts=child)
        for g, sg in groups.items():
            for port in EGRESS_PORTS:
                aws.vpc.SecurityGroupEgressRule(f"{name}-{g}-out-{port}", security_group_id=sg.id, ip_protocol="tcp",
                                                from_port=port, to_port=port, cidr_ipv4=INTERNET,
                                                description="images, packages, SSM", opts=child)
            aws.vpc.SecurityGroupEgressRule(f"{name}-{g}-out-vpc", security_group_id=sg.id, ip_protocol="-1",
                                            cidr_ipv4=vpc_cidr, description="the cluster", opts=child)
        self.register_outputs({"ids": self.ids})
