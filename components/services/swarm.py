"""A Compose service as `docker.Service` arguments for Docker Swarm mode (keys.py says where each
key goes).

The service joins the stack's overlay networks under its Compose name; its address for the
other services is the Swarm service name, which the engine's DNS resolves to the service VIP
(`endpoint_mode: vip`) or to every task (`dnsrr`).
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_docker as docker

from ..compose import Service, UpdatePolicy
from ..compose.model import Attachment
from ..compose.fields import size_bytes
from .names import stack_object


def _s(seconds: int) -> str:
    return f"{seconds}s"


def _update(u: UpdatePolicy, args_type):
    return args_type(parallelism=u.parallelism, delay=_s(u.delay_s), order=u.order, failure_action=u.failure_action,
                     monitor=_s(u.monitor_s), max_failure_ratio=str(u.max_failure_ratio))


def _platform(text: Optional[str]) -> Optional[list]:
    if not text:
        return None
    os_, _, arch = text.partition("/")
    return [docker.ServiceTaskSpecPlacementPlatformArgs(os=os_, architecture=arch.split("/")[0] or "amd64")]


def _mounts(s: Service, volume_names: Mapping[str, str]) -> list:
    mounts = []
    for m in s.mounts:  # a volume without a source is anonymous: Swarm makes one per task
        mounts.append(docker.ServiceTaskSpecContainerSpecMountArgs(
            target=m.target, type=m.kind, read_only=m.read_only or None,
            source=volume_names[m.source] if m.kind == "volume" and m.source else m.source or None,
            bind_options=docker.ServiceTaskSpecContainerSpecMountBindOptionsArgs(propagation=m.propagation)
            if m.propagation else None,
            volume_options=docker.ServiceTaskSpecContainerSpecMountVolumeOptionsArgs(
                no_copy=m.nocopy or None,
                labels=[docker.ServiceTaskSpecContainerSpecMountVolumeOptionsLabelArgs(label=k, value=v)
                        for k, v in m.volume_labels] or None)
            if m.nocopy or m.volume_labels else None,
            tmpfs_options=docker.ServiceTaskSpecContainerSpecMountTmpfsOptionsArgs(size_bytes=m.tmpfs_size_bytes,
                                                                                   mode=m.tmpfs_mode)
            if m.tmpfs_size_bytes or m.tmpfs_mode is not None else None))
    e = s.engine
    for path, options in e.tmpfs:
        size = next((o[len("size="):] for o in options.split(",") if o.startswith("size=")), None)
        mounts.append(docker.ServiceTaskSpecContainerSpecMountArgs(
            target=path, type="tmpfs", tmpfs_options=docker.ServiceTaskSpecContainerSpecMountTmpfsOptionsArgs(
                size_bytes=size_bytes(size)) if size else None))
    if e.shm_size_bytes:  # Swarm has no --shm-size: the same thing as a tmpfs at /dev/shm
        mounts.append(docker.ServiceTaskSpecContainerSpecMountArgs(
            target="/dev/shm", type="tmpfs",
            tmpfs_options=docker.ServiceTaskSpecContainerSpecMountTmpfsOptionsArgs(size_bytes=e.shm_size_bytes)))
    return mounts


def service_args(platform_name: str, stack: str, service: Service, image: pulumi.Input[str],
                 env: Mapping[str, pulumi.Input[str]], args: Sequence[pulumi.Input[str]],
                 networks: Mapping[str, pulumi.Input[str]], volume_names: Mapping[str, str],
                 files: Mapping[tuple[str, str], tuple[pulumi.Input[str], pulumi.Input[str]]]) -> dict:
    """`networks`: Compose network -> Swarm network name; `volume_names`: Compose volume -> the
    engine's; `files`: (kind, name) -> (id, name) of the Swarm secret or config."""
    s, e = service, service.engine
    health = docker.ServiceTaskSpecContainerSpecHealthcheckArgs(tests=["NONE"]) if s.health_disabled else None
    if s.health:
        health = docker.ServiceTaskSpecContainerSpecHealthcheckArgs(
            tests=list(s.health.test), interval=_s(s.health.interval_s), timeout=_s(s.health.timeout_s),
            retries=s.health.retries, start_period=_s(s.health.start_period_s))
    resources = None
    if s.cpus or s.memory_mb or s.cpus_reserved or s.memory_reserved_mb:
        resources = docker.ServiceTaskSpecResourcesArgs(
            limits=docker.ServiceTaskSpecResourcesLimitsArgs(
                nano_cpus=int(s.cpus * 1e9) if s.cpus else None,
                memory_bytes=s.memory_mb * 2**20 if s.memory_mb else None) if s.cpus or s.memory_mb else None,
            reservation=docker.ServiceTaskSpecResourcesReservationArgs(
                nano_cpus=int(s.cpus_reserved * 1e9) if s.cpus_reserved else None,
                memory_bytes=s.memory_reserved_mb * 2**20 if s.memory_reserved_mb else None)
            if s.cpus_reserved or s.memory_reserved_mb else None)
    aliases = [s.name, *s.aliases]
    attachments = {a.network: a for a in s.networks} or {"default": Attachment("default")}
    return dict(
        name=stack_object(platform_name, stack, s.name),
        labels=[docker.ServiceLabelArgs(label=k, value=v) for k, v in
                {**s.service_labels, "container-platform/stack": stack, "container-platform/service": s.name}.items()],
        task_spec=docker.ServiceTaskSpecArgs(
            container_spec=docker.ServiceTaskSpecContainerSpecArgs(
                image=image,
                commands=list(s.entrypoint) if s.entrypoint is not None else None,
                args=list(args) or None,
                env=dict(env) or None,
                labels=[docker.ServiceTaskSpecContainerSpecLabelArgs(label=k, value=v) for k, v in s.labels.items()]
                or None,
                healthcheck=health,
                mounts=_mounts(s, volume_names) or None,
                user=e.user, dir=e.working_dir, hostname=e.hostname, stop_signal=e.stop_signal,
                stop_grace_period=_s(e.stop_grace_s) if e.stop_grace_s is not None else None,
                read_only=e.read_only or None, cap_adds=list(e.cap_add) or None, cap_drops=list(e.cap_drop) or None,
                sysctl=dict(e.sysctls) or None, groups=list(e.group_add) or None,
                hosts=[docker.ServiceTaskSpecContainerSpecHostArgs(host=h, ip=ip) for h, ip in e.extra_hosts] or None,
                dns_config=docker.ServiceTaskSpecContainerSpecDnsConfigArgs(
                    nameservers=list(e.dns), searches=list(e.dns_search) or None,
                    options=list(e.dns_opt) or None) if e.dns else None,
                secrets=[docker.ServiceTaskSpecContainerSpecSecretArgs(
                    secret_id=files[(f.kind, f.source)][0], secret_name=files[(f.kind, f.source)][1],
                    file_name=f.target, file_uid=f.uid, file_gid=f.gid, file_mode=f.mode)
                    for f in s.files if f.kind == "secret"] or None,
                configs=[docker.ServiceTaskSpecContainerSpecConfigArgs(
                    config_id=files[(f.kind, f.source)][0], config_name=files[(f.kind, f.source)][1],
                    file_name=f.target, file_uid=f.uid, file_gid=f.gid, file_mode=f.mode)
                    for f in s.files if f.kind == "config"] or None,
            ),
            restart_policy=docker.ServiceTaskSpecRestartPolicyArgs(
                condition=s.restart.condition, delay=_s(s.restart.delay_s),
                max_attempts=s.restart.max_attempts, window=_s(s.restart.window_s)),
            placement=docker.ServiceTaskSpecPlacementArgs(
                constraints=list(s.constraints) or None, max_replicas=s.max_per_node,
                prefs=[f"spread={p}" for p in s.placement_preferences] or None, platforms=_platform(e.platform)),
            resources=resources,
            log_driver=docker.ServiceTaskSpecLogDriverArgs(name=e.log_driver, options=dict(e.log_opts) or None)
            if e.log_driver else None,
            networks_advanceds=[docker.ServiceTaskSpecNetworksAdvancedArgs(name=networks["host"])] if "host" in networks else [
                docker.ServiceTaskSpecNetworksAdvancedArgs(name=networks[n], aliases=[*aliases, *a.aliases],
                                                           driver_opts=[f"{k}={v}" for k, v in a.driver_opts] or None)
                for n, a in attachments.items()],
        ),
        mode=docker.ServiceModeArgs(global_=True) if s.mode == "global" else
        docker.ServiceModeArgs(replicated=docker.ServiceModeReplicatedArgs(replicas=s.replicas)),
        update_config=_update(s.update, docker.ServiceUpdateConfigArgs),
        rollback_config=_update(s.rollback, docker.ServiceRollbackConfigArgs) if s.rollback else None,
        endpoint_spec=docker.ServiceEndpointSpecArgs(
            mode=s.endpoint_mode,
            ports=[docker.ServiceEndpointSpecPortArgs(
                target_port=p.target, published_port=p.published or None, protocol=p.protocol, publish_mode=p.mode)
                for p in s.ports if p.published is not None] or None),
        # Wait until every replica runs before the service counts as created, so the services
        # that depend on it are created after it is up.
        converge_config=docker.ServiceConvergeConfigArgs(delay="5s", timeout="5m")
        if (s.replicas or s.mode == "global") else None,
    )
