"""Layer 1: the environment spec accepts good configs and names the key of every bad one."""
import re
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.spec import SpecError, load, quorum
from components.spec.model import MesosMasters

from .conftest import HOST_KEY


def problems(raw, secrets=()):
    with pytest.raises(SpecError) as e:
        load(raw, secrets)
    return e.value.problems


@pytest.mark.parametrize("raw", [
    None,  # no platform key at all
    {"zookeeper": {"count": "three"}},  # the model refuses it
    {"target": "aws", "hosts": [{"name": "h"}],  # a rule refuses it
     "mesos": {"agent_pools": [{"name": "web", "load_balancer": True, "public": False}]}},
    {"zookeeper": {"client_port": 5050}},  # placed, then two roles on one port
], ids=["missing", "model", "rule", "placement"])
def test_every_refusal_names_the_stack_file_it_came_from(raw):
    with pytest.raises(SpecError) as e:
        load(raw, source="stacks/Pulumi.staging.yaml, key container-platform:platform")
    assert str(e.value).startswith("invalid platform config (stacks/Pulumi.staging.yaml, key container-platform:platform):\n  - "), e.value


def test_defaults_give_a_working_single_node_platform():
    env = load({})
    roles = [i.role for i in env.instances]
    assert roles == ["zookeeper", "mesos-master", "mesos-agent", "marathon", "marathon-lb"]
    assert {i.host for i in env.instances} == {"local"}


@pytest.mark.parametrize("n,expected", [(1, 1), (3, 2), (5, 3), (7, 4)])
def test_quorum_is_a_strict_majority(n, expected):
    assert quorum(MesosMasters(count=n)) == expected


def test_instances_spread_round_robin_over_their_hosts():
    env = load({"target": "physical",
                "hosts": [{"name": f"h{i}", "address": f"192.0.2.{i}", "host_key": HOST_KEY} for i in (1, 2, 3)],
                "zookeeper": {"count": 3, "hosts": ["h1", "h2", "h3"]},
                "mesos": {"masters": {"count": 3, "hosts": ["h1", "h2", "h3"]},
                          "agent_pools": [{"name": "private", "count": 4, "hosts": ["h2", "h3"]}]}},
               secrets=["sshPrivateKey"])
    assert [i.host for i in env.of("zookeeper")] == ["h1", "h2", "h3"]
    assert [i.host for i in env.of("mesos-agent")] == ["h2", "h3", "h2", "h3"]
    # Two agents on h2 take consecutive ports.
    assert [i.port("http") for i in env.of("mesos-agent")] == [5051, 5051, 5052, 5052]


def test_instances_sharing_a_machine_take_consecutive_ports():
    env = load({"zookeeper": {"count": 3}, "mesos": {"masters": {"count": 3}, "agent_pools": [{"name": "a", "port": 5061}]}})
    assert [i.port("client") for i in env.of("zookeeper")] == [2181, 2182, 2183]
    assert [i.port("election") for i in env.of("zookeeper")] == [3888, 3889, 3890]
    assert [i.port("http") for i in env.of("marathon")] == [8080, 8081, 8082]


