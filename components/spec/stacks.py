"""Service stacks: load each Compose file, then check it against the platform it runs on.

Marathon services get fixed service ports from the discovery range, so a consumer's address
(`<marathon-lb>:<service port>`) is known when the program runs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..compose import Stack, host_access, load_stack
from ..compose.project import SecretVariable
from ..problem import Problem
from .checks import unknown_hosts
from .model import Platform, swarm_managers
from .placement import THIS_MACHINE, Instance, machine_of

ServicePorts = dict[tuple[str, str, int], int]  # (stack, service, container port) -> service port


def load_stacks(p: Platform, root: Path, secret_is_set: Callable[[str], bool]) -> tuple[list[Stack], list[Problem]]:
    stacks, problems = [], []
    for i, cfg in enumerate(p.stacks):
        key = f"platform.stacks[{i}]"
        instances = {n: s.instances for n, s in cfg.services.items() if s.instances is not None}
        variables = {k: v if isinstance(v, str) else SecretVariable(v.secret) for k, v in cfg.variables.items()}
        stack, found = load_stack(root, cfg.file, cfg.name, cfg.scheduler, instances, key, variables,
                                  tuple(cfg.profiles), single_machine=p.target == "local")
        problems += found
        if stack is None:
            continue
        stack, refused = host_access.check(stack, set(cfg.allow), key)
        problems += refused
        stacks.append(stack)
        problems += _fits_platform(p, stack, key)
        used = {n for s in stack.services for n in s.secrets()}
        used |= {f.pulumi_secret for f in stack.files.values() if f.pulumi_secret}
        for name in sorted(used):
            if not secret_is_set(name):
                problems.append(Problem(key, (
                    f"{stack.file} uses the Pulumi secret {name}, which is not set as a secret: "
                    f"run `pulumi config set --secret {name} <value>`")))
    if any(s.scheduler == "swarm" for s in stacks):
        problems += _swarm_nodes(p)
    return stacks, problems


def _fits_platform(p: Platform, stack: Stack, key: str) -> list[Problem]:
    where = f"{key}.scheduler"
    if stack.scheduler == "local" and p.target != "local":
        return [Problem(where, (f"scheduler 'local' runs on this machine's engine, but the target is "
                                f"'{p.target}'; use marathon or swarm"))]
    if stack.scheduler == "swarm" and p.target == "aws":
        return [Problem(where, ("on target 'aws' hosts run containers from cloud-init and agents come and go "
                                "with their auto scaling groups; use scheduler 'marathon'"))]
    if stack.scheduler == "marathon":
        if not p.marathon.enabled:
            return [Problem(where, "scheduler 'marathon' needs platform.marathon.enabled: true; or use swarm")]
        if not p.discovery.enabled:
            return [Problem(where, ("Marathon services are reached through marathon-lb: set "
                                    "platform.discovery.enabled: true"))]
        if any(s.public for s in stack.services) and not any(pool.public for pool in p.mesos.agent_pools):
            public = next(s.name for s in stack.services if s.public)
            return [Problem(where, (f"service '{public}' is public (x-platform.public) but no agent pool is: "
                                    "add a pool with public: true to platform.mesos.agent_pools"))]
    return []


def _swarm_nodes(p: Platform) -> list[Problem]:
    managers = swarm_managers(p)
    problems = [*unknown_hosts(p, managers, "platform.swarm.managers"),
                *unknown_hosts(p, p.swarm.workers, "platform.swarm.workers")]
    for n in set(managers) & set(p.swarm.workers):
        problems.append(Problem("platform.swarm.workers", f"'{n}' is already a manager (managers also run tasks); remove it here"))
    if len(managers) % 2 == 0:
        problems.append(Problem("platform.swarm.managers", (
            f"{len(managers)} managers tolerate no more failures than {len(managers) - 1} (Raft needs a "
            "majority); use an odd number")))
    if p.target == "local" and len(managers) + len(p.swarm.workers) > 1:
        problems.append(Problem("platform.swarm", "on target 'local' the swarm is this machine alone: list one manager and no workers"))
    return problems


def service_ports(p: Platform, stacks: list[Stack]) -> tuple[ServicePorts, list[Problem]]:
    """Every port of every Marathon service, numbered up from platform.discovery.service_port_min."""
    wanted = [(st.name, s.name, port.target) for st in stacks if st.scheduler == "marathon"
              for s in st.services for port in s.ports]
    d = p.discovery
    size = d.service_port_max - d.service_port_min + 1
    if len(wanted) > size:
        return {}, [Problem("platform.discovery.service_port_max", (
            f"Marathon stacks declare {len(wanted)} ports but the range {d.service_port_min}-"
            f"{d.service_port_max} has {size}; raise it to {d.service_port_min + len(wanted) - 1}"))]
    return {w: d.service_port_min + i for i, w in enumerate(wanted)}, []


def published_port_clashes(p: Platform, stacks: list[Stack], instances: list[Instance]) -> list[Problem]:
    """A local stack's published ports against the platform's own ports on this machine."""
    bound = {use.port + k: inst for inst in instances if machine_of(p, inst.host) == THIS_MACHINE
             for use in inst.ports for k in range(use.span)}
    problems = []
    for stack in (s for s in stacks if s.scheduler == "local"):
        for s in stack.services:
            for port in s.ports:
                other = bound.get(port.published) if port.published else None
                if other:
                    problems.append(Problem(f"{stack.file}:{s.key}.ports", (
                        f"published port {port.published} is already bound on this machine by "
                        f"{other.role} '{other.name}'; publish another port")))
    return problems
