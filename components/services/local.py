"""A Compose service as ContainerSpecs for one Docker engine: one container per replica.

Every replica joins the stack's user network with the service name as its alias, so the
engine's DNS answers `${db.host}` (= `db`) with every healthy replica, as Compose does.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import pulumi

from ..compose import Service
from ..roles.container import ContainerSpec, PublishedPort, Volume
from .names import stack_object

RESTART = {"any": "unless-stopped", "on-failure": "on-failure", "none": "no"}


def container_specs(platform_name: str, stack: str, service: Service, env: Mapping[str, pulumi.Input[str]],
                    args: Sequence[pulumi.Input[str]], wait_healthy: bool) -> list[ContainerSpec]:
    s = service
    volumes = tuple(
        Volume(m.target, name=stack_object(platform_name, stack, m.source), read_only=m.read_only, persistent=True)
        if m.kind == "volume" else Volume(m.target, host_path=m.source, read_only=m.read_only)
        for m in s.mounts)
    # Published ports stay on the loopback interface unless the service is public.
    ports = tuple(PublishedPort(p.target, p.published, "0.0.0.0" if s.public else "127.0.0.1", p.protocol)
                  for p in s.ports if p.published)
    return [
        ContainerSpec(
            name=stack_object(platform_name, stack, s.name, str(i + 1)),
            image=s.image,
            health=s.health,
            args=tuple(args),
            entrypoint=s.entrypoint,
            env=dict(env),
            volumes=volumes,
            network_mode=stack_object(platform_name, stack),
            aliases=(s.name,),
            ports=ports,
            restart=RESTART[s.restart.condition],
            max_restarts=s.restart.max_attempts if s.restart.condition == "on-failure" else 0,
            wait_healthy=wait_healthy and s.health is not None,
            labels={**s.labels, "container-platform/stack": stack, "container-platform/service": s.name,
                    "container-platform/role": "service"},
        )
        for i in range(s.replicas)
    ]
