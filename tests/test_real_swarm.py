"""Real Swarm: the program's rendered swarm set-up and services on this machine's engine.

A stack (tests/data/swarm-stack) is evaluated under the mock runtime; the recorded SwarmCluster
script initialises a single-node swarm, the recorded services are created in the order of
their recorded dependencies (each converged before the next, as `converge_config` does), and
the test checks order, injected addresses and self-healing from inside the containers.
"""
import json
import subprocess
import urllib.parse
from graphlib import TopologicalSorter

import pytest

from .conftest import PLACEHOLDER_SECRETS
from .harness import evaluate, stack_config
from .realhelpers import docker, wait_for
from .swarm_engine import engine, service_spec

pytestmark = pytest.mark.real

PLATFORM, STACK = "rt", "st"


def record(file: str = "tests/data/swarm-stack/compose.yaml", platform_overrides: dict = {}, **stack):
    cfg = stack_config("local")
    platform = {**cfg["container-platform:platform"], "name": PLATFORM, **platform_overrides,
                "stacks": [{"name": STACK, "file": file, "scheduler": "swarm", **stack}]}
    d = evaluate("local", config={**cfg, "container-platform:platform": platform}, secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    return d


class Deployed:
    """What a test created on the engine, removed again in reverse by `remove()`."""

    def __init__(self):
        self.services: list[str] = []
        self.networks: list[str] = []
        self.configs: list[str] = []

    def create(self, d, found: dict[str, str] = {}) -> list[str]:
        """The recorded networks, configs and services (in dependency order, each converged
        before the next, as `converge_config` makes the provider wait); the services' names.
        `found`: the recorded ID of an existing config or secret -> the real one's."""
        network_ids = {}
        for n in d.of_type("docker:index/network:Network"):
            network_ids[n.inputs["name"]] = engine("POST", "/networks/create", {
                "Name": n.inputs["name"], "Driver": n.inputs["driver"],
                "Attachable": n.inputs["attachable"], "CheckDuplicate": True})["Id"]
            self.networks.append(network_ids[n.inputs["name"]])
        object_ids = dict(found)
        for c in d.of_type("docker:index/serviceConfig:ServiceConfig"):
            object_ids[f"{c.name}-id"] = engine("POST", "/configs/create",
                                                {"Name": c.inputs["name"], "Data": c.inputs["data"]})["ID"]
            self.configs.append(object_ids[f"{c.name}-id"])
        services = {r.urn: r for r in d.of_type("docker:index/service:Service")}
        order = list(TopologicalSorter(
            {urn: [u for u in r.dependencies if u in services] for urn, r in services.items()}).static_order())
        for urn in order:
            spec = service_spec(services[urn].inputs, network_ids, object_ids)
            service_id = engine("POST", "/services/create", spec)["ID"]
            self.services.append(service_id)
            replicas = spec["Mode"]["Replicated"]["Replicas"]
            wait_for(f"{spec['Name']} to converge", lambda: converged(service_id, replicas), timeout=90)
            for command in d.of_type("command:local:Command"):  # what the program runs after it (init)
                if command.name == f"{services[urn].name}-init":
                    subprocess.run(["/bin/sh", "-c", command.inputs["create"]], check=True, capture_output=True)
                    wait_for(f"{spec['Name']} to converge again", lambda: converged(service_id, replicas), timeout=90)
        return [services[u].name for u in order]

    def remove(self) -> None:
        for service_id in reversed(self.services):
            engine("DELETE", f"/services/{service_id}")
        for config_id in self.configs:
            wait_for("the config to be removable", lambda: engine("DELETE", f"/configs/{config_id}") is None, timeout=60)
        for network_id in self.networks:
            wait_for("the overlay network to be removable",
                     lambda: engine("DELETE", f"/networks/{network_id}") is None, timeout=60)


def swarm_state() -> str:
    return docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()


def containers_of(service: str, running_only: bool = True) -> list[str]:
    args = ["ps", "-q", "--filter", f"label=com.docker.swarm.service.name={service}"]
    return docker(*args, *([] if running_only else ["-a"])).stdout.split()


def started_at(container: str) -> str:
    return docker("inspect", "-f", "{{.State.StartedAt}}", container).stdout.strip()


def converged(service_id: str, replicas: int) -> bool:
    filters = urllib.parse.quote(json.dumps({"service": [service_id], "desired-state": ["running"]}))
    tasks = engine("GET", f"/tasks?filters={filters}")
    return sum(t["Status"]["State"] == "running" for t in tasks) == replicas


def exec_in(container: str, *command: str) -> str:
    return docker("exec", container, *command).stdout


def test_a_rendered_stack_runs_in_order_wired_and_self_healing_on_swarm():
    d = record()
    (init,) = [c for c in d.of_type("command:local:Command") if c.name == "swarm-init"]
    assert swarm_state() == "inactive", "this engine is already in a swarm; leave it first"
    deployed = Deployed()
    try:
        # The SwarmCluster's script, exactly as rendered, twice: the second run changes nothing.
        subprocess.run(["/bin/sh", "-c", init.inputs["create"]], check=True, capture_output=True)
        node = docker("info", "--format", "{{.Swarm.NodeID}}").stdout.strip()
        subprocess.run(["/bin/sh", "-c", init.inputs["create"]], check=True, capture_output=True)
        assert swarm_state() == "active" and docker("info", "--format", "{{.Swarm.NodeID}}").stdout.strip() == node

        order = deployed.create(d)
        assert order.index(f"{STACK}-db") < order.index(f"{STACK}-api")

        db, api, web = (f"{PLATFORM}-{STACK}-{s}" for s in ("db", "api", "web"))
        (db_c,), api_cs, (web_c,) = containers_of(db), containers_of(api), containers_of(web)
        assert len(api_cs) == 2
        # Dependency order: the database was up before any API replica started, the API before web.
        assert started_at(db_c) < min(started_at(c) for c in api_cs)
        assert max(started_at(c) for c in api_cs) < started_at(web_c)
        # Injected addresses: the Swarm service name on the overlay network, the container port.
        for c in api_cs:
            assert exec_in(c, "printenv", "DATABASE_ADDRESS").strip() == f"{db}:5432"
            assert f"reached {db}:5432" in exec_in(c, "cat", "/tmp/standin.log")
        api_url = exec_in(web_c, "printenv", "API_URL").strip()
        assert api_url == f"http://{api}:8000/"
        # Traffic flows web -> api through the overlay network's DNS.
        answer = json.loads(exec_in(web_c, "python3", "-c",
                                    f"import urllib.request; print(urllib.request.urlopen('{api_url}', timeout=5).read().decode())"))
        assert answer["env"]["DATABASE_ADDRESS"] == f"{db}:5432"

        # Kill one API task's container: Swarm replaces it, and the new one finds the database.
        victim = api_cs[0]
        docker("kill", victim)
        wait_for("Swarm to replace the killed API task",
                 lambda: len(containers_of(api)) == 2 and victim not in containers_of(api), timeout=90)
        (replacement,) = set(containers_of(api)) - set(api_cs)
        wait_for("the replacement to reach the database",
                 lambda: f"reached {db}:5432" in exec_in(replacement, "cat", "/tmp/standin.log"), timeout=30)
    finally:
        deployed.remove()
        subprocess.run(["/bin/sh", "-c", init.inputs["delete"]], capture_output=True)
    assert swarm_state() == "inactive"


def test_compose_as_written_arrives_inside_swarm_tasks():
    """The features stack of the real local test on Swarm: variables, env_file, a relative bind
    (this machine is the swarm), a Swarm config from a file, a named overlay network and alias."""
    d = record("tests/data/compose-features/compose.yaml", {"hosts": [{"name": "local", "labels": {"zone": "a"}}]},
               variables={"STACK_VAR": "from-config"})
    commands = {c.name: c for c in d.of_type("command:local:Command")}
    assert swarm_state() == "inactive", "this engine is already in a swarm; leave it first"
    deployed = Deployed()
    try:
        subprocess.run(["/bin/sh", "-c", commands["swarm-init"].inputs["create"]], check=True, capture_output=True)
        # The host's labels become the node's (api is constrained to node.labels.zone==a): the
        # node's id from the host, then the labels script on the manager with it on stdin.
        node_id = subprocess.run(["/bin/sh", "-c", commands["swarm-node-local"].inputs["create"]], check=True,
                                 capture_output=True, text=True).stdout
        subprocess.run(["/bin/sh", "-c", commands["swarm-labels-local"].inputs["create"]], input=node_id, check=True,
                       capture_output=True, text=True)
        assert json.loads(docker("node", "inspect", "-f", "{{json .Spec.Labels}}", node_id.strip()).stdout) == {"zone": "a"}
        deployed.create(d)
        (api,), (web,) = containers_of(f"{PLATFORM}-{STACK}-api"), containers_of(f"{PLATFORM}-{STACK}-web")
        env = dict(line.split("=", 1) for line in exec_in(api, "env").splitlines() if "=" in line)
        assert (env["TAG"], env["FROM_STACK_CONFIG"], env["LITERAL"]) == ("from-dotenv", "from-config", "$NOT_INTERPOLATED")
        assert (env["MODE"], env["FROM_ENV_FILE"]) == ("test", "a quoted value # not a comment")
        assert exec_in(api, "cat", "/conf/settings.txt") == "relative bind arrived\n"
        assert exec_in(api, "cat", "/etc/greeting.txt") == "hello from a config\n"
        assert "reached api-backend:8000" in exec_in(web, "cat", "/tmp/standin.log")
        # init: true, set by the recorded command: Docker's init is PID 1, the service its child.
        (web,) = containers_of(f"{PLATFORM}-{STACK}-web")
        assert exec_in(web, "cat", "/proc/1/comm").strip() == "docker-init"
    finally:
        deployed.remove()
        subprocess.run(["/bin/sh", "-c", commands["swarm-init"].inputs["delete"]], capture_output=True)
    assert swarm_state() == "inactive"


def test_an_external_config_and_secret_are_found_by_name_and_reach_the_task(tmp_path):
    """The engine's API takes a config or secret by ID only ("config not found: team-site" when
    given its name, as this engine answers): the program looks each up on the manager with the
    recorded command, and the service is created with what it printed."""
    (tmp_path / "compose.yaml").write_text(
        "configs: {site: {external: true, name: team-site}}\nsecrets: {token: {external: true}}\n"
        "services: {app: {image: local/standin:1, command: ['--listen', '8000'], "
        "configs: [{source: site, target: /etc/site.conf}], secrets: [token]}}\n")
    d = record(str(tmp_path / "compose.yaml"))
    commands = {c.name: c for c in d.of_type("command:local:Command")}
    assert swarm_state() == "inactive", "this engine is already in a swarm; leave it first"
    deployed, made = Deployed(), []
    try:
        subprocess.run(["/bin/sh", "-c", commands["swarm-init"].inputs["create"]], check=True, capture_output=True)
        for kind, name, text in (("config", "team-site", "site setting\n"), ("secret", "token", "s3cret\n")):
            made.append((kind, subprocess.run(["docker", kind, "create", name, "-"], input=text, check=True,
                                              capture_output=True, text=True).stdout.strip()))
        found = {}
        for name in (f"{STACK}-config-team-site-id", f"{STACK}-secret-token-id"):
            printed = subprocess.run(["/bin/sh", "-c", commands[name].inputs["create"]], check=True,
                                     capture_output=True, text=True).stdout
            found[f"{name}-stdout"] = printed.strip()  # the mock runtime's stdout is `<name>-stdout`
        assert sorted(found.values()) == sorted(i for _, i in made)
        deployed.create(d, found)
        (app,) = containers_of(f"{PLATFORM}-{STACK}-app")
        assert exec_in(app, "cat", "/etc/site.conf") == "site setting\n"
        assert exec_in(app, "cat", "/run/secrets/token") == "s3cret\n"
    finally:
        deployed.remove()
        for kind, object_id in made:
            wait_for(f"the {kind} to be removable", lambda: engine("DELETE", f"/{kind}s/{object_id}") is None, timeout=60)
        subprocess.run(["/bin/sh", "-c", commands["swarm-init"].inputs["delete"]], capture_output=True)
    assert swarm_state() == "inactive"
