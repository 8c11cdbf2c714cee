"""Health gates: what makes Pulumi change a quorum role one member at a time.

Each member of a quorum role (ZooKeeper, Mesos masters, Marathon, Spark's standalone masters)
gets a gate, and the next member depends on it. A gate does nothing when it is first created:
the members start together, because a lone ZooKeeper member never turns healthy before a
majority of its ensemble is up.
When a change recreates the member (a new container, or on AWS a new host), the gate's input
changes with the member's id, so Pulumi updates the gate, and its update runs
`wait_script`: it returns once every container of the member passes its health check again
(a ZooKeeper node serving in its quorum, a master answering /health, Marathon /ping). Only
then does Pulumi get to the next member, so at most one member is away at any time.

Why a chain of gates rather than in-place updates over SSH or SSM: the containers stay plain
provider resources (`docker.Container`, or an EC2 host from cloud-init), every step shows in
`pulumi preview`, and a member that does not come back stops the change with the rest of the
quorum still up. The price is a serial first creation of the members (each a few seconds; on
AWS one instance launch each).
"""
from __future__ import annotations

import shlex
from typing import Sequence

from ..roles.container import ContainerSpec

# Every gate's resource name ends so; ops/review.py (which cannot import this package) finds the
# gates between quorum members by it.
GATE_SUFFIX = "-healthy"
# The gate's create: the members' first start waits for no one.
FIRST_START = ": first start - the members of a quorum start together"
POLL_S = 2


def budget_s(specs: Sequence[ContainerSpec], boot_s: int = 0) -> int:
    """How long a member may take to turn healthy: its slowest health check's start period and
    retries, a minute to spare, and `boot_s` for a host that boots first (an EC2 instance)."""
    checks = [s.health for s in specs if s.health]
    return boot_s + 60 + max((h.start_period_s + h.interval_s * (h.retries + 1) for h in checks), default=0)


def gated(specs: Sequence[ContainerSpec]) -> list[str]:
    """The containers a gate waits for: those with a health check (every platform role has one)."""
    return [s.name for s in specs if s.health]


def wait_script(containers: Sequence[str], timeout_s: int) -> str:
    """POSIX sh: wait until each container's Docker health status is `healthy`, up to
    `timeout_s` in all; exit 1 naming the container and what it is otherwise. Runs where the
    Docker CLI reaches the member's engine: this machine, the SSH user of a physical host (in
    the docker group, see bootstrap-docker.sh), or root on an EC2 host through SSM."""
    status = "{{if .State.Health}}{{.State.Health.Status}}{{else}}without a health check{{end}}"
    return "\n".join([
        "set -u",
        f"deadline=$(( $(date +%s) + {int(timeout_s)} ))",
        f"for c in {' '.join(shlex.quote(c) for c in containers)}; do",
        "  while :; do",
        f"    s=$(docker inspect --format '{status}' \"$c\" 2>/dev/null) || s=absent",
        "    [ \"$s\" = healthy ] && break",
        "    if [ \"$(date +%s)\" -ge \"$deadline\" ]; then",
        f"      echo \"container-platform: $c is $s after {int(timeout_s)} s; the change stops here, before the next "
        "member of its quorum. See: docker logs $c\" >&2",
        "      exit 1",
        "    fi",
        f"    sleep {POLL_S}",
        "  done",
        "  echo \"$c is healthy\"",
        "done",
    ]) + "\n"