BAD = [
    # (config, key path, a fragment of the message)
    ({"zookeper": {"count": 1}}, "platform.zookeper", "did you mean 'zookeeper'"),
    ({"mesos": {"masters": {"cout": 3}}}, "platform.mesos.masters.cout", "did you mean 'count'"),
    # Under a mapping (services by name) the allowed keys are the value's own.
    ({"stacks": [{"name": "a", "file": "examples/compose/app/compose.yaml", "scheduler": "local",
                  "services": {"web": {"public": True}}}]}, "platform.stacks[0].services.web.public",
     "unknown key 'public'; allowed keys: instances"),
    ({"mesos": {"masters": {"count": "three"}}}, "platform.mesos.masters.count", "whole number"),
    ({"mesos": {"masters": {"count": -1}}}, "platform.mesos.masters.count", "greater than or equal to 1"),
    ({"mesos": {"agent_pools": [{"name": "p", "count": -2}]}}, "platform.mesos.agent_pools[0].count", "greater than or equal to 0"),
    ({"zookeeper": {"count": 2}}, "platform.zookeeper.count", "odd count: 1 or 3"),
    ({"zookeeper": {"count": 4}}, "platform.zookeeper.count", "odd count: 3 or 5"),
    ({"zookeeper": {"count": 9}}, "platform.zookeeper.count", "use 3, 5 or 7"),
    ({"mesos": {"masters": {"count": 2}, "agent_pools": [{"name": "a", "port": 5061}]}}, "platform.mesos.masters.count", "odd count"),
    ({"mesos": {"masters": {"count": 3, "quorum": 1}, "agent_pools": [{"name": "a", "port": 5061}]}}, "platform.mesos.masters.quorum", "not a majority"),
    ({"mesos": {"masters": {"count": 3, "quorum": 4}, "agent_pools": [{"name": "a", "port": 5061}]}}, "platform.mesos.masters.quorum", "can never be reached"),
    ({"zookeeper": {"hosts": ["nowhere"]}}, "platform.zookeeper.hosts[0]", "no host named 'nowhere'"),
    ({"spark": {"enabled": True, "masters": {"hosts": ["nowhere"]}}}, "platform.spark.masters.hosts[0]", "no host named 'nowhere'"),
    ({"mesos": {"agent_pools": [{"name": "p", "hosts": ["ghost"]}]}}, "platform.mesos.agent_pools[0].hosts[0]", "no host named 'ghost'"),
    ({"hosts": [{"name": "a"}, {"name": "a"}]}, "platform.hosts[1].name", "names must be unique"),
    ({"mesos": {"agent_pools": [{"name": "p"}, {"name": "p", "port": 5061}]}}, "platform.mesos.agent_pools[1].name", "names must be unique"),
    ({"hosts": [{"name": "Bad_Name"}]}, "platform.hosts[0].name", "not a valid name"),
    ({"target": "gcp"}, "platform.target", "'local', 'aws' or 'physical'"),
    ({"zookeeper": {"client_port": 70000}}, "platform.zookeeper.client_port", "less than or equal to 65535"),
    ({"hosts": []}, "platform.hosts", "at least 1"),
    ({"hosts": [{"address": "127.0.0.1"}]}, "platform.hosts[0].name", "is required but missing; add it"),
    ({"target": "physical", "hosts": [{"name": "h1"}]}, "platform.hosts[0].address", "needs the address"),
    ({"target": "physical", "hosts": [{"name": "h1", "address": "192.0.2.1", "ssh_port": 2222}]}, "platform.hosts[0].host_key",
     "ssh-keyscan -t ed25519 -p 2222 192.0.2.1"),
    ({"target": "physical", "hosts": [{"name": "h1", "address": "192.0.2.1", "host_key": "192.0.2.1 ssh-ed25519 AAAA"}]},
     "platform.hosts[0].host_key", "is not an SSH public key"),
    ({"hosts": [{"name": "h1", "address": "10.0.0.1"}]}, "platform.hosts[0].address", "loopback"),
    ({"hosts": [{"name": "h1", "address": "not an address!"}]}, "platform.hosts[0].address", "neither an IP address nor a DNS name"),
    ({"mesos": {"masters": {"count": 3}}}, "platform.mesos.agent_pools[0].port", "port 5051"),
    ({"zookeeper": {"admin_port": 8080}}, "platform.marathon.port", "zookeeper 'zookeeper-1'"),
    ({"marathon": {"auth": {"username": "Ops!"}}}, "platform.marathon.auth.username", "not a valid name"),
    ({"mesos": {"agent_pools": "private"}}, "platform.mesos.agent_pools", "expected a list"),
    ("just a string", "platform", "expected a mapping"),
    (None, "platform", "container-platform:platform"),
    ({"target": "physical", "hosts": [{"name": "h", "address": "192.0.2.1", "host_key": HOST_KEY}]}, "platform.target", "sshPrivateKey"),
    ({"mesos": {"executor_registration_timeout": "5 minutes"}}, "platform.mesos.executor_registration_timeout",
     "is not a Mesos duration"),
    # Issue 13's bad inputs that used to crash or pass.
    ({"mesos": {"masters": {"count": 999999}}}, "platform.mesos.masters.count", "less than or equal to 100000"),
    ({"zookeeper": {"count": True}}, "platform.zookeeper.count", "expected a whole number"),
    ({"zookeeper": {"client_port": True}}, "platform.zookeeper.client_port", "expected a whole number"),
    ({"zookeeper": {"client_port": 2181.5}}, "platform.zookeeper.client_port", "expected a whole number, got 2181.5"),
    # A union's members said once, at the key (not `.cpus.int`, `.cpus.float`, `.cpus.str`).
    ({"mesos": {"agent_pools": [{"name": "p", "resources": {"cpus": [1]}}]}}, "platform.mesos.agent_pools[0].resources.cpus",
     "expected a whole number or a number or a string, got [1]"),
    ({"stacks": [{"name": "a", "file": "examples/compose/app/compose.yaml", "scheduler": "local",
                  "variables": {"TAG": 5}}]}, "platform.stacks[0].variables.TAG",
     "expected a string or {secret: <config key>}, got 5"),
    ({"zookeeper": {"tick_time_ms": 2000.5}}, "platform.zookeeper.tick_time_ms", "expected a whole number, got 2000.5"),
    ({"aws": {"zones": True}}, "platform.aws.zones", "expected a whole number, got True"),
    ({"aws": {"root_volume_gb": "30"}}, "platform.aws.root_volume_gb", "expected a whole number, got '30'"),
    ({"mesos": {"agent_pools": [{"name": "p", "resources": {"mem": -1}}]}}, "platform.mesos.agent_pools[0].resources.mem",
     "amount above 0"),
    ({"mesos": {"agent_pools": [{"name": "p", "resources": {"cpus": 0}}]}}, "platform.mesos.agent_pools[0].resources.cpus",
     "amount above 0"),
    ({"mesos": {"agent_pools": [{"name": "p", "attributes": {"rack": "a;b:c"}}]}},
     "platform.mesos.agent_pools[0].attributes.rack", "cannot be a Mesos attribute"),
    ({"hosts": [{"name": "local", "labels": {"zone": "a\nb"}}]}, "platform.hosts[0].labels.zone", "cannot be a Mesos attribute"),
    ({"spark": {"enabled": True, "event_log_dir": "file:/x\nspark.evil=1"}}, "platform.spark.event_log_dir",
     "not a URL without spaces"),
    ({"target": "physical", "hosts": [{"name": "h", "address": "192.0.2.1", "ssh_user": "", "host_key": HOST_KEY}]}, "platform.hosts[0].ssh_user",
     "not a user name"),
    ({"zookeeper": {"count": 3, "admin_port": 65534}}, "platform.zookeeper.admin_port", "above 65535"),
    ({"discovery": {"service_port_min": 31000, "service_port_max": 31100}}, "platform.discovery.service_port_min",
     "overlap the task ports"),
    # A pool's own (readable) task ports are what marathon-lb's service ports must keep clear of.
    ({"mesos": {"agent_pools": [{"name": "p", "resources": {"ports": "[10050-10200]"}}]}},
     "platform.discovery.service_port_min", "overlap the task ports 10050-10200 of agent pool 'p'"),
    ({"marathon": {"enabled": [1]}}, "platform.marathon.enabled", "expected true or false, got [1]"),
    ({"spark": {"enabled": True, "event_log_dir": "s3a://bucket/events"}}, "platform.spark.event_log_dir",
     "an s3a:// event log needs the aws target"),
    # A lone ZooKeeper node has no quorum to lose; the masters after it are still checked.
    ({"target": "aws", "aws": {"zones": 3}, "hosts": [{"name": f"h{i}", "zone": 0} for i in range(3)] + [{"name": "z", "zone": 1}],
      "zookeeper": {"count": 1, "hosts": ["z"]}, "mesos": {"masters": {"count": 3, "hosts": ["h0", "h1", "h2"]}}},
     "platform.mesos.masters.hosts", "zone 0 holds 3 of the 3 mesos-master nodes: losing that zone loses the quorum"),
    ({"stacks": [{"name": "a", "file": "examples/compose/app/compose.yaml", "scheduler": "marathon"}],
      "mesos": {"agent_pools": [{"name": "p"}]}}, "platform.stacks[0].scheduler",
     "service 'web' is public (x-platform.public) but no agent pool is"),
    ({"stacks": [{"name": "a", "file": "examples/compose/app/compose.yaml", "scheduler": "marathon"}],
      "marathon": {"enabled": False}}, "platform.stacks[0].scheduler",
     "scheduler 'marathon' needs platform.marathon.enabled: true; or use swarm"),
    ({"target": "aws", "hosts": [{"name": "h"}], "aws": {"network": {
        "vpc_id": "vpc-1", "public_subnet_ids": ["subnet-a", "subnet-b"], "private_subnet_ids": ["subnet-c"]}}},
     "platform.aws.network", "list one public and one private subnet per zone, in the same zone order"),
]


