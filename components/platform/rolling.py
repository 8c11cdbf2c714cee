"""The members of a quorum role, run so that a change reaches them one at a time."""
from __future__ import annotations

from typing import Sequence

import pulumi

from ..hosts import Host
from ..roles.container import ContainerSpec


def run_one_at_a_time(members: Sequence[tuple[Host, ContainerSpec]], parent: pulumi.Resource,
                      protect: bool = False, depends_on: Sequence[pulumi.Resource] = ()) -> list[pulumi.Resource]:
    """Run each `(host, spec)` in order; member k+1 depends on member k's health gate
    (hosts/health_gate.py), so Pulumi recreates it only once member k is healthy again.
    What `run` returned, in order."""
    containers: list[pulumi.Resource] = []
    gate: list[pulumi.Resource] = []
    for host, spec in members:
        container = host.run(spec, parent=parent, protect=protect, depends_on=[*depends_on, *gate])
        gate = [host.gate(spec.name, container, [spec], parent)]
        containers.append(container)
    return containers
