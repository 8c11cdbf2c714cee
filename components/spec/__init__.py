"""Layer 1: the environment spec. All validation happens here, before any resource exists.

``load(raw)`` returns an ``Environment``: the typed config plus the placement of every role
instance on a host. Any problem raises ``SpecError`` listing every problem at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from pydantic import ValidationError

from .checks import check
from .errors import Problem, SpecError, from_validation_error
from .model import Platform, quorum
from .placement import Instance, place, port_clashes

__all__ = ["Environment", "Instance", "Platform", "Problem", "SpecError", "load", "quorum"]


@dataclass(frozen=True)
class Environment:
    platform: Platform
    instances: tuple[Instance, ...]

    def of(self, role: str) -> list[Instance]:
        """Every instance of `role`, in placement order."""
        return [i for i in self.instances if i.role == role]


def load(raw: Any, secrets: Iterable[str] = (), source: str = "") -> Environment:
    """Validate `raw` (the parsed stack config value) and place every role instance.

    ``secrets`` names the secret config keys that are set, so that a feature needing a secret
    can say which one is missing.
    """
    if raw is None:
        raise SpecError([Problem("platform", (
            "is not set; add the key `container-platform:platform` to the stack file "
            "(see stacks/Pulumi.local.yaml)"))], source)
    try:
        platform = Platform.model_validate(raw)
    except ValidationError as e:
        raise SpecError(from_validation_error(e, Platform), source) from None
    problems = check(platform, secrets)
    if problems:
        raise SpecError(problems, source)
    instances = place(platform)
    problems = port_clashes(platform, instances)
    if problems:
        raise SpecError(problems, source)
    return Environment(platform, tuple(instances))
