"""A host whose Docker engine Pulumi drives through an explicit `docker.Provider`.

`LocalHost` (this machine) and `PhysicalHost` (over SSH) differ only in how the provider
reaches the engine; running a ContainerSpec is the same for both.
"""
from __future__ import annotations

from typing import Optional, Sequence

import pulumi
import pulumi_docker as docker

from ..outputs import concat
from ..roles.container import ContainerSpec, HealthCheck, Volume, slug
from . import health_gate


# A secret file is readable by its owner only (cloud-init's secrets script sets the same mode).
SECRET_FILE_MODE = "0400"


def _env_entry(key: str, value: pulumi.Input[str]) -> pulumi.Input[str]:
    return concat(key, "=", value) if isinstance(value, pulumi.Output) else f"{key}={value}"


def _seconds(n: int) -> str:
    return f"{n}s"


def _healthcheck(health: Optional[HealthCheck]) -> Optional[docker.ContainerHealthcheckArgs]:
    if health is None:
        return None
    return docker.ContainerHealthcheckArgs(
        tests=list(health.test),
        interval=_seconds(health.interval_s),
        timeout=_seconds(health.timeout_s),
        retries=health.retries,
        start_period=_seconds(health.start_period_s),
    )


def container_args(spec: ContainerSpec, image: pulumi.Input[str]) -> dict:
    """The `docker.Container` arguments for a spec (kept separate so tests can compare them
    with the cloud-init rendering of the same spec)."""
    return dict(
        name=spec.name,
        image=image,
        command=list(spec.args) or None,
        entrypoints=list(spec.entrypoint) if spec.entrypoint is not None else None,
        envs=[_env_entry(k, v) for k, v in {**spec.env, **spec.secret_env}.items()] or None,
        network_mode=spec.network_mode,
        restart=spec.restart,
        pid_mode=spec.pid_mode,
        healthcheck=_healthcheck(spec.health),
        volumes=[
            docker.ContainerVolumeArgs(
                container_path=v.container_path,
                volume_name=v.name,
                host_path=v.host_path,
                read_only=v.read_only or None,
            )
            for v in spec.volumes
        ] or None,
        uploads=[docker.ContainerUploadArgs(file=path, content=content) for path, content in spec.files.items()]
        + [docker.ContainerUploadArgs(file=path, content=content, permissions=SECRET_FILE_MODE)
           for path, content in spec.secret_files.items()]
        + [docker.ContainerUploadArgs(file=path, content_base64=content, permissions=SECRET_FILE_MODE)
           for path, content in spec.secret_files_base64.items()] or None,
        labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in spec.labels.items()] or None,
    )


class DockerEngineHost(pulumi.ComponentResource):
    """Base of hosts reached through a Docker provider. `run()` places a container on it."""

    provider: docker.Provider
    address: pulumi.Output[str]

    def __init__(self, token: str, name: str, address: pulumi.Input[str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(token, name, None, opts)
        self.name = name
        self.address = pulumi.Output.from_input(address)
        self._images: dict[str, docker.RemoteImage] = {}  # by reference (and platform)
        self._volumes: dict[str, docker.Volume] = {}

    def _connect(self, docker_host: str, ssh_opts: Optional[Sequence[str]] = None,
                 depends_on: Sequence[pulumi.Resource] = ()) -> None:
        """Subclasses call this once: how the provider reaches the engine, and what must exist first."""
        self.provider = docker.Provider(
            f"{self.name}-docker", host=docker_host, ssh_opts=list(ssh_opts) if ssh_opts else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )

    def _child(self, **extra) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self.provider, **extra)

    def image(self, ref: str, platform: Optional[str] = None) -> docker.RemoteImage:
        """One pull per image (and platform) per host, shared by every container that uses it."""
        key = ref if platform is None else f"{ref}@{platform}"
        if key not in self._images:
            self._images[key] = docker.RemoteImage(
                f"{self.name}-{slug(key)}", name=ref, platform=platform, keep_locally=True, opts=self._child())
        return self._images[key]

    def volume(self, v: Volume, protect: bool) -> docker.Volume:
        assert v.name
        if v.name not in self._volumes:
            # Persistent volumes hold cluster state (ZooKeeper snapshots, the Mesos replicated
            # log): deleting the container must not delete them, and production protects them.
            self._volumes[v.name] = docker.Volume(
                v.name, name=v.name,
                opts=self._child(retain_on_delete=v.persistent, protect=protect and v.persistent))
        return self._volumes[v.name]

    def run(self, spec: ContainerSpec, parent: pulumi.Resource, protect: bool = False,
            depends_on: Sequence[pulumi.Resource] = ()) -> docker.Container:
        image = self.image(spec.image)
        volumes = [self.volume(v, protect) for v in spec.volumes if v.name]
        return docker.Container(
            spec.name,
            **container_args(spec, image.image_id),
            opts=pulumi.ResourceOptions(parent=parent, provider=self.provider,
                                        depends_on=[image, *volumes, *depends_on]),
        )

    def shell(self, name: str, create: pulumi.Input[str], parent: pulumi.Resource,
              delete: Optional[str] = None, stdin: Optional[pulumi.Input[str]] = None,
              secret_stdout: bool = False, depends_on: Sequence[pulumi.Resource] = (),
              update: Optional[pulumi.Input[str]] = None) -> pulumi.Resource:
        raise NotImplementedError("each kind of host runs commands its own way")

    def gate(self, name: str, member: pulumi.Resource, specs: Sequence[ContainerSpec],
             parent: pulumi.Resource) -> pulumi.Resource:
        script = health_gate.wait_script(health_gate.gated(specs), health_gate.budget_s(specs))
        # The member's id is in the update, so recreating the member updates the gate.
        return self.shell(f"{name}{health_gate.GATE_SUFFIX}", create=health_gate.FIRST_START, parent=parent,
                          update=concat(f"# once {name} (container ", member.id, ") is recreated\n", script),
                          depends_on=[member])

    def when_changed(self, name: str, script: pulumi.Input[str], timeout_s: int, parent: pulumi.Resource,
                     depends_on: Sequence[pulumi.Resource] = (), *, purpose: str) -> pulumi.Resource:
        # pulumi-command has no timeout of its own: the script keeps to `timeout_s` itself.
        return self.shell(name, create=": first start - nothing to change", parent=parent, depends_on=depends_on,
                          update=concat(f"# container-platform: {purpose}\n", script))

    def finish(self) -> None:
        self.register_outputs({"address": self.address})
