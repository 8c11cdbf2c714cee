"""What each authenticated Mesos principal may do: the local authorizer's ACLs (`--acls`), on
masters and agents alike.

Authentication (credentials.py) says who a request comes from; without ACLs every
authenticated principal may do everything (Mesos 1.7 docs/authorization.md: `permissive`
defaults to true). So an agent's credential, which every agent host holds, could tear Marathon
down or reserve resources, and a Spark driver could register under Marathon's role. The ACLs
below stay permissive for what is harmless (viewing state, running tasks) and, for every action
that changes the cluster, allow the principals that need it and then deny everyone else, in that
order (the first matching ACL decides: a request without a principal is the subject ANY, which
only an ACL for ANY matches; src/authorizer/local/authorizer.cpp, `matches` and `allows`).
Field names are those of include/mesos/authorizer/acls.proto at 1.7.0.
"""
from __future__ import annotations

import json
from typing import Sequence

from . import credentials as creds

ANY, NONE = {"type": "ANY"}, {"type": "NONE"}
# Operator actions (maintenance, weights, quotas, sandboxes and logs, which may show task
# output): the `operator` login only. Each with the name of its object field.
OPERATOR_ONLY = {
    "update_weights": "roles", "update_quotas": "roles", "update_maintenance_schedules": "machines",
    "start_maintenances": "machines", "stop_maintenances": "machines", "access_sandboxes": "users",
    "access_mesos_logs": "logs",
    # Not in the docs' table, but in acls.proto since 1.2 (field 40): marking an agent gone
    # kills its tasks for good.
    "mark_agents_gone": "agents",
}


def _some(*values: str) -> dict:
    return {"values": list(values)}


def _only(obj: str, *grants: tuple[Sequence[str], dict]) -> list[dict]:
    """Each `(principals, object)` allowed, then every other principal denied on any object."""
    return [{"principals": _some(*p), obj: o} for p, o in grants] + [{"principals": ANY, obj: NONE}]


def mesos_acls(marathon_role: str, spark_role: str, authenticate_frameworks: bool) -> str:
    """The ACLs JSON. `marathon_role` and `spark_role` are the roles those frameworks register
    with. Without framework authentication (Spark's cluster mode), frameworks without a
    principal may still register, for the default role `*` only."""
    frameworks = [{"principals": _some(creds.MARATHON), "roles": _some(marathon_role)},
                  {"principals": _some(creds.SPARK), "roles": _some(spark_role)}]
    if not authenticate_frameworks:
        frameworks.append({"principals": ANY, "roles": _some("*")})
    acls: dict = {
        "permissive": True,
        "register_frameworks": frameworks + [{"principals": ANY, "roles": NONE}],
        "register_agents": _only("agents", ([creds.AGENT], ANY)),
        "teardown_frameworks": _only("framework_principals", ([creds.OPERATOR], ANY)),
        # Marathon's persistent volumes reserve resources and create volumes under its own
        # principal (Marathon docs, persistent-volumes.md); the operator may do it by hand.
        "reserve_resources": _only("roles", ([creds.MARATHON, creds.OPERATOR], ANY)),
        "unreserve_resources": _only("reserver_principals", ([creds.OPERATOR], ANY),
                                     ([creds.MARATHON], _some(creds.MARATHON))),
        "create_volumes": _only("roles", ([creds.MARATHON, creds.OPERATOR], ANY)),
        "destroy_volumes": _only("creator_principals", ([creds.OPERATOR], ANY),
                                 ([creds.MARATHON], _some(creds.MARATHON))),
    }
    for action, obj in OPERATOR_ONLY.items():
        # The agents' own login reads what agents serve: their sandboxes and logs.
        agents_serve = action in ("access_sandboxes", "access_mesos_logs")
        acls[action] = _only(obj, ([creds.OPERATOR, creds.AGENT_OPERATOR] if agents_serve else [creds.OPERATOR], ANY))
    return json.dumps(acls, indent=2, sort_keys=True) + "\n"
