"""Layer 5 under the mock runtime: every stack evaluates, and everything is wired by outputs."""
import gc

import pulumi
import pulumi_aws as aws
import pytest

from components import collector
from components.aws.iam import InstanceRoles
from components.hosts.local import LocalHost
from components.platform.credentials import ControlPlaneCredentials
from components.platform.swarm import SwarmCluster, SwarmClusterArgs
from components.roles import zookeeper
from components.roles.mesos import MASTER_ZK
from ops import mock_runtime

from .conftest import HOST_KEY, PLACEHOLDER_SECRETS
from .harness import env_of, evaluate, labels_of, role_of, through_docker_provider, uploads, workloads


def zk_containers(d):
    return [c for c in d.containers() if role_of(c) == "zookeeper"]


def test_every_container_restarts_and_has_a_health_check(deployment):
    """Docker containers and cloud-init units alike."""
    assert workloads(deployment)
    for w in workloads(deployment):
        assert w.restart in ("always", "unless-stopped", "on-failure"), w.name
        assert w.health[0] in ("CMD", "CMD-SHELL"), w.name


def test_every_docker_resource_uses_its_hosts_explicit_provider(deployment):
    providers = {r.urn for r in deployment.of_type("pulumi:providers:docker")}
    for r in deployment.resources:
        if r.type.startswith("docker:"):
            assert r.provider_urn in providers, f"{r.name} uses the default provider"


def without_password(url: str) -> str:
    """zk://user:password@hosts/path -> zk://hosts/path"""
    scheme, rest = url.split("//", 1)
    return f"{scheme}//{rest.split('@', 1)[1]}" if "@" in rest.split("/", 1)[0] else url


def test_consumers_get_the_ensembles_connect_string_as_an_output(deployment):
    connect = deployment.outputs["zookeeper_connect"]
    zk_urns = {c.urn for c in zk_containers(deployment)}
    expected = {
        "MESOS_MASTER": f"zk://{connect}/mesos",
        "MARATHON_MASTER": f"zk://{connect}/mesos",
        "MARATHON_ZK": f"zk://{connect}/marathon",  # with Marathon's ZooKeeper credentials
        MASTER_ZK: f"zk://{connect}/mesos",  # the masters' --zk=file://, with theirs
    }
    consumers = [w for w in workloads(deployment) if w.role in ("mesos-master", "mesos-agent", "marathon")]
    assert {w.role for w in consumers} == {"mesos-master", "mesos-agent", "marathon"}
    seen = set()
    for w in consumers:
        for key, value in expected.items():
            if key in w.env or key in w.files:
                seen.add(key)
                assert without_password(w.env[key] if key in w.env else w.files[key]) == value, (w.name, key)
        if w.argv:  # EC2 hosts boot independently: their user data carries no resource edges
            continue
        # Not a copy: the env or the uploaded files depend on every ZooKeeper node's resource.
        deps = {*w.resource.property_dependencies.get("envs", []), *w.resource.property_dependencies.get("uploads", [])}
        assert zk_urns <= deps, w.name
    assert seen >= {"MESOS_MASTER", "MARATHON_MASTER"}


def test_connect_string_lists_every_node(deployment):
    nodes = [w for w in workloads(deployment) if w.role == "zookeeper"]
    assert len(deployment.outputs["zookeeper_connect"].split(",")) == len(nodes)
    for c in nodes:
        # The members a node's first start begins with (ZooKeeper keeps them from then on).
        assert sum(line.startswith("server.") for line in c.files[zookeeper.SEED].splitlines()) == len(nodes)


def test_persistent_state_is_retained_on_delete(deployment):
    volumes = {r.name: r for r in deployment.of_type("docker:index/volume:Volume")}
    stateful = [v for name, v in volumes.items() if name.endswith(("-data", "-datalog", "-work", "-spark-events"))]
    assert all(v.retain_on_delete for v in stateful), [v.name for v in stateful if not v.retain_on_delete]
    if volumes:  # on Docker engines (AWS hosts keep theirs on an EBS volume: test_aws.py)
        assert stateful
        if deployment.of_type("container-platform:spark:SparkCluster"):  # the history server's event logs
            assert any(name.endswith("-spark-events") for name in volumes)


