"""The Docker objects a Compose stack declares at its top level, on one engine (the local engine,
or a Swarm manager's): networks, volumes, and the content of its secrets and configs.

Each is created once, when a service first needs it, and named `<platform>-<stack>-<name>`;
`external` ones already exist and are used by their own name, never created or deleted.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Callable, Optional, Sequence

import pulumi
import pulumi_docker as docker

from ..compose import Service, Stack
from ..services.names import stack_object


class StackObjects:
    def __init__(self, platform_name: str, stack: Stack, provider: docker.Provider, parent: pulumi.Resource,
                 secret: Callable[[str], pulumi.Output[str]], swarm: bool, depends_on: Sequence[pulumi.Resource] = (),
                 existing_id: Optional[Callable[[str, str], pulumi.Input[str]]] = None):
        """`existing_id(kind, name)`: the ID of an existing Swarm secret or config (the engine's API
        takes them by ID only: swarmkit looks up `ConfigID`, and `docker service create` resolves
        a name to its ID before sending)."""
        self.platform_name, self.stack, self.provider, self.parent = platform_name, stack, provider, parent
        self.secret, self.swarm, self.depends_on = secret, swarm, list(depends_on)
        self.existing_id = existing_id
        self._networks: dict[str, pulumi.Input[str]] = {}
        self._volumes: dict[str, tuple[str, Optional[docker.Volume]]] = {}
        self._swarm_files: dict[tuple[str, str], pulumi.Resource] = {}

    def _opts(self, **extra) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent, provider=self.provider, depends_on=self.depends_on, **extra)

    def _name(self, name: str) -> str:
        return stack_object(self.platform_name, self.stack.name, name)

    def network(self, name: str) -> pulumi.Input[str]:
        """The engine's name (an output of the network, so containers wait for it)."""
        if name not in self._networks:
            n = self.stack.networks[name]
            if n.external:
                self._networks[name] = n.external
            else:
                self._networks[name] = docker.Network(
                    f"{self.stack.name}-{name}-network", name=self._name(name),
                    driver=n.driver or ("overlay" if self.swarm else "bridge"), attachable=True if self.swarm else None,
                    internal=n.internal or None, options=dict(n.options) or None, ipv6=n.ipv6 or None,
                    labels=[docker.NetworkLabelArgs(label=k, value=v) for k, v in n.labels] or None,
                    ipam_driver=n.ipam_driver, ipam_options=dict(n.ipam_options) or None,
                    ipam_configs=[docker.NetworkIpamConfigArgs(subnet=c.subnet, ip_range=c.ip_range, gateway=c.gateway,
                                                               aux_address=dict(c.aux_addresses) or None)
                                  for c in n.ipam] or None,
                    opts=self._opts()).name
        return self._networks[name]

    def networks_for(self, s: Service) -> dict[str, pulumi.Input[str]]:
        """Compose network -> the engine's network name, for every network the service joins."""
        return {n: self.network(n) for n in sorted({a.network for a in s.networks} or {"default"})}

    def volumes_for(self, s: Service) -> tuple[dict[str, str], list[docker.Volume]]:
        """Compose volume -> the engine's volume name for the service's named volumes, and the
        volume resources it must wait for (none for external ones)."""
        found = {m.source: self.volume(m.source) for m in s.mounts if m.kind == "volume" and m.source}
        return {n: name for n, (name, _) in found.items()}, [r for _, r in found.values() if r]

    def volume(self, name: str) -> tuple[str, Optional[docker.Volume]]:
        """The engine's volume name, and the resource when the stack owns it. Kept when the stack
        is deleted: a volume's data outlives the containers (delete it by hand)."""
        if name not in self._volumes:
            v = self.stack.volumes[name]
            if v.external:
                self._volumes[name] = (v.external, None)
            else:
                full = self._name(name)
                self._volumes[name] = (full, docker.Volume(
                    f"{self.stack.name}-{name}-volume", name=full, driver=v.driver,
                    driver_opts=dict(v.options) or None,
                    labels=[docker.VolumeLabelArgs(label=k, value=value) for k, value in v.labels] or None,
                    opts=self._opts(retain_on_delete=True)))
        return self._volumes[name]

    def content(self, kind: str, name: str) -> pulumi.Input[str]:
        """A secret's or config's text: the file's, `content:`, or a Pulumi secret (stays secret)."""
        f = self.stack.files[(kind, name)]
        if f.pulumi_secret:
            return self.secret(f.pulumi_secret)
        # A secret read from a file beside the Compose file is kept encrypted in the state too.
        return pulumi.Output.secret(f.content or "") if kind == "secret" else f.content or ""

    def swarm_file(self, kind: str, name: str) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
        """(id, name) of the Swarm secret or config holding it."""
        f = self.stack.files[(kind, name)]
        if f.external:
            return self.existing_id(kind, f.external), f.external
        key = (kind, name)
        if key not in self._swarm_files:
            data = pulumi.Output.from_input(self.content(kind, name)).apply(
                lambda text: base64.b64encode(text.encode()).decode())
            # Swarm secrets and configs cannot change in place: a new content is a new object, so
            # its name carries a digest and the old one goes once no service uses it.
            full = data.apply(lambda d: f"{self._name(name)}-{hashlib.sha256(d.encode()).hexdigest()[:10]}")
            resource_type = docker.Secret if kind == "secret" else docker.ServiceConfig
            self._swarm_files[key] = resource_type(f"{self.stack.name}-{kind}-{name}", name=full, data=data,
                                                   opts=self._opts())
        resource = self._swarm_files[key]
        return resource.id, resource.name
