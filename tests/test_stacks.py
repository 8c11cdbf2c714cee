"""Compose stacks under the mock runtime: both examples on all three schedulers, every address
wired by an output of the service it names, and scaling one service touching only it."""
import json
import subprocess

import pulumi
import pytest

from components.platform.marathon_app import MarathonAppProvider

from .conftest import PLACEHOLDER_SECRETS, evaluate_changed
from .contracts import marathon_app_validator
from .harness import Deployment, env_of, evaluate, stack_config
from .memo import remembered

SCHEDULERS = ("local", "swarm", "marathon")
BASE = "local-ha"  # has a public agent pool, for the public web tier on Marathon
PLATFORM = "ha"
# The properties that carry a service's environment and command, per scheduler.
CARRIES_VALUES = {"local": ("envs", "command"), "swarm": ("taskSpec",), "marathon": ("app",)}


def app_stack(scheduler):
    # On Marathon the app's database password in env is an explicit grant (compose/host_access.py).
    allow = ["secrets-in-marathon-app"] if scheduler == "marathon" else []
    return {"name": "app", "file": "examples/compose/app/compose.yaml", "scheduler": scheduler, "allow": allow}


def with_stacks(scheduler, overrides=None, base=BASE):
    cfg = stack_config(base)
    platform = dict(cfg["container-platform:platform"])
    platform["stacks"] = [
        {**app_stack(scheduler), "services": overrides or {}},
        # One worker per machine (max_replicas_per_node: 1): local-ha's agents and swarm node
        # are all this machine.
        {"name": "alluxio", "file": "examples/compose/alluxio/compose.yaml", "scheduler": scheduler,
         "services": {"alluxio-worker": {"instances": 1}}},
    ]
    return {**cfg, "container-platform:platform": platform}