def test_local_stack_exports_the_front_doors(stack):
    d = stack("local")
    assert d.outputs["mesos_ui"] == "http://127.0.0.1:5050"
    assert d.outputs["marathon_ui"] == "http://127.0.0.1:8080"
    assert d.outputs["zookeeper_connect"] == "127.0.0.1:2181"
    roles = sorted(role_of(c) for c in d.containers() if role_of(c) != "service")
    assert roles == sorted(["zookeeper", "mesos-master", "mesos-agent", "marathon", "marathon-lb",
                            "spark-master", "spark-worker", "spark-history"])
    # The app stack on the local engine: db, cache, two API replicas, web.
    services = sorted(labels_of(c)["container-platform/service"] for c in d.containers() if role_of(c) == "service")
    assert services == ["api", "api", "cache", "db", "web"]


def test_ha_stack_has_quorum_pools_and_marathon_on_every_master(stack):
    d = stack("local-ha")
    by_role = {}
    for c in d.containers():
        by_role.setdefault(role_of(c), []).append(c)
    assert len(by_role["zookeeper"]) == 3 and len(by_role["mesos-master"]) == 3
    assert len(by_role["marathon"]) == 3 and len(by_role["mesos-agent"]) == 3
    assert {env_of(c)["MESOS_QUORUM"] for c in by_role["mesos-master"]} == {"2"}
    assert d.outputs["zookeeper_connect"] == "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183"
    public = [c for c in by_role["mesos-agent"] if env_of(c).get("MESOS_DEFAULT_ROLE") == "slave_public"]
    assert [env_of(c)["MESOS_PORT"] for c in public] == ["5071"]
    assert {env_of(c)["MARATHON_MESOS_ROLE"] for c in by_role["marathon"]} == {"slave_public"}
    # Agents start after the masters.
    masters = {c.urn for c in by_role["mesos-master"]}
    for agent in by_role["mesos-agent"]:
        assert masters <= set(agent.dependencies)


