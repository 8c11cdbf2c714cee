"""Property-based: generated Compose services (any key of the specification with values of any
shape, variables with and without defaults) are accepted or refused with problems, and what
is accepted maps onto every scheduler's arguments: never a traceback."""
from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from components.compose import host_access, keys, load_stack
from components.services import local, marathon, swarm

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "no", "yes", "010", "1.5", "512MiB", "1g", "10s", "1m30s", "always", "on-failure:3",
                     "global", "host", "80", "8080:80", "127.0.0.1:8080:80/udp", "[::1]:8081:80", "8000-8001:80-81",
                     "data:/d", "/d", "./rel:/d:ro", "${TAG:-3}", "${UNSET}", "${N?need}", "$$x", "${db.host}",
                     "CMD", "NONE", "x=y", "SYS_ADMIN", "/bin/sh -c 'echo hi'", "node.hostname==a"]),
    st.text(max_size=12),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["test", "interval", "retries", "target", "published", "source", "type", "condition", "replicas", "limits",
         "cpus", "memory", "mode", "aliases", "soft", "hard", "driver", "options", "disable", "context"]), inner,
        max_size=3)), max_leaves=8)
SERVICE = st.dictionaries(st.sampled_from(sorted(set(keys.SERVICE_KEYS) - {"extends"})), VALUES, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(services=st.dictionaries(st.sampled_from(["db", "api", "web"]), SERVICE, min_size=1, max_size=3),
       scheduler=st.sampled_from(["local", "swarm", "marathon"]),
       variables=st.dictionaries(st.sampled_from(["TAG", "N"]), st.sampled_from(["1", "x", ""]), max_size=2))
# Found under mutation testing: an unset variable where a mapping belongs (its problem and the
# schema's share a key path, and only the first is kept) went on to be read as a mapping.
@example(services={"db": {"logging": "${UNSET}"}}, scheduler="local", variables={})
def test_any_service_is_accepted_or_refused_never_a_traceback(services, scheduler, variables):
    for s in services.values():
        s.setdefault("image", "x")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "compose.yaml").write_text(yaml.safe_dump({"services": services}))
        stack, problems = load_stack(Path(tmp), "compose.yaml", "s", scheduler, {}, "k", variables)
    assert (stack is None) == bool(problems)
    for p in problems:
        assert p.path.startswith(("compose.yaml", "k.")) and p.message
    if stack is None:
        return
    names = {s.name: f"c-{s.name}" for s in stack.services}
    for s in stack.services:
        if scheduler == "local":
            local.container_args(s, "c", "img", {}, [], {"default": "n"} | {a.network: "n" for a in s.networks},
                                 {v: v for v in stack.volumes}, {k: "x" for k in stack.files}, names, {}, False)
        elif scheduler == "swarm":
            swarm.service_args("p", "s", s, "img", {}, [], {"default": "n", "host": "host"} |
                               {a.network: "n" for a in s.networks}, {v: v for v in stack.volumes},
                               {k: ("id", "name") for k in stack.files})
        else:
            marathon.app_definition("p", "s", s, {}, [], {p.target: 10000 + i for i, p in enumerate(s.ports)}, "g")


VARIABLE = st.sampled_from(["${N:-2}", "${N}", "${N-0}", "${UNSET:-1.5}", "${UNSET:?needed}", "$$N", "${db.port}"])
WORD = st.one_of(st.sampled_from(["x", "0", "-1", "1.5", "10s", "1m", "512m", "1GiB", "on-failure:2", "no", "always",
                                  "tcp", "udp", "host", "ingress", "rw", "ro"]), VARIABLE)
# An x-platform block: the Compose schema leaves its shape open, so any shape may come.
EXTENSION = st.one_of(st.none(), st.booleans(), st.lists(WORD, max_size=2), WORD,
                      st.dictionaries(st.sampled_from(["public", "scheduler", "size", "secret", "other"]),
                                      st.one_of(st.booleans(), WORD, st.integers()), max_size=2))
