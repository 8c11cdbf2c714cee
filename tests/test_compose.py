"""Compose files in: schema, the platform's rules, references and dependency order."""
import json
import textwrap

import jsonschema
import pytest
import yaml

from components.compose import Ref, Secret, load_stack
from components.compose.references import parse
from components.compose.load import SCHEMA

from .contracts import REFERENCE
from .harness import ROOT

EXAMPLES = sorted((ROOT / "examples" / "compose").glob("*/compose.yaml"))


def load(tmp_path, text, scheduler="local", instances=None):
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(text))
    return load_stack(tmp_path, "compose.yaml", "s", scheduler, instances or {}, "platform.stacks[0]")


def problems(tmp_path, text, **kw):
    stack, found = load(tmp_path, text, **kw)
    assert stack is None and found
    return {p.path: p.message for p in found}


def test_an_x_platform_block_names_every_key_it_takes():
    """Problems.extension, for any block: each unknown key and a block of another shape are
    said with the keys the block takes, comma-separated and sorted."""
    from components.compose.problems import Problems
    out = Problems("compose.yaml")
    assert out.extension("services.a.x-platform", {"public": True, "zize": 1}, ("size", "public")) == {"public": True, "zize": 1}
    assert out.extension("volumes.v.x-platform", "big", ("size", "public")) == {}
    assert out.extension("x-platform", None, ("scheduler",)) == {}
    assert [(p.path, p.message) for p in out.items] == [
        ("compose.yaml:services.a.x-platform.zize", "unknown key; x-platform here takes: public, size"),
        ("compose.yaml:volumes.v.x-platform", "expected a mapping with public, size; got 'big'")]


def test_the_bundled_schema_is_the_upstream_compose_specification():
    assert json.loads(SCHEMA.read_text()) == json.loads((REFERENCE / "compose-spec" / "compose-spec.json").read_text())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_examples_are_valid_compose_and_load_for_every_scheduler(path):
    upstream = json.loads((REFERENCE / "compose-spec" / "compose-spec.json").read_text())
    jsonschema.Draft7Validator(upstream).validate(yaml.safe_load(path.read_text()))
    for scheduler in ("local", "swarm", "marathon"):
        stack, found = load_stack(ROOT, str(path.relative_to(ROOT)), "x", scheduler, {}, "k")
        assert found == [] and stack.scheduler == scheduler


def test_services_come_in_dependency_order_and_references_are_parsed(tmp_path):
    stack, found = load(tmp_path, """
        services:
          web: {image: w, command: "proxy --to ${api.host}:${api.port}", depends_on: [api]}
          api:
            image: a
            environment: {DB: "pg://u:${secret.dbPassword}@${db.host}:${db.port.5432}/x", CACHE: "${cache.host}"}
            expose: ["8000"]
          db: {image: d, expose: ["5432", "9187"]}
          cache: {image: c, expose: [6379]}
        """)
    assert found == []
    order = [s.name for s in stack.services]
    assert order.index("db") < order.index("api") < order.index("web")
    assert order.index("cache") < order.index("api")
    api = stack.service("api")
    assert api.environment["DB"] == ("pg://u:", Secret("dbPassword"), "@", Ref("db", "host"), ":",
                                     Ref("db", "port", 5432), "/x")
    assert api.needs() == {"db", "cache"} and api.secrets() == {"dbPassword"}
    assert stack.service("web").command[-1] == (Ref("api", "host"), ":", Ref("api", "port"))


@pytest.mark.parametrize("text, parts", [
    ("$$5 at ${db.host}", ("$5 at ", Ref("db", "host"))),  # an escaped dollar, then a reference
    ("$HOME:${db.port.5432}", ("$HOME:", Ref("db", "port", 5432))),  # interpolation already judged `$HOME`
    ("${secret.pw}@${db.host}", (Secret("pw"), "@", Ref("db", "host"))),
    ("plain", ("plain",)),
])
def test_every_reference_in_a_value_is_parsed_whatever_comes_before_it(text, parts):
    assert parse(text) == (parts, None)


def test_a_cycle_is_named_in_full(tmp_path):
    found = problems(tmp_path, """
        services:
          a: {image: x, depends_on: [b]}
          b: {image: x, environment: {C: "${c.host}"}}
          c: {image: x, depends_on: [a]}
        """)
    message = found["compose.yaml:services"]
    assert "dependency cycle" in message
    cycle = message.split("dependency cycle ")[1].split(" (")[0].split(" -> ")
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}


def test_unknown_services_and_ports_are_named(tmp_path):
    found = problems(tmp_path, """
        services:
          api: {image: x, depends_on: [dbb], environment: {DB: "${db.host}:${db.port.5433}"}}
          q: {image: x, environment: {Q: "${queue.host}"}}
          db: {image: x, expose: ["5432"]}
          worker: {image: x, environment: {W: "${api.port}"}}
        """)
    assert "no service named 'dbb'" in found["compose.yaml:services.api.depends_on"]
    assert "has no container port 5433" in found["compose.yaml:services.api.environment.DB"]
    assert "not a service reference" in found["compose.yaml:services.q.environment.Q"]
    assert "declares no ports" in found["compose.yaml:services.worker.environment.W"]


@pytest.mark.parametrize("value, says", [
    ("${HOME}", "variable HOME is not set; set it under platform.stacks[0].variables.HOME"),
    ("$HOME/x", "variable HOME is not set"),
    ("${db.hots}", "not a service reference"),
    ("${queue.host}", "not a service reference"),
    ("${TOKEN:?give the API token}", "required variable TOKEN is missing a value: give the API token"),
])
def test_a_variable_without_a_value_is_refused_naming_the_config_key(tmp_path, value, says):
    found = problems(tmp_path, f"""
        services:
          api: {{image: x, environment: {{V: "{value}"}}}}
          db: {{image: x, expose: ["5432"]}}
        """)
    assert says in found["compose.yaml:services.api.environment.V"]


def test_yaml_1_2_floats_are_read_as_docker_compose_reads_them():
    """YAML 1.2's core schema (go-yaml v3, which docker compose uses): .inf in any case and sign,
    .nan, exponents; the text as written is kept for messages."""
    import math
    from components.compose import yaml12
    doc = yaml12.load("a: .inf\nb: -.Inf\nc: +.INF\nd: .NaN\ne: 1.5e3\n")
    assert (doc["a"], doc["b"], doc["c"], doc["e"]) == (math.inf, -math.inf, math.inf, 1500.0) and math.isnan(doc["d"])
    assert [doc[k].text for k in "abcde"] == [".inf", "-.Inf", "+.INF", ".NaN", "1.5e3"]


def test_dollar_escapes_and_lone_dollars_stay_literal(tmp_path):
    stack, found = load(tmp_path, """
        services:
          api: {image: x, environment: {A: "$$HOME", B: "costs $5"}}
        """)
    assert found == [] and stack.service("api").environment == {"A": ("$HOME",), "B": ("costs $5",)}


