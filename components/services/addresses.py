"""Where a service is reached, and the values that refer to it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import pulumi

from ..compose import Ref, Secret, Template


@dataclass(frozen=True)
class Address:
    """How other services of the stack reach one service on its scheduler."""

    host: pulumi.Input[str]  # carries a dependency on the service's resources
    ports: Mapping[int, int]  # container port -> the port its consumers connect to

    def resolve(self, ref: Ref, first_port: int) -> pulumi.Input[str]:
        if ref.field == "host":
            return self.host
        return str(self.ports[ref.port if ref.port is not None else first_port])


def render(template: Template, addresses: Mapping[str, Address], first_ports: Mapping[str, int],
           secret: Callable[[str], pulumi.Output[str]]) -> pulumi.Input[str]:
    """A plain string when the template is literal; otherwise an Output whose dependencies
    include the referenced services' resources (and which stays secret if a secret is in it)."""
    parts = [
        addresses[p.service].resolve(p, first_ports[p.service]) if isinstance(p, Ref)
        else secret(p.name) if isinstance(p, Secret) else p
        for p in template
    ]
    if all(isinstance(p, str) for p in parts):
        return "".join(parts)  # type: ignore[arg-type]
    return pulumi.Output.concat(*parts)
