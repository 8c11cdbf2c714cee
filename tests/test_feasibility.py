"""Placement feasibility at config time (components/spec/feasibility.py): a plan Marathon or
Swarm could never place is a config error naming the keys, instead of a deployment that waits
out its timeout. Each case starts from the onprem stack (3 private agents on racks r1/r1/r2,
one public agent edge-1) with one small Compose file."""
import copy
import textwrap

import pytest

from components.spec import SpecError, load
from components.spec.model import AgentPool
from components.spec.offers import resources_flag

from .conftest import PLACEHOLDER_SECRETS
from .harness import evaluate, stack_config

ONPREM = stack_config("onprem")["container-platform:platform"]


def plan(tmp_path, compose: str, scheduler="marathon", instances=None, change=None):
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(compose))
    raw = copy.deepcopy(ONPREM)
    raw["stacks"] = [{"name": "st", "file": "compose.yaml", "scheduler": scheduler,
                      "services": {k: {"instances": v} for k, v in (instances or {}).items()}}]
    if change:
        change(raw)
    return lambda: load(raw, PLACEHOLDER_SECRETS, root=tmp_path)


def refused(loader) -> list:
    with pytest.raises(SpecError) as e:
        loader()
    return e.value.problems


WEB = """
services:
  web:
    image: caddy:2.8
    ports: ["8000:80"]
    x-platform: {public: true}
"""


def test_a_public_service_gets_one_instance_per_public_agent_machine(tmp_path):
    assert plan(tmp_path, WEB, instances={"web": 1})()  # edge-1 offers 8000: placeable
    (p,) = refused(plan(tmp_path, WEB, instances={"web": 2}))
    assert p.path == "compose.yaml:services.web.deploy.replicas"
    assert "fixed host ports" in p.message and "1 public agent machine" in p.message
    assert "platform.stacks[0].services.web.instances to at most 1" in p.message


def test_max_replicas_per_node_bounds_a_service_without_fixed_ports_and_says_so(tmp_path):
    compose = """
    services:
      api:
        image: nginx:1.27
        deploy: {placement: {max_replicas_per_node: 1}}
    """
    assert plan(tmp_path, compose, instances={"api": 3})()  # three private agent machines in onprem
    (p,) = refused(plan(tmp_path, compose, instances={"api": 4}))
    assert "at most 1 per agent machine (max_replicas_per_node) and 3 private agent machine(s)" in p.message


def test_a_constraint_no_agent_satisfies_is_refused_naming_what_agents_have(tmp_path):
    compose = """
    services:
      api:
        image: nginx:1.27
        deploy:
          placement: {constraints: ["node.labels.rack==r9"]}
    """
    (p,) = refused(plan(tmp_path, compose))
    assert p.path == "compose.yaml:services.api.deploy.placement.constraints"
    assert "node.labels.rack==r9" in p.message and "'rack': 'r1'" in p.message
    assert plan(tmp_path, compose.replace("r9", "r2"))()


def test_a_negated_constraint_places_only_on_agents_without_the_value(tmp_path):
    """`!=` is Marathon's UNLIKE: racks r1, r1, r2 leave r2 for `rack!=r1` and nothing once r2
    is excluded too."""
    compose = """
    services:
      api:
        image: nginx:1.27
        deploy:
          placement: {constraints: ["node.labels.rack!=r1"]}
    """
    assert plan(tmp_path, compose)()
    (p,) = refused(plan(tmp_path, compose.replace('"node.labels.rack!=r1"', '"node.labels.rack!=r1", "node.labels.rack!=r2"')))
    assert p.path == "compose.yaml:services.api.deploy.placement.constraints" and "node.labels.rack!=r2" in p.message


def test_max_replicas_per_node_is_counted_against_agent_machines(tmp_path):
    compose = """
    services:
      worker:
        image: nginx:1.27
        deploy:
          replicas: 4
          placement: {max_replicas_per_node: 1}
    """
    (p,) = refused(plan(tmp_path, compose))
    assert p.path == "compose.yaml:services.worker.deploy.replicas"
    assert "3 private agent machine(s)" in p.message and "at most 3" in p.message
    assert plan(tmp_path, compose, instances={"worker": 3})()


def test_limits_beyond_every_declared_agent_are_refused(tmp_path):
    compose = """
    services:
      big:
        image: nginx:1.27
        deploy:
          resources: {limits: {cpus: "16", memory: 1g}}
    """
    (p,) = refused(plan(tmp_path, compose))
    assert p.path == "compose.yaml:services.big.deploy.resources.limits"
    assert "16 cpus" in p.message and "8 cpus" in p.message and "platform.mesos.agent_pools[0].resources" in p.message


def test_a_private_service_needs_a_private_pool(tmp_path):
    def only_public(raw):
        raw["mesos"]["agent_pools"] = [pool for pool in raw["mesos"]["agent_pools"] if pool.get("public")]
    (p,) = refused(plan(tmp_path, "services:\n  api: {image: 'nginx:1.27'}\n", change=only_public))
    assert p.path == "compose.yaml:services.api" and "public: false" in p.message


