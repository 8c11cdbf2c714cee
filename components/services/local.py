"""A Compose service as `docker.Container` arguments for this machine's engine: one container per
replica, as docker compose runs it (keys.py says where each key goes).

Every replica joins the stack's networks with the service name as an alias, so the engine's DNS
answers `${db.host}` (= `db`) with every healthy replica, as Compose does.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_docker as docker

from ..compose import Service
from ..compose.model import Attachment, Engine, Mount, Port, RestartPolicy
from ..outputs import concat

# Compose's default mode for secret and config files (the engine mounts them world-readable,
# owned by root, so a non-root process in the image can read them).
FILE_MODE = 0o444


def restart(policy: RestartPolicy) -> tuple[str, Optional[int]]:
    """Docker's restart policy and retry count: `restart:` as written (Compose's default is
    `no`), or deploy.restart_policy when given."""
    if policy.from_deploy:
        kind = {"any": "always", "on-failure": "on-failure", "none": "no"}[policy.condition]
        return kind, policy.max_attempts or None if kind == "on-failure" else None
    written = policy.written or "no"
    kind, _, count = written.partition(":")
    return kind, int(count) if count else None


def engine_args(e: Engine) -> dict[str, Any]:
    """The container options of the service (Docker run flags) as `docker.Container` arguments."""
    return dict(
        user=e.user, working_dir=e.working_dir, hostname=e.hostname, domainname=e.domainname, init=e.init,
        stop_signal=e.stop_signal, stop_timeout=e.stop_grace_s, destroy_grace_seconds=e.stop_grace_s,
        read_only=e.read_only or None, tmpfs=dict(e.tmpfs) or None,
        shm_size=max(1, e.shm_size_bytes // 2**20) if e.shm_size_bytes else None,
        capabilities=docker.ContainerCapabilitiesArgs(adds=list(e.cap_add) or None, drops=list(e.cap_drop) or None)
        if e.cap_add or e.cap_drop else None,
        privileged=e.privileged or None, security_opts=list(e.security_opt) or None,
        sysctls=dict(e.sysctls) or None,
        ulimits=[docker.ContainerUlimitArgs(name=n, soft=s, hard=h) for n, s, h in e.ulimits] or None,
        log_driver=e.log_driver, log_opts=dict(e.log_opts) or None, runtime=e.runtime,
        ipc_mode=e.ipc, pid_mode=e.pid, stdin_open=e.stdin_open or None, tty=e.tty or None,
        hosts=[docker.ContainerHostArgs(host=h, ip=ip) for h, ip in e.extra_hosts] or None,
        dns=list(e.dns) or None, dns_searches=list(e.dns_search) or None, dns_opts=list(e.dns_opt) or None,
        devices=[docker.ContainerDeviceArgs(host_path=h, container_path=c, permissions=p) for h, c, p in e.devices] or None,
        group_adds=list(e.group_add) or None, memory_swap=e.memswap_bytes // 2**20 if e.memswap_bytes else None,
        cpu_shares=e.cpu_shares, cpu_set=e.cpuset, userns_mode=e.userns_mode,
    )


def bind_address(s: Service, p: Port) -> str:
    """The host address a published port binds: loopback unless the service is public or the
    file names an address."""
    return p.host_ip or ("0.0.0.0" if s.public else "127.0.0.1")


def _mount(m: Mount, volume_names: Mapping[str, str]) -> docker.ContainerMountArgs:
    source = volume_names[m.source] if m.kind == "volume" and m.source else m.source or None
    return docker.ContainerMountArgs(
        target=m.target, type=m.kind, source=source, read_only=m.read_only or None,
        bind_options=docker.ContainerMountBindOptionsArgs(propagation=m.propagation) if m.propagation else None,
        volume_options=docker.ContainerMountVolumeOptionsArgs(
            no_copy=m.nocopy or None, subpath=m.subpath,
            labels=[docker.ContainerMountVolumeOptionsLabelArgs(label=k, value=v) for k, v in m.volume_labels] or None)
        if m.nocopy or m.subpath or m.volume_labels else None,
        tmpfs_options=docker.ContainerMountTmpfsOptionsArgs(size_bytes=m.tmpfs_size_bytes, mode=m.tmpfs_mode)
        if m.tmpfs_size_bytes or m.tmpfs_mode is not None else None)


def container_args(s: Service, name: str, image: pulumi.Input[str], env: Mapping[str, pulumi.Input[str]],
                   args: Sequence[pulumi.Input[str]], networks: Mapping[str, pulumi.Input[str]],
                   volume_names: Mapping[str, str], files: Mapping[tuple[str, str], pulumi.Input[str]],
                   container_of: Mapping[str, str], labels: Mapping[str, str], one_shot: bool) -> dict[str, Any]:
    """`networks`: Compose network -> the engine's network name; `volume_names`: Compose volume
    -> the engine's volume name; `files`: (kind, name) -> content; `container_of`: service -> its
    first container's name. `one_shot`: another service waits for this one to complete."""
    kind, retries = restart(s.restart)
    # `service:<name>` (Compose) is `container:<its container>` to the engine.
    shared = {key: "container:" + container_of[other] for key, other in s.namespaces_shared().items()}
    network_mode = shared.get("network_mode", s.network_mode)
    # A bind or volume with options goes through the engine's Mounts API (`mounts`); a plain one
    # as `-v` (`volumes`), which makes a missing bind source as Compose does.
    volumes = [
        docker.ContainerVolumeArgs(container_path=m.target, read_only=m.read_only or None,
                                   volume_name=volume_names[m.source] if m.kind == "volume" and m.source else None,
                                   host_path=m.source if m.kind == "bind" else None)
        for m in s.mounts if m.kind != "tmpfs" and not m.has_options
    ] + [docker.ContainerVolumeArgs(from_container=container_of[v]) for v in s.engine.volumes_from]
    mounts = [_mount(m, volume_names) for m in s.mounts if m.kind == "tmpfs" or m.has_options]
    memory = s.memory_mb
    return dict(
        name=name,
        image=image,
        command=list(args) or None,
        entrypoints=list(s.entrypoint) if s.entrypoint is not None else None,
        envs=[concat(k, "=", v) if isinstance(v, pulumi.Output) else f"{k}={v}" for k, v in env.items()] or None,
        network_mode=network_mode,
        networks_advanced=None if network_mode else [
            docker.ContainerNetworksAdvancedArgs(name=networks[a.network], aliases=[s.name, *s.aliases, *a.aliases],
                                                 ipv4_address=a.ipv4_address, ipv6_address=a.ipv6_address,
                                                 mac_address=a.mac_address)
            for a in s.networks or [Attachment("default")]],
        ports=[docker.ContainerPortArgs(internal=p.target, external=p.published or None, protocol=p.protocol,
                                        ip=bind_address(s, p))
               for p in s.ports if p.published is not None] or None,
        restart=kind,
        max_retry_count=retries,
        healthcheck=_healthcheck(s),
        wait=s.health is not None or None,
        wait_timeout=(s.health.start_period_s + s.health.interval_s * (s.health.retries + 1) + 60) if s.health else None,
        # A dependency that must complete: Pulumi waits for its exit, and it is not kept running.
        attach=one_shot or None,
        must_run=False if one_shot else None,
        volumes=volumes or None,
        mounts=mounts or None,
        uploads=[docker.ContainerUploadArgs(file=f.target, content=files[(f.kind, f.source)],
                                            permissions=oct(f.mode if f.mode is not None else FILE_MODE)[2:].rjust(4, "0"))
                 for f in s.files] or None,
        memory=memory,
        memory_reservation=s.memory_reserved_mb,
        cpus=str(s.cpus) if s.cpus else None,
        labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in {**s.labels, **labels}.items()],
        **{k: v for k, v in {**engine_args(s.engine), **{f"{key}_mode": mode for key, mode in shared.items()
                                                         if key != "network_mode"}}.items() if v is not None},
    )


