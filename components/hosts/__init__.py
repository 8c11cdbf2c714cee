"""Layer 3: where containers run.

Every kind of host offers the same small interface, so platform components never ask where
they are running.
"""
from __future__ import annotations

from typing import Protocol, Sequence

import pulumi

from ..roles.container import ContainerSpec


class Host(Protocol):
    name: str
    address: pulumi.Output[str]  # how the other roles reach it; flows into their config

    def run(self, spec: ContainerSpec, parent: pulumi.Resource, protect: bool = False,
            depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.Resource:
        """Run one container from `spec`, as a child of `parent` (the platform component)."""

    def finish(self) -> None:
        """Called once every container is placed."""