@pytest.mark.parametrize("text, path, says", [
    ("services: {api: {imag: x}}", "compose.yaml:services.api", "did you mean 'image'"),
    ("services: {api: {image: x, ports: [{target: 80, published: 8080, modee: host}]}}", "compose.yaml:services.api.ports.0", "Compose Specification"),
    ("services: {api: {image: x}, w: {}}", "compose.yaml:services.w.image", "is missing"),
    ("services: {api: {image: x, volumes: ['data:/d']}}", "compose.yaml:services.api.volumes[0]", "not declared"),
    ("services: {api: {image: x, healthcheck: {test: [CMD, x], interval: soon}}}", "compose.yaml:services.api.healthcheck", "not a duration"),
    ("services: {api: {image: x, deploy: {mode: global}}}", "compose.yaml:services.api.deploy.mode", "replicas: 1"),
    ("services: {api: {image: x, x-platform: {publik: true}}}", "compose.yaml:services.api.x-platform.publik", "takes: public"),
    ("secrets: {a: {file: x}}\nservices: {api: {image: x}}", "compose.yaml:secrets.a.file", "does not exist"),
    ("secrets: {a: {environment: TOKEN}}\nservices: {api: {image: x}}", "compose.yaml:secrets.a.environment",
     "x-platform: {secret: <config key>}"),
    ("services: {api: {image: x, ports: ['8000-8010:80']}}", "compose.yaml:services.api.ports[0]", "a range of host ports"),
    ("services: {api: {image: x, ports: ['8000-8010:80-81']}}", "compose.yaml:services.api.ports[0]", "differ in length"),
    ("services: {api: {image: x, healthcheck: {test: []}}}", "compose.yaml:services.api.healthcheck", "test is empty"),
    ("services: {api: {image: x, deploy: {replicas: '${N:-three}'}}}", "compose.yaml:services.api.deploy.replicas",
     "not a whole number"),
    ("services: {api: {image: x, depends_on: [db]}, db: {image: x, volumes: ['nope:/d']}}",
     "compose.yaml:services.db.volumes[0]", "not declared"),
    ("services: {}", "compose.yaml:services", "is empty; a stack needs at least one service"),
    ("services: {api: {image: x, volumes: [{type: bind, target: /x}]}}", "compose.yaml:services.api.volumes[0]",
     "bind source '' must be a path"),
    ("services: {api: {image: x, ports: ['8010-8000:80']}}", "compose.yaml:services.api.ports[0]",
     "'8010-8000' is an empty range"),
    ("services: {api: {image: x, environment: {U: '${db.port.5433}'}}, db: {image: y, expose: [5432, 9187]}}",
     "compose.yaml:services.api.environment.U", "${db.port.5433}: 'db' has no container port 5433; its ports are 5432, 9187"),
    ("services: {api: {image: x, environment: {U: '${db.port}'}}, db: {image: y}}",
     "compose.yaml:services.api.environment.U", "${db.port}: 'db' declares no ports"),
])
def test_bad_compose_files_name_the_key_and_the_fix(tmp_path, text, path, says):
    found = problems(tmp_path, text)
    assert path in found, found
    assert says in found[path]


def test_config_overrides_are_checked_against_the_file(tmp_path):
    stack, found = load(tmp_path, "services: {api: {image: x}}", instances={"apj": 2})
    assert stack is None
    assert {p.path for p in found} == {"platform.stacks[0].services.apj"}
    assert "has no service 'apj'" in found[0].message and "api" in found[0].message


def test_instances_from_config_override_the_file(tmp_path):
    stack, _ = load(tmp_path, "services: {api: {image: x, deploy: {replicas: 2}}, db: {image: y}}", instances={"api": 5})
    assert stack.service("api").replicas == 5 and stack.service("db").replicas == 1


@pytest.mark.parametrize("scheduler, text, path, says", [
    ("marathon", "services: {a: {image: x, restart: 'no'}}", "compose.yaml:services.a.restart", "relaunches"),
    ("marathon", "services: {a: {image: x, deploy: {placement: {constraints: [node.role==manager]}}}}",
     "compose.yaml:services.a.deploy.placement.constraints[0]", "no Marathon equivalent"),
    ("swarm", "services: {a: {image: x, ports: ['80:80'], deploy: {endpoint_mode: dnsrr}}}",
     "compose.yaml:services.a.ports[0]", "needs `mode: host` (long port syntax), or use endpoint_mode vip"),
    ("local", "services: {a: {image: x, ports: ['80:80'], deploy: {replicas: 2}}}", "compose.yaml:services.a.ports", "cannot all bind"),
    # Swarm's dns_config wants name servers beside options, as beside searches.
    ("swarm", "services: {a: {image: x, dns_opt: ['ndots:2']}}", "compose.yaml:services.a.dns_search",
     "Swarm's DNS settings (pulumi-docker's dns_config) need the name servers too: add `dns`"),
    ("marathon", "volumes: {v: {external: true}}\nservices: {a: {image: x, volumes: ['v:/d']}}",
     "compose.yaml:services.a.volumes[0]", "volume 'v' is external; on Marathon a named volume is a local persistent "
                                           "volume that Mesos reserves on one agent"),
    ("local", "secrets: {s: {file: ./compose.yaml}}\nservices: {a: {image: x, secrets: [{source: s, uid: '1000'}]}}",
     "compose.yaml:services.a.secrets", "uid/gid: files the local engine's provider uploads are owned by root; leave "
                                        "them out and set a `mode` the process can read (default 0444)"),
])
def test_what_a_scheduler_cannot_do_is_said_up_front(tmp_path, scheduler, text, path, says):
    found = problems(tmp_path, text, scheduler=scheduler)
    assert says in found[path]


def test_the_scheduler_comes_from_config_or_the_file(tmp_path):
    text = "x-platform: {scheduler: swarm}\nservices: {a: {image: x}}"
    assert load(tmp_path, text, scheduler=None)[0].scheduler == "swarm"
    assert load(tmp_path, text, scheduler="local")[0].scheduler == "local"
    found = problems(tmp_path, "services: {a: {image: x}}", scheduler=None)
    assert "choose one of marathon, swarm, local" in found["platform.stacks[0].scheduler"]


def test_compose_fields_are_typed(tmp_path):
    stack, found = load(tmp_path, """
        volumes: {data: {}}
        services:
          a:
            image: x
            command: ["run", "--fast"]
            entrypoint: /bin/tini --
            ports: ["0.0.0.0:8080:80/udp", {target: 9000, published: 9001, mode: host}, 7000]
            volumes: ["data:/var/lib/x", "/etc/ssl:/etc/ssl:ro"]
            healthcheck: {test: "curl -f localhost", interval: 1m30s, timeout: 500ms, retries: 2, start_period: 2m}
            restart: on-failure:4
            deploy:
              replicas: 3
              resources: {limits: {cpus: "0.25", memory: 1g}}
              update_config: {parallelism: 2, order: start-first, delay: 10s}
              placement: {constraints: [node.labels.zone==a], max_replicas_per_node: 1}
        """, scheduler="swarm")
    assert found == []
    a = stack.service("a")
    assert [(p.target, p.published, p.protocol, p.mode) for p in a.ports] == [
        (80, 8080, "udp", "ingress"), (9000, 9001, "tcp", "host"), (7000, 0, "tcp", "ingress")]
    assert a.ports[0].host_ip == "0.0.0.0"
    assert [(m.source, m.kind, m.read_only) for m in a.mounts] == [("data", "volume", False), ("/etc/ssl", "bind", True)]
    assert a.health.test == ("CMD-SHELL", "curl -f localhost")
    assert (a.health.interval_s, a.health.timeout_s, a.health.retries, a.health.start_period_s) == (90, 1, 2, 120)
    assert (a.restart.condition, a.restart.max_attempts) == ("on-failure", 4)
    assert (a.replicas, a.cpus, a.memory_mb, a.max_per_node) == (3, 0.25, 1024, 1)
    assert (a.update.parallelism, a.update.order, a.update.delay_s) == (2, "start-first", 10)
    assert a.entrypoint == ("/bin/tini", "--")