def test_an_unreadable_ports_resource_is_refused(tmp_path):
    def bad_ports(raw):
        raw["mesos"]["agent_pools"][0]["resources"]["ports"] = "31000..32000"
    (p,) = refused(plan(tmp_path, WEB, change=bad_ports))
    assert p.path == "platform.mesos.agent_pools[0].resources.ports" and "[31000-32000]" in p.message


def test_marathon_lb_stats_port_cannot_move_and_one_per_machine():
    with pytest.raises(SpecError) as e:
        load({"discovery": {"stats_port": 9191}})
    (p,) = e.value.problems
    assert p.path == "platform.discovery.stats_port" and "9090" in p.message
    with pytest.raises(SpecError) as e:
        load({"discovery": {"count": 2}})
    (p,) = e.value.problems
    assert p.path == "platform.discovery" and "only one can run per machine" in p.message


def test_swarm_replicas_per_node_against_the_nodes(tmp_path):
    compose = """
    services:
      worker:
        image: nginx:1.27
        deploy:
          replicas: 2
          placement: {max_replicas_per_node: 1}
    """
    def one_manager(raw):
        raw["swarm"] = {"managers": ["core-1"]}
    (p,) = refused(plan(tmp_path, compose, scheduler="swarm", change=one_manager))
    assert p.path == "compose.yaml:services.worker.deploy.replicas" and "1 swarm node(s)" in p.message

    def with_workers(raw):
        raw["swarm"] = {"managers": ["core-1"], "workers": ["agent-1"]}
    assert plan(tmp_path, compose, scheduler="swarm", change=with_workers)()


@pytest.mark.parametrize("mode, placeable", [("ingress", True), ("host", False)])
def test_only_a_host_mode_port_limits_swarm_replicas_to_one_per_node(tmp_path, mode, placeable):
    """Docker's routing mesh serves a published `ingress` port on every node whatever the
    replicas; a `host` port is bound by the task on its node, so two cannot share one."""
    compose = f"""
    services:
      web:
        image: nginx:1.27
        ports: [{{target: 80, published: 8080, mode: {mode}}}]
        deploy: {{replicas: 2}}
    """
    loader = plan(tmp_path, compose, scheduler="swarm", change=lambda raw: raw.update(swarm={"managers": ["core-1"]}))
    if placeable:
        assert loader()
    else:
        (p,) = refused(loader)
        assert p.path == "compose.yaml:services.web.deploy.replicas" and "at most 1 per node on 1" in p.message


def test_an_unplaceable_plan_registers_no_resource():
    cfg = stack_config("onprem")
    platform = copy.deepcopy(cfg["container-platform:platform"])
    platform["stacks"][0]["services"]["web"] = {"instances": 2}  # one public agent, port 8000
    d = evaluate("onprem", config={**cfg, "container-platform:platform": platform}, secrets=PLACEHOLDER_SECRETS)
    assert d.error is not None and "services.web.deploy.replicas" in str(d.error)
    assert d.resources == []


def test_a_public_agent_offers_its_task_range_and_the_public_ports_as_disjoint_ranges():
    """Mesos refuses overlapping ranges in --resources: adjacent and overlapping ones are joined
    (the task range is Mesos' default 31000-32000)."""
    pool = AgentPool(name="edge", public=True, count=1)
    assert resources_flag(pool, [81, 80, 443, 31005, 32001]) == "ports:[80-81,443-443,31000-32001]"
    # A private pool keeps Mesos' default range: no flag at all.
    assert resources_flag(AgentPool(name="inside", count=1), [80]) is None


def test_a_service_scaled_to_zero_is_not_judged_by_what_one_instance_needs(tmp_path):
    """replicas 0 places nothing (a service parked by config), so limits no agent offers and a
    constraint no agent matches are no reason to refuse the plan; at one instance they are."""
    compose = """
    services:
      big:
        image: nginx:1.27
        deploy:
          resources: {limits: {cpus: '64', memory: 64M}}
          placement: {constraints: [node.labels.rack==r9]}
    """
    assert plan(tmp_path, compose, instances={"big": 0})()
    found = refused(plan(tmp_path, compose, instances={"big": 1}))
    assert found and all(p.path.startswith("compose.yaml:services.big.deploy") for p in found), found


def test_only_a_pool_beside_marathon_lb_must_keep_clear_of_its_service_ports(tmp_path):
    """marathon-lb binds its service ports on its own machines (put on edge-1 here): a pool
    elsewhere may hand the same numbers to tasks, one beside it may not."""
    def ports_of(pool_name):
        def change(raw):
            raw["discovery"] = {"count": 1, "hosts": ["edge-1"]}
            (pool,) = [p for p in raw["mesos"]["agent_pools"] if p["name"] == pool_name]
            pool.setdefault("resources", {})["ports"] = "[10050-10200]"
        return change
    plan(tmp_path, WEB, change=ports_of("private"))()  # the private agents share no machine with it
    (p,) = refused(plan(tmp_path, WEB, change=ports_of("public")))
    assert p.path == "platform.discovery.service_port_min" and "of agent pool 'public'" in p.message
