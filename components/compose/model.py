"""The typed form of a Compose service, as the three schedulers need it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from ..roles.container import HealthCheck


@dataclass(frozen=True)
class Ref:
    """`${service.host}`, `${service.port}` or `${service.port.<container port>}`."""

    service: str
    field: str  # "host" or "port"
    port: Optional[int] = None  # which container port; None: the service's first one

    def __str__(self) -> str:
        return "${" + self.service + "." + self.field + (f".{self.port}" if self.port else "") + "}"


@dataclass(frozen=True)
class Secret:
    """`${secret.<name>}`: the Pulumi secret `container-platform:<name>` (stays encrypted)."""

    name: str

    def __str__(self) -> str:
        return "${secret." + self.name + "}"


# A value with references, e.g. ("postgres://", Ref("db", "host"), ":", Ref("db", "port")).
Template = tuple[Union[str, Ref, Secret], ...]


@dataclass(frozen=True)
class Port:
    target: int  # inside the container
    published: Optional[int] = None  # on the host / public agent; None: reachable in the stack only
    protocol: str = "tcp"
    mode: str = "ingress"  # Swarm: "ingress" (routing mesh) or "host"


@dataclass(frozen=True)
class Mount:
    target: str
    source: str  # a named volume of the stack, or an absolute host path
    kind: str  # "volume" or "bind"
    read_only: bool = False


@dataclass(frozen=True)
class RestartPolicy:
    condition: str = "any"  # "any", "on-failure" or "none"
    delay_s: int = 5
    max_attempts: int = 0  # 0: unlimited
    window_s: int = 0


@dataclass(frozen=True)
class UpdatePolicy:
    parallelism: int = 1  # 0: all at once
    delay_s: int = 0
    order: str = "stop-first"  # or "start-first"
    failure_action: str = "pause"  # "pause", "continue" or "rollback"
    monitor_s: int = 5
    max_failure_ratio: float = 0.0


@dataclass(frozen=True)
class Service:
    name: str
    image: str
    key: str  # where it is defined, for messages: "<file>: services.<name>"
    command: Optional[tuple[Template, ...]] = None
    entrypoint: Optional[tuple[str, ...]] = None
    environment: dict[str, Template] = field(default_factory=dict)
    ports: tuple[Port, ...] = ()
    depends_on: tuple[str, ...] = ()  # declared with `depends_on`
    health: Optional[HealthCheck] = None  # the platform's own value type: Docker's form
    replicas: int = 1
    restart: RestartPolicy = RestartPolicy()
    update: UpdatePolicy = UpdatePolicy()
    constraints: tuple[str, ...] = ()  # Swarm syntax: node.hostname==a, node.labels.zone!=b
    max_per_node: Optional[int] = None
    cpus: Optional[float] = None
    memory_mb: Optional[int] = None
    mounts: tuple[Mount, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    endpoint_mode: str = "vip"  # Swarm: "vip" or "dnsrr"
    public: bool = False  # x-platform.public: reachable from outside the cluster

    def _parts(self):
        """Every piece of every templated value: the environment and the command."""
        return (part for value in [*self.environment.values(), *(self.command or ())] for part in value)

    def references(self) -> set[str]:
        """The services whose addresses this one's environment or command refers to."""
        return {part.service for part in self._parts() if isinstance(part, Ref)}

    def secrets(self) -> set[str]:
        """The Pulumi secrets its environment or command uses."""
        return {part.name for part in self._parts() if isinstance(part, Secret)}

    def needs(self) -> set[str]:
        """Everything that must exist before this service starts."""
        return set(self.depends_on) | self.references()



@dataclass(frozen=True)
class Stack:
    name: str
    file: str
    scheduler: str  # "marathon", "swarm" or "local"
    services: tuple[Service, ...]  # dependencies first
    volumes: tuple[str, ...] = ()  # named volumes declared at the top level

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)
