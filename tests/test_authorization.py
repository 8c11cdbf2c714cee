"""The Mesos ACLs every stack renders (platform/authorization.py), judged the way Mesos 1.7's
local authorizer judges a request (src/authorizer/local/authorizer.cpp at 1.7.0: ACLs in
order, the first whose subject and object *match* decides by whether they *allow*; a request
without a principal is the subject ANY; no ACL matching means `permissive`), on what each
principal of the platform really asks for."""
import json
import re

import pytest

from components.platform import credentials as creds
from components.roles import mesos as mesos_role

from .conftest import evaluate_changed
from .harness import role_of, uploads
from .contracts import REFERENCE

DOCS = REFERENCE / "upstream" / "apache-mesos" / "docs"
ANY = {"type": "ANY"}


def _matches(request: dict, acl: dict) -> bool:
    if request.get("type") == "ANY":
        return acl.get("type") in ("ANY", "NONE")
    if acl.get("type") in ("ANY", "NONE"):
        return True
    return set(request["values"]) <= set(acl.get("values", []))


def _allows(request: dict, acl: dict) -> bool:
    if request.get("type") == "ANY":
        return acl.get("type") == "ANY"
    if acl.get("type") == "ANY":
        return True
    if acl.get("type") == "NONE":
        return False
    return set(request["values"]) <= set(acl.get("values", []))


def authorized(acls: dict, action: str, principal, obj) -> bool:
    """`principal` None: a request without one; `obj` None: an action whose object is implicit."""
    subject = ANY if principal is None else {"values": [principal]}
    target = ANY if obj is None else {"values": [obj]}
    for acl in acls.get(action, []):
        (field,) = [k for k in acl if k != "principals"]
        if _matches(subject, acl["principals"]) and _matches(target, acl[field]):
            return _allows(subject, acl["principals"]) and _allows(target, acl[field])
    return acls.get("permissive", True)


def rendered_acls(d, role: str) -> dict:
    files = {uploads(c)[mesos_role.ACLS] for c in d.containers() if role_of(c) == role}
    assert len(files) == 1, f"every {role} gets the same ACLs"
    return json.loads(files.pop())


@pytest.mark.parametrize("role", ["mesos-master", "mesos-agent"])
def test_only_the_principal_that_needs_it_may_change_the_cluster(stack, role):
    d = stack("local-ha")  # has a public pool: Marathon registers as slave_public
    acls = rendered_acls(d, role)
    master = next(c for c in d.containers() if role_of(c) == role)
    assert dict(e.split("=", 1) for e in master.inputs["envs"])["MESOS_ACLS"] == mesos_role.ACLS
    ok = lambda *a: authorized(acls, *a)  # noqa: E731
    # Frameworks: each principal with its own role only; nobody else, nothing unauthenticated.
    assert ok("register_frameworks", creds.MARATHON, "slave_public") and ok("register_frameworks", creds.SPARK, "*")
    assert not ok("register_frameworks", creds.SPARK, "slave_public")
    assert not ok("register_frameworks", creds.MARATHON, "*")
    assert not any(ok("register_frameworks", p, "*") for p in (creds.AGENT, creds.OPERATOR, None, "intruder"))
    # Agents: only the agent principal (which every agent host holds) registers one ...
    assert ok("register_agents", creds.AGENT, None)
    assert not any(ok("register_agents", p, None) for p in (creds.MARATHON, creds.SPARK, creds.OPERATOR))
    # ... and it can neither tear Marathon down nor reserve, nor put machines in maintenance.
    assert ok("teardown_frameworks", creds.OPERATOR, creds.MARATHON)
    assert not any(ok("teardown_frameworks", p, creds.MARATHON) for p in (creds.AGENT, creds.SPARK, creds.MARATHON))
    for action in ("reserve_resources", "create_volumes"):
        assert ok(action, creds.MARATHON, "slave_public") and ok(action, creds.OPERATOR, "x")
        assert not ok(action, creds.AGENT, "slave_public") and not ok(action, creds.SPARK, "*")
    assert ok("unreserve_resources", creds.MARATHON, creds.MARATHON) and not ok("unreserve_resources", creds.MARATHON, "other")
    assert ok("destroy_volumes", creds.OPERATOR, creds.MARATHON) and not ok("destroy_volumes", creds.AGENT, creds.MARATHON)
    for action in ("update_maintenance_schedules", "start_maintenances", "update_quotas", "access_sandboxes",
                   "mark_agents_gone"):
        assert ok(action, creds.OPERATOR, None) and not ok(action, creds.AGENT, None) and not ok(action, creds.MARATHON, None)
    # The agents' own login reads their sandboxes and logs, and nothing else that changes things.
    assert ok("access_sandboxes", creds.AGENT_OPERATOR, "root") and ok("access_mesos_logs", creds.AGENT_OPERATOR, None)
    assert not any(ok(a, creds.AGENT_OPERATOR, None) for a in ("teardown_frameworks", "mark_agents_gone",
                                                               "start_maintenances", "register_agents"))
    # What only reads stays open to every authenticated caller (HTTP authentication is on).
    assert ok("view_frameworks", creds.AGENT, "root") and ok("run_tasks", creds.MARATHON, "root")


def test_without_framework_authentication_unnamed_frameworks_get_the_default_role_only():
    d = evaluate_changed("local", lambda p: p["mesos"].update(authenticate_frameworks=False))
    acls = rendered_acls(d, "mesos-master")
    assert authorized(acls, "register_frameworks", None, "*")
    assert not authorized(acls, "register_frameworks", None, "slave_public")
    assert authorized(acls, "register_frameworks", creds.MARATHON, "*")  # no public pool: Marathon's role is *


def test_every_action_and_object_field_is_one_mesos_1_7_knows(stack):
    """Against the authorization docs' action table (mark_agents_gone: acls.proto field 40,
    not in the table) and the object names its examples and table use."""
    documented = set(re.findall(r"<td><code>([a-z_]+)</code></td>", (DOCS / "authorization.md").read_text()))
    objects = {"roles", "users", "framework_principals", "reserver_principals", "creator_principals",
               "agents", "machines", "logs"}
    for name in ("local", "local-ha"):
        acls = rendered_acls(stack(name), "mesos-master")
        assert set(acls) - {"permissive"} <= documented | {"mark_agents_gone"}
        for action, rules in acls.items():
            if action == "permissive":
                continue
            for rule in rules:
                assert set(rule) - {"principals"} <= objects and len(rule) == 2, (action, rule)
                assert all(set(e) <= {"type", "values"} for e in rule.values())
