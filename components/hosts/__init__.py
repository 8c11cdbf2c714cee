"""Layer 3: where containers run.

Every kind of host offers the same small interface, so platform components never ask where
they are running.
"""
from __future__ import annotations

from typing import Optional, Protocol, Sequence

import pulumi
import pulumi_docker as docker

from ..roles.container import ContainerSpec


class Host(Protocol):
    name: str
    address: pulumi.Output[str]  # how the other roles reach it; flows into their config
    # Hosts with a Docker engine Pulumi drives (local, physical): Swarm services are created
    # through a manager's. EC2 hosts have none; the spec keeps Swarm off the aws target.
    provider: docker.Provider

    def run(self, spec: ContainerSpec, parent: pulumi.Resource, protect: bool = False,
            depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.Resource:
        """Run one container from `spec`, as a child of `parent` (the platform component)."""

    def shell(self, name: str, create: pulumi.Input[str], parent: pulumi.Resource,
              delete: Optional[str] = None, stdin: Optional[pulumi.Input[str]] = None,
              secret_stdout: bool = False, depends_on: Sequence[pulumi.Resource] = (),
              update: Optional[pulumi.Input[str]] = None) -> pulumi.Resource:
        """Run a shell script on the host once (again when `create` changes, or `update` instead
        where given); `delete` on destroy. The resource's `stdout` output is what the script printed."""

    def gate(self, name: str, member: pulumi.Resource, specs: Sequence[ContainerSpec],
             parent: pulumi.Resource) -> pulumi.Resource:
        """The health gate after `member` (what `run` returned for `specs`): a resource that,
        whenever a change recreates the member, waits until its containers are healthy again
        (health_gate.py). The next member of a quorum role depends on it."""

    def when_changed(self, name: str, script: pulumi.Input[str], timeout_s: int, parent: pulumi.Resource,
                     depends_on: Sequence[pulumi.Resource] = (), *, purpose: str) -> pulumi.Resource:
        """A resource that does nothing when it is first created, and runs `script` on the host
        (where the Docker CLI reaches its containers) whenever `script` changes, failing the
        change if the script fails or outlasts `timeout_s`: how a running platform is changed
        in place (ZooKeeper's members). `purpose` says what the script does, where the change
        is shown and where it fails."""

    def finish(self) -> None:
        """Called once every container is placed."""