PLAUSIBLE = {
    "ports": st.lists(st.one_of(st.integers(0, 70000), st.sampled_from(
        ["80", "8080:80", "127.0.0.1:8080:80", "[::1]:81:80/udp", "8000-8001:80-81", "9000-9010:90", ":80", "a:b"]),
        st.fixed_dictionaries({"target": st.one_of(st.integers(0, 70000), WORD)},
                              optional={"published": st.one_of(st.integers(0, 70000), WORD),
                                        "protocol": WORD, "mode": WORD, "host_ip": WORD})), max_size=3),
    "volumes": st.lists(st.one_of(st.sampled_from(["data:/d", "/d", "./x:/x:ro", "~/y:/y", "/a:/b:rw,z", "v:rel"]),
                                  st.fixed_dictionaries({"type": st.sampled_from(["volume", "bind", "tmpfs", "npipe"]),
                                                         "target": st.sampled_from(["/t", "t"])},
                                                        optional={"source": st.sampled_from(["data", "./s", "/s", ""]),
                                                                  "read_only": st.booleans(),
                                                                  "tmpfs": st.fixed_dictionaries({"size": WORD})})),
                        max_size=3),
    "environment": st.one_of(st.dictionaries(st.sampled_from(["A", "B"]), st.one_of(st.none(), WORD, st.integers())),
                             st.lists(st.sampled_from(["A=1", "B", "C=${N:-x}", "D=$$x"]), max_size=3)),
    "healthcheck": st.fixed_dictionaries({}, optional={"test": st.one_of(st.just([]), st.lists(WORD, max_size=3), WORD),
                                                       "interval": WORD, "retries": st.one_of(st.integers(), WORD),
                                                       "disable": st.booleans(), "start_interval": WORD}),
    "deploy": st.fixed_dictionaries({}, optional={
        "replicas": st.one_of(st.integers(0, 5), WORD), "mode": WORD,
        "resources": st.fixed_dictionaries({}, optional={"limits": st.fixed_dictionaries(
            {}, optional={"cpus": st.one_of(st.floats(0, 4), WORD), "memory": WORD, "pids": st.integers(0, 9)}),
            "reservations": st.fixed_dictionaries({}, optional={"cpus": WORD, "memory": WORD})}),
        "restart_policy": st.fixed_dictionaries({}, optional={"condition": WORD, "max_attempts": WORD, "delay": WORD}),
        "update_config": st.fixed_dictionaries({}, optional={"parallelism": WORD, "max_failure_ratio": WORD,
                                                             "order": st.sampled_from(["start-first", "stop-first"])}),
        "placement": st.fixed_dictionaries({}, optional={"constraints": st.lists(st.sampled_from(
            ["node.hostname==a", "node.labels.zone!=b", "node.role==manager", "bad"]), max_size=2),
            "max_replicas_per_node": WORD, "preferences": st.just([{"spread": "node.labels.zone"}])})}),
    "restart": WORD, "user": WORD, "init": st.one_of(st.booleans(), WORD), "shm_size": WORD, "tmpfs": st.one_of(
        WORD, st.lists(WORD, max_size=2)), "ulimits": st.dictionaries(st.sampled_from(["nofile", "nproc"]), st.one_of(
            st.integers(), WORD, st.fixed_dictionaries({"soft": st.integers(), "hard": WORD}))),
    "stop_grace_period": WORD, "cpus": WORD, "mem_limit": WORD, "scale": st.one_of(st.integers(0, 3), WORD),
    "extra_hosts": st.one_of(st.lists(st.sampled_from(["h:1.2.3.4", "h=::1", "x"]), max_size=2),
                             st.dictionaries(st.sampled_from(["h"]), WORD)),
    "depends_on": st.one_of(st.lists(st.sampled_from(["db", "api", "web", "ghost"]), max_size=2),
                            st.dictionaries(st.sampled_from(["db", "api", "ghost"]), st.fixed_dictionaries(
                                {"condition": st.sampled_from(["service_started", "service_healthy",
                                                               "service_completed_successfully"])},
                                optional={"required": st.booleans()}))),
    "networks": st.one_of(st.lists(st.sampled_from(["default", "back", "missing"]), max_size=2),
                          st.dictionaries(st.sampled_from(["back", "default"]), st.one_of(
                              st.none(), st.fixed_dictionaries({"aliases": st.lists(WORD, max_size=2)})))),
    "command": st.one_of(WORD, st.lists(WORD, max_size=3), st.just("echo 'unclosed")),
    "entrypoint": st.one_of(WORD, st.lists(WORD, max_size=2), st.just([])),
    "network_mode": st.sampled_from(["host", "none", "bridge", "service:db", "container:x"]),
    "profiles": st.lists(st.sampled_from(["a", "b"]), max_size=2), "expose": st.lists(WORD, max_size=2),
    "secrets": st.lists(st.one_of(st.sampled_from(["s", "missing"]), st.fixed_dictionaries(
        {"source": st.sampled_from(["s", "missing"])}, optional={"target": WORD, "mode": WORD, "uid": WORD})),
        max_size=2),
    "build": st.one_of(st.just("."), st.fixed_dictionaries({"context": st.just(".")}, optional={"target": WORD})),
    "links": st.lists(st.sampled_from(["db", "db:database", "ghost"]), max_size=2),
    "volumes_from": st.lists(st.sampled_from(["db", "container:x"]), max_size=1),
    "privileged": st.one_of(st.booleans(), WORD), "pid": WORD, "ipc": WORD,
    "cap_add": st.lists(st.sampled_from(["NET_ADMIN", "SYS_ADMIN", "cap_sys_module", "ALL", "x"]), max_size=2),
    "x-platform": EXTENSION,
}
PLAUSIBLE_SERVICE = st.fixed_dictionaries({}, optional=PLAUSIBLE)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(services=st.dictionaries(st.sampled_from(["db", "api", "web"]), PLAUSIBLE_SERVICE, min_size=1, max_size=3),
       scheduler=st.sampled_from(["local", "swarm", "marathon"]), single_machine=st.booleans(),
       variables=st.dictionaries(st.sampled_from(["N", "TAG"]), st.sampled_from(["1", "x", "", "3"]), max_size=2),
       extensions=st.tuples(EXTENSION, EXTENSION, EXTENSION))
def test_plausible_services_are_accepted_or_refused_never_a_traceback(services, scheduler, single_machine, variables,
                                                                      extensions):
    top, volume, secret = extensions
    doc = {"services": services, "networks": {"back": {}}, "volumes": {"data": {"x-platform": volume}},
           "secrets": {"s": {"file": "s.txt", "x-platform": secret}}, "x-platform": top}
    for s in services.values():
        s.setdefault("image", "x")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "s.txt").write_text("secret")
        Path(tmp, "compose.yaml").write_text(yaml.safe_dump(doc))
        stack, problems = load_stack(Path(tmp), "compose.yaml", "s", scheduler, {}, "k", variables,
                                     single_machine=single_machine)
    assert (stack is None) == bool(problems)
    assert all(p.message for p in problems)
    if stack is not None:  # and what it takes from the host is judged without a traceback too
        checked, refused = host_access.check(stack, set(), "k")
        assert all(p.message for p in refused) and checked.services == stack.services
