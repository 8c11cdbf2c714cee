"""Placement feasibility, before any resource: can every service be placed where it is sent?

Marathon places a task only on an agent whose offer satisfies it: an accepted role (public
services take `slave_public` resources, the others `*`), every host port it needs inside the
agent's `ports` resource, enough cpus and mem, and its constraints (CLUSTER/UNLIKE on
attributes or the hostname, MAX_PER per hostname). An app that no offer satisfies is never
placed and its deployment never finishes, so `pulumi up` would wait out MarathonApp's timeout
(15 minutes) and fail without saying why. Here the same rules are checked against the agents
the config declares, and an impossible plan is a config error naming the keys. Swarm services
are checked against their nodes the same way (replicas per node).

What is unknown before the hosts exist (the cpus and mem Mesos detects when a pool does not
declare them) is not guessed: only declared resources are checked.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

from ..compose import Service, Stack, constraints
from .errors import Problem
from .model import MARATHON_LB_STATS_PORT as STATS_PORT, Platform, swarm_managers
from .offers import parse_ranges, task_ports
from .placement import Instance, machine_of

if TYPE_CHECKING:
    from . import Environment


@dataclass(frozen=True)
class Agent:
    key: str  # the pool's config key
    public: bool
    hostname: str  # what Marathon's hostname constraints see (the agent's address)
    attributes: dict[str, str]
    cpus: Optional[float]  # declared in the pool's resources, else None (Mesos detects it)
    mem: Optional[float]


def _number(value) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def agents(p: Platform, instances: Sequence[Instance]) -> list[Agent]:
    """Every agent the config declares: (hostname, host labels) of each. On aws a pool's
    desired count, each instance with an address of its own and no host labels."""
    labels = {h.name: h.labels for h in p.hosts}
    out = []
    for i, pool in enumerate(p.mesos.agent_pools):
        key = f"platform.mesos.agent_pools[{i}]"
        if p.target == "aws":
            hosts = [(f"{pool.name}-{k + 1}", {}) for k in range(pool.count)]
        else:
            hosts = [(machine_of(p, n.host), labels[n.host]) for n in instances if n.group == f"agent-{pool.name}"]
        for hostname, host_labels in hosts:
            out.append(Agent(key, pool.public, hostname,
                             {**host_labels, **pool.attributes, "pool": pool.name},
                             _number(pool.resources.get("cpus")), _number(pool.resources.get("mem"))))
    return out


def _matches(agent: Agent, rule: list[str]) -> bool:
    field, operator, value = rule
    have = agent.hostname if field == "hostname" else agent.attributes.get(field)
    # constraints.to_marathon makes CLUSTER or UNLIKE only (MAX_PER, from max_replicas_per_node,
    # limits how many, not where, and is not among the rules judged here).
    return have == value if operator == "CLUSTER" else have != value


def _marathon_service(stack: Stack, stack_key: str, s: Service, pool_agents: list[Agent]) -> list[Problem]:
    where = f"{stack.file}:{s.key}"
    if s.replicas == 0:
        return []
    role = "public" if s.public else "private"
    if not pool_agents:
        return [Problem(where, (
            f"no {role} agent can run it: declare an agent pool with public: {str(s.public).lower()} and "
            "count > 0 in platform.mesos.agent_pools (Marathon places "
            + ("public services only on slave_public resources)" if s.public else "private services only on '*' resources)")))]
    rules = [r for r in (constraints.to_marathon(c)[0] for c in s.constraints) if r]
    fitting = [a for a in pool_agents if all(_matches(a, r) for r in rules)]
    if not fitting:
        return [Problem(f"{where}.deploy.placement.constraints", (
            f"no {role} agent satisfies {', '.join(s.constraints)}; the {role} agents have "
            + "; ".join(sorted({f"hostname {a.hostname}, attributes {a.attributes}" for a in pool_agents}))))]
    problems = []
    cpus, mem = s.marathon_cpus, s.marathon_mem_mb
    declared = [a for a in fitting if a.cpus is not None and a.mem is not None]
    if declared and len(declared) == len(fitting) and not any(a.cpus >= cpus and a.mem >= mem for a in declared):
        most = max(declared, key=lambda a: (a.cpus, a.mem))
        problems.append(Problem(f"{where}.deploy.resources.limits", (
            f"one instance needs {cpus:g} cpus and {mem:g} MB but the largest {role} agent offers "
            f"{most.cpus:g} cpus and {most.mem:g} MB ({most.key}.resources); lower the limits or raise the "
            "pool's resources")))
    # Published ports are offered by every public agent (offers.offered_ports adds them).
    published = [port.published for port in s.ports if port.published] if s.public else []
    per_host = [1] if published else []  # a fixed host port: one task per agent machine
    if s.max_per_node:
        per_host.append(s.max_per_node)
    if per_host:
        machines = len({a.hostname for a in fitting})
        capacity = machines * min(per_host)
        if s.replicas > capacity:
            why = (f"at most {min(per_host)} per agent machine "
                   + ("(it takes fixed host ports)" if published and min(per_host) == 1 else "(max_replicas_per_node)"))
            problems.append(Problem(f"{where}.deploy.replicas", (
                f"{s.replicas} instances cannot be placed: {why} and {machines} {role} agent machine(s) qualify; "
                f"set {stack_key}.services.{s.name}.instances to at most {capacity}, or add agent machines")))
    return problems


def _swarm_service(stack: Stack, stack_key: str, s: Service, nodes: int) -> list[Problem]:
    per_node = [s.max_per_node] if s.max_per_node else []
    if any(port.published and port.mode == "host" for port in s.ports):
        per_node.append(1)  # a host-mode port is bound on the node itself
    if per_node and s.replicas > nodes * min(per_node):
        return [Problem(f"{stack.file}:{s.key}.deploy.replicas", (
            f"{s.replicas} replicas cannot be placed: at most {min(per_node)} per node on {nodes} swarm node(s); "
            f"set {stack_key}.services.{s.name}.instances to at most {nodes * min(per_node)}, or add nodes to platform.swarm"))]
    return []


def _discovery(p: Platform, instances: Sequence[Instance]) -> list[Problem]:
    if not p.discovery.enabled:
        return []
    problems = []
    if p.discovery.stats_port != STATS_PORT:
        problems.append(Problem("platform.discovery.stats_port", (
            f"marathon-lb's built-in HAProxy template binds its stats and health-check endpoint at {STATS_PORT}; "
            "it cannot be moved: remove the key (and move whatever else needs that port)")))
    machines = Counter(machine_of(p, n.host) for n in instances if n.role == "marathon-lb")
    for machine, count in machines.items():
        if count > 1:
            problems.append(Problem("platform.discovery", (
                f"{count} marathon-lb instances on {machine}: each binds port {STATS_PORT} and every service port, "
                "so only one can run per machine; set platform.discovery.count or hosts to one per machine")))
    # marathon-lb binds every service port on its machine; an agent there hands the same ports to tasks.
    lb_machines = set(machines)
    d = p.discovery
    for i, pool in enumerate(p.mesos.agent_pools):
        on_lb = any(machine_of(p, n.host) in lb_machines for n in instances if n.group == f"agent-{pool.name}")
        declared = pool.resources.get("ports")
        if not on_lb or (declared is not None and parse_ranges(str(declared)) is None):
            continue
        for low, high in task_ports(pool):
            if low <= d.service_port_max and d.service_port_min <= high:
                problems.append(Problem("platform.discovery.service_port_min", (
                    f"service ports {d.service_port_min}-{d.service_port_max} overlap the task ports {low}-{high} "
                    f"of agent pool '{pool.name}', whose agents share a machine with marathon-lb: a task would get "
                    "a port marathon-lb holds; move the service port range (default 10000-10100)")))
                break
    return problems


def check(env: Environment) -> list[Problem]:
    p, stacks, instances = env.platform, env.stacks, env.instances
    problems = _discovery(p, instances)
    for i, pool in enumerate(p.mesos.agent_pools):
        declared = pool.resources.get("ports")
        if declared is not None and parse_ranges(str(declared)) is None:
            problems.append(Problem(f"platform.mesos.agent_pools[{i}].resources.ports", (
                f"{declared!r} is not a Mesos range list; write it like \"[31000-32000]\" or \"[8000-8000,31000-32000]\"")))
    if problems:
        return problems
    every = agents(p, instances)
    nodes = len(swarm_managers(p)) + len(p.swarm.workers)
    keys = {cfg.name: f"platform.stacks[{i}]" for i, cfg in enumerate(p.stacks)}
    for stack in stacks:
        for s in stack.services:
            if stack.scheduler == "marathon":
                problems += _marathon_service(stack, keys[stack.name], s, [a for a in every if a.public == s.public])
            elif stack.scheduler == "swarm":
                problems += _swarm_service(stack, keys[stack.name], s, nodes)
    return problems
