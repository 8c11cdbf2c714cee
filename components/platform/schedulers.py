"""Where a stack's services run. Each scheduler deploys one service and says how the others
reach it; `ServiceStack` calls them in dependency order."""
from __future__ import annotations

import hashlib
import json
import shlex
from typing import Callable, Mapping, Optional, Protocol, Sequence

import pulumi
import pulumi_docker as docker

from ..compose import Service, Stack
from ..hosts.docker_engine import DockerEngineHost
from ..outputs import concat, depending_on
from ..services import local, marathon, swarm
from ..services.addresses import Address
from ..services.names import stack_object
from .marathon_app import MarathonApp
from .stack_objects import StackObjects
from .swarm import SwarmCluster


class Scheduler(Protocol):
    """Made with the stack's component as `parent` (the last constructor argument)."""

    def deploy(self, service: Service, env: Mapping[str, pulumi.Input[str]], args: Sequence[pulumi.Input[str]],
               parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource]) -> tuple[list[pulumi.Resource], Address]:
        ...

    def published(self, service: Service) -> list[pulumi.Input[str]]:
        """`host:port` where each port the service publishes is reached from outside the stack."""
        ...


class MarathonScheduler:
    """Apps through Marathon's REST API; reached at `<marathon-lb>:<service port>`."""

    def __init__(self, platform_name: str, stack: Stack, urls: Sequence[pulumi.Input[str]],
                 credentials: Optional[pulumi.Output[str]], load_balancers: Sequence[pulumi.Input[str]],
                 service_ports: Mapping[tuple[str, str, int], int], group: str,
                 ready: Sequence[pulumi.Resource], on_this_machine: bool, ca_certificate: Optional[pulumi.Input[str]],
                 parent: pulumi.Resource):
        """`on_this_machine`: the local target, where tasks reach marathon-lb at the host gateway;
        `ca_certificate`: what Marathon's HTTPS certificate is checked against, where TLS is on."""
        self.platform_name, self.stack, self.urls, self.credentials = platform_name, stack.name, urls, credentials
        self.ca_certificate = ca_certificate
        self.volume_sizes = {n: v.size_mb for n, v in stack.volumes.items()}
        self.service_ports, self.group, self.ready = service_ports, group, ready
        self.on_this_machine = on_this_machine
        self.load_balancer = marathon.HOST_GATEWAY_NAME if on_this_machine else load_balancers[0]

    def deploy(self, service, env, args, parent, depends_on):
        ports = {p.target: self.service_ports[(self.stack, service.name, p.target)] for p in service.ports}
        app = marathon.app_definition(self.platform_name, self.stack, service, env, args, ports, self.group,
                                      host_gateway=self.on_this_machine, persistent_sizes=self.volume_sizes)
        resource = MarathonApp(f"{self.stack}-{service.name}", app, self.urls, self.credentials,
                               ca_certificate=self.ca_certificate,
                               opts=pulumi.ResourceOptions(parent=parent, depends_on=[*self.ready, *depends_on]))
        return [resource], Address(depending_on(self.load_balancer, [resource]), ports)

    def published(self, service):
        return []  # reached through marathon-lb, at the service's address


class SwarmScheduler:
    """`docker.Service`s on the stack's overlay networks; reached by service name."""

    def __init__(self, platform_name: str, stack: Stack, cluster: SwarmCluster,
                 secret: Callable[[str], pulumi.Output[str]], parent: pulumi.Resource):
        self.platform_name, self.stack, self.parent = platform_name, stack, parent
        self.provider, self.manager = cluster.manager.provider, cluster.manager
        # Networks, configs and secrets need only the initialised swarm, so they are created while
        # the other nodes join; services wait for every node, so their tasks spread over all of them.
        self.objects = StackObjects(platform_name, stack, self.provider, parent, secret, swarm=True,
                                    depends_on=[cluster.initialized], existing_id=self._existing_id)
        self._initialized = cluster.initialized
        self._found: dict[tuple[str, str], pulumi.Output[str]] = {}
        self.members = cluster.members
        self.images = StackImages(stack, self.provider, parent)

    def deploy(self, service, env, args, parent, depends_on):
        networks = self.objects.networks_for(service) if service.network_mode is None else {"host": "host"}
        volume_names, volumes = self.objects.volumes_for(service)
        files = {(f.kind, f.source): self.objects.swarm_file(f.kind, f.source) for f in service.files}
        image, built = self.images.image(service)
        resource = docker.Service(
            f"{self.stack.name}-{service.name}",
            **swarm.service_args(self.platform_name, self.stack.name, service, image, env, args, networks,
                                 volume_names, files),
            opts=pulumi.ResourceOptions(parent=parent, provider=self.provider,
                                        depends_on=[*self.members, *built, *volumes, *depends_on]))
        made: list[pulumi.Resource] = [resource]
        if service.engine.init:
            made.append(self._enable_init(service, resource, parent))
        return made, Address.same_ports(resource.name, service)

    def _existing_id(self, kind: str, name: str) -> pulumi.Output[str]:
        """Looked up on the manager once, when first deployed (`docker secret|config inspect`)."""
        if (kind, name) not in self._found:
            found = self.manager.shell(f"{self.stack.name}-{kind}-{name}-id",
                                       f"docker {kind} inspect --format '{{{{.ID}}}}' {shlex.quote(name)}",
                                       parent=self.parent, depends_on=[self._initialized])
            self._found[(kind, name)] = found.stdout.apply(str.strip)
        return self._found[(kind, name)]

    def published(self, service):
        # The routing mesh publishes on every node (ports of `mode: host` only where a task runs).
        return [concat(self.manager.address, f":{p.published}")
                for p in service.ports if p.published and p.mode == "ingress"]

    def _enable_init(self, service: Service, resource: docker.Service, parent: pulumi.Resource) -> pulumi.Resource:
        """`init: true` is the Swarm API's ContainerSpec.Init, which pulumi-docker's docker.Service
        cannot set: the manager's CLI sets it after the service is created. The provider rewrites
        the whole spec when it updates the service (Init back to false), which changes the spec's
        digest in this command, so the command runs again after every such update; it waits for
        the tasks to converge, so dependants still start after this service is up."""
        digest = pulumi.Output.all(resource.task_spec, resource.mode, resource.endpoint_spec, resource.labels).apply(
            lambda spec: hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16])
        script = concat("docker service update --quiet --init=true ", resource.name, "  # spec ", digest)
        return self.manager.shell(f"{self.stack.name}-{service.name}-init", script, parent=parent, depends_on=[resource])