def test_the_reported_bugs_are_fixed(tmp_path):
    """Issue 12's list: numeric fields from variables, `test: []`, tcp+udp on one port, `disable:
    false`, unquoted `restart: no`, YAML 1.1 scalars, [::1], MiB, global on Swarm, ${TAG} in image."""
    (tmp_path / ".env").write_text("TAG=1.27\n")
    stack, found = load(tmp_path, """
        services:
          dns:
            image: nginx:${TAG:-1.25}
            restart: no
            environment: {DEBUG: yes, MODE: 010, RATIO: 1.10, ON: on}
            ports: ["53:53/tcp", "53:53/udp", "[::]:8081:80"]
            healthcheck: {disable: false, test: ["CMD", "true"], retries: "${RETRIES:-4}"}
            deploy:
              mode: global
              resources: {limits: {cpus: "${CPUS:-0.5}", memory: 512MiB}}
              restart_policy: {max_attempts: "${MAX:-2}"}
              update_config: {max_failure_ratio: "${RATIO:-0.25}"}
        """, scheduler="swarm")
    assert found == [], found
    dns = stack.service("dns")
    assert dns.image == "nginx:1.27" and dns.restart.written == "no"
    assert dns.environment == {"DEBUG": ("yes",), "MODE": ("010",), "RATIO": ("1.10",), "ON": ("on",)}
    assert [(p.target, p.published, p.protocol, p.host_ip) for p in dns.ports] == [
        (53, 53, "tcp", None), (53, 53, "udp", None), (80, 8081, "tcp", "::")]
    local, _ = load(tmp_path, "services: {a: {image: x, ports: ['[::1]:8081:80']}}")
    assert local.service("a").ports[0].host_ip == "::1"
    assert dns.health.retries == 4 and dns.mode == "global"
    assert (dns.cpus, dns.memory_mb, dns.restart.max_attempts, dns.update.max_failure_ratio) == (0.5, 512, 2, 0.25)


def test_a_service_depending_on_a_broken_one_is_not_told_it_does_not_exist(tmp_path):
    found = problems(tmp_path, """
        services:
          api: {image: x, depends_on: [db]}
          db: {image: x, healthcheck: {test: []}}
        """)
    assert set(found) == {"compose.yaml:services.db.healthcheck"}


@pytest.mark.parametrize("scheduler, text, path, says", [
    ("marathon", "services: {a: {image: x, environment: {DB_HOST: db}}, db: {image: d, expose: [5432]}}",
     "compose.yaml:services.a.environment.DB_HOST", "${db.host}"),
    ("marathon", "services: {a: {image: x, command: [curl, 'http://db:5432/']}, db: {image: d}}",
     "compose.yaml:services.a.command[1]", "nothing resolves on Marathon"),
    ("marathon", "volumes: {v: {}}\nservices: {a: {image: x, volumes: ['v:/d'], deploy: {replicas: 2}}}",
     "compose.yaml:services.a.volumes[0]", "each task would get its own"),
    ("marathon", "networks: {x: {}, y: {}}\nservices: {a: {image: x, networks: [x]}, b: {image: x, networks: [y]}}",
     "compose.yaml:services.b.networks", "share no network"),
    ("swarm", "services: {a: {image: x, ports: ['127.0.0.1:80:80']}}", "compose.yaml:services.a.ports[0]",
     "cannot be chosen"),
    ("swarm", "services: {a: {build: .}}", None, None),
    ("marathon", "services: {a: {build: .}}", "compose.yaml:services.a.build", "needs a registry image"),
    ("marathon", "services: {a: {image: x, deploy: {placement: {preferences: [{spread: node.labels.zone}]}}}}",
     "compose.yaml:services.a.deploy.placement.preferences", "Marathon has no spread preference; use a constraint"),
    ("marathon", "networks: {n: {internal: true}}\nservices: {a: {image: x, networks: [n]}}",
     "compose.yaml:services.a.networks", "network 'n' is internal; "),
    ("marathon", "networks: {n: {external: true}}\nservices: {a: {image: x, networks: [n]}}",
     "compose.yaml:services.a.networks", "network 'n' is external; Marathon tasks share one bridge network"),
    ("local", "services: {a: {image: x, container_name: one, deploy: {replicas: 2}}}",
     "compose.yaml:services.a.container_name", "2 replicas"),
    ("local", "services: {a: {image: x, profiles: [debug]}, b: {image: x, depends_on: [a]}}",
     "compose.yaml:services.b.depends_on.a", "none of its profiles (debug) is active"),
])
def test_scheduler_limits_of_compose_as_written(tmp_path, scheduler, text, path, says):
    stack, found = load(tmp_path, text, scheduler=scheduler)
    if path is None:  # accepted: the swarm is this machine, so the image is built here
        assert found == [] and stack.service("a").build is not None
        return
    messages = {p.path: p.message for p in found}
    assert says in messages[path], messages


def test_keys_without_effect_are_warnings_naming_file_and_key(tmp_path):
    stack, found = load(tmp_path, """
        services:
          a: {image: x, container_name: app, environment: [UNSET_VAR], develop: {watch: []}, ports: ["8080:80"],
              x-platform: {public: true}}
        """, scheduler="swarm")
    assert found == []
    said = {w.path: w.message for w in stack.warnings}
    assert "ingress publishes a service's ports on every node" in said["compose.yaml:services.a.x-platform"]
    assert "Swarm names tasks itself" in said["compose.yaml:services.a.container_name"]
    assert "will not have it" in said["compose.yaml:services.a.environment.UNSET_VAR"]
    assert "has no effect on swarm" in said["compose.yaml:services.a.develop"]