def _healthcheck(s: Service) -> Optional[docker.ContainerHealthcheckArgs]:
    h = s.health
    if h is None:  # Docker's test ["NONE"] switches the image's HEALTHCHECK off as well
        return docker.ContainerHealthcheckArgs(tests=["NONE"]) if s.health_disabled else None
    return docker.ContainerHealthcheckArgs(tests=list(h.test), interval=f"{h.interval_s}s", timeout=f"{h.timeout_s}s",
                                           retries=h.retries, start_period=f"{h.start_period_s}s",
                                           start_interval=f"{h.start_interval_s}s" if h.start_interval_s else None)


def inline_dockerfile(text: str) -> str:
    """`dockerfile_inline` as the file pulumi-docker builds from: named by its digest, so every
    evaluation (preview, up, another machine) names the same file and the image's inputs do not
    change; in the temporary directory, not the user's build context. Written by the program
    itself, before the provider builds (it is no resource of its own)."""
    path = Path(tempfile.gettempdir()) / "container-platform-dockerfiles" / (
        hashlib.sha256(text.encode()).hexdigest()[:16] + ".Dockerfile")
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")  # as Docker reads a Dockerfile, whatever the locale
    return str(path)


def build_args(s: Service) -> docker.DockerBuildArgs:
    """`build:` as the provider's build: the context beside the Compose file, never pushed."""
    b = s.build
    assert b is not None
    dockerfile = inline_dockerfile(b.dockerfile_inline) if b.dockerfile_inline is not None else b.dockerfile or "Dockerfile"
    return docker.DockerBuildArgs(
        context=b.context, dockerfile=dockerfile if os.path.isabs(dockerfile) else os.path.join(b.context, dockerfile),
        args=dict(b.args) or None, target=b.target, platform=s.engine.platform,
        cache_from=docker.CacheFromArgs(images=list(b.cache_from)) if b.cache_from else None, network=b.network,
        add_hosts=[f"{h}:{ip}" for h, ip in b.extra_hosts] or None)