@pytest.mark.parametrize("n", [1, 3, 5])
def test_quorum_and_server_lists_for_n_nodes_and_masters(n):
    config = {"container-platform:platform": {
        "target": "physical",
        "hosts": [{"name": f"h{i}", "address": f"192.0.2.{i}", "host_key": HOST_KEY} for i in range(1, n + 1)],
        "zookeeper": {"count": n},
        "mesos": {"masters": {"count": n}},
    }}
    d = evaluate(f"quorum-{n}", config, secrets={"sshPrivateKey": "KEY"})
    assert d.error is None, d.error
    masters = [c for c in d.containers() if role_of(c) == "mesos-master"]
    assert len(masters) == n
    assert {env_of(c)["MESOS_QUORUM"] for c in masters} == {str(n // 2 + 1)}
    for i, c in enumerate(sorted(zk_containers(d), key=lambda c: c.name), 1):
        assert uploads(c)[zookeeper.SEED].splitlines() == [
            f"server.{j}=192.0.2.{j}:2888:3888:participant;192.0.2.{j}:2181" for j in range(1, n + 1)]
        assert uploads(c)["/data/myid"] == f"{i}\n"
    assert len(d.outputs["marathon_urls"]) == n


def test_marathon_credentials_stay_secret():
    config = {"container-platform:platform": {"marathon": {"auth": {"username": "ops"}}}}
    d = evaluate("secret", config, secrets={"marathonPassword": "hunter2-s3cret"})
    assert d.error is None, d.error
    roles = set()
    for c in d.containers():
        roles.add(role_of(c))
        if role_of(c) == "marathon":
            assert "envs" in c.secret_inputs, c.name
            assert env_of(c)["MESOSPHERE_HTTP_CREDENTIALS"] == "ops:hunter2-s3cret"
        if role_of(c) == "marathon-lb":
            # marathon-lb reads them from a 0400 file (--marathon-auth-credential-file); as an
            # argument or MARATHON_USER/_PASSWORD its run script would log them.
            assert "uploads" in c.secret_inputs and "envs" not in c.secret_inputs, c.name
            (upload,) = [u for u in c.inputs["uploads"] if u["file"] == "/etc/marathon-lb/credentials"]
            assert (upload["content"], upload["permissions"]) == ("ops:hunter2-s3cret", "0400")
            command = c.inputs["command"]
            assert command[command.index("--marathon-auth-credential-file") + 1] == "/etc/marathon-lb/credentials"
        # Never on a command line (ps, docker inspect, cloud-init would show it).
        assert not any("hunter2" in str(a) for a in c.inputs.get("command", []) + c.inputs.get("entrypoints", []))
        assert not any("hunter2" in e for e in c.inputs.get("envs", []) if role_of(c) != "marathon")
    assert {"marathon", "marathon-lb"} <= roles
    assert [k for k, v in d.outputs.items() if "hunter2-s3cret" in repr(v)] == ["marathon_credentials"]
    assert "marathon_credentials" in d.secret_outputs


@pytest.mark.parametrize("raw,path", [
    ({"zookeeper": {"count": 2}}, "platform.zookeeper.count"),
    ({"mesos": {"masters": {"count": "three"}}}, "platform.mesos.masters.count"),
    ({"zookeeper": {"hosts": ["nowhere"]}}, "platform.zookeeper.hosts[0]"),
    ({"marathon": {"auth": None}}, "platform.marathon.auth"),
])
def test_invalid_config_stops_cleanly_before_any_resource(raw, path):
    d = evaluate("invalid", {"container-platform:platform": raw})
    assert isinstance(d.error, pulumi.RunError)
    assert path in str(d.error)
    assert d.resources == []


def test_missing_platform_key_is_a_clean_error():
    d = evaluate("empty", {})
    assert isinstance(d.error, pulumi.RunError)
    assert "container-platform:platform" in str(d.error)
    assert d.resources == []




def test_each_warning_of_the_config_is_logged_with_its_key_path(monkeypatch):
    """Keys without effect are said, never dropped silently (the local-ha stack's app example on
    Swarm marks `web` public, which Swarm's ingress makes moot)."""
    logged = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: logged.append(message))
    assert evaluate("local-ha", secrets=PLACEHOLDER_SECRETS).error is None
    assert [m for m in logged if m.startswith("examples/compose/app/compose.yaml:services.web.x-platform: ")
            and "public" in m and "has no effect on swarm" in m]


def test_a_swarm_is_formed_only_where_a_stack_is_deployed_on_it(deployment):
    """Every stack has a service, so a stack on Swarm shows as Swarm services."""
    swarms = deployment.of_type("container-platform:swarm:SwarmCluster")
    assert len(swarms) == (1 if deployment.of_type("docker:index/service:Service") else 0)


def test_the_program_registers_with_its_collector_settings_and_the_harness_gives_the_process_its_own_back(monkeypatch):
    # components/collector.py: the settings hold for the whole evaluation (the last resource
    # too), and a shared process (tests, the benchmarks' floor) gets its own back afterwards.
    seen = []
    new_resource = mock_runtime.PlatformMocks.new_resource
    monkeypatch.setattr(mock_runtime.PlatformMocks, "new_resource",
                        lambda self, args: (seen.append(gc.get_threshold()), new_resource(self, args))[1])
    before = gc.get_threshold()
    assert before != collector.THRESHOLDS
    assert evaluate("local", secrets=PLACEHOLDER_SECRETS).error is None
    assert seen and set(seen) == {collector.THRESHOLDS}
    assert gc.get_threshold() == before


def test_at_the_stacks_root_only_the_programs_components_its_providers_and_the_quorum_guard(deployment):
    # A resource's URN carries its parents' types: one registered without its component's
    # parent gets another URN, which the engine reads as delete-and-create (of a security
    # group, a host, a volume) on the next `pulumi up`.
    at_root = [r for r in deployment.resources if r.parent.split("::")[2] == "pulumi:pulumi:Stack"]
    assert at_root
    strays = [(r.type, r.name) for r in at_root if not (
        r.type.startswith(("container-platform:", "pulumi:providers:")) or r.name == "mesos-masters-quorum")]
    assert strays == []


def test_this_machines_shell_commands_take_their_input_on_stdin_and_keep_their_delete():
    # A Swarm join token or a secret goes to a command on stdin, never in its argv
    # (`ps` shows argv to every user of the machine).
    def program():
        host = LocalHost("local")
        host.shell("join", create="docker swarm join --token-stdin", parent=host, stdin="SWMTKN-1-x",
                   delete="docker swarm leave")

    d = evaluate("local", program=program)
    (cmd,) = d.of_type("command:local:Command")
    assert (cmd.inputs["stdin"], cmd.inputs["create"], cmd.inputs["delete"], cmd.inputs["interpreter"]) == \
        ("SWMTKN-1-x", "docker swarm join --token-stdin", "docker swarm leave", ["/bin/sh", "-c"])


def test_every_docker_resource_goes_through_its_hosts_provider(deployment):
    # Pulumi's default docker provider talks to whatever DOCKER_HOST the operator's shell has:
    # every container, image, volume and network names the provider of the engine it is for.
    docker = [r for r in deployment.resources if r.type.startswith("docker:") and r.custom]
    if deployment.of_type("container-platform:hosts:LocalHost") or deployment.of_type("container-platform:hosts:PhysicalHost"):
        assert docker
    assert [r.name for r in docker if not through_docker_provider(r)] == []


@pytest.mark.parametrize("make, token", [
    (lambda opts: ControlPlaneCredentials("c", "marathon", None, opts=opts), "container-platform:security:ControlPlaneCredentials"),
    (lambda opts: LocalHost("local", opts=opts), "container-platform:hosts:LocalHost"),
    (lambda opts: SwarmCluster("swarm", SwarmClusterArgs(managers=[LocalHost("local")]), opts=opts),
     "container-platform:swarm:SwarmCluster"),
    (lambda opts: InstanceRoles("iam", ["zookeeper"], "s", "eu-west-1", aws.Provider("aws", region="eu-west-1"), opts=opts),
     "container-platform:aws:InstanceRoles"),
])
def test_a_component_takes_its_options(make, token):
    def program():
        make(pulumi.ResourceOptions(parent=pulumi.ComponentResource("test:index:Parent", "p")))

    (c,) = evaluate("local", program=program).of_type(token)
    assert c.parent.endswith("test:index:Parent::p")


def test_every_component_hands_its_options_to_pulumi():
    """A component whose options are dropped ignores the parent, provider and protection a program
    of one's own gives it (README: reuse a component). The runtime test above builds the small
    ones; here every ComponentResource in components/ whose __init__ takes `opts` passes it on."""
    import ast
    from pathlib import Path
    checked = []
    for path in sorted(Path("components").rglob("*.py")):
        for cls in (n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ClassDef)):
            if not any(ast.unparse(b).endswith("ComponentResource") for b in cls.bases):
                continue
            init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
            if init is None or "opts" not in [a.arg for a in init.args.args + init.args.kwonlyargs]:
                continue
            (call,) = [c for c in ast.walk(init) if isinstance(c, ast.Call) and ast.unparse(c.func) == "super().__init__"]
            passed = [ast.unparse(a) for a in call.args] + [ast.unparse(k.value) for k in call.keywords if k.arg == "opts"]
            assert "opts" in passed, f"{path}: {cls.name} does not pass its opts to ComponentResource"
            checked.append(cls.name)
    assert {"MesosCluster", "Marathon", "ZooKeeperEnsemble", "SwarmCluster"} <= set(checked), checked