def test_include_extends_profiles_and_env_file(tmp_path):
    (tmp_path / "base.yaml").write_text(textwrap.dedent("""
        services:
          common: {image: base, environment: [A=1, B=1], ports: ["80"], labels: [x=1]}
        """))
    (tmp_path / "more.yaml").write_text("services: {cache: {image: redis, volumes: ['./data:/data']}}\n")
    (tmp_path / "app.env").write_text("FROM_FILE=yes\nB=from-file\n")
    stack, found = load(tmp_path, """
        include: [more.yaml]
        services:
          api:
            extends: {file: base.yaml, service: common}
            env_file: app.env
            environment: {B: "2"}
            ports: ["81"]
            labels: [y=2]
          debug: {image: d, profiles: [debug]}
        """)
    assert found == [], found
    api = stack.service("api")
    assert api.image == "base" and [p.target for p in api.ports] == [80, 81] and api.labels == {"x": "1", "y": "2"}
    assert api.environment == {"A": ("1",), "B": ("2",), "FROM_FILE": ("yes",)}
    assert stack.service("cache").mounts[0].source == str(tmp_path / "data")
    assert [s.name for s in stack.services if s.name == "debug"] == []
    assert any("debug" in w.path and "profiles" in w.message for w in stack.warnings)


def test_extends_merges_volumes_by_target(tmp_path):
    (tmp_path / "base.yaml").write_text("services: {common: {image: b, volumes: ['a:/data', 'b:/logs']}}\n")
    stack, found = load(tmp_path, """
        volumes: {a: {}, b: {}, c: {}}
        services:
          api: {extends: {file: base.yaml, service: common}, volumes: ['c:/data']}
        """)
    assert found == [], found
    assert sorted((m.target, m.source) for m in stack.service("api").mounts) == [("/data", "c"), ("/logs", "b")]


def test_extends_of_a_missing_service_and_an_include_cycle_are_named(tmp_path):
    (tmp_path / "base.yaml").write_text("services: {common: {image: base}, other: {image: o}}\n")
    (tmp_path / "a.yaml").write_text("include: [b.yaml]\nservices: {a: {image: a}}\n")
    (tmp_path / "b.yaml").write_text("include: [a.yaml]\nservices: {b: {image: b}}\n")
    found = problems(tmp_path, """
        services:
          api: {extends: {file: base.yaml, service: comon}}
        """)
    assert found["compose.yaml:services.api.extends"] == "no service 'comon' in base.yaml; it has: common, other"
    found = problems(tmp_path, "include: [a.yaml]\nservices: {api: {image: x}}\n")
    # Named where the cycle closes: b.yaml's include, not the file that started the reading.
    assert found == {"b.yaml:include[0]": "a.yaml includes itself (through compose.yaml -> a.yaml -> b.yaml)"}


def test_relative_binds_reach_remote_hosts_only_as_swarm_configs(tmp_path):
    """On another machine's engine a file beside the Compose file becomes a Swarm config; a
    directory cannot get there and is refused with the reason, as is anything on Marathon."""
    (tmp_path / "app.conf").write_text("setting = 1\n")
    (tmp_path / "site").mkdir()
    (tmp_path / "compose.yaml").write_text("services: {a: {image: x, volumes: ['./app.conf:/etc/app.conf:ro']}}\n")
    stack, found = load_stack(tmp_path, "compose.yaml", "s", "swarm", {}, "k", single_machine=False)
    assert found == [] and stack.service("a").mounts == ()
    (ref,) = stack.service("a").files
    assert ref.target == "/etc/app.conf" and stack.files[("config", ref.source)].content == "setting = 1\n"
    assert any("shipped to the swarm as a config" in w.message for w in stack.warnings)
    (tmp_path / "compose.yaml").write_text("services: {a: {image: x, volumes: ['./site:/srv']}}\n")
    for scheduler in ("swarm", "marathon"):
        _, found = load_stack(tmp_path, "compose.yaml", "s", scheduler, {}, "k", single_machine=False)
        assert "(a directory) is on the machine that runs the deploy" in found[0].message
    # On this machine's engine the directory is simply bound.
    stack, found = load_stack(tmp_path, "compose.yaml", "s", "swarm", {}, "k", single_machine=True)
    assert found == [] and stack.service("a").mounts[0].source == str(tmp_path / "site")
    # A config is text: a file that is not is refused once, with that reason (not also "cannot see").
    (tmp_path / "key.bin").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "compose.yaml").write_text("services: {a: {image: x, volumes: ['./key.bin:/k']}}\n")
    _, found = load_stack(tmp_path, "compose.yaml", "s", "swarm", {}, "k", single_machine=False)
    assert {p.path: p.message for p in found} == {
        "compose.yaml:services.a.volumes[0]": f"{tmp_path / 'key.bin'} is not UTF-8 text"}, found


@pytest.mark.parametrize("make, says", [
    (lambda d: (d / "compose.yaml").mkdir(), "is not a file"),
    (lambda d: (d / "compose.yaml").write_bytes(b"\xff\xfe\x00services"), "is not UTF-8 text"),
    (lambda d: (d / "compose.yaml").write_text("a: " + "[" * 5000 + "]" * 5000), "nests deeper"),
    (lambda d: (d / "compose.yaml").write_text("a: !override " + "[" * 100 + "]" * 100), "nests deeper"),
    (lambda d: ((d / "compose.yaml").write_text("services: {a: {image: x, env_file: [e]}}"), (d / "e").mkdir()),
     "is a directory"),
    (lambda d: (d / "compose.yaml").write_text("services: {a: {image: 'Bad Image'}}"), "is not an image reference"),
    (lambda d: (d / "compose.yaml").write_text("services: {a: {image: ''}}"), "is not an image reference"),
])
def test_odd_files_are_problems_not_tracebacks(tmp_path, make, says):
    make(tmp_path)
    stack, found = load_stack(tmp_path, "compose.yaml", "s", "local", {}, "k")
    assert stack is None and any(says in p.message for p in found), found


def test_marathon_refuses_a_zero_limit(tmp_path):
    found = problems(tmp_path, "services: {a: {image: x, deploy: {resources: {limits: {cpus: '0'}}}}}",
                     scheduler="marathon")
    assert "give a figure above 0" in found["compose.yaml:services.a.deploy.resources.limits"]


def test_limits_in_deploy_form_and_top_level_keys_are_never_dropped(tmp_path):
    text = """
        name: myproject
        version: "3.8"
        services:
          a: {image: x, deploy: {resources: {limits: {pids: 100}}}}
        """
    found = problems(tmp_path, text, scheduler="swarm")
    assert "cannot be honoured on swarm" in found["compose.yaml:services.a.pids_limit"]
    stack, found = load(tmp_path, text, scheduler="marathon")
    assert found == [] and stack.service("a").engine.pids_limit == 100
    said = {w.path: w.message for w in stack.warnings}
    assert "has no effect" in said["compose.yaml:name"] and "obsolete" in said["compose.yaml:version"]
    found = problems(tmp_path, "services: {a: {image: x, deploy: {resources: {reservations: {devices: "
                               "[{capabilities: [gpu]}]}}}}}")
    assert "not translated yet" in found["compose.yaml:services.a.deploy.resources.reservations.devices"]
    found = problems(tmp_path, "services: {a: {image: x, deploy: {resources: {reservations: {generic_resources: "
                               "[{discrete_resource_spec: {kind: gpu, value: 1}}]}}}}}")
    assert list(found) == ["compose.yaml:services.a.deploy.resources.reservations.generic_resources"], found
    assert "not translated yet" in found["compose.yaml:services.a.deploy.resources.reservations.generic_resources"]


