"""The typed form of a Compose service, as the three schedulers need it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from ..problem import Problem
from ..roles.container import HealthCheck


# What a Marathon app asks for when its Compose service gives no figure (said as a warning).
MARATHON_DEFAULT_CPUS = 0.5
MARATHON_DEFAULT_MEM_MB = 512
MARATHON_VOLUME_MB = 1024  # a persistent volume's size when the file gives none


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


# A value with references, e.g. ("postgres://", Ref("db", "host"), ":", Ref("db", "port")).
Template = tuple[Union[str, Ref, Secret], ...]


@dataclass(frozen=True)
class Port:
    target: int  # inside the container
    # On the host / public agent. None: reachable in the stack only (`expose`); 0: a host port the
    # engine picks (Compose's `"80"`).
    published: Optional[int] = None
    protocol: str = "tcp"
    mode: str = "ingress"  # Swarm: "ingress" (routing mesh) or "host"
    host_ip: Optional[str] = None  # the host address to bind, when the file names one


@dataclass(frozen=True)
class Mount:
    target: str
    source: str  # a named volume of the stack, an absolute host path, or "" (anonymous, tmpfs)
    kind: str  # "volume", "bind" or "tmpfs"
    read_only: bool = False
    tmpfs_size_bytes: Optional[int] = None
    # The mount's options (the long form's bind/volume/tmpfs blocks, the short form's flags):
    # each scheduler maps those it has a field for and refuses the rest (limits.py).
    propagation: Optional[str] = None  # bind: rprivate, private, rshared, shared, rslave or slave
    selinux: Optional[str] = None  # bind: z (relabel shared) or Z (private)
    create_host_path: bool = True  # bind: a missing source is made (Compose's default), else refused
    recursive: Optional[str] = None  # bind: enabled, disabled, writable or readonly
    nocopy: bool = False  # volume: the image's files at the target are not copied into a new volume
    subpath: Optional[str] = None  # volume: a directory inside the volume is mounted
    volume_labels: tuple[tuple[str, str], ...] = ()  # volume: of the volume the mount creates
    tmpfs_mode: Optional[int] = None  # tmpfs: the permission bits of its root
    consistency: Optional[str] = None  # Docker Desktop's file sharing (cached, delegated): no effect on Linux

    @property
    def has_options(self) -> bool:
        """Whether it needs a mount with options (the engine's Mounts API), not a plain `-v`."""
        return bool(self.propagation or not self.create_host_path or self.nocopy or self.subpath
                    or self.volume_labels)


@dataclass(frozen=True)
class FileRef:
    """A secret or config of the stack, placed into the container as a file."""

    kind: str  # "secret" or "config"
    source: str  # its name under the top-level secrets/configs
    target: str  # absolute path in the container
    uid: Optional[str] = None
    gid: Optional[str] = None
    mode: Optional[int] = None


@dataclass(frozen=True)
class StackFile:
    """A top-level secret or config: from a file beside the Compose file, inline `content`, a
    Pulumi secret (`x-platform.secret`), or an existing Swarm object (`external`). Its kind
    ("secret" or "config") and name are its key in `Stack.files`."""

    content: Optional[str] = None  # a file's or `content:`'s text, read at load time
    pulumi_secret: Optional[str] = None  # the config key whose (secret) value is the content
    external: Optional[str] = None  # the existing Swarm object's name


@dataclass(frozen=True)
class IpamPool:
    """One of a network's `ipam.config` entries: its addresses and the gateway among them."""

    subnet: Optional[str] = None
    ip_range: Optional[str] = None
    gateway: Optional[str] = None
    aux_addresses: tuple[tuple[str, str], ...] = ()  # (host name, address) kept out of the pool


@dataclass(frozen=True)
class Network:
    name: str  # as in the Compose file
    external: Optional[str] = None  # the existing network's name
    internal: bool = False
    driver: Optional[str] = None
    options: dict[str, str] = field(default_factory=dict)
    ipv6: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    ipam_driver: Optional[str] = None
    ipam_options: tuple[tuple[str, str], ...] = ()
    ipam: tuple[IpamPool, ...] = ()


@dataclass(frozen=True)
class Volume:
    name: str  # as in the Compose file
    external: Optional[str] = None  # the existing volume's name
    driver: Optional[str] = None
    options: dict[str, str] = field(default_factory=dict)
    size_mb: Optional[int] = None  # x-platform.size: what a Marathon persistent volume reserves
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Attachment:
    network: str  # a Compose network of the stack
    aliases: tuple[str, ...] = ()
    ipv4_address: Optional[str] = None  # static addresses on that network (the local engine's only)
    ipv6_address: Optional[str] = None
    mac_address: Optional[str] = None
    driver_opts: tuple[tuple[str, str], ...] = ()  # the attachment's own (Swarm's only)


@dataclass(frozen=True)
class Build:
    context: str  # absolute, or a URL
    dockerfile: Optional[str] = None
    args: dict[str, str] = field(default_factory=dict)
    target: Optional[str] = None
    cache_from: tuple[str, ...] = ()
    network: Optional[str] = None
    extra_hosts: tuple[tuple[str, str], ...] = ()
    dockerfile_inline: Optional[str] = None  # the Dockerfile's text, written in the file instead of `dockerfile`


@dataclass(frozen=True)
class Engine:
    """Options of the container itself (Docker run flags); each scheduler maps what it can, and
    keys.py says which and how."""

    user: Optional[str] = None
    working_dir: Optional[str] = None
    hostname: Optional[str] = None
    domainname: Optional[str] = None
    init: Optional[bool] = None
    stop_signal: Optional[str] = None
    stop_grace_s: Optional[int] = None
    read_only: bool = False
    tmpfs: tuple[tuple[str, str], ...] = ()  # (path, mount options)
    shm_size_bytes: Optional[int] = None
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    privileged: bool = False
    security_opt: tuple[str, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    ulimits: tuple[tuple[str, int, int], ...] = ()  # (name, soft, hard)
    log_driver: Optional[str] = None
    log_opts: tuple[tuple[str, str], ...] = ()
    runtime: Optional[str] = None
    platform: Optional[str] = None
    ipc: Optional[str] = None
    pid: Optional[str] = None
    stdin_open: bool = False
    tty: bool = False
    extra_hosts: tuple[tuple[str, str], ...] = ()  # (host name, address)
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_opt: tuple[str, ...] = ()
    devices: tuple[tuple[str, str, str], ...] = ()  # (host path, container path, permissions)
    group_add: tuple[str, ...] = ()
    memswap_bytes: Optional[int] = None
    cpu_shares: Optional[int] = None
    cpuset: Optional[str] = None
    pids_limit: Optional[int] = None
    userns_mode: Optional[str] = None
    volumes_from: tuple[str, ...] = ()  # services of the stack
    pull_always: bool = False



@dataclass(frozen=True)
class RestartPolicy:
    condition: str = "any"  # "any", "on-failure" or "none"
    delay_s: int = 5
    max_attempts: int = 0  # 0: unlimited
    window_s: int = 0
    written: Optional[str] = None  # the engine's `restart:` as written (no, always, on-failure[:N], ...)
    from_deploy: bool = False  # deploy.restart_policy was given


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
    # `healthcheck: {disable: true}` or test ["NONE"]: no check at all, not even the image's own
    # HEALTHCHECK (which Docker would otherwise run: Compose sends test ["NONE"] to switch it off).
    health_disabled: bool = False
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
    mode: str = "replicated"  # or "global" (Swarm: one task per node)
    build: Optional[Build] = None
    container_name: Optional[str] = None
    engine: Engine = Engine()
    networks: tuple[Attachment, ...] = ()  # empty: the stack's default network
    aliases: tuple[str, ...] = ()  # more names on every network it joins (others' `links: [svc:alias]`)
    network_mode: Optional[str] = None  # host, none, bridge, service:<name>
    files: tuple[FileRef, ...] = ()
    cpus_reserved: Optional[float] = None
    memory_reserved_mb: Optional[int] = None
    # depends_on `service_completed_successfully`: these must have exited 0 first. (For
    # `service_healthy` nothing is needed: a service with a health check is waited for until healthy.)
    wait_completed_for: tuple[str, ...] = ()
    service_labels: dict[str, str] = field(default_factory=dict)  # deploy.labels (Swarm's service)
    placement_preferences: tuple[str, ...] = ()  # spread=<label>
    rollback: Optional[UpdatePolicy] = None

    @property
    def marathon_cpus(self) -> float:
        """What the Marathon app reserves: the limit, else the reservation, else the default."""
        return next((c for c in (self.cpus, self.cpus_reserved) if c), MARATHON_DEFAULT_CPUS)

    @property
    def marathon_mem_mb(self) -> int:
        return next((m for m in (self.memory_mb, self.memory_reserved_mb) if m), MARATHON_DEFAULT_MEM_MB)

    def _parts(self):
        """Every piece of every templated value: the environment and the command."""
        return (part for value in [*self.environment.values(), *(self.command or ())] for part in value)

    def references(self) -> set[str]:
        """The services whose addresses this one's environment or command refers to."""
        return {part.service for part in self._parts() if isinstance(part, Ref)}

    def secrets(self) -> set[str]:
        """The Pulumi secrets its environment or command uses."""
        return {part.name for part in self._parts() if isinstance(part, Secret)}

    def namespaces_shared(self) -> dict[str, str]:
        """The keys (network_mode, ipc, pid) whose `service:<name>` joins another service's
        namespace: key -> that service."""
        modes = {"network_mode": self.network_mode, "ipc": self.engine.ipc, "pid": self.engine.pid}
        return {k: v[len("service:"):] for k, v in modes.items() if (v or "").startswith("service:")}

    def needs(self) -> set[str]:
        """Everything that must exist before this service starts."""
        return set(self.depends_on) | self.references() | set(self.engine.volumes_from) | set(
            self.namespaces_shared().values())



@dataclass(frozen=True)
class Stack:
    name: str
    file: str
    scheduler: str  # "marathon", "swarm" or "local"
    services: tuple[Service, ...]  # dependencies first
    volumes: dict[str, Volume] = field(default_factory=dict)  # declared at the top level
    networks: dict[str, Network] = field(default_factory=dict)  # "default" always among them
    files: dict[tuple[str, str], StackFile] = field(default_factory=dict)  # (kind, name)
    # Said about the file without stopping the deploy (keys without effect on this scheduler).
    warnings: tuple[Problem, ...] = ()

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)