def _components() -> list[type]:
    """Every ComponentResource class of components/ (imported by the program's modules)."""
    import importlib
    import pkgutil
    import components
    for m in pkgutil.walk_packages(components.__path__, "components."):
        importlib.import_module(m.name)
    found, todo = [], [pulumi.ComponentResource]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("components."):
                found.append(sub)
    return found


@pytest.mark.parametrize("stack", ["onprem", "prod", "local-ha"])
def test_every_component_built_by_the_program_takes_the_options_it_is_given(monkeypatch, stack):
    """At run time (the source test above cannot see a mutated copy): each component the program
    makes without a parent is given one here, and must be registered under it; one made inside
    another keeps its parent. A component that dropped its `opts` would land at the stack's root."""
    import inspect
    given: dict[str, str] = {}
    for cls in _components():
        original = cls.__init__
        signature = inspect.signature(original)
        if "opts" not in signature.parameters:
            continue

        def init(self, *args, __original=original, __signature=signature, **kwargs):
            bound = __signature.bind(self, *args, **kwargs)
            opts = bound.arguments.get("opts") or pulumi.ResourceOptions()
            if opts.parent is None:
                name = str(bound.args[1])  # every component's resource name comes first
                parent = pulumi.ComponentResource("test:index:Given", f"given-{name}")
                given[name] = f"test:index:Given::given-{name}"
                bound.arguments["opts"] = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=parent))
            __original(*bound.args, **bound.kwargs)
        monkeypatch.setattr(cls, "__init__", init)
    d = evaluate(stack, secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    ours = [r for r in d.resources if r.type.startswith("container-platform:")]
    assert ours and given
    at_root = [(r.type, r.name) for r in ours if r.parent.split("::")[2] == "pulumi:pulumi:Stack"]
    assert at_root == []
    for r in ours:
        if r.name in given:
            assert r.parent.endswith(given[r.name]), (r.type, r.name, r.parent)


def test_every_dynamic_resource_carries_its_provider_pickled(deployment):
    # Pulumi's provider host unpickles `__provider` to run create/diff/update: each must load
    # (dill, as pulumi.dynamic does) to an instance of the provider the program chose.
    import base64
    import dill
    dynamic = [r for r in deployment.resources if r.type.startswith("pulumi-python:dynamic")]
    for r in dynamic:
        provider = dill.loads(base64.b64decode(r.inputs["__provider"]))
        assert type(provider).__name__.endswith("Provider"), (r.name, type(provider))