def test_a_container_port_published_twice_is_named_at_the_services_ports(tmp_path):
    found = problems(tmp_path, "services: {a: {image: x, ports: ['8080:80', '80', '9090:80']}}")
    # A port only exposed beside its published one is fine: the second publish is the problem.
    assert found == {"compose.yaml:services.a.ports": "container port 80/tcp is published twice; publish it once"}


@pytest.mark.parametrize("extra, path, says", [
    ("x-platform: true", "x-platform", "expected a mapping with scheduler"),
    ("x-platform: {schedulr: local}", "x-platform.schedulr", "unknown key"),
    ("volumes: {v: {x-platform: true}}", "volumes.v.x-platform", "expected a mapping with size"),
    ("volumes: {v: {x-platform: {size: lots}}}", "volumes.v.x-platform.size", "is not a size"),
    ("secrets: {s: {x-platform: [1]}}", "secrets.s.x-platform", "expected a mapping with secret"),
    ("configs: {c: {x-platform: {secret: k, mode: 1}}}", "configs.c.x-platform.mode", "unknown key"),
])
def test_x_platform_blocks_of_any_shape_are_judged_never_a_traceback(tmp_path, extra, path, says):
    """The Compose schema leaves an extension's shape open, so its shape is checked here."""
    found = problems(tmp_path, "services:\n  a: {image: nginx:1.27}\n" + extra + "\n")
    assert any(where.endswith(":" + path) and says in message for where, message in found.items()), found


def test_an_env_file_format_docker_compose_does_not_read_is_refused_and_raw_is_read_as_written(tmp_path):
    (tmp_path / "app.env").write_text('A="quoted $X"\n')
    text = "services: {a: {image: x, env_file: [{path: app.env, format: %s}]}}"
    found = problems(tmp_path, text % "yaml")
    assert "'yaml' is not a format docker compose reads" in found["compose.yaml:services.a.env_file[0].format"]
    stack, found = load(tmp_path, text % "raw")
    assert found == [] and stack.service("a").environment["A"] == ('"quoted $X"',)


@pytest.mark.parametrize("text, value", [
    *((t, True) for t in ("y", "Yes", "TRUE", "on", "1")), *((t, False) for t in ("n", "no", "False", "OFF", "0", ""))])
def test_an_interpolated_boolean_reads_as_compose_go_casts_it(tmp_path, text, value):
    # compose-go loader/interpolate.go toBoolean: y/yes/true/on and n/no/false/off, any case.
    (tmp_path / ".env").write_text(f"RO={text}\n")
    stack, found = load(tmp_path, "services: {a: {image: x, read_only: '${RO}'}}")
    assert found == [] and stack.service("a").engine.read_only is value


def test_a_boolean_that_is_neither_is_refused_naming_it(tmp_path):
    (tmp_path / ".env").write_text("RO=maybe\n")
    found = problems(tmp_path, "services: {a: {image: x, read_only: '${RO}'}}")
    assert "'maybe' is not true or false" in found["compose.yaml:services.a.read_only"]


def test_a_problem_of_the_whole_file_names_the_file_alone(tmp_path):
    found = problems(tmp_path, "services: {a: {image: x}}\nservice: {b: {image: y}}")
    assert "unknown key 'service', did you mean 'services'?" in found["compose.yaml"]


def test_the_highest_port_is_65535(tmp_path):
    stack, found = load(tmp_path, "services: {a: {image: x, ports: ['65535:80', '8000:65535']}}")
    assert found == [] and [(p.published, p.target) for p in stack.service("a").ports] == [(65535, 80), (8000, 65535)]
    for ports in ("['65536:80']", "['8000:65536']", "['65530-65536:80-86']"):
        found = problems(tmp_path, "services: {a: {image: x, ports: %s}}" % ports)
        assert "65536 is not a port number (1-65535)" in found["compose.yaml:services.a.ports[0]"], ports


@pytest.mark.parametrize("spec, existing", [
    ("{external: true}", "data"), ("{external: true, name: real}", "real"),
    ("{external: {name: legacy}}", "legacy"), ("{external: {}, name: real}", "real")])
def test_an_external_volume_or_network_is_the_existing_object_of_its_name(tmp_path, spec, existing):
    stack, found = load(tmp_path, f"volumes: {{data: {spec}}}\nnetworks: {{data: {spec}}}\n"
                                  "services: {a: {image: x, volumes: ['data:/d'], networks: [data]}}")
    assert found == [] and stack.volumes["data"].external == existing and stack.networks["data"].external == existing


def test_marathon_says_why_a_network_mode_is_refused(tmp_path):
    found = problems(tmp_path, "services: {a: {image: x, network_mode: host}}", scheduler="marathon")
    assert found["compose.yaml:services.a.network_mode"] == (
        "'host': Marathon tasks run on bridge networking here, because marathon-lb routes to the host ports "
        "Marathon assigns")


def test_every_undeclared_secret_or_config_is_named(tmp_path):
    found = problems(tmp_path, "services: {a: {image: x, secrets: [one, two], configs: [three]}}")
    assert [k for k in found if "secrets[" in k or "configs[" in k] == [
        "compose.yaml:services.a.secrets[0]", "compose.yaml:services.a.secrets[1]", "compose.yaml:services.a.configs[0]"]


def test_without_a_scheduler_only_that_is_said_and_the_file_is_judged_as_local_would(tmp_path):
    # A `build` without `image` is fine on the local engine, refused on Swarm across hosts and
    # Marathon: the one problem is the missing scheduler.
    (tmp_path / "compose.yaml").write_text("services: {a: {build: .}}\n")
    stack, found = load_stack(tmp_path, "compose.yaml", "s", None, {}, "platform.stacks[0]")
    assert stack is None and [p.path for p in found] == ["platform.stacks[0].scheduler"], found


def test_a_negative_figure_is_refused_naming_it(tmp_path):
    found = problems(tmp_path, "services: {a: {image: x, deploy: {resources: {limits: {cpus: '-0.5'}}}}}")
    assert found["compose.yaml:services.a.deploy.resources.limits.cpus"] == "'-0.5' is not a non-negative number"


def test_a_variable_unset_two_extends_down_names_the_stacks_variables(tmp_path):
    (tmp_path / "base2.yaml").write_text("services: {b2: {image: 'x:${DEEP_TAG}'}}\n")
    (tmp_path / "base.yaml").write_text("services: {b: {extends: {file: base2.yaml, service: b2}}}\n")
    found = problems(tmp_path, "services: {a: {extends: {file: base.yaml, service: b}}}")
    # Said once, in the file and at the key that holds the variable: not again as a's bad image.
    assert list(found) == ["base2.yaml:services.b2.image"], found
    assert found["base2.yaml:services.b2.image"].startswith(
        "variable DEEP_TAG is not set; set it under platform.stacks[0].variables.DEEP_TAG"), found