@remembered
def deployed(scheduler) -> Deployment:
    d = evaluate(BASE, config=with_stacks(scheduler), secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    return d


def resources_of(d: Deployment, scheduler: str, stack: str, service: str):
    if scheduler == "local":
        prefix = f"{PLATFORM}-{stack}-{service}-"
        found = [c for c in d.containers() if c.name.startswith(prefix) and c.name[len(prefix):].isdigit()]
    else:
        kind = "docker:index/service:Service" if scheduler == "swarm" else "pulumi-python:dynamic:Resource"
        found = [r for r in d.of_type(kind) if r.name == f"{stack}-{service}"]
    assert found, f"no resources for {stack}/{service} on {scheduler}"
    return found


def values_of(r, scheduler):
    """(env, args) as the scheduler will see them."""
    if scheduler == "local":
        return env_of(r), r.inputs.get("command", [])
    if scheduler == "swarm":
        spec = r.inputs["taskSpec"]["containerSpec"]
        return spec.get("env", {}), spec.get("args", [])
    return r.inputs["app"]["env"], r.inputs["app"].get("args", [])


NEEDS = {("app", "api"): {"db", "cache"}, ("app", "web"): {"api"}, ("alluxio", "alluxio-worker"): {"alluxio-master"}}


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_each_service_depends_on_what_it_needs_and_its_values_carry_the_edges(scheduler):
    d = deployed(scheduler)
    for (stack, service), needs in NEEDS.items():
        for r in resources_of(d, scheduler, stack, service):
            wired = {u for prop in CARRIES_VALUES[scheduler] for u in r.property_dependencies.get(prop, [])}
            for dep in needs:
                urns = {x.urn for x in resources_of(d, scheduler, stack, dep)}
                assert urns <= set(r.dependencies), f"{r.name} is not ordered after {dep}"
                assert urns <= wired, f"{r.name}'s values do not come from {dep}'s outputs"


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_addresses_are_the_ones_each_scheduler_serves(scheduler):
    d = deployed(scheduler)
    (api, *_) = resources_of(d, scheduler, "app", "api")
    env, _ = values_of(api, scheduler)
    (worker, *_) = resources_of(d, scheduler, "alluxio", "alluxio-worker")
    worker_opts = values_of(worker, scheduler)[0]["ALLUXIO_JAVA_OPTS"]
    (web,) = resources_of(d, scheduler, "app", "web")
    web_args = values_of(web, scheduler)[1]
    if scheduler == "local":  # the alias on the stack's user network, the container port
        assert (env["DB_HOST"], env["DB_PORT"], env["REDIS"]) == ("db", "5432", "redis://cache:6379")
        assert "-Dalluxio.master.hostname=alluxio-master -Dalluxio.master.rpc.port=19998" in worker_opts
        assert web_args[-1] == "api:8055"
    elif scheduler == "swarm":  # the Swarm service name on the overlay network
        assert (env["DB_HOST"], env["DB_PORT"]) == (f"{PLATFORM}-app-db", "5432")
        assert env["REDIS"] == f"redis://{PLATFORM}-app-cache:6379"
        assert web_args[-1] == f"{PLATFORM}-app-api:8055"
    else:  # marathon-lb's address and the service port of the referenced app
        apps = {r.name: r.inputs["app"] for r in d.marathon_apps()}
        service_port = {(name, int(m["containerPort"])): int(m["servicePort"])
                        for name, app in apps.items() for m in app["container"].get("portMappings", [])}
        # On the local target marathon-lb is this machine, which a bridge-networked task reaches
        # at Docker's host gateway: 127.0.0.1 there would be the task itself.
        assert d.outputs["service_discovery"]["load_balancers"] == ["127.0.0.1"]
        lb = "host.docker.internal"
        assert all({"key": "add-host", "value": "host.docker.internal:host-gateway"} in app["container"]["docker"]["parameters"]
                   for app in apps.values())
        assert (env["DB_HOST"], env["DB_PORT"]) == (lb, str(service_port[("app-db", 5432)]))
        assert env["REDIS"] == f"redis://{lb}:{service_port[('app-cache', 6379)]}"
        assert f"-Dalluxio.master.rpc.port={service_port[('alluxio-alluxio-master', 19998)]}" in worker_opts
        assert f"-Dalluxio.job.master.rpc.port={service_port[('alluxio-alluxio-master', 20001)]}" in worker_opts
        assert len(set(service_port.values())) == len(service_port)  # one service port each
    exported = d.outputs["stacks"]["app"]
    assert exported["scheduler"] == scheduler and set(exported["addresses"]) == {"db", "cache", "api", "web"}
    # Where `ports: ["8000:80"]` is reached from outside: loopback on this engine (the service is
    # not public), every Swarm node's routing mesh (the manager's address here); through
    # marathon-lb on Marathon, at the service's address.
    assert exported["published"] == ({} if scheduler == "marathon" else {"web": ["127.0.0.1:8000"]})


def test_every_marathon_app_sent_is_valid_against_marathons_schema():
    apps = [r.inputs["app"] for r in deployed("marathon").marathon_apps()]
    assert len(apps) == 6
    validator = marathon_app_validator()
    for app in apps:
        wire = MarathonAppProvider().wire_form(app)
        errors = [e.message for e in validator.iter_errors(wire)]
        assert errors == [], (app["id"], errors)


def test_marathon_apps_carry_the_compose_settings():
    apps = {r.name: r.inputs["app"] for r in deployed("marathon").marathon_apps()}
    api, db, web, worker = apps["app-api"], apps["app-db"], apps["app-web"], apps["alluxio-alluxio-worker"]
    assert api["id"] == f"/{PLATFORM}/app/api" and api["instances"] == 2
    assert api["healthChecks"][0]["command"]["value"] == "wget -q --spider http://127.0.0.1:8055/server/health"
    assert api["upgradeStrategy"] == {"minimumHealthCapacity": 1, "maximumOverCapacity": 0.5}  # start-first, 1 of 2
    assert db["upgradeStrategy"] == {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}  # has a volume
    # A local persistent volume (pinned to its agent by Mesos), mapped to the absolute path.
    assert db["container"]["volumes"] == [
        {"containerPath": "/var/lib/postgresql/data", "hostPath": "db-data", "mode": "RW"},
        {"containerPath": "db-data", "mode": "RW", "persistent": {"size": 10240}}]  # x-platform.size: 10g
    assert db["unreachableStrategy"] == "disabled" and "unreachableStrategy" not in api
    assert (db["cpus"], db["mem"]) == (1, 1024)
    assert web["acceptedResourceRoles"] == ["slave_public"] and web["container"]["portMappings"][0]["hostPort"] == 8000
    assert worker["constraints"] == [["hostname", "MAX_PER", "1"]] and worker["backoffSeconds"] == 10
    assert all(a["labels"]["HAPROXY_GROUP"] == "internal" for a in apps.values())


def test_marathon_apps_wait_for_marathon_and_use_its_credentials():
    d = evaluate("onprem", secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    marathons = {c.urn for c in d.containers() if c.name.startswith("onprem-marathon-")}
    for r in d.marathon_apps():
        assert marathons <= set(r.dependencies)
        assert r.inputs["credentials"] == "ops:placeholder-password" and "credentials" in r.secret_inputs
        assert set(r.additional_secret_outputs) == {"app", "credentials"}
        # TLS is on off the local target: HTTPS, checked against the platform's CA.
        assert r.inputs["marathon_urls"] == ["https://192.0.2.11:8080", "https://192.0.2.12:8080", "https://192.0.2.13:8080"]
        assert r.inputs["ca_certificate"] == d.outputs["tls_ca_certificate"]


def test_swarm_services_get_the_compose_settings_on_an_overlay_network():
    d = deployed("swarm")
    (network,) = [n for n in d.of_type("docker:index/network:Network") if n.name == "app-default-network"]
    assert (network.inputs["driver"], network.inputs["attachable"]) == ("overlay", True)
    (api,) = resources_of(d, "swarm", "app", "api")
    spec = api.inputs["taskSpec"]
    assert api.inputs["mode"] == {"replicated": {"replicas": 2}}
    assert spec["restartPolicy"] == {"condition": "any", "delay": "5s", "maxAttempts": 0, "window": "0s"}
    assert spec["containerSpec"]["healthcheck"]["tests"] == ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:8055/server/health"]
    assert spec["networksAdvanceds"] == [{"name": f"{PLATFORM}-app-default", "aliases": ["api"]}]
    assert api.inputs["updateConfig"]["order"] == "start-first"
    assert api.inputs["convergeConfig"] == {"delay": "5s", "timeout": "5m"}
    assert network.urn in api.dependencies
    (web,) = resources_of(d, "swarm", "app", "web")
    assert web.inputs["endpointSpec"] == {"mode": "vip", "ports": [
        {"targetPort": 80, "publishedPort": 8000, "protocol": "tcp", "publishMode": "ingress"}]}
    (init,) = [c for c in d.of_type("command:local:Command") if c.name == "swarm-init"]
    assert "docker swarm init --advertise-addr 127.0.0.1:2377" in init.inputs["create"]
    assert init.urn in network.dependencies


def test_local_services_run_as_healthy_containers_on_the_stack_network():
    d = deployed("local")
    (db,) = resources_of(d, "local", "app", "db")
    assert db.inputs["networksAdvanced"] == [{"name": "ha-app-default", "aliases": ["db"]}]
    assert db.inputs["restart"] == "unless-stopped" and db.inputs["wait"] is True
    assert db.inputs["healthcheck"]["tests"] == ["CMD", "pg_isready", "-U", "directus", "-d", "directus"]
    assert [v["volumeName"] for v in db.inputs["volumes"]] == ["ha-app-db-data"]
    (web,) = resources_of(d, "local", "app", "web")
    assert web.inputs["ports"] == [{"internal": 80, "external": 8000, "ip": "0.0.0.0", "protocol": "tcp"}]
    assert len(resources_of(d, "local", "app", "api")) == 2


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_the_database_password_stays_secret(scheduler):
    d = deployed(scheduler)
    (db,) = resources_of(d, scheduler, "app", "db")
    assert CARRIES_VALUES[scheduler][0] in db.secret_inputs
    assert values_of(db, scheduler)[0]["POSTGRES_PASSWORD"] == PLACEHOLDER_SECRETS["dbPassword"]
    assert PLACEHOLDER_SECRETS["dbPassword"] not in json.dumps(d.outputs)


def _inputs_by_urn(d):
    return {r.urn: json.dumps(r.inputs, sort_keys=True) for r in d.resources}


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_scaling_one_service_changes_only_that_service(scheduler):
    before = evaluate(BASE, config=with_stacks(scheduler, {"api": {"instances": 2}}), secrets=PLACEHOLDER_SECRETS)
    after = evaluate(BASE, config=with_stacks(scheduler, {"api": {"instances": 4}}), secrets=PLACEHOLDER_SECRETS)
    a, b = _inputs_by_urn(before), _inputs_by_urn(after)
    changed = {u for u in a.keys() & b.keys() if a[u] != b[u]} | (a.keys() ^ b.keys())
    api = {r.urn for r in resources_of(after, scheduler, "app", "api")} | {r.urn for r in resources_of(before, scheduler, "app", "api")}
    assert changed and changed <= api
    assert len(resources_of(after, scheduler, "app", "api")) == (4 if scheduler == "local" else 1)


@pytest.mark.parametrize("change, says", [
    (lambda p: p["stacks"].append({"name": "app", "file": "examples/compose/app/compose.yaml", "scheduler": "local"}),
     "platform.stacks[2].name: 'app' is used 2 times; names must be unique"),
    (lambda p: p["stacks"][0].update(file="examples/compose/nope.yaml"), "platform.stacks[0].file: 'examples/compose/nope.yaml' does not exist"),
    (lambda p: p["stacks"][0]["services"].update(apii={"instances": 2}), "platform.stacks[0].services.apii"),
    (lambda p: p.update(swarm={"managers": ["nope"]}) or p["stacks"][0].update(scheduler="swarm"), "platform.swarm.managers[0]: no host named 'nope'"),
    (lambda p: p.update(swarm={"workers": ["nope"]}) or p["stacks"][0].update(scheduler="swarm"), "platform.swarm.workers[0]: no host named 'nope'"),
    (lambda p: p.update(swarm={"managers": [p["hosts"][0]["name"]], "workers": [p["hosts"][0]["name"]]})
     or p["stacks"][0].update(scheduler="swarm"), "platform.swarm.workers: '%s' is already a manager"),
    (lambda p: p["discovery"].update(enabled=False) or p["stacks"][0].update(scheduler="marathon"), "platform.stacks[0].scheduler: Marathon services are reached through marathon-lb"),
])
def test_stack_config_errors_register_nothing(change, says):
    d = evaluate_changed(BASE, change, config=with_stacks("local"))
    if "%s" in says:  # the base stack's first host
        says %= with_stacks("local")["container-platform:platform"]["hosts"][0]["name"]
    assert isinstance(d.error, pulumi.RunError) and says in str(d.error), d.error
    assert d.resources == []


def test_a_missing_secret_is_named_with_the_command_that_sets_it():
    secrets = {k: v for k, v in PLACEHOLDER_SECRETS.items() if k != "dbPassword"}
    d = evaluate(BASE, config=with_stacks("local"), secrets=secrets)
    assert "pulumi config set --secret dbPassword" in str(d.error) and d.resources == []
    # A plain (unencrypted) value does not count.
    cfg = {**with_stacks("local"), "container-platform:dbPassword": "plain"}
    d = evaluate(BASE, config=cfg, secrets=secrets)
    assert "dbPassword" in str(d.error) and d.resources == []


def test_local_scheduler_is_refused_off_this_machine():
    d = evaluate_changed("onprem", lambda p: p.update(stacks=[app_stack("local")]))
    assert "platform.stacks[0].scheduler: scheduler 'local' runs on this machine's engine" in str(d.error)
    assert d.resources == []


def test_a_multi_node_swarm_joins_with_secret_tokens():
    d = evaluate_changed("onprem", lambda p: p.update(
        swarm={"managers": ["core-1", "core-2", "core-3"], "workers": ["agent-1", "agent-2"]}, stacks=[app_stack("swarm")]))
    assert d.error is None, d.error
    commands = {c.name: c for c in d.of_type("command:remote:Command")
                if c.name.startswith("swarm-") and not c.name.startswith(("swarm-node-", "swarm-labels-"))}
    assert set(commands) == {"swarm-init", "swarm-manager-token", "swarm-worker-token", "swarm-join-core-2",
                             "swarm-join-core-3", "swarm-join-agent-1", "swarm-join-agent-2"}
    init = commands["swarm-init"]
    assert init.inputs["connection"]["host"] == "192.0.2.11"
    assert "docker swarm init --advertise-addr 192.0.2.11:2377" in init.inputs["create"]
    for role in ("manager", "worker"):
        token = commands[f"swarm-{role}-token"]
        assert token.inputs["create"] == f"docker swarm join-token -q {role}"
        assert "stdout" in token.additional_secret_outputs and init.urn in token.dependencies
    for host, role, address in (("core-2", "manager", "192.0.2.12"), ("agent-1", "worker", "192.0.2.21")):
        join = commands[f"swarm-join-{host}"]
        assert join.inputs["connection"]["host"] == address
        assert f"--advertise-addr {address} 192.0.2.11:2377" in join.inputs["create"]
        # The token travels over stdin, from the token command's output (which the engine keeps
        # secret: additional_secret_outputs above; the mock runtime does not apply that option).
        assert join.inputs["stdin"] == f"swarm-{role}-token-stdout"
        assert commands[f"swarm-{role}-token"].urn in join.property_dependencies["stdin"]
    (network,) = [n for n in d.of_type("docker:index/network:Network") if n.name == "app-default-network"]
    core1 = [p for p in d.of_type("pulumi:providers:docker") if p.name == "core-1-docker"][0]
    assert network.provider_urn == core1.urn  # services are created through the first manager


def test_an_even_number_of_swarm_managers_is_refused():
    d = evaluate_changed("onprem", lambda p: p.update(swarm={"managers": ["core-1", "core-2"]}, stacks=[app_stack("swarm")]))
    assert "platform.swarm.managers: 2 managers tolerate no more failures than 1" in str(d.error)
    assert d.resources == []


def test_a_local_service_publishing_a_port_the_platform_binds_is_refused(tmp_path):
    compose = tmp_path / "compose.yaml"
    compose.write_text("services: {ui: {image: x, ports: ['8080:80']}}\n")  # Marathon has 8080 here
    d = evaluate_changed("local", lambda p: p.update(stacks=[{"name": "s", "file": str(compose), "scheduler": "local"}]))
    assert f"{compose}:services.ui.ports: published port 8080 is already bound on this machine by marathon 'marathon-1'" \
        in str(d.error)
    assert d.resources == []


def test_marathon_service_ports_must_fit_the_discovery_range():
    d = evaluate_changed(BASE, lambda p: p["discovery"].update(service_port_max=10005), config=with_stacks("marathon"))
    # The app stack has 4 ports, Alluxio 5: 9 service ports, 6 in 10000-10005.
    assert ("platform.discovery.service_port_max: Marathon stacks declare 9 ports but the range 10000-10005 has 6; "
            "raise it to 10008") in str(d.error)
    assert d.resources == []


def test_off_the_local_target_tasks_reach_marathon_lb_at_its_host():
    d = evaluate("onprem", secrets=PLACEHOLDER_SECRETS)
    apps = {r.name: r.inputs["app"] for r in d.marathon_apps()}
    assert d.outputs["service_discovery"]["load_balancers"][0] == "192.0.2.11"
    assert apps["app-api"]["env"]["DB_HOST"] == "192.0.2.11"
    assert not any(p["key"] == "add-host" for app in apps.values()
                   for p in app["container"]["docker"].get("parameters", []))


def test_a_thousand_marathon_services_in_a_dependency_chain_evaluate(tmp_path):
    """1,000 services, each referring to the one before: the deepest stack a file can write (the
    SDK's own cycle check would recurse past the limit: components/sdk_cycle_check.py)."""
    lines = ["services:"]
    for i in range(1000):
        lines += [f"  s{i}:", "    image: example/web:1.0", "    expose: ['8080']",
                  "    deploy: {resources: {limits: {cpus: '0.01', memory: 32m}}}"]
        if i:
            lines.append(f"    environment: {{UPSTREAM: 'http://${{s{i - 1}.host}}:${{s{i - 1}.port}}'}}")
    compose = tmp_path / "compose.yaml"
    compose.write_text("\n".join(lines) + "\n")
    d = evaluate_changed("onprem", lambda p: p.update(
        stacks=[{"name": "chain", "file": str(compose), "scheduler": "marathon"}],
        discovery={**p.get("discovery", {}), "service_port_max": 11100}))
    assert d.error is None, d.error
    apps = {r.name: r for r in d.marathon_apps()}
    assert len(apps) == 1000
    assert apps["chain-s998"].urn in apps["chain-s999"].dependencies


def test_swarm_nodes_carry_their_hosts_labels_before_services_are_placed():
    """`node.labels.<k>` means the host's label on Swarm as on Marathon: each labelled node gets
    its labels from a manager (the node's id read on the node), and services wait for that."""
    d = evaluate_changed("onprem", lambda p: p.update(
        swarm={"managers": ["core-1", "core-2", "core-3"], "workers": ["agent-1"]}, stacks=[app_stack("swarm")]))
    assert d.error is None, d.error
    commands = {c.name: c for c in d.of_type("command:remote:Command")}
    labelled = {n[len("swarm-labels-"):] for n in commands if n.startswith("swarm-labels-")}
    hosts = {h["name"]: h for h in stack_config("onprem")["container-platform:platform"]["hosts"]}
    assert labelled == {n for n in ("core-1", "core-2", "core-3", "agent-1") if hosts[n].get("labels")} != set()
    for n in labelled:
        label = commands[f"swarm-labels-{n}"]
        assert label.inputs["connection"]["host"] == hosts["core-1"]["address"]  # run on the manager
        assert label.inputs["stdin"] == f"swarm-node-{n}-stdout"  # the node's id, read on the node
        for k, v in hosts[n]["labels"].items():
            assert f"--label-add {k}={v}" in label.inputs["create"]
    for service in d.of_type("docker:index/service:Service"):
        assert {commands[f"swarm-labels-{n}"].urn for n in labelled} <= set(service.dependencies)


def test_a_nodes_labels_script_sets_exactly_the_hosts_labels_through_a_real_shell(tmp_path):
    """The script meets /bin/sh with a `docker` that answers `node inspect` with the labels the
    node has (old, zone) and records every `node update`: the one it no longer has is removed,
    the host's are added in one update, each its own flag."""
    from components.platform.swarm import labels_script
    log = tmp_path / "calls"
    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\nif [ \"$2\" = inspect ]; then echo 'old zone '; "
                    f"else printf '%s|' \"$@\" >> {log}; echo >> {log}; fi\n")
    fake.chmod(0o755)
    done = subprocess.run(["sh", "-c", labels_script({"zone": "b", "pool": "private edge"})], input="node-7",
                          text=True, capture_output=True, env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == ["node|update|--label-rm|old|node-7|",  # one argument each
                                            "node|update|--label-add|pool=private edge|--label-add|zone=b|node-7|"]


def test_a_public_service_is_published_at_its_hosts_address(tmp_path):
    """Bound to 0.0.0.0 (x-platform.public), so reached at the host's own address, not loopback."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: nginx:1.27\n    ports: [\"8000:80\"]\n    x-platform: {public: true}\n")
    cfg = stack_config("local")
    platform = {**cfg["container-platform:platform"], "hosts": [{"name": "local", "address": "127.0.0.2"}],
                "stacks": [{"name": "site", "file": str(tmp_path / "compose.yaml"), "scheduler": "local"}]}
    d = evaluate("local", config={**cfg, "container-platform:platform": platform}, secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    assert d.outputs["stacks"]["site"]["published"] == {"web": ["127.0.0.2:8000"]}


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_a_secret_stack_variable_reaches_the_container_only_as_a_secret(tmp_path, scheduler):
    """platform.stacks[].variables.PW: {secret: dbPassword} used as `${PW}` and as a bare
    `environment: [PW]`: the container gets the secret's value, in an input the state keeps
    encrypted, and no output or other input holds it."""
    (tmp_path / "compose.yaml").write_text(
        "services: {db: {image: 'example/db:${TAG}', environment: ['PW', 'URL=pg://u:${PW}@db'],\n"
        "  deploy: {resources: {limits: {cpus: '0.5', memory: 64M}}}}}\n")
    cfg = stack_config(BASE)
    platform = dict(cfg["container-platform:platform"])
    platform["stacks"] = [{"name": "v", "file": str(tmp_path / "compose.yaml"), "scheduler": scheduler,
                           "variables": {"PW": {"secret": "dbPassword"}, "TAG": "7"},
                           "allow": ["secrets-in-marathon-app"] if scheduler == "marathon" else []}]
    d = evaluate(BASE, config={**cfg, "container-platform:platform": platform}, secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    (db,) = resources_of(d, scheduler, "v", "db")
    assert any('"example/db:7"' in json.dumps(r.inputs) for r in d.resources)  # a plain one beside it
    password = PLACEHOLDER_SECRETS["dbPassword"]
    env = values_of(db, scheduler)[0]
    assert (env["PW"], env["URL"]) == (password, f"pg://u:{password}@db")
    assert CARRIES_VALUES[scheduler][0] in db.secret_inputs
    assert password not in json.dumps(d.outputs)
    assert not [r.name for r in d.resources if r is not db and password in json.dumps(r.inputs)
                and not set(r.inputs) <= set(r.secret_inputs)]
