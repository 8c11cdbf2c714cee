"""How Compose stacks scale: loading (schema, rules, topology) and whole-program evaluation.

    .venv/bin/python -m benchmarks.stack_scale

A generated stack of N services, each depending on the previous one and referring to its
address, on each scheduler, evaluated with the `local` stack's platform under the mock runtime.
Figures, not assertions.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import yaml

from components.compose import load_stack
from ops.mock_runtime import evaluate, stack_config


def compose(n: int) -> dict:
    services = {}
    for i in range(n):
        s = {"image": "example/svc:1", "expose": ["8000"], "deploy": {"replicas": 2},
             "healthcheck": {"test": ["CMD", "true"], "interval": "10s"}}
        if i:
            s["depends_on"] = [f"s{i - 1}"]
            s["environment"] = {"UPSTREAM": f"http://${{s{i - 1}.host}}:${{s{i - 1}.port}}"}
        services[f"s{i}"] = s
    return {"services": services}


def main() -> None:
    print(f"{'services':>8} {'scheduler':>9} {'load s':>7} {'evaluate s':>11} {'resources':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10, 50, 200):
            path = Path(tmp) / f"stack-{n}.yaml"
            path.write_text(yaml.safe_dump(compose(n)))
            for scheduler in ("local", "swarm", "marathon"):
                t0 = time.perf_counter()
                stack, problems = load_stack(Path(tmp), path.name, "bench", scheduler, {}, "bench")
                t1 = time.perf_counter()
                assert not problems, problems
                cfg = stack_config("local")
                platform = {**cfg["container-platform:platform"], "spark": {"enabled": False},
                            "discovery": {"service_port_max": 10000 + n},
                            "stacks": [{"name": "bench", "file": str(path), "scheduler": scheduler}]}
                d = evaluate("local", {**cfg, "container-platform:platform": platform})
                t2 = time.perf_counter()
                assert d.error is None, d.error
                print(f"{n:>8} {scheduler:>9} {t1 - t0:>7.3f} {t2 - t1:>11.2f} {len(d.resources):>10}")


if __name__ == "__main__":
    main()
