"""The program against the floor: a bare Pulumi SDK program registering the same resources.

    .venv/bin/python -m benchmarks.floor [--quick]

For each case the program is evaluated under the mock runtime (ops/mock_runtime.py) and every
registration recorded; then a bare program replays exactly those registrations (same types,
names, parents, providers, dependencies and input values, as plain `CustomResource`,
`ComponentResource` and `ProviderResource` calls, no Outputs to resolve, no dynamic provider to
pickle) under the same runtime. The ratio program / floor says what the program's own work
costs on top of what Pulumi needs anyway. The program sets the garbage collector for its
evaluation (components/collector.py), which a bare program would not: `same_gc_ratio` is the
ratio against the floor given the same settings, the program's own work alone. Each case runs
in a fresh process, which also reports its peak memory (max RSS).
"""
from __future__ import annotations

import gc
import importlib
import json
import re
import resource
import subprocess
import sys
import time
from typing import Optional

import pulumi

from benchmarks.evaluate_scale import HOST_KEY
from components import collector
from ops.mock_runtime import Deployment, Registered, evaluate

HOSTS = [f"192.0.2.{i}" for i in range(1, 255)]


def _hosts(n: int) -> list[dict]:
    return [{"name": f"h{i}", "address": f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}", "host_key": HOST_KEY}
            for i in range(1, n + 1)]


def _stack_file(scheduler: str, services: int) -> str:
    """A generated Compose file of `services` web services, each depending on the one before."""
    import tempfile
    lines = ["services:"]
    for i in range(services):
        lines += [f"  s{i}:", "    image: example/web:1.0", "    expose: ['8080']",
                  "    deploy: {resources: {limits: {cpus: '0.1', memory: 64m}}}"]
        if i:
            lines.append(f"    environment: {{UPSTREAM: 'http://${{s{i - 1}.host}}:${{s{i - 1}.port}}'}}")
    f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    f.write("\n".join(lines) + "\n")
    f.close()
    return f.name


def case(name: str, agents: int, services: int) -> tuple[str, dict, dict]:
    """(stack, config, secrets) of a benchmark case."""
    if name == "prod-100":
        from ops.mock_runtime import stack_config
        cfg = stack_config("prod")
        p = dict(cfg["container-platform:platform"])
        extra = [f"worker-{i}" for i in range(100 - len(p["hosts"]))]  # Spark workers: every host runs something
        p["hosts"] = [*p["hosts"], *({"name": n} for n in extra)]
        p["spark"] = {"enabled": True, "mode": "standalone", "masters": {"count": 3, "hosts": ["master-a", "master-b", "master-c"], "web_ui_port": 8090},
                      "workers": {"count": len(extra), "hosts": extra}, "history": {"hosts": ["master-a"]}}
        return "prod", {**cfg, "container-platform:platform": p}, {"marathonPassword": "x", "dbPassword": "x"}
    scheduler = {"onprem-marathon": "marathon", "onprem-swarm": "swarm", "local": "local"}[name]
    masters = ["h1", "h2", "h3"]
    if name == "local":
        platform = {"target": "local", "stacks": [{"name": "app", "file": _stack_file(scheduler, services),
                                                    "scheduler": "local"}],
                    "mesos": {"agent_pools": [{"name": "private", "count": 1}]}}
        return "local", {"container-platform:platform": platform}, {}
    hosts = _hosts(agents + 3)
    platform = {
        "target": "physical", "hosts": hosts,
        "zookeeper": {"count": 3, "hosts": masters}, "mesos": {"masters": {"count": 3, "hosts": masters},
                                                              "agent_pools": [{"name": "private", "count": agents,
                                                                               "hosts": [h["name"] for h in hosts[3:]]}]},
        "discovery": {"service_port_max": 10000 + services + 10},
        "stacks": [{"name": "app", "file": _stack_file(scheduler, services), "scheduler": scheduler}],
    }
    if scheduler == "swarm":
        platform["swarm"] = {"managers": masters}
    return f"bench-{name}", {"container-platform:platform": platform}, {"sshPrivateKey": "KEY"}


