"""How long validation and a whole program evaluation take as an environment grows.

    .venv/bin/python -m benchmarks.evaluate_scale

Reports, per size, the seconds to validate the spec and to evaluate the program under Pulumi's
mock runtime (no provider calls: this measures the program's own work), and the resources it
registers. Figures, not assertions: run it before and after a change to the program's core.
"""
from __future__ import annotations

import time

from components.spec import load
from ops.mock_runtime import evaluate

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdjXuDiVBAgUq9tRo36lAQepRaSxY2L8JY2j+uYJRMD"  # physical hosts pin their SSH key


def platform(hosts: int, agents: int) -> dict:
    return {
        "target": "physical",
        "hosts": [{"name": f"h{i}", "address": f"192.0.2.{i}", "host_key": HOST_KEY} for i in range(1, hosts + 1)],
        "zookeeper": {"count": 5, "hosts": [f"h{i}" for i in range(1, 6)]},
        "mesos": {"masters": {"count": 5, "hosts": [f"h{i}" for i in range(1, 6)]},
                  "agent_pools": [{"name": "private", "count": agents, "hosts": [f"h{i}" for i in range(6, hosts + 1)]}]},
    }


def main() -> None:
    print(f"{'hosts':>6} {'agents':>7} {'validate s':>11} {'evaluate s':>11} {'resources':>10}")
    for hosts, agents in [(10, 5), (30, 25), (105, 100), (255, 250)]:
        raw = platform(hosts, agents)
        t0 = time.perf_counter()
        load(raw, secrets=["sshPrivateKey"])
        t1 = time.perf_counter()
        d = evaluate(f"bench-{hosts}", {"container-platform:platform": raw}, secrets={"sshPrivateKey": "KEY"})
        t2 = time.perf_counter()
        assert d.error is None, d.error
        print(f"{hosts:>6} {agents:>7} {t1 - t0:>11.4f} {t2 - t1:>11.2f} {len(d.resources):>10}")


if __name__ == "__main__":
    main()
