"""A Compose service as a Marathon app definition (valid against Marathon's AppDefinition.json).

Tasks run in Docker bridge networking with dynamic host ports; each container port gets a
fixed service port that marathon-lb (HAPROXY_GROUP) serves, so a consumer connects to
`<marathon-lb>:<service port>` wherever the tasks land.
"""
from __future__ import annotations

import shlex
from typing import Any, Mapping, Optional, Sequence

import pulumi

from ..compose import Service, UpdatePolicy, constraints
from ..compose.model import MARATHON_VOLUME_MB, Mount
from ..roles.container import HealthCheck

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


def engine_parameters(s: Service) -> list[dict[str, str]]:
    """The container options as `docker run` flags: Mesos's Docker containerizer passes each
    parameter as `--key=value` (keys.py lists which Compose key becomes which)."""
    e = s.engine
    flags: list[tuple[str, Any]] = [
        ("user", e.user), ("workdir", e.working_dir), ("hostname", e.hostname), ("domainname", e.domainname),
        ("init", "true" if e.init else None), ("stop-signal", e.stop_signal),
        ("read-only", "true" if e.read_only else None),
        ("shm-size", str(e.shm_size_bytes) if e.shm_size_bytes else None),
        ("log-driver", e.log_driver), ("runtime", e.runtime), ("platform", e.platform), ("ipc", e.ipc),
        ("pid", e.pid), ("interactive", "true" if e.stdin_open else None), ("tty", "true" if e.tty else None),
        ("memory-swap", str(e.memswap_bytes) if e.memswap_bytes else None),
        ("cpu-shares", str(e.cpu_shares) if e.cpu_shares else None), ("cpuset-cpus", e.cpuset),
        ("pids-limit", str(e.pids_limit) if e.pids_limit is not None else None), ("userns", e.userns_mode),
    ]
    flags += [("tmpfs", f"{path}:{opts}" if opts else path) for path, opts in e.tmpfs]
    flags += [("cap-add", c) for c in e.cap_add] + [("cap-drop", c) for c in e.cap_drop]
    flags += [("security-opt", o) for o in e.security_opt]
    flags += [("sysctl", f"{k}={v}") for k, v in e.sysctls]
    flags += [("ulimit", f"{n}={soft}:{hard}") for n, soft, hard in e.ulimits]
    flags += [("log-opt", f"{k}={v}") for k, v in e.log_opts]
    flags += [("add-host", f"{h}:{ip}") for h, ip in e.extra_hosts]
    flags += [("dns", d) for d in e.dns] + [("dns-search", d) for d in e.dns_search]
    flags += [("dns-option", d) for d in e.dns_opt]
    flags += [("device", f"{h}:{c}:{p}") for h, c, p in e.devices]
    flags += [("group-add", g) for g in e.group_add]
    return [{"key": k, "value": v} for k, v in flags if v is not None]


def _tmpfs(m: Mount) -> str:
    """`docker run --tmpfs PATH[:OPTIONS]`: the mount options as `mount -t tmpfs` takes them (`ro`,
    `size=` in bytes, `mode=` in octal), so a read-only one stays read-only."""
    options = ["ro"] * bool(m.read_only) + [f"size={m.tmpfs_size_bytes}"] * bool(m.tmpfs_size_bytes)
    if m.tmpfs_mode is not None:
        options.append(f"mode={m.tmpfs_mode:o}")
    return m.target + (":" + ",".join(options) if options else "")


def _anonymous_volume(m: Mount) -> dict[str, str]:
    """`docker run --volume PATH`, or with nocopy the `--mount` form, which `--volume` has no
    flag for (an anonymous volume's target alone)."""
    if not m.nocopy:
        return {"key": "volume", "value": m.target}
    return {"key": "mount", "value": f"type=volume,destination={m.target},volume-nocopy=true"
                                     + (",readonly" if m.read_only else "")}