class LocalScheduler:
    """Containers on this machine's engine, one per replica; reached by the service's alias."""

    def __init__(self, platform_name: str, stack: Stack, host: DockerEngineHost,
                 secret: Callable[[str], pulumi.Output[str]], parent: pulumi.Resource):
        self.platform_name, self.stack, self.host = platform_name, stack, host
        self.objects = StackObjects(platform_name, stack, host.provider, parent, secret, swarm=False)
        self.images = StackImages(stack, host.provider, parent, pulls=host)
        self.completes = {d for s in stack.services for d in s.wait_completed_for}
        self.container_of = {s.name: self._container_names(s)[0] for s in stack.services}

    def _container_names(self, s: Service) -> list[str]:
        """`container_name` (one replica), else `<platform>-<stack>-<service>-<n>` per replica."""
        return [s.container_name] if s.container_name else [
            stack_object(self.platform_name, self.stack.name, s.name, str(i + 1)) for i in range(max(1, s.replicas))]

    def deploy(self, service, env, args, parent, depends_on):
        s = service
        networks = self.objects.networks_for(s) if s.network_mode is None else {}
        volume_names, volumes = self.objects.volumes_for(s)
        files = {(f.kind, f.source): self.objects.content(f.kind, f.source) for f in s.files}
        image, built = self.images.image(s)
        labels = {"container-platform/stack": self.stack.name, "container-platform/service": s.name,
                  "container-platform/role": "service"}
        containers = [
            docker.Container(
                name, **local.container_args(
                    s, name, image, env, args, networks, volume_names, files,
                    self.container_of, labels, one_shot=s.name in self.completes),
                opts=pulumi.ResourceOptions(parent=parent, provider=self.host.provider,
                                            depends_on=[*built, *volumes, *depends_on]))
            for name in self._container_names(s)[:s.replicas]
        ]
        return containers, Address.same_ports(depending_on(s.name, containers), s)

    def published(self, service):
        # As local.container_args binds them; 0 (a port the engine picks) is known only after up.
        return [concat(self.host.address if local.bind_address(service, p) == "0.0.0.0"
                                     else local.bind_address(service, p), f":{p.published}")
                for p in service.ports if p.published]


class StackImages:
    """The image a service runs: pulled once per engine, or built from its `build:` context on
    this machine (never pushed: the engine that builds it runs it)."""

    def __init__(self, stack: Stack, provider: docker.Provider, parent: pulumi.Resource,
                 pulls: Optional[DockerEngineHost] = None):
        self.stack, self.provider, self.parent, self.pulls = stack, provider, parent, pulls

    def image(self, s: Service) -> tuple[pulumi.Input[str], list[pulumi.Resource]]:
        """The reference to run, and the resources that must exist first."""
        if s.build is not None:
            built = docker.Image(f"{self.stack.name}-{s.name}-image", image_name=s.image, build=local.build_args(s),
                                 skip_push=True, opts=pulumi.ResourceOptions(parent=self.parent, provider=self.provider))
            return built.image_name, [built]
        if self.pulls is None:  # Swarm: each node pulls what its tasks run
            return s.image, []
        pulled = self.pulls.image(s.image, s.engine.platform)
        return pulled.image_id, [pulled]
