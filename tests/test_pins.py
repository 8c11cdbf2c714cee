"""Rendered values a plausible mistake would change silently (issue 17's surviving mutations):
each is pinned here with the reason it matters."""
import pytest
import yaml

from components.hosts import cloud_init
from components.roles import marathon as marathon_role
from components.roles import mesos, zookeeper
from components.roles.container import ContainerSpec, HealthCheck, Volume
from components.spec import SpecError, load

from .conftest import HOST_KEY
from .harness import workloads
from .test_cloud_init import image_of

ADDRS = ["10.0.1.10", "10.0.2.10", "10.0.3.10"]


def env(**overrides):
    return load({"target": "physical",
                 "hosts": [{"name": f"m{i}", "address": a, "host_key": HOST_KEY} for i, a in enumerate(ADDRS, 1)],
                 "zookeeper": {"count": 3}, "mesos": {"masters": {"count": 3}, "agent_pools": [
                     {"name": "private", "count": 1, "port": 5061},
                     {"name": "public", "count": 1, "port": 5062, "public": True}]}, **overrides},
                secrets=["sshPrivateKey"])


def test_zoo_cfg_keeps_a_one_node_ensemble_an_ensemble_and_sessions_short():
    e = env()
    nodes = e.of("zookeeper")
    spec = zookeeper.zookeeper_node(nodes[0], nodes, ADDRS, e.platform.zookeeper, "p", "pw")
    lines = spec.files[zookeeper.SETTINGS].splitlines()
    # Growing 1 -> 3 is then a change of members, not a mode switch that drops the data dir's role.
    assert "standaloneEnabled=false" in lines
    # Sessions expire within 10 ticks, so Mesos and Spark fail over in seconds, not minutes.
    assert f"maxSessionTimeout={e.platform.zookeeper.tick_time_ms * 10}" in lines
    assert "reconfigEnabled=true" in lines  # members change by reconfig, as the superuser
    assert not any(l.startswith(("server.", "clientPort")) for l in lines)  # the members' lines say those


@pytest.mark.parametrize("name", ["local-ha", "onprem", "prod"])
def test_masters_keep_their_registry_in_the_replicated_log(stack, name):
    """The image's default command is --registry=in_memory (IMAGE-FACTS), and a flag on the
    command line beats its MESOS_REGISTRY variable (stout flags.hpp), so the env alone would leave
    a restarted master with no agents or frameworks: the command, as each target runs it, says
    replicated_log and nothing says in_memory."""
    d = stack(name)
    masters = [w for w in workloads(d) if w.role == "mesos-master"]
    assert masters
    for w in masters:
        command = w.argv[w.argv.index(image_of(w.argv)) + 1:] if w.argv else w.resource.inputs["command"]
        assert command == ["--registry=replicated_log"], w.name
        assert "MESOS_REGISTRY" not in w.env


def test_agents_wait_long_enough_for_a_large_image_pull():
    e = env(mesos={"masters": {"count": 3}, "executor_registration_timeout": "7mins",
                   "agent_pools": [{"name": "private", "count": 1, "port": 5061}]})
    spec = mesos.mesos_agent(e.of("mesos-agent")[0], e.platform.mesos.agent_pools[0], ADDRS[0], "zk:2181",
                             e.platform.mesos, "p", auth=mesos.AgentAuth("{}", "{}", "{}"))
    assert spec.env["MESOS_EXECUTOR_REGISTRATION_TIMEOUT"] == "7mins"
    assert env().platform.mesos.executor_registration_timeout == "5mins"  # Mesos's 1min kills pulls


def test_private_apps_stay_off_public_agents():
    """Marathon registers for slave_public too once there are public agents; apps then accept
    only unreserved ("*") resources unless they ask for slave_public themselves."""
    e = env()
    spec = marathon_role.marathon(e.of("marathon")[0], ADDRS[0], "zk:2181", e.platform.marathon, "p", True,
                                  http_credentials="a:b", mesos_principal="marathon", mesos_secret="s" * 8, zk_secret="z")
    assert spec.env["MARATHON_MESOS_ROLE"] == "slave_public"
    assert spec.env["MARATHON_DEFAULT_ACCEPTED_RESOURCE_ROLES"] == "*"
    no_public = marathon_role.marathon(e.of("marathon")[0], ADDRS[0], "zk:2181", e.platform.marathon, "p", False,
                                       http_credentials="a:b", mesos_principal="marathon", mesos_secret="s" * 8,
                                       zk_secret="z")
    assert "MARATHON_MESOS_ROLE" not in no_public.env


@pytest.mark.parametrize("count, ok", [(1, True), (3, True), (5, True), (7, True), (9, False), (4, False)])
def test_zookeeper_ensembles_are_odd_and_at_most_seven(count, ok):
    raw = {"zookeeper": {"count": count}, "mesos": {"masters": {"count": 1}}}
    if ok:
        assert load(raw).platform.zookeeper.count == count
    else:
        with pytest.raises(SpecError) as e:
            load(raw)
        assert any(p.path == "platform.zookeeper.count" for p in e.value.problems)


@pytest.mark.parametrize("raw, path", [
    ({"zookeeper": {"client_port": 0}}, "platform.zookeeper.client_port"),
    ({"mesos": {"agent_pools": [{"name": "p", "port": 0}]}}, "platform.mesos.agent_pools[0].port"),
])
def test_impossible_numbers_are_refused(raw, path):
    with pytest.raises(SpecError) as e:
        load(raw)
    assert any(p.path == path for p in e.value.problems), e.value.problems


def spec_with_secrets(**extra) -> ContainerSpec:
    return ContainerSpec(name="p-x-1", image="img:1", health=HealthCheck(("CMD", "true")),
                         secret_env={"TOKEN": ""}, secret_files={"/etc/x/secret": ""}, **extra)


def test_secrets_scripts_keep_what_they_fetch_from_everyone_but_root():
    spec = spec_with_secrets()
    script = cloud_init.secrets_script(spec, {"TOKEN": "/p/TOKEN", "/etc/x/secret": "/p/etc-x-secret"}, "eu-west-1")
    assert script.splitlines()[:3] == ["#!/bin/sh", "set -eu", "umask 077"]  # before any file is written
    assert "chmod 0400" in script
    config = yaml.safe_load(cloud_init.user_data([spec], {spec.name: {"TOKEN": "/p/TOKEN"}}, "eu-west-1"))
    (secrets_sh,) = [f for f in config["write_files"] if f["path"].endswith("/secrets.sh")]
    assert secrets_sh["permissions"] == "0700"
    assert "awscli" in config["packages"]  # the script needs it
    plain = ContainerSpec(name="p-y-1", image="img:1", health=None)
    assert "awscli" not in yaml.safe_load(cloud_init.user_data([plain], {}, "eu-west-1"))["packages"]


def test_read_only_mounts_stay_read_only_in_docker_create():
    spec = ContainerSpec(name="p-z-1", image="img:1", health=None,
                         volumes=(Volume("/conf", host_path="/etc/conf", read_only=True), Volume("/data", name="d")))
    argv = cloud_init.docker_create_argv(spec)
    assert "/etc/conf:/conf:ro" in argv and "d:/data" in argv
