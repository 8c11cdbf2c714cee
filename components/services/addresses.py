"""Where a service is reached, and the values that refer to it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Optional

import pulumi

from ..compose import Ref, Secret, Service, Template
from ..outputs import concat


@dataclass(frozen=True)
class Address:
    """How other services of the stack reach one service on its scheduler."""

    host: pulumi.Input[str]  # carries a dependency on the service's resources
    # container port -> the port its consumers connect to, in the service's port order
    ports: Mapping[int, int]

    @classmethod
    def same_ports(cls, host: pulumi.Input[str], service: Service) -> "Address":
        """Consumers connect to the container ports themselves (Swarm, the local engine)."""
        return cls(host, {p.target: p.target for p in service.ports})

    def port(self, container_port: Optional[int] = None) -> int:
        """The port for a container port; by default the service's first one."""
        return self.ports[container_port if container_port is not None else next(iter(self.ports))]

    def resolve(self, ref: Ref) -> pulumi.Input[str]:
        return self.host if ref.field == "host" else str(self.port(ref.port))


def render(template: Template, addresses: Mapping[str, Address],
           secret: Callable[[str], pulumi.Output[str]]) -> pulumi.Input[str]:
    """A plain string when the template is literal; otherwise an Output whose dependencies
    include the referenced services' resources (and which stays secret if a secret is in it)."""
    parts = [
        addresses[p.service].resolve(p) if isinstance(p, Ref)
        else secret(p.name) if isinstance(p, Secret) else p
        for p in template
    ]
    if all(isinstance(p, str) for p in parts):
        return "".join(parts)  # type: ignore[arg-type]
    return concat(*parts)