def test_a_problem_of_an_included_file_is_named_by_that_file(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "db.yaml").write_text(
        "services:\n  db: {image: 'postgres:${PG}', ports: ['${DBPORT}:5432']}\n  dbx: {extends: nothere}\n")
    found = problems(tmp_path, "include: [parts/db.yaml]\nservices: {api: {image: x, ports: ['${APIPORT}:80']}}\n")
    # Everything about a service is named in the file that wrote it (its values, its extends, the
    # checks of the merged service); db's unset values are not said again as a bad image and port.
    assert sorted(found) == [
        "compose.yaml:services.api.ports[0]", "parts/db.yaml:services.db.image",
        "parts/db.yaml:services.db.ports[0]", "parts/db.yaml:services.dbx.extends",
        "parts/db.yaml:services.dbx.image"], found
    assert found["parts/db.yaml:services.db.ports[0]"].startswith("variable DBPORT is not set"), found
    assert found["parts/db.yaml:services.dbx.extends"] == "no service 'nothere' in db.yaml; it has: db, dbx", found


def test_a_service_name_with_dots_is_named_by_its_own_file(tmp_path):
    (tmp_path / "inc.yaml").write_text("services:\n  web.v2: {image: x, ports: ['99999:80']}\n"
                                       "  web: {image: x, ports: ['99998:80']}\n")
    found = problems(tmp_path, "include: [inc.yaml]\nservices:\n  web.v2.x: {image: x, ports: ['99999:80']}\n"
                               "  web.v2.y: {image: x, deploy: {replicas: -1}}\n")
    assert sorted(found) == ["compose.yaml:services.web.v2.x.ports[0]", "compose.yaml:services.web.v2.y.deploy.replicas",
                             "inc.yaml:services.web.ports[0]", "inc.yaml:services.web.v2.ports[0]"], found
    (tmp_path / "inc.yaml").write_text("services:\n  web.v2: 5\n")  # a problem at the service's own key
    assert list(problems(tmp_path, "include: [inc.yaml]\nservices: {web: {image: x}}\n")) == ["inc.yaml:services.web.v2"]


def test_a_namespace_of_another_service_must_name_one_of_the_file(tmp_path):
    """`service:<name>` in network_mode, ipc or pid (a crash before: the missing service was
    looked up when ordering the stack)."""
    found = problems(tmp_path, """
        services:
          a: {image: x, network_mode: 'service:db', ipc: 'service:a', pid: 'service:b'}
          b: {image: x}
        """)
    assert found == {
        "compose.yaml:services.a.network_mode": "'service:db': no service named 'db' in this file; services are: a, b",
        "compose.yaml:services.a.ipc": "'service:a' is the service itself; name another service of the file"}, found


def test_marathon_refuses_to_join_another_services_namespace(tmp_path):
    found = problems(tmp_path, "services: {a: {image: x, ipc: 'service:b', pid: 'service:b'}, b: {image: x}}",
                     scheduler="marathon")
    assert {k: v for k, v in found.items() if k.endswith((".ipc", ".pid"))} == {
        f"compose.yaml:services.a.{key}": ("'service:b': Marathon places each service's tasks on their own, so a "
                                           "task cannot join another service's namespace; run the stack with "
                                           "scheduler local") for key in ("ipc", "pid")}, found


def test_an_ipc_donor_of_another_mode_is_refused_with_the_engines_reason(tmp_path):
    found = problems(tmp_path, "services: {a: {image: x, ipc: 'service:b'}, b: {image: x, ipc: private}}")
    assert found == {"compose.yaml:services.a.ipc": (
        "'service:b': b's ipc is 'private', and the engine lets a container join only a shareable one; "
        "drop its ipc or set it to shareable")}, found


def test_extends_replaces_a_long_volume_by_its_target_and_keeps_the_others(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "services: {b: {image: x, volumes: [{type: volume, source: a, target: /a}, 'c:/c']}}\n")
    stack, found = load(tmp_path, """
        services:
          s: {extends: {file: base.yaml, service: b}, volumes: [{type: volume, source: z, target: /c}]}
        volumes: {a: {}, c: {}, z: {}}
        """)
    assert found == [], found
    assert sorted((m.target, m.source) for m in stack.service("s").mounts) == [("/a", "a"), ("/c", "z")]


def test_extends_merges_list_environments_by_the_name_before_the_first_equals(tmp_path):
    (tmp_path / "base.yaml").write_text("services: {b: {image: x, environment: ['URL=a=b', 'KEEP=1']}}\n")
    stack, found = load(tmp_path, "services: {s: {extends: {file: base.yaml, service: b}, environment: ['URL=c=d']}}")
    assert found == [], found
    assert {k: "".join(map(str, v)) for k, v in stack.service("s").environment.items()} == {"URL": "c=d", "KEEP": "1"}


def test_an_included_files_extends_reads_the_stacks_variables(tmp_path):
    (tmp_path / "base.yaml").write_text("services: {b: {image: 'x:${TAG}'}}\n")
    (tmp_path / "inc.yaml").write_text("services: {i: {extends: {file: base.yaml, service: b}}}\n")
    (tmp_path / "compose.yaml").write_text("include: [inc.yaml]\nservices: {a: {image: y}}\n")
    stack, found = load_stack(tmp_path, "compose.yaml", "s", "local", {}, "platform.stacks[0]", {"TAG": "7"})
    assert found == [], found
    assert stack.service("i").image == "x:7"


def test_extension_keys_of_a_top_level_object_are_left_to_their_readers(tmp_path):
    stack, found = load(tmp_path, """
        services: {a: {image: x, networks: [n], volumes: ['v:/v']}}
        networks: {n: {x-note: kept for humans}}
        volumes: {v: {x-backup: nightly}}
        """)
    assert found == [] and stack.warnings == (), (found, stack and stack.warnings)


def test_a_network_of_a_container_outside_the_stack_is_refused_on_local(tmp_path):
    found = problems(tmp_path, "services: {a: {image: x, network_mode: 'container:abc'}}")
    assert found == {"compose.yaml:services.a.network_mode":
                     "names a container outside the stack; use service:<name> of this stack"}, found


def test_an_entrypoint_that_is_not_words_is_refused_by_key(tmp_path):
    found = problems(tmp_path, """services: {a: {image: x, entrypoint: "sh -c 'unclosed"}}""")
    assert list(found) == ["compose.yaml:services.a.entrypoint"], found


def test_a_local_volume_is_a_persistent_volume_on_marathon(tmp_path):
    stack, found = load(tmp_path, """
        services: {a: {image: x, volumes: ['data:/d'], deploy: {resources: {limits: {cpus: '0.5', memory: 256m}}}}}
        volumes: {data: {driver: local, x-platform: {size: 1g}}}
        """, scheduler="marathon")
    assert found == [], found
    assert [m.source for m in stack.service("a").mounts] == ["data"]


