"""Real local scheduler: a rendered Compose stack on this engine's user network.

The stack of tests/data/swarm-stack, scheduled `local`, is evaluated under the mock runtime; its
ContainerSpecs (one per replica, in the order the program places them: dependencies first) run
with `docker run` (the same container as their `docker.Container`, see test_cloud_init.py), each
waited for until healthy as the provider's `wait` does. The test checks the injected aliases,
DNS over both API replicas, a request web -> api -> (db address), and a crashed process restarted
by the restart policy.
"""
import json
import os
import signal
import subprocess

import pytest

from components.hosts.cloud_init import docker_create_argv

from .conftest import PLACEHOLDER_SECRETS
from .harness import captured_specs, stack_config
from .realhelpers import DOCKER, docker, wait_for

pytestmark = pytest.mark.real


def specs():
    cfg = stack_config("local")
    platform = {**cfg["container-platform:platform"], "name": "rl",
                "stacks": [{"name": "st", "file": "tests/data/swarm-stack/compose.yaml", "scheduler": "local"}]}
    found = captured_specs("local", config={**cfg, "container-platform:platform": platform}, secrets=PLACEHOLDER_SECRETS)
    return [spec for spec, _ in found if spec.labels.get("container-platform/stack") == "st"]


def state(name: str) -> dict:
    return json.loads(docker("inspect", name).stdout)[0]["State"]


def test_a_rendered_stack_runs_wired_by_alias_and_restarts_what_crashes():
    services = specs()
    assert [s.labels["container-platform/service"] for s in services] == ["db", "api", "api", "web"]
    network = services[0].network_mode
    started = []
    docker("network", "create", network)
    try:
        for spec in services:
            assert not spec.files  # nothing to copy in before the start
            subprocess.run([DOCKER, *docker_create_argv(spec)[1:]], check=True, capture_output=True)
            docker("start", spec.name)
            started.append(spec.name)
            if spec.wait_healthy:
                wait_for(f"{spec.name} healthy", lambda: state(spec.name).get("Health", {}).get("Status") == "healthy",
                         timeout=60)
        web = services[-1].name
        api_url = docker("exec", web, "printenv", "API_URL").stdout.strip()
        assert api_url == "http://api:8000/"
        # The alias answers with both API replicas.
        addresses = docker("exec", web, "python3", "-c",
                           "import socket; print(sorted({a[4][0] for a in socket.getaddrinfo('api', 8000)}))").stdout
        assert len(json.loads(addresses.replace("'", '"'))) == 2
        answer = json.loads(docker("exec", web, "python3", "-c",
                                   f"import urllib.request; print(urllib.request.urlopen('{api_url}', timeout=5).read().decode())").stdout)
        assert answer["env"]["DATABASE_ADDRESS"] == "db:5432" and "db:5432" in answer["reached"]
        # A crash (the process killed, not a stop) is restarted by the restart policy.
        db = services[0].name
        before = json.loads(docker("inspect", db).stdout)[0]["RestartCount"]
        os.kill(state(db)["Pid"], signal.SIGKILL)
        wait_for("db restarted and healthy", lambda: json.loads(docker("inspect", db).stdout)[0]["RestartCount"] > before
                 and state(db).get("Health", {}).get("Status") == "healthy", timeout=60)
    finally:
        for name in started:
            docker("rm", "-f", name, check=False)
        docker("network", "rm", network, check=False)