def app_definition(platform_name: str, stack: str, service: Service, env: Mapping[str, pulumi.Input[str]],
                   args: Sequence[pulumi.Input[str]], service_ports: Mapping[int, int], group: str,
                   host_gateway: bool = False, persistent_sizes: Mapping[str, Optional[int]] = {}) -> dict[str, Any]:
    """`host_gateway`: the task reaches this machine as HOST_GATEWAY_NAME (the local target);
    `persistent_sizes`: the stack's volumes' sizes in MB (x-platform.size)."""
    s = service
    docker: dict[str, Any] = {"image": s.image, "forcePullImage": s.engine.pull_always}
    if s.engine.privileged:
        docker["privileged"] = True
    parameters = []
    if s.entrypoint is not None:
        # Marathon has no entrypoint field: the Docker CLI parameter replaces the executable
        # (an empty one resets the image's), the rest goes before the command's arguments.
        parameters.append({"key": "entrypoint", "value": s.entrypoint[0] if s.entrypoint else ""})
        args = [*s.entrypoint[1:], *args]
    parameters += engine_parameters(s)
    parameters += [_anonymous_volume(m) for m in s.mounts if m.kind == "volume" and not m.source]
    parameters += [{"key": "tmpfs", "value": _tmpfs(m)} for m in s.mounts if m.kind == "tmpfs"]
    if host_gateway:
        parameters.append(HOST_GATEWAY)
    if parameters:
        docker["parameters"] = parameters
    container: dict[str, Any] = {"type": "DOCKER", "docker": docker}
    if s.ports:
        by_target: dict[int, list] = {}
        for p in s.ports:  # one mapping per container port: Marathon writes "udp,tcp" for both
            by_target.setdefault(p.target, []).append(p)
        container["portMappings"] = [{
            "containerPort": target,
            # Public services take their published port on a public agent; others any free one.
            "hostPort": next((p.published for p in same if p.published), 0) if s.public else 0,
            "servicePort": service_ports[target],
            "protocol": ",".join(sorted({p.protocol for p in same}, reverse=True)),
            "name": f"{'-'.join(sorted({p.protocol for p in same}, reverse=True))}-{target}",
        } for target, same in by_target.items()]
    volumes: list[dict[str, Any]] = []
    for m in s.mounts:
        mode = "RO" if m.read_only else "RW"
        if m.kind == "bind":
            volumes.append({"containerPath": m.target, "hostPath": m.source, "mode": mode})
        elif m.kind == "volume" and m.source:
            # A local persistent volume: Mesos reserves it on the agent that first runs the task
            # and Marathon relaunches the task there. Its path is relative (in the sandbox), so a
            # host volume maps it to the absolute target (Marathon's documented two-volume form).
            volumes.append({"containerPath": m.target, "hostPath": m.source, "mode": mode})
            volumes.append({"containerPath": m.source, "mode": "RW",
                            "persistent": {"size": persistent_sizes.get(m.source) or MARATHON_VOLUME_MB}})
    if volumes:
        container["volumes"] = volumes
    app: dict[str, Any] = {
        "id": app_id(platform_name, stack, s.name),
        "instances": s.replicas,
        "cpus": s.marathon_cpus,
        "mem": s.marathon_mem_mb,
        "container": container,
        "networks": [{"mode": "container/bridge"}],
        "env": dict(env),
        "labels": {**s.labels, **s.service_labels, "HAPROXY_GROUP": group, "container-platform/stack": stack,
                   "container-platform/service": s.name},
        "healthChecks": [] if s.health_disabled else health_checks(s.health, bool(s.ports)),
        "upgradeStrategy": upgrade_strategy(s.update, s.replicas, bool(s.mounts)),
        "backoffSeconds": max(1, s.restart.delay_s),
        "backoffFactor": 1.15,
        "maxLaunchDelaySeconds": 300,
        "constraints": [constraints.to_marathon(c)[0] for c in s.constraints]
        + ([["hostname", "MAX_PER", str(s.max_per_node)]] if s.max_per_node else []),
    }
    if args:
        app["args"] = list(args)
    if s.engine.stop_grace_s is not None:
        app["taskKillGracePeriodSeconds"] = s.engine.stop_grace_s
    if any(v.get("persistent") for v in volumes):
        # A resident task waits for its agent (and its data) instead of starting empty elsewhere.
        app["unreachableStrategy"] = "disabled"
    if s.public:
        app["acceptedResourceRoles"] = ["slave_public"]
        app["requirePorts"] = any(p.published for p in s.ports)
    return app
