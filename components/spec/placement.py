"""Placement: which instance of which role runs on which host, and the host ports it binds.

Every role uses host networking (Mesos advertises the addresses it binds, and agents hand host
ports to tasks), so two roles on one machine must not bind the same port. Instances of one role
that share a machine take consecutive ports from the configured base: the second ZooKeeper on a
machine listens on client_port + 1, and so on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from .errors import Problem
from .model import Platform, ZooKeeper

THIS_MACHINE = "this machine"


@dataclass(frozen=True)
class PortUse:
    purpose: str  # "client", "http", ...
    port: int
    key: str  # the config key that moves it
    offset: int = 0  # added because earlier instances of the role share the machine
    span: int = 1  # a range of ports starting at `port`

    @property
    def source(self) -> str:
        return self.key + (f" + {self.offset}" if self.offset else "")


@dataclass(frozen=True)
class Instance:
    role: str  # "zookeeper", "mesos-master", "mesos-agent", "marathon", "marathon-lb"
    group: str  # names the instances: "zookeeper", "master", "agent-private", ...
    index: int  # 0-based within its group
    host: str
    ports: tuple[PortUse, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.group}-{self.index + 1}"

    def port(self, purpose: str) -> int:
        return next(p.port for p in self.ports if p.purpose == purpose)

    def optional_port(self, purpose: str) -> Optional[int]:
        """The port for `purpose`, or None where the config turns it off (e.g. ZooKeeper's admin)."""
        return next((p.port for p in self.ports if p.purpose == purpose), None)


@dataclass(frozen=True)
class Group:
    """A set of identical instances of one role, as one config section describes them."""

    role: str
    name: str
    key: str
    count: int
    hosts: list[str]
    ports: dict[str, tuple[int, str]] = field(default_factory=dict)  # purpose -> (base, key)
    spans: dict[str, int] = field(default_factory=dict)  # purpose -> ports in a range (default 1)


def zookeeper_group(zk: ZooKeeper, hosts: list[str]) -> Group:
    return Group("zookeeper", "zookeeper", "platform.zookeeper", zk.count, hosts, {
        "client": (zk.client_port, "platform.zookeeper.client_port"),
        "peer": (zk.peer_port, "platform.zookeeper.peer_port"),
        "election": (zk.election_port, "platform.zookeeper.election_port"),
        **({"admin": (zk.admin_port, "platform.zookeeper.admin_port")} if zk.admin_port else {}),
    })


def _given(hosts: Optional[list[str]], default: list[str]) -> list[str]:
    """A section's `hosts`, or the default where the key is absent; an empty list stays empty
    (refused by checks.py: it names no machine, and must not mean every one)."""
    return default if hosts is None else hosts


def groups(p: Platform) -> list[Group]:
    """Every role group the config asks for, in the order they are deployed."""
    every_host = [h.name for h in p.hosts]
    # Marathon and marathon-lb follow the masters by default (an empty list there is refused at
    # the masters' key, not again at theirs).
    masters_hosts = p.mesos.masters.hosts or every_host
    zk, masters = p.zookeeper, p.mesos.masters
    out = [
        zookeeper_group(zk, _given(zk.hosts, every_host)),
        Group("mesos-master", "master", "platform.mesos.masters", masters.count, _given(masters.hosts, every_host),
              {"http": (masters.port, "platform.mesos.masters.port")}),
    ]
    # On AWS agents are auto scaling groups, not placed on hosts (see components/aws/agents.py).
    for i, pool in enumerate(p.mesos.agent_pools if p.target != "aws" else []):
        key = f"platform.mesos.agent_pools[{i}]"
        out.append(Group("mesos-agent", f"agent-{pool.name}", key, pool.count,
                         _given(pool.hosts, every_host), {"http": (pool.port, f"{key}.port")}))
    if p.marathon.enabled:
        m = p.marathon
        out.append(Group("marathon", "marathon", "platform.marathon", m.count or masters.count,
                         _given(m.hosts, masters_hosts), {"http": (m.port, "platform.marathon.port")}))
    if p.discovery.enabled:
        d = p.discovery
        out.append(Group("marathon-lb", "marathon-lb", "platform.discovery",
                         d.count or len(_given(d.hosts, masters_hosts)), _given(d.hosts, masters_hosts), {
                             "stats": (d.stats_port, "platform.discovery.stats_port"),
                             "services": (d.service_port_min, "platform.discovery.service_port_min"),
                         }, spans={"services": d.service_port_max - d.service_port_min + 1}))
    out.extend(_spark_groups(p, every_host))
    return out


def _spark_groups(p: Platform, every_host: list[str]) -> list[Group]:
    """Standalone runs masters and workers; every mode but `local` may run the history server."""
    s = p.spark
    if not s.enabled:
        return []
    out = []
    if s.mode == "standalone":
        m, w = s.masters, s.workers
        out.append(Group("spark-master", "spark-master", "platform.spark.masters", m.count, _given(m.hosts, every_host), {
            "rpc": (m.port, "platform.spark.masters.port"),
            "ui": (m.web_ui_port, "platform.spark.masters.web_ui_port"),
            "rest": (m.rest_port, "platform.spark.masters.rest_port"),
        }))
        out.append(Group("spark-worker", "spark-worker", "platform.spark.workers", w.count, _given(w.hosts, every_host), {
            "rpc": (w.port, "platform.spark.workers.port"),
            "ui": (w.web_ui_port, "platform.spark.workers.web_ui_port"),
        }))
    if s.history.enabled and s.mode != "local":
        h = s.history
        out.append(Group("spark-history", "spark-history", "platform.spark.history", 1, _given(h.hosts, every_host),
                         {"ui": (h.port, "platform.spark.history.port")}))
    return out


def zone_of(p: Platform, host_name: str) -> int:
    """aws: the zone index a host runs in (its `zone`, else round-robin in host order)."""
    host = p.host(host_name)
    return host.zone if host.zone is not None else p.host_position(host_name) % p.aws.zone_count


def machine_of(p: Platform, host_name: str) -> str:
    """Hosts that share a network namespace share ports: on `local` they are all this machine."""
    if p.target == "local":
        return THIS_MACHINE
    host = p.host(host_name)
    return host.address or host.name


def place(p: Platform) -> list[Instance]:
    """Expand every group into instances, spread round-robin over the group's hosts."""
    return [i for g in groups(p) for i in expand(g, lambda host: machine_of(p, host))]


def expand(g: Group, machine: Callable[[str], str]) -> list[Instance]:
    """One group's instances, round-robin over its hosts; instances that share a machine take
    consecutive ports."""
    instances: list[Instance] = []
    on_machine: dict[str, int] = {}
    for i in range(g.count):
        host = g.hosts[i % len(g.hosts)]
        k = on_machine.get(machine(host), 0)
        on_machine[machine(host)] = k + 1
        # A range moves as a block, so a second instance does not overlap the first.
        ports = tuple(
            PortUse(purpose, base + k * g.spans.get(purpose, 1), key, k * g.spans.get(purpose, 1),
                    g.spans.get(purpose, 1))
            for purpose, (base, key) in g.ports.items()
        )
        instances.append(Instance(g.role, g.name, i, host, ports))
    return instances


def port_clashes(p: Platform, instances: list[Instance]) -> list[Problem]:
    """Two instances binding one port on one machine: name both, the host, and the key to move.
    On physical hosts sshd holds `ssh_port` first: the platform reaches the host through it."""
    bound: dict[tuple[str, int], tuple[Instance, PortUse]] = {}
    problems = []
    if p.target == "physical":
        for i, h in enumerate(p.hosts):
            bound[(machine_of(p, h.name), h.ssh_port)] = (
                Instance("sshd", "sshd", i, h.name), PortUse("ssh", h.ssh_port, f"platform.hosts[{i}].ssh_port"))
    for inst in instances:
        for use in inst.ports:
            if use.port + use.span - 1 > 65535:
                problems.append(Problem(use.key, (
                    f"{inst.role} '{inst.name}' would bind port {use.port + use.span - 1} ({use.source}), above "
                    "65535; choose a lower port")))
    if problems:
        return problems
    # Every port planned on each machine, so that a suggested port is free of all of them, not
    # only of those bound by the instances checked before this one.
    planned: dict[str, set[int]] = {}
    for (machine, port) in bound:
        planned.setdefault(machine, set()).add(port)
    for inst in instances:
        planned.setdefault(machine_of(p, inst.host), set()).update(
            n for use in inst.ports for n in range(use.port, use.port + use.span))
    for inst in instances:
        machine = machine_of(p, inst.host)
        for use in inst.ports:
            first: Optional[tuple[Instance, PortUse]] = next(
                (bound[(machine, n)] for n in range(use.port, use.port + use.span) if (machine, n) in bound), None)
            if first is None:
                for n in range(use.port, use.port + use.span):
                    bound[(machine, n)] = (inst, use)
                continue
            other, other_use = first
            free = next((n for n in range(use.port + 10, 65536 - use.span)
                         if not planned[machine].intersection(range(n, n + use.span))), None)
            where = f"host '{inst.host}'" + (" (this machine)" if machine == THIS_MACHINE else "")
            clash = next(n for n in range(use.port, use.port + use.span) if (machine, n) in bound)
            problems.append(Problem(use.key, (
                f"port {clash} on {where} is bound by both {other.role} '{other.name}' "
                f"({other_use.purpose} port, {other_use.source}) and {inst.role} '{inst.name}' "
                f"({use.purpose} port, {use.source}); move one of them" + (
                    f", e.g. set {use.key} to {free - use.offset}, or {other_use.key} elsewhere" if free is not None
                    else f" (or run fewer {inst.role} instances per machine)")
            )))
    return problems
