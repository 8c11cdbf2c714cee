"""Where a stack's services run. Each scheduler deploys one service and says how the others
reach it; `ServiceStack` calls them in dependency order."""
from __future__ import annotations

from typing import Mapping, Optional, Protocol, Sequence

import pulumi
import pulumi_docker as docker

from ..compose import Service
from ..hosts import Host
from ..outputs import depending_on
from ..services import local, marathon, swarm
from ..services.addresses import Address
from ..services.names import stack_object
from .marathon_app import MarathonApp
from .swarm import SwarmCluster


class Scheduler(Protocol):
    """Made with the stack's component as `parent` (the last constructor argument)."""

    def deploy(self, service: Service, env: Mapping[str, pulumi.Input[str]], args: Sequence[pulumi.Input[str]],
               parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource]) -> tuple[list[pulumi.Resource], Address]:
        ...


class MarathonScheduler:
    """Apps through Marathon's REST API; reached at `<marathon-lb>:<service port>`."""

    def __init__(self, platform_name: str, stack: str, urls: Sequence[pulumi.Input[str]],
                 credentials: Optional[pulumi.Output[str]], load_balancers: Sequence[pulumi.Input[str]],
                 service_ports: Mapping[tuple[str, str, int], int], group: str,
                 ready: Sequence[pulumi.Resource], on_this_machine: bool, parent: pulumi.Resource):
        """`on_this_machine`: the local target, where tasks reach marathon-lb at the host gateway."""
        self.platform_name, self.stack, self.urls, self.credentials = platform_name, stack, urls, credentials
        self.service_ports, self.group, self.ready = service_ports, group, ready
        self.on_this_machine = on_this_machine
        self.load_balancer = marathon.HOST_GATEWAY_NAME if on_this_machine else load_balancers[0]

    def deploy(self, service, env, args, parent, depends_on):
        ports = {p.target: self.service_ports[(self.stack, service.name, p.target)] for p in service.ports}
        app = marathon.app_definition(self.platform_name, self.stack, service, env, args, ports, self.group,
                                      host_gateway=self.on_this_machine)
        resource = MarathonApp(f"{self.stack}-{service.name}", app, self.urls, self.credentials,
                               opts=pulumi.ResourceOptions(parent=parent, depends_on=[*self.ready, *depends_on]))
        return [resource], Address(depending_on(self.load_balancer, [resource]), ports)


class SwarmScheduler:
    """`docker.Service`s on the stack's overlay network; reached by service name."""

    def __init__(self, platform_name: str, stack: str, cluster: SwarmCluster, parent: pulumi.Resource):
        self.platform_name, self.stack, self.parent = platform_name, stack, parent
        self.provider = cluster.manager.provider
        self.network = docker.Network(
            f"{stack}-overlay", name=stack_object(platform_name, stack), driver="overlay", attachable=True,
            opts=pulumi.ResourceOptions(parent=parent, provider=self.provider, depends_on=cluster.members))
        self.volumes: dict[str, docker.Volume] = {}

    def deploy(self, service, env, args, parent, depends_on):
        volumes = [self._volume(m.source) for m in service.mounts if m.kind == "volume"]
        resource = docker.Service(
            f"{self.stack}-{service.name}",
            **swarm.service_args(self.platform_name, self.stack, service, env, args, self.network.id),
            opts=pulumi.ResourceOptions(parent=parent, provider=self.provider,
                                        depends_on=[self.network, *volumes, *depends_on]))
        return [resource], Address.same_ports(resource.name, service)

    def _volume(self, name: str) -> docker.Volume:
        # On a single-node swarm the manager holds the data; with more nodes, pin the service
        # with a placement constraint (a local volume lives on one node).
        if name not in self.volumes:
            full = stack_object(self.platform_name, self.stack, name)
            self.volumes[name] = docker.Volume(
                full, name=full,
                opts=pulumi.ResourceOptions(parent=self.parent, provider=self.provider, retain_on_delete=True))
        return self.volumes[name]


class LocalScheduler:
    """Containers on this machine's engine, one per replica; reached by the service's alias."""

    def __init__(self, platform_name: str, stack: str, host: Host, parent: pulumi.Resource):
        self.platform_name, self.stack, self.host = platform_name, stack, host

    def deploy(self, service, env, args, parent, depends_on):
        specs = local.container_specs(self.platform_name, self.stack, service, env, args, wait_healthy=True)
        containers = [self.host.run(spec, parent=parent, depends_on=depends_on) for spec in specs]
        return containers, Address.same_ports(depending_on(service.name, containers), service)
