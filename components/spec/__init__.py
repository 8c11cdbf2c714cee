"""Layer 1: the environment spec. All validation happens here, before any resource exists.

``load(raw)`` returns an ``Environment``: the typed config plus the placement of every role
instance on a host. Any problem raises ``SpecError`` listing every problem at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Union

from pydantic import ValidationError

from ..compose import Stack
from . import feasibility
from .checks import aws_placement, check, mesos_addresses
from .errors import Problem, SpecError, from_validation_error
from .model import Platform, quorum
from .placement import Instance, place, port_clashes
from .stacks import ServicePorts, load_stacks, published_port_clashes, service_ports

__all__ = ["Environment", "Instance", "Platform", "Problem", "SpecError", "Stack", "load", "quorum"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Environment:
    platform: Platform
    instances: tuple[Instance, ...]
    stacks: tuple[Stack, ...] = ()
    service_ports: ServicePorts = field(default_factory=dict)

    @property
    def public_ports(self) -> list[int]:
        """The ports public services of Marathon stacks publish: what public agents offer and
        what the load balancer in front of them listens on."""
        return sorted({p.published for st in self.stacks if st.scheduler == "marathon"
                       for s in st.services if s.public for p in s.ports if p.published})

    @property
    def warnings(self) -> list[Problem]:
        """What the stacks' files say that has no effect on their scheduler (the deploy goes on)."""
        return [w for st in self.stacks for w in st.warnings]

    def of(self, role: str) -> list[Instance]:
        """Every instance of `role`, in placement order."""
        return [i for i in self.instances if i.role == role]


def load(raw: Any, secrets: Union[Iterable[str], Callable[[str], bool]] = (), source: str = "",
         root: Path = PROJECT_ROOT) -> Environment:
    """Validate `raw` (the parsed stack config value) and place every role instance.

    ``secrets`` says which secret config keys are set (their names, or a predicate), so that a
    feature needing a secret can say which one is missing. Compose files are read from `root`.
    """
    secret_is_set = secrets if callable(secrets) else set(secrets).__contains__
    if raw is None:
        raise SpecError([Problem("platform", (
            "is not set; add the key `container-platform:platform` to the stack file "
            "(see stacks/Pulumi.local.yaml)"))], source)
    try:
        platform = Platform.model_validate(raw)
    except ValidationError as e:
        raise SpecError(from_validation_error(e, Platform), source) from None
    problems = check(platform, secret_is_set)
    stacks, stack_problems = load_stacks(platform, root, secret_is_set)
    problems += stack_problems
    if problems:
        raise SpecError(problems, source)
    instances = place(platform)
    ports, problems = service_ports(platform, stacks)
    problems += port_clashes(platform, instances) + published_port_clashes(platform, stacks, instances)
    problems += aws_placement(platform, instances) + mesos_addresses(platform, instances)
    if problems:
        raise SpecError(problems, source)
    env = Environment(platform, tuple(instances), tuple(stacks), ports)
    problems = feasibility.check(env)
    if problems:
        raise SpecError(problems, source)
    return env
