"""Placement constraints in Compose's (Swarm's) syntax, and their Marathon equivalents.

One syntax in the file (`deploy.placement.constraints: [node.labels.zone==a]`) serves every
scheduler. Mesos agents carry their host's labels as attributes (see roles/mesos.py), so
`node.labels.<k>` means the same on Marathon as on Swarm.
"""
from __future__ import annotations

import re
from typing import Optional

CONSTRAINT = re.compile(r"^\s*([A-Za-z0-9._-]+)\s*(==|!=)\s*(\S+)\s*$")
MARATHON_OPERATOR = {"==": "CLUSTER", "!=": "UNLIKE"}


def to_marathon(constraint: str) -> tuple[Optional[list[str]], Optional[str]]:
    """`["hostname", "CLUSTER", "a"]` for `node.hostname==a`, or why it has no equivalent."""
    m = CONSTRAINT.match(constraint)
    if not m:
        return None, f"{constraint!r} is not a constraint; write e.g. 'node.labels.zone==a' or 'node.hostname!=b'"
    attribute, op, value = m.groups()
    if attribute == "node.hostname":
        field = "hostname"
    elif attribute.startswith("node.labels.") and len(attribute) > len("node.labels."):
        field = attribute[len("node.labels."):]
    else:
        return None, (f"{attribute!r} has no Marathon equivalent; on Marathon use node.hostname or "
                      "node.labels.<host label> (host labels are Mesos agent attributes)")
    return [field, MARATHON_OPERATOR[op], value], None