def provider_class(token: str) -> Optional[type]:
    """The provider SDK's class for a type token ("docker:index/container:Container" ->
    pulumi_docker.Container), as a program using that SDK would construct it; None if there is none."""
    package, module_path, name = token.split(":")
    module = module_path.split("/")[0]
    try:
        mod = importlib.import_module(f"pulumi_{package}" + ("" if module == "index" else f".{module}"))
    except ImportError:
        return None
    cls = getattr(mod, name, None)
    return cls if cls is not None and pulumi.get_type_token(cls) == token else None


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def replay(records: list[Registered], typed: bool = True) -> None:
    """The floor: the same registrations through the bare SDK. `typed`: each custom resource
    through its provider SDK's class, its inputs as keyword arguments (a program written against
    pulumi-docker, pulumi-aws, ... pays for their typed arguments too); otherwise as a plain
    `CustomResource`. Dynamic resources stay plain either way (no provider to pickle)."""
    made: dict[str, pulumi.Resource] = {}
    for r in records:
        opts = pulumi.ResourceOptions(
            parent=made.get(r.parent), depends_on=[made[u] for u in r.dependencies if u in made],
            provider=made.get(r.provider_urn) if r.provider else None, protect=r.protect,
            retain_on_delete=r.retain_on_delete)
        cls = provider_class(r.type) if typed and r.custom and not r.type.startswith("pulumi") else None
        if r.type.startswith("pulumi:providers:"):
            made[r.urn] = pulumi.ProviderResource(r.type[len("pulumi:providers:"):], r.name, r.inputs, opts)
        elif cls is not None:
            made[r.urn] = cls(r.name, opts=opts, **{_snake(k): v for k, v in r.inputs.items() if k != "__provider"})
        elif r.custom:
            made[r.urn] = pulumi.CustomResource(r.type, r.name, r.inputs, opts)
        else:
            component = pulumi.ComponentResource(r.type, r.name, None, opts)
            component.register_outputs({})
            made[r.urn] = component


def _timed(run) -> tuple[Deployment, float]:
    # Each side starts from a collected heap: garbage one side's evaluation left (the program
    # collects less often) is not collected on the other side's time.
    gc.collect()
    t0 = time.perf_counter()
    d = run()
    assert d.error is None, d.error
    return d, time.perf_counter() - t0


def run_case(name: str, agents: int, services: int, repeats: int = 2) -> dict:
    """The program once (`first_s`: it also pays for importing the program's modules, which a
    long-lived engine host pays once), then the program and both floors in turn, `repeats` times,
    each side's best time kept: one run of either side varies by 10-20% on a shared machine."""
    stack, config, secrets = case(name, agents, services)
    d, first = _timed(lambda: evaluate(stack, config, secrets))
    times: dict[str, list[float]] = {"program": [], "typed": [], "raw": [], "collector": []}
    for _ in range(repeats):
        d, t = _timed(lambda: evaluate(stack, config, secrets))
        times["program"].append(t)
        for kind in ("typed", "raw", "collector"):
            def bare(kind=kind):
                if kind == "collector":  # the floor with the program's collector settings too
                    collector.set_for_evaluation()
                replay(d.resources, typed=kind != "raw")
            floor_d, t = _timed(lambda: evaluate(stack, config, secrets, program=bare))
            times[kind].append(t)
            assert len(floor_d.resources) == len(d.resources)
            if kind == "typed":  # the same registrations, input for input: the replay is faithful
                assert sorted((r.urn, json.dumps(r.inputs, sort_keys=True)) for r in floor_d.resources) == \
                    sorted((r.urn, json.dumps(r.inputs, sort_keys=True)) for r in d.resources)
    program, typed_floor, raw_floor, same_gc = (min(times[k]) for k in ("program", "typed", "raw", "collector"))
    return {"case": name, "agents": agents, "services": services, "resources": len(d.resources),
            "first_s": round(first, 2), "program_s": round(program, 2), "floor_s": round(typed_floor, 2),
            "ratio": round(program / typed_floor, 2), "raw_floor_s": round(raw_floor, 2),
            "raw_ratio": round(program / raw_floor, 2), "same_gc_ratio": round(program / same_gc, 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


CASES = [("onprem-marathon", 1000, 1000), ("onprem-swarm", 1000, 1000), ("local", 1, 1000), ("prod-100", 0, 0),
         ("onprem-marathon", 1000, 100)]
QUICK = [("onprem-marathon", 100, 100), ("onprem-swarm", 100, 100), ("local", 1, 100), ("prod-100", 0, 0)]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
        return
    cases = QUICK if "--quick" in sys.argv else CASES
    print(f"{'case':<16} {'agents':>6} {'services':>8} {'resources':>9} {'first s':>8} {'program s':>9} "
          f"{'floor s':>8} {'ratio':>6} {'raw s':>7} {'raw ratio':>9} {'same-gc ratio':>13} {'peak MB':>8}")
    for name, agents, services in cases:
        out = subprocess.run([sys.executable, "-m", "benchmarks.floor", "--case", name, str(agents), str(services)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['case']:<16} {r['agents']:>6} {r['services']:>8} {r['resources']:>9} {r['first_s']:>8} "
              f"{r['program_s']:>9} {r['floor_s']:>8} {r['ratio']:>6} {r['raw_floor_s']:>7} {r['raw_ratio']:>9} "
              f"{r['same_gc_ratio']:>13} {r['peak_mb']:>8}")


if __name__ == "__main__":
    main()