def test_a_secret_variable_becomes_the_pulumi_secret_in_environment_and_command(tmp_path):
    """platform.stacks[].variables.X: {secret: k} (README, Compose stacks): `${X}` in an
    environment or command value, and a bare `environment: [X]`, take the Pulumi secret k; a
    plain variable beside it is interpolated as text."""
    from components.compose.project import SecretVariable
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        services:
          a:
            image: example/a:${TAG}
            environment: {URL: 'postgres://u:${PW}@db/app', PW: null, PLAIN: '${TAG}'}
            command: [serve, '--password=${PW}']
        """))
    stack, found = load_stack(tmp_path, "compose.yaml", "s", "local", {}, "platform.stacks[0]",
                              {"PW": SecretVariable("dbPassword"), "TAG": "1.2"})
    assert found == [], found
    a = stack.service("a")
    assert a.image == "example/a:1.2"
    assert a.environment == {"URL": ("postgres://u:", Secret("dbPassword"), "@db/app"),
                             "PW": (Secret("dbPassword"),), "PLAIN": ("1.2",)}
    assert a.command == (("serve",), ("--password=", Secret("dbPassword")))


@pytest.mark.parametrize("where, text", [
    ("services.a.labels.x", "services: {a: {image: x, labels: {x: '${PW}'}}}"),
    ("services.a.image", "services: {a: {image: 'x:${PW}'}}"),
    ("volumes.v.name", "volumes: {v: {name: '${PW}'}}\nservices: {a: {image: x}}"),
])
def test_a_secret_variable_anywhere_but_environment_and_command_is_refused(tmp_path, where, text):
    from components.compose.project import SecretVariable
    (tmp_path / "compose.yaml").write_text(text + "\n")
    stack, found = load_stack(tmp_path, "compose.yaml", "s", "local", {}, "platform.stacks[0]",
                              {"PW": SecretVariable("dbPassword")})
    assert stack is None
    assert {p.path: p.message for p in found} == {f"compose.yaml:{where}": (
        "PW is a secret (platform.stacks[].variables.PW), which may be used only in environment and "
        "command values: anywhere else it would be stored in plain text")}


@pytest.mark.parametrize("files, where, says", [
    ({"part.yaml": "services: [a\n"}, "part.yaml", "part.yaml is not valid YAML: "),
    ({"part.yaml": "- services\n"}, "part.yaml", "part.yaml is not a Compose file (its top level is not a mapping)"),
    ({"part.yaml": "services: {b: {image: y}}\n", ".env": "A=1\nA='unclosed\n"}, ".env",
     "line 2: unterminated quoted value 'unclosed"),
])
def test_a_broken_include_or_env_file_is_named_in_its_own_file(tmp_path, files, where, says):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    found = problems(tmp_path, "include: [part.yaml]\nservices: {a: {image: x}}\n")
    assert [k for k, v in found.items() if says in v] == [where], found  # said once, by the file at fault
    if where == "part.yaml":  # and the including file says it could not take it, once
        assert found["compose.yaml:include[0]"] == "part.yaml: cannot be included (see above)"


def test_an_included_files_top_level_resources_join_the_file_and_its_own_definition_is_laid_over(tmp_path):
    """The specification's include section: included networks and volumes join the model (a kind
    the including file lacks included); a name the including file defines too is its own laid
    over the included one (compose-go include.go since 3d3411d), not refused."""
    (tmp_path / "part.yaml").write_text(
        "services: {b: {image: y, networks: [back], volumes: ['data:/d']}}\n"
        "networks: {back: {}}\nvolumes: {data: {labels: {team: db}}}\n")
    stack, found = load(tmp_path, "include: [part.yaml]\nservices: {a: {image: x}}\n")
    assert found == [], found
    assert {s.name for s in stack.services} == {"a", "b"}
    assert "back" in stack.networks and "data" in stack.volumes
    stack, found = load(tmp_path, "include: [part.yaml]\nservices: {a: {image: x}}\n"
                                  "volumes: {data: {labels: {tier: 1}}}\n")
    assert found == [], found
    assert dict(stack.volumes["data"].labels) == {"team": "db", "tier": "1"}


@pytest.mark.parametrize("services, where, chain", [
    ("a: {image: x, extends: b}\nb: {image: x, extends: c}\nc: {image: x, extends: a}", "c", "a -> b -> c -> a"),
    ("a: {image: x, extends: a}", "a", "a -> a"),
])
def test_an_extends_cycle_is_named_whole_where_it_closes(tmp_path, services, where, chain):
    """Each service on the cycle is named once, the one whose extends closes it included
    (it was left out: a -> b -> a for a cycle through c)."""
    found = problems(tmp_path, "services:\n" + textwrap.indent(services, "  ") + "\n")
    assert found == {f"compose.yaml:services.{where}.extends": f"extends cycle: {chain}"}, found


LIMITS = "deploy: {resources: {limits: {cpus: '1', memory: 64M}}}"


@pytest.mark.parametrize("scheduler, text, says", [
    ("local", "services: {a: {image: x, volumes_from: ['container:other:ro']}}",
     {"services.a.volumes_from[0]": "names a container outside the stack; name a service of the stack"}),
    ("local", "services: {b: {image: y, volumes_from: [nope]}}",
     {"services.b.volumes_from": "no service named 'nope' in this file; services are: b"}),
    ("local", "services: {a: {image: x, ports: [{target: '80-81', published: '8080'}]}}",
     {"services.a.ports[0]": "published '8080' and target '80-81' differ in length"}),
    ("local", "services: {a: {image: x, healthcheck: {test: ['FOO', 'x']}}}",
     {"services.a.healthcheck": "test ['FOO', 'x'] must start with CMD or CMD-SHELL and name a command"}),
    ("local", "secrets: {s: {external: true}}\nservices: {a: {image: x, secrets: [s]}}",
     {"services.a.secrets": "secret 's' is external, an object of Swarm, which the local engine does not have; "
                            "give it a file or content"}),
    ("marathon", f"services: {{a: {{image: x, {LIMITS}}}, b: {{image: y, links: ['a:alias'], {LIMITS}}}}}",
     {"services.a.networks": "alias 'alias': Marathon tasks have no host names; other services reach this one "
                             "with ${a.host}"}),
    ("local", "models: {m: {model: ai/x}}\nservices: {a: {image: x}}",
     {"models": "is not supported: AI models need a model runner, which no scheduler here has"}),
    ("local", "services: {a: {image: x, environment: {S: '${a.host}'}}}",
     {"services.a.environment.S": "${a.host} refers to the service itself; a service knows its own address"}),
    ("local", "services: {a: {image: x, env_file: [e.env]}}",
     {"services.a.env_file[0]": "e.env: line 1: required variable B is missing a value: must be set"}),
    ("swarm", "services: {a: {image: x, deploy: {placement: {constraints: ['node.hostname=a']}}}}",
     {"services.a.deploy.placement.constraints[0]": "'node.hostname=a' is not a constraint: Swarm takes "
      "<attribute>==<value> or <attribute>!=<value>, e.g. 'node.labels.zone==a'"}),
    ("marathon", f"services: {{a: {{image: x, {LIMITS[:-1]}, placement: {{constraints: ['zone is a']}}}}}}}}",
     {"services.a.deploy.placement.constraints[0]": "'zone is a' is not a constraint; write e.g. "
      "'node.labels.zone==a' or 'node.hostname!=b'"}),
])
def test_what_no_scheduler_or_engine_takes_is_refused_at_its_key(tmp_path, scheduler, text, says):
    (tmp_path / "e.env").write_text("A=${B:?must be set}\n")
    assert problems(tmp_path, text, scheduler=scheduler) == {f"compose.yaml:{k}": v for k, v in says.items()}


def test_a_service_out_of_its_profiles_is_named_so_by_whatever_refers_to_it(tmp_path):
    """Not 'no service named a' (it is in the file): the profiles that would deploy it."""
    found = problems(tmp_path, "services: {a: {image: x, profiles: [dbg]}, b: {image: y, volumes_from: [a], "
                               "network_mode: 'service:a', environment: {A: '${a.host}'}}}")
    not_deployed = ("'a' is not deployed: none of its profiles (dbg) is active; activate one under "
                    "platform.stacks[].profiles")
    assert found == {"compose.yaml:services.b.volumes_from": not_deployed,
                     "compose.yaml:services.b.network_mode": f"'service:a': {not_deployed}",
                     "compose.yaml:services.b.environment.A": f"${{a.host}}: {not_deployed}"}


def test_constraints_become_marathons_fields_and_a_decimal_mode_stays_as_written(tmp_path):
    from components.compose.constraints import to_marathon
    assert to_marathon("node.hostname==h0") == (["hostname", "CLUSTER", "h0"], None)
    assert to_marathon(" node.labels.zone != a ") == (["zone", "UNLIKE", "a"], None)
    assert to_marathon("node.labels.==a")[0] is None  # a label needs a name
    stack, found = load(tmp_path, "configs: {c: {content: hi}}\n"
                                  "services: {a: {image: x, configs: [{source: c, mode: 292}], healthcheck: {test: [NONE]}}}")
    assert found == [], found
    (ref,) = stack.service("a").files
    assert ref.mode == 0o444  # 292 in decimal, as Compose's schema allows
    assert (stack.service("a").health, stack.service("a").health_disabled) == (None, True)  # NONE: every check off


def test_a_dollar_escaped_in_a_default_is_one_dollar_outside_templates(tmp_path):
    """`$$` inside `${VAR:-...}` or `${VAR:+...}` is a literal `$` (compose-go template.go) in a
    field the platform keeps no references in, such as a label."""
    (tmp_path / ".env").write_text("A=1\n")
    stack, found = load(tmp_path, "services: {a: {image: x, labels: {d: '${UNSET:-x$$y}', p: '${A:+p$$q}'}}}\n")
    assert found == [] and stack.service("a").labels == {"d": "x$y", "p": "p$q"}


def test_a_compose_file_is_read_as_utf_8_whatever_the_machines_locale(tmp_path, monkeypatch):
    """Compose files are UTF-8 (YAML 1.2); a deploy machine whose locale is Latin-1 must not read
    `café` as `cafÃ©`. Python picks the locale's encoding for a text file opened without one."""
    import io
    (tmp_path / "compose.yaml").write_text("services: {a: {image: x, labels: {place: café}}}\n", encoding="utf-8")
    monkeypatch.setattr(io, "text_encoding", lambda encoding, *_: encoding or "latin-1")
    stack, found = load_stack(tmp_path, "compose.yaml", "s", "local", {}, "platform.stacks[0]")
    assert found == [] and stack.service("a").labels == {"place": "café"}


