"""Property-based: generated Compose services (any key of the specification with values of any
shape, variables with and without defaults) are accepted or refused with problems, and what
is accepted maps onto every scheduler's arguments: never a traceback."""
from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.compose import keys, load_stack
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
