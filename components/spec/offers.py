"""What each agent pool offers Mesos: the resources Marathon apps are placed against.

Mesos offers a task only the host ports in its agent's `ports` resource (default
`[31000-32000]`, ../shared/reference/upstream/apache-mesos/docs/configuration/agent.md): an app
that needs host port 8000 is never placed unless an agent of an accepted role declares 8000.
So a public pool offers, besides its task range, every port the public services of the
Marathon stacks publish, derived here from the stacks and nowhere typed by hand.
"""
from __future__ import annotations

import re
from typing import Optional, Sequence

from .model import AgentPool

Range = tuple[int, int]
DEFAULT_TASK_PORTS: tuple[Range, ...] = ((31000, 32000),)
RANGES = re.compile(r"^\s*\[\s*(\d+\s*-\s*\d+\s*(,\s*\d+\s*-\s*\d+\s*)*)\]\s*$")


def parse_ranges(text: str) -> Optional[list[Range]]:
    """`[31000-32000,8000-8000]` as ranges; None when it is not Mesos' range syntax."""
    m = RANGES.match(text)
    if not m:
        return None
    out = []
    for part in m.group(1).split(","):
        low, high = (int(x) for x in part.split("-"))
        out.append((low, high))
    return out


def render_ranges(ranges: Sequence[Range]) -> str:
    return "[" + ",".join(f"{low}-{high}" for low, high in ranges) + "]"


def merged(ranges: Sequence[Range]) -> list[Range]:
    """Sorted, with overlapping and adjacent ranges joined (Mesos refuses overlapping ones)."""
    out: list[Range] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def task_ports(pool: AgentPool) -> list[Range]:
    """The range the pool's agents hand out to tasks: `resources.ports`, else Mesos' default.
    (An unparseable value is a config error found by the feasibility check.)"""
    declared = pool.resources.get("ports")
    return (parse_ranges(str(declared)) if declared is not None else None) or list(DEFAULT_TASK_PORTS)


def offered_ports(pool: AgentPool, public_ports: Sequence[int]) -> list[Range]:
    """Every host port an agent of the pool offers: its task range, and on a public pool the
    ports public services publish."""
    extra = [(p, p) for p in public_ports] if pool.public else []
    return merged([*task_ports(pool), *extra])


def resources_flag(pool: AgentPool, public_ports: Sequence[int]) -> Optional[str]:
    """`MESOS_RESOURCES` for the pool's agents, or None to let Mesos detect them. Only a public
    pool with public services needs its ports declared beyond what the config says."""
    resources = {k: v for k, v in pool.resources.items() if k != "ports"}
    if "ports" in pool.resources or (pool.public and public_ports):
        resources["ports"] = render_ranges(offered_ports(pool, public_ports))
    return ";".join(f"{k}:{v}" for k, v in resources.items()) or None