def test_replicas_of_a_global_service_is_said_to_have_no_effect(tmp_path):
    stack, found = load(tmp_path, "services: {a: {image: x, deploy: {mode: global, replicas: 3}}, "
                                  "b: {image: x, scale: 2, deploy: {mode: global}}}", scheduler="swarm")
    assert found == []
    assert {w.path: w.message for w in stack.warnings} == {
        "compose.yaml:services.a.deploy.replicas": "has no effect: a global service runs one task on every node "
                                                  "its placement allows",
        "compose.yaml:services.b.scale": "has no effect: a global service runs one task on every node its placement allows"}


@pytest.mark.parametrize("written, where", [
    ("pids_limit: -2", "services.a.pids_limit"),
    ("deploy: {resources: {limits: {pids: -2}}}", "services.a.deploy.resources.limits.pids")])
def test_a_pids_limit_below_unlimited_is_named_at_the_key_that_wrote_it(tmp_path, written, where):
    """-1 is Docker's "no limit"; anything lower is no limit at all, named where it was written."""
    found = problems(tmp_path, f"services: {{a: {{image: x, {written}}}}}", scheduler="marathon")
    assert found == {f"compose.yaml:{where}": "-2 is less than -1"}
    stack, found = load(tmp_path, f"services: {{a: {{image: x, {written.replace('-2', '-1')}}}}}", scheduler="marathon")
    assert found == [] and stack.service("a").engine.pids_limit == -1


def test_a_reference_to_a_service_the_file_lacks_is_not_read_as_a_default(tmp_path):
    """`${db-main.host}` is the variable `db` with the default `main.host` to the Compose rules;
    in an environment value, where references live, it is almost surely a misnamed service."""
    found = problems(tmp_path, "services: {a: {image: x, environment: {DB: '${db-main.host}'}}}")
    assert found == {"compose.yaml:services.a.environment.DB": (
        "'${db-main.host}' reads as the variable db with the default 'main.host', but looks like a service "
        "reference: no service of the project is named 'db-main'")}


def test_a_network_key_written_at_its_default_says_nothing(tmp_path):
    """`enable_ipv4: true` or `attachable: false` is what every network has: nothing to refuse
    or warn about; the same keys away from their defaults are judged by their rule."""
    stack, found = load(tmp_path, "services: {a: {image: x}}\n"
                                  "networks: {back: {enable_ipv4: 'true', attachable: false, internal: false}}\n")
    assert found == [] and stack.warnings == ()
    found = problems(tmp_path, "services: {a: {image: x}}\nnetworks: {back: {enable_ipv4: false}}\n")
    assert found == {"compose.yaml:networks.back.enable_ipv4": (
        "cannot be honoured on local: pulumi-docker's `docker.Network` cannot turn IPv4 off")}


@pytest.mark.parametrize("env_file, variables, active", [
    ("COMPOSE_PROFILES=debug, ops\n", {}, {"debug", "ops"}),
    ("", {"COMPOSE_PROFILES": "ops"}, {"ops"}),
    ("COMPOSE_PROFILES=debug\n", {"COMPOSE_PROFILES": "ops"}, {"ops"}),  # the stack's variables win over .env
])
def test_compose_profiles_from_the_env_file_or_the_stacks_variables(tmp_path, env_file, variables, active):
    (tmp_path / ".env").write_text(env_file)
    (tmp_path / "compose.yaml").write_text(
        "services: {a: {image: x}, d: {image: x, profiles: [debug]}, o: {image: x, profiles: [ops]}}\n")
    stack, found = load_stack(tmp_path, "compose.yaml", "s", "local", {}, "platform.stacks[0]", variables)
    assert found == [], found
    profiled = {"d": "debug", "o": "ops"}
    assert {s.name for s in stack.services} == {"a"} | {n for n, p in profiled.items() if p in active}