@pytest.mark.parametrize("raw,path,fragment", BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_config_names_the_key_and_the_fix(raw, path, fragment):
    found = problems(raw)
    assert any(p.path == path and fragment in p.message for p in found), found


def test_a_host_mesos_listens_on_needs_an_ip_address_and_others_may_have_a_dns_name():
    # Mesos' --ip takes an IP address only ("IP address to listen on"); SSH, ZooKeeper's
    # server lines and Marathon's --hostname take a DNS name.
    def hosts(*addresses):
        return {"target": "physical", "hosts": [{"name": f"h{i}", "address": a, "host_key": HOST_KEY}
                                                for i, a in enumerate(addresses)],
                "zookeeper": {"hosts": ["h1"]}, "marathon": {"hosts": ["h1"]},
                "mesos": {"masters": {"hosts": ["h0"]}, "agent_pools": [{"name": "p", "hosts": ["h0"], "port": 5061}]}}
    found = problems(hosts("h0.dc.example.com", "192.0.2.5"), secrets=["sshPrivateKey"])
    assert [(p.path, p.message) for p in found] == [("platform.hosts[0].address", (
        "'h0.dc.example.com' is a DNS name, but the mesos-agent and the mesos-master on host 'h0' listen on it as "
        "Mesos' --ip, which takes an IP address only; give the host's IP address"))]
    assert load(hosts("192.0.2.4", "h1.dc.example.com"), ["sshPrivateKey"]).platform.hosts[1].address == "h1.dc.example.com"


def test_a_value_no_member_of_a_union_takes_is_one_problem_and_siblings_stay_apart():
    found = problems({"mesos": {"agent_pools": [{"name": "p", "resources": {"cpus": [1]}}]}})
    assert [p.path for p in found] == ["platform.mesos.agent_pools[0].resources.cpus"], found
    # Two keys of one mapping with the same (interned) bad value are two problems, not a union.
    found = problems({"zookeeper": {"count": True, "client_port": True}})
    assert sorted(p.path for p in found) == ["platform.zookeeper.client_port", "platform.zookeeper.count"], found


def test_every_problem_is_reported_at_once():
    found = problems({"zookeeper": {"count": 2}, "hosts": [{"name": "a"}, {"name": "a"}]})
    assert {p.path for p in found} == {"platform.zookeeper.count", "platform.hosts[1].name"}


def test_port_clash_names_both_roles_the_host_and_the_key_to_move():
    (p,) = problems({"zookeeper": {"admin_port": 8080}})
    assert "zookeeper 'zookeeper-1'" in p.message and "marathon 'marathon-1'" in p.message
    assert "host 'local'" in p.message
    assert "platform.marathon.port" in p.message and "platform.zookeeper.admin_port" in p.message


def test_port_clash_on_a_range_is_found():
    (p,) = problems({"discovery": {"stats_port": 10050}})
    assert "port 10050" in p.message and "marathon-lb" in p.message


def test_marathon_auth_is_on_without_configuration_and_takes_a_username():
    assert load({}).platform.marathon.auth.username == "admin"
    assert load({"marathon": {"auth": {"username": "ops"}}}).platform.marathon.auth.username == "ops"
    assert load({}).platform.mesos.authenticate_frameworks is True


def test_sshd_holds_its_port_on_physical_hosts():
    found = problems({"target": "physical", "hosts": [{"name": "h", "address": "192.0.2.1", "ssh_port": 2181, "host_key": HOST_KEY}]},
                     secrets=["sshPrivateKey"])
    assert any(p.path == "platform.zookeeper.client_port" and "sshd" in p.message for p in found), found


def test_a_private_pool_behind_the_load_balancer_is_refused_by_key():
    found = problems({"target": "aws", "hosts": [{"name": "h"}],
                      "mesos": {"agent_pools": [{"name": "web", "load_balancer": True, "public": False}]}})
    assert [(p.path, p.message) for p in found if "load balancer" in p.message] == [
        ("platform.mesos.agent_pools[0].load_balancer", "only a public pool sits behind the load balancer; set public: true")]


@pytest.mark.parametrize("aws, path, fragment", [
    ({"vpc_cidr": "10.0.0.0/33"}, "platform.aws.vpc_cidr", "is not a network"),
    ({"vpc_cidr": "10.0.0.1/16"}, "platform.aws.vpc_cidr", "host bits set"),
    ({"vpc_cidr": "10.0.0.0/24"}, "platform.aws.vpc_cidr", "must be a /16"),
    ({"vpc_cidr": "8.8.0.0/16"}, "platform.aws.vpc_cidr", "not a private range"),
    ({"admin_cidrs": ["0.0.0.0/1", "128.0.0.0/1"]}, "platform.aws.admin_cidrs[0]", "a large part of the internet"),
    ({"admin_cidrs": ["203.0.113.0/24", "10.1.2.3/8"]}, "platform.aws.admin_cidrs[1]",
     "'10.1.2.3/8' is not a network: 10.1.2.3/8 has host bits set"),
])
def test_aws_networks_are_checked(aws, path, fragment):
    found = problems({"target": "aws", "hosts": [{"name": "h"}], "aws": aws})
    assert any(p.path == path and fragment in p.message for p in found), found


VALUE = st.one_of(st.none(), st.booleans(), st.integers(-3, 70000), st.floats(allow_nan=True), st.text(max_size=8),
                  st.sampled_from(["h1", "local", "10.0.0.0/16", "[31000-32000]", "a;b", "1g", "5mins"]))
SECTION = st.dictionaries(st.sampled_from(["count", "hosts", "port", "client_port", "admin_port", "quorum", "enabled",
                                           "resources", "attributes", "labels", "name", "public", "mode", "image",
                                           "service_port_min", "service_port_max", "masters", "agent_pools",
                                           "authority", "certificate", "private_key_secret", "validity_days"]),
                          st.one_of(VALUE, st.lists(VALUE, max_size=2), st.dictionaries(st.text(max_size=4), VALUE,
                                                                                        max_size=2)), max_size=4)


@settings(max_examples=300, deadline=None)
@given(raw=st.dictionaries(st.sampled_from(["target", "hosts", "zookeeper", "mesos", "marathon", "discovery", "spark",
                                            "swarm", "aws", "name", "tls"]), st.one_of(VALUE, SECTION), max_size=4))
def test_any_platform_config_is_an_environment_or_a_spec_error(raw):
    """Never a traceback: what is not a valid environment is a SpecError naming key paths."""
    try:
        load(raw, ["sshPrivateKey", "marathonPassword"])
    except SpecError as e:
        assert e.problems and all(p.path.startswith("platform") for p in e.problems)


def test_a_local_swarm_is_this_machine_alone():
    """On `local` every host is this machine's one engine: a second swarm node would be the same
    engine joining itself."""
    raw = {"target": "local", "hosts": [{"name": "local"}, {"name": "b"}], "discovery": {"count": 1},
           "swarm": {"managers": ["local"], "workers": ["b"]},
           "stacks": [{"name": "st", "file": "tests/data/swarm-stack/compose.yaml", "scheduler": "swarm"}]}
    (p,) = problems(raw)
    assert p.path == "platform.swarm" and "list one manager and no workers" in p.message
    raw["swarm"] = {"managers": ["local"]}
    assert load(raw).platform.swarm.managers == ["local"]


@pytest.mark.parametrize("section, raw", [
    ("platform.zookeeper", {"zookeeper": {"hosts": []}}),
    ("platform.mesos.masters", {"mesos": {"masters": {"hosts": []}}}),
    ("platform.mesos.agent_pools[0]", {"mesos": {"agent_pools": [{"name": "a", "hosts": []}]}}),
    ("platform.marathon", {"marathon": {"hosts": []}}),
    ("platform.discovery", {"discovery": {"hosts": []}}),
])
def test_a_role_given_no_hosts_is_refused_at_its_own_key(section, raw):
    assert [str(p) for p in problems(raw)] == [f"{section}.hosts: is empty; list at least one host name or remove the key"]


@pytest.mark.parametrize("port", ["client_port", "peer_port", "election_port", "admin_port"])
def test_a_clash_with_each_zookeeper_port_names_that_ports_key(port):
    (p,) = problems({"zookeeper": {port: 5050}})  # the master's port
    assert p.path == "platform.mesos.masters.port"
    assert f"platform.zookeeper.{port})" in p.message, p.message


def test_a_port_clash_suggests_a_port_no_instance_plans_and_following_it_works():
    """The master's 5050 taken by ZooKeeper, and 5060 by the agents: the suggestion skips every
    planned port, not only those of instances checked before the master."""
    raw = {"zookeeper": {"client_port": 5050}, "mesos": {"agent_pools": [{"name": "private", "count": 1, "port": 5060}]}}
    (p,) = problems(raw)
    assert p.path == "platform.mesos.masters.port" and "bound by both zookeeper 'zookeeper-1'" in p.message
    suggested = int(re.search(r"e\.g\. set platform\.mesos\.masters\.port to (\d+)", p.message).group(1))
    assert suggested == 5061
    raw["mesos"]["masters"] = {"port": suggested}
    assert load(raw)


def test_a_validator_in_a_union_adds_no_step_to_the_key_path():
    """pydantic names each member of a union that failed, a validated one as
    `function-after[...]`: not a key the user wrote, so not part of the path."""
    from typing import Annotated, Union

    from pydantic import AfterValidator, BaseModel, ValidationError

    from components.spec.errors import from_validation_error

    class Section(BaseModel):
        size: Union[int, Annotated[str, AfterValidator(str.strip)]] = 1

    with pytest.raises(ValidationError) as e:
        Section(size=[1])
    paths = {p.path for p in from_validation_error(e.value, Section)}
    assert "platform.size" in paths and not [p for p in paths if "function-" in p], paths


def test_in_one_zone_every_quorum_sits_in_that_zone_and_that_is_no_error():
    """The zone-majority rule is for two zones or more: in one (aws.zones: 1, an explicit
    choice) all of a quorum is in it, and the config loads; in two the same ensemble is refused."""
    raw = {"target": "aws", "aws": {"zones": 1}, "hosts": [{"name": f"h{i}"} for i in range(3)],
           "zookeeper": {"count": 3, "hosts": ["h0", "h1", "h2"]}, "mesos": {"masters": {"count": 3, "hosts": ["h0", "h1", "h2"]}}}
    assert load(raw).platform.aws.zone_count == 1
    two = {**raw, "aws": {"zones": 2}, "hosts": [{"name": f"h{i}", "zone": 0} for i in range(3)]}
    assert {p.path for p in problems(two)} == {"platform.zookeeper.hosts", "platform.mesos.masters.hosts"}


@pytest.mark.parametrize("annotation, mapping", [
    (dict[str, int], True), (Optional[dict[str, MesosMasters]], True), (dict[str, int] | None, True),
    (list[dict[str, int]], False), (Optional[list[int]], False), (int, False), (Optional[MesosMasters], False)])
def test_the_key_after_a_mapping_field_is_a_name_not_a_field(annotation, mapping):
    """errors._is_mapping decides whether the part after a field in a key path is a user's name
    (a service, a pool) or a field: the unknown-key hint lists the fields of the right model."""
    from components.spec.errors import _is_mapping
    assert _is_mapping(annotation) is mapping
