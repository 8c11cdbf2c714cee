"""ContainerSpec: everything needed to run one container, whatever materializes it.

The same spec becomes a `docker.Container` on a Docker-provider host (local engine, physical
host over SSH) or a `docker run` systemd unit in cloud-init on EC2. Values may be
`pulumi.Input`s (addresses and secrets arrive as outputs of other resources).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

import pulumi


@dataclass(frozen=True)
class Volume:
    container_path: str
    name: Optional[str] = None  # a named Docker volume, managed with the host
    host_path: Optional[str] = None  # a bind mount of a host path
    read_only: bool = False
    # Holds state that must outlive the container (ZooKeeper snapshots, the Mesos replicated
    # log): the volume is kept when the resource is deleted.
    persistent: bool = False


@dataclass(frozen=True)
class HealthCheck:
    test: tuple[str, ...]  # Docker's form: ("CMD", prog, args...) or ("CMD-SHELL", "line")
    interval_s: int = 15
    timeout_s: int = 5
    retries: int = 3
    start_period_s: int = 60
    start_interval_s: Optional[int] = None  # Compose's start_interval (Docker 25+): checks during start_period


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    image: str
    health: Optional[HealthCheck]  # platform roles always have one; a Compose service may not
    args: tuple[pulumi.Input[str], ...] = ()
    entrypoint: Optional[tuple[str, ...]] = None
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Environment variables whose values are Pulumi secrets. A Docker provider gets them as
    # secret inputs; cloud-init never writes them: the unit reads them from SSM at start.
    secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    volumes: tuple[Volume, ...] = ()
    # Files copied into the container before it starts (rendered configuration). Copied, not
    # bind-mounted: an image's entrypoint may chown or rewrite them (the ZooKeeper image runs
    # `chown -R` over /data under `set -e`, so a read-only /data/myid stops it).
    files: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Files whose content is a Pulumi secret (credentials a process reads from a file): copied in
    # with mode 0400. cloud-init never writes them: the unit fetches them from SSM at start.
    secret_files: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Secret files of binary content (Marathon's PKCS#12 keystore), given base64: copied in
    # decoded, mode 0400, as the secret files are.
    secret_files_base64: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    network_mode: str = "host"  # every role's: each binds its own ports on the host
    restart: str = "unless-stopped"  # Docker restart policy; a crashed process comes back
    pid_mode: Optional[str] = None
    labels: Mapping[str, str] = field(default_factory=dict)


def is_output(value: Any) -> bool:
    return isinstance(value, pulumi.Output)


def lift(fn: Callable[..., Any], *inputs: Any) -> Any:
    """Apply `fn` to plain values directly, or through `Output.all` if any input is an Output.

    Roles stay plain Python under unit tests (strings in, strings out) while the program passes
    the outputs of other resources and gets outputs back, with their dependencies kept.
    """
    if any(is_output(i) for i in inputs):
        return pulumi.Output.all(*inputs).apply(lambda values: fn(*values))
    return fn(*inputs)


def http_url(address: pulumi.Input[str], port: int, tls: bool = False) -> pulumi.Input[str]:
    """`http://address:port`, or https with `tls`."""
    scheme = "https" if tls else "http"
    return lift(lambda a: f"{scheme}://{a}:{port}", address)


def slug(text: str) -> str:
    """Lower-case letters, digits and dashes: a resource or parameter name from free text."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def container_name(platform_name: str, instance_name: str) -> str:
    """Unique per Docker engine: instances of two platforms can share one machine."""
    return f"{platform_name}-{instance_name}"


def zk_url(connect_string: pulumi.Input[str], chroot: str) -> pulumi.Input[str]:
    """`zk://h1:2181,h2:2181/<chroot>`: how Mesos and Marathon name a ZooKeeper path."""
    return lift(lambda c: f"zk://{c}/{chroot}", connect_string)


def zk_auth_url(connect_string: pulumi.Input[str], chroot: str, user: str, secret: pulumi.Input[str]) -> pulumi.Input[str]:
    """`zk://user:secret@h1:2181,.../<chroot>`: Mesos and Marathon then authenticate with
    ZooKeeper's digest scheme and create their znodes for that identity only (Marathon:
    CREATOR_ALL, ZookeeperConf.scala; Mesos: readable by anyone, writable by the creator,
    src/zookeeper/group.cpp, so agents and frameworks still find the leader anonymously).
    A secret, so the result is one too. Letters and digits only in `user` and `secret`: both
    parsers split at ':' and '@' (Marathon's ZkUrlPattern, Mesos's zookeeper/url.hpp)."""
    return lift(lambda c, s: f"zk://{user}:{s}@{c}/{chroot}", connect_string, secret)
