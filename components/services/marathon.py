"""A Compose service as a Marathon app definition (valid against Marathon's AppDefinition.json).

Tasks run in Docker bridge networking with dynamic host ports; each container port gets a
fixed service port that marathon-lb (HAPROXY_GROUP) serves, so a consumer connects to
`<marathon-lb>:<service port>` wherever the tasks land.
"""
from __future__ import annotations

import shlex
from typing import Any, Mapping, Sequence

import pulumi

from ..compose import Service, UpdatePolicy, constraints
from ..roles.container import HealthCheck
from ..spec.offers import DEFAULT_CPUS, DEFAULT_MEM_MB

VOLUME_ROOT = "/var/lib/container-platform"
# On the local target every agent and marathon-lb are this machine, which a bridge-networked
# task reaches at Docker's host gateway, never at 127.0.0.1 (the task's own loopback).
HOST_GATEWAY_NAME = "host.docker.internal"
HOST_GATEWAY = {"key": "add-host", "value": f"{HOST_GATEWAY_NAME}:host-gateway"}  # Docker 20.10+


def app_id(platform_name: str, stack: str, service: str) -> str:
    return f"/{platform_name}/{stack}/{service}"


def health_checks(health: HealthCheck | None, has_ports: bool) -> list[dict]:
    """The Compose check as a COMMAND check (run inside the container); without one, a TCP
    check on the first port, so Marathon still replaces tasks that stop answering."""
    if health is None:
        return [{"protocol": "MESOS_TCP", "portIndex": 0, "gracePeriodSeconds": 60, "intervalSeconds": 15,
                 "timeoutSeconds": 5, "maxConsecutiveFailures": 3}] if has_ports else []
    kind, *words = health.test
    line = words[0] if kind == "CMD-SHELL" else shlex.join(words)
    return [{"protocol": "COMMAND", "command": {"value": line},
             "gracePeriodSeconds": health.start_period_s, "intervalSeconds": health.interval_s,
             "timeoutSeconds": health.timeout_s, "maxConsecutiveFailures": health.retries}]


def upgrade_strategy(update: UpdatePolicy, instances: int, stateful: bool) -> dict:
    """Compose's update_config in Marathon's terms. A service with volumes never runs two
    generations at once (they would share the data)."""
    step = 1.0 if update.parallelism == 0 or instances == 0 else min(1.0, update.parallelism / instances)
    if update.order == "start-first" and not stateful:
        return {"minimumHealthCapacity": 1, "maximumOverCapacity": round(step, 3)}
    return {"minimumHealthCapacity": round(max(0.0, 1 - step), 3), "maximumOverCapacity": 0}


def app_definition(platform_name: str, stack: str, service: Service, env: Mapping[str, pulumi.Input[str]],
                   args: Sequence[pulumi.Input[str]], service_ports: Mapping[int, int], group: str,
                   host_gateway: bool = False) -> dict[str, Any]:
    """`host_gateway`: the task reaches this machine as HOST_GATEWAY_NAME (the local target)."""
    s = service
    docker: dict[str, Any] = {"image": s.image, "forcePullImage": False}
    parameters = []
    if s.entrypoint:
        # Marathon has no entrypoint field: the Docker CLI parameter replaces the executable,
        # the rest of the entrypoint goes before the command's arguments.
        parameters.append({"key": "entrypoint", "value": s.entrypoint[0]})
        args = [*s.entrypoint[1:], *args]
    if host_gateway:
        parameters.append(HOST_GATEWAY)
    if parameters:
        docker["parameters"] = parameters
    container: dict[str, Any] = {"type": "DOCKER", "docker": docker}
    if s.ports:
        container["portMappings"] = [{
            "containerPort": p.target,
            # Public services take their published port on a public agent; others any free one.
            "hostPort": p.published if s.public and p.published else 0,
            "servicePort": service_ports[p.target],
            "protocol": p.protocol,
            "name": f"{p.protocol}-{p.target}",
        } for p in s.ports]
    if s.mounts:
        container["volumes"] = [{
            "containerPath": m.target,
            "hostPath": m.source if m.kind == "bind" else f"{VOLUME_ROOT}/{platform_name}/{stack}/{m.source}",
            "mode": "RO" if m.read_only else "RW",
        } for m in s.mounts]
    app: dict[str, Any] = {
        "id": app_id(platform_name, stack, s.name),
        "instances": s.replicas,
        "cpus": s.cpus or DEFAULT_CPUS,
        "mem": s.memory_mb or DEFAULT_MEM_MB,
        "container": container,
        "networks": [{"mode": "container/bridge"}],
        "env": dict(env),
        "labels": {**s.labels, "HAPROXY_GROUP": group, "container-platform/stack": stack,
                   "container-platform/service": s.name},
        "healthChecks": health_checks(s.health, bool(s.ports)),
        "upgradeStrategy": upgrade_strategy(s.update, s.replicas, bool(s.mounts)),
        "backoffSeconds": max(1, s.restart.delay_s),
        "backoffFactor": 1.15,
        "maxLaunchDelaySeconds": 300,
        "constraints": [constraints.to_marathon(c)[0] for c in s.constraints]
        + ([["hostname", "MAX_PER", str(s.max_per_node)]] if s.max_per_node else []),
    }
    if args:
        app["args"] = list(args)
    if s.public:
        app["acceptedResourceRoles"] = ["slave_public"]
        app["requirePorts"] = any(p.published for p in s.ports)
    return app
