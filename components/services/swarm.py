"""A Compose service as `docker.Service` arguments for Docker Swarm mode.

The service joins the stack's overlay network under its Compose name; its address for the
other services is the Swarm service name, which the engine's DNS resolves to the service VIP
(`endpoint_mode: vip`) or to every task (`dnsrr`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import pulumi
import pulumi_docker as docker

from ..compose import Service
from .names import stack_object


def _s(seconds: int) -> str:
    return f"{seconds}s"


def service_args(platform_name: str, stack: str, service: Service, env: Mapping[str, pulumi.Input[str]],
                 args: Sequence[pulumi.Input[str]], network: pulumi.Input[str]) -> dict:
    s = service
    health = None
    if s.health:
        health = docker.ServiceTaskSpecContainerSpecHealthcheckArgs(
            tests=list(s.health.test), interval=_s(s.health.interval_s), timeout=_s(s.health.timeout_s),
            retries=s.health.retries, start_period=_s(s.health.start_period_s))
    mounts = [docker.ServiceTaskSpecContainerSpecMountArgs(
        target=m.target, type=m.kind, read_only=m.read_only or None,
        source=m.source if m.kind == "bind" else stack_object(platform_name, stack, m.source),
    ) for m in s.mounts]
    limits = None
    if s.cpus or s.memory_mb:
        limits = docker.ServiceTaskSpecResourcesArgs(limits=docker.ServiceTaskSpecResourcesLimitsArgs(
            nano_cpus=int(s.cpus * 1e9) if s.cpus else None,
            memory_bytes=s.memory_mb * 2**20 if s.memory_mb else None))
    u = s.update
    return dict(
        name=stack_object(platform_name, stack, s.name),
        labels=[docker.ServiceLabelArgs(label=k, value=v) for k, v in
                {**s.labels, "container-platform/stack": stack, "container-platform/service": s.name}.items()],
        task_spec=docker.ServiceTaskSpecArgs(
            container_spec=docker.ServiceTaskSpecContainerSpecArgs(
                image=s.image,
                commands=list(s.entrypoint) if s.entrypoint is not None else None,
                args=list(args) or None,
                env=dict(env) or None,
                healthcheck=health,
                mounts=mounts or None,
            ),
            restart_policy=docker.ServiceTaskSpecRestartPolicyArgs(
                condition=s.restart.condition, delay=_s(s.restart.delay_s),
                max_attempts=s.restart.max_attempts, window=_s(s.restart.window_s)),
            placement=docker.ServiceTaskSpecPlacementArgs(
                constraints=list(s.constraints) or None, max_replicas=s.max_per_node),
            resources=limits,
            networks_advanceds=[docker.ServiceTaskSpecNetworksAdvancedArgs(name=network, aliases=[s.name])],
        ),
        mode=docker.ServiceModeArgs(replicated=docker.ServiceModeReplicatedArgs(replicas=s.replicas)),
        update_config=docker.ServiceUpdateConfigArgs(
            parallelism=u.parallelism, delay=_s(u.delay_s), order=u.order, failure_action=u.failure_action,
            monitor=_s(u.monitor_s), max_failure_ratio=str(u.max_failure_ratio)),
        endpoint_spec=docker.ServiceEndpointSpecArgs(
            mode=s.endpoint_mode,
            ports=[docker.ServiceEndpointSpecPortArgs(
                target_port=p.target, published_port=p.published, protocol=p.protocol, publish_mode=p.mode)
                for p in s.ports if p.published] or None),
        # Wait until every replica runs before the service counts as created, so the services
        # that depend on it are created after it is up.
        converge_config=docker.ServiceConvergeConfigArgs(delay="5s", timeout="5m") if s.replicas else None,
    )
