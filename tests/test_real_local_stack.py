"""Real local scheduler: a rendered Compose stack on this engine's user network.

The stack of tests/data/swarm-stack, scheduled `local`, is evaluated under the mock runtime; the
recorded `docker.Network` and `docker.Container` resources (in the order the program registers
them: dependencies first) run through tests/container_engine.py (the same flags the Docker
provider sets), each waited for until healthy as the provider's `wait` does. The test checks the
injected aliases, DNS over both API replicas, a request web -> api -> (db address), and a crashed
process restarted by the restart policy.
"""
import hashlib
import json
import os
import signal
import subprocess

import pytest

from . import container_engine
from .conftest import PLACEHOLDER_SECRETS
from .harness import evaluate, stack_config
from .realhelpers import docker, remove_leftovers, wait_for

pytestmark = pytest.mark.real


@pytest.fixture(autouse=True)
def _no_leftovers():
    """No containers or networks of a run killed before its clean-up (their names would clash)
    under the platform names these tests deploy under."""
    remove_leftovers("rl", "rf", "rm")


def record(name: str, file: str, **stack):
    """The recorded networks and containers of the stack `st` in `file`, on platform `name`."""
    cfg = stack_config("local")
    platform = {**cfg["container-platform:platform"], "name": name,
                "stacks": [{"name": "st", "file": file, "scheduler": "local", **stack}]}
    d = evaluate("local", config={**cfg, "container-platform:platform": platform}, secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    networks = [n for n in d.of_type("docker:index/network:Network") if n.name.startswith("st-")]
    containers = [c for c in d.containers() if c.name.startswith(f"{name}-st-")]
    # The mock runtime's id for a pulled image (ops/mock_runtime.py) -> the reference pulled.
    images = {"sha256:" + hashlib.sha256(i.inputs["name"].encode()).hexdigest(): i.inputs["name"]
              for i in d.of_type("docker:index/remoteImage:RemoteImage")}
    return networks, containers, images


def state(name: str) -> dict:
    return json.loads(docker("inspect", name).stdout)[0]["State"]


def run_stack(networks, containers, images, started: list, made: list) -> None:
    for n in networks:
        docker(*container_engine.network_argv(n.inputs))
        made.append(n.inputs["name"])
    names = {n.inputs["name"]: n.inputs["name"] for n in networks}
    for c in containers:
        started.append(container_engine.run(c.inputs, names, images))
        if c.inputs.get("wait"):
            wait_for(f"{c.name} healthy", lambda c=c: state(c.name).get("Health", {}).get("Status") == "healthy",
                     timeout=60)


def clean_up(started: list, made: list) -> None:
    for name in started:
        docker("rm", "-f", name, check=False)
    for name in made:
        docker("network", "rm", name, check=False)


def test_a_rendered_stack_runs_wired_by_alias_and_restarts_what_crashes():
    networks, containers, images = record("rl", "tests/data/swarm-stack/compose.yaml")
    assert [c.inputs["labels"] for c in containers] and \
        [next(x["value"] for x in c.inputs["labels"] if x["label"] == "container-platform/service")
         for c in containers] == ["db", "api", "api", "web"]
    started: list = []
    made: list = []
    try:
        run_stack(networks, containers, images, started, made)
        web = containers[-1].name
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
        db = containers[0].name
        before = json.loads(docker("inspect", db).stdout)[0]["RestartCount"]
        os.kill(state(db)["Pid"], signal.SIGKILL)
        wait_for("db restarted and healthy", lambda: json.loads(docker("inspect", db).stdout)[0]["RestartCount"] > before
                 and state(db).get("Health", {}).get("Status") == "healthy", timeout=60)
    finally:
        clean_up(started, made)


FEATURES = "tests/data/compose-features/compose.yaml"


def test_compose_as_written_arrives_inside_the_containers():
    """Interpolation (.env beside the file, stack config variables, `$$`), an env_file, a relative
    bind, a config from a file and a named network with an alias, checked from inside."""
    networks, containers, images = record("rf", FEATURES, variables={"STACK_VAR": "from-config"})
    assert {n.inputs["name"] for n in networks} == {"rf-st-default", "rf-st-backend"}
    started: list = []
    made: list = []
    try:
        run_stack(networks, containers, images, started, made)
        api, web = "rf-st-api-1", "rf-st-web-1"
        env = dict(line.split("=", 1) for line in docker("exec", api, "env").stdout.splitlines() if "=" in line)
        assert (env["TAG"], env["FROM_STACK_CONFIG"], env["LITERAL"]) == ("from-dotenv", "from-config", "$NOT_INTERPOLATED")
        assert (env["MODE"], env["FROM_ENV_FILE"], env["EXPANDED"]) == ("test", "a quoted value # not a comment",
                                                                        "test-expanded")
        assert docker("exec", api, "cat", "/conf/settings.txt").stdout == "relative bind arrived\n"
        assert docker("exec", api, "cat", "/etc/greeting.txt").stdout == "hello from a config\n"
        # The alias on the named network answers from web (which needed it before serving).
        assert "reached api-backend:8000" in docker("exec", web, "cat", "/tmp/standin.log").stdout
        assert docker("exec", web, "cat", "/proc/1/comm").stdout.strip() == "docker-init"  # init: true
        # api is not on web's default network under that alias: only the backend network has it.
        inspect = json.loads(docker("inspect", api).stdout)[0]["NetworkSettings"]["Networks"]
        assert set(inspect) == {"rf-st-backend"} and "api-backend" in inspect["rf-st-backend"]["Aliases"]
    finally:
        clean_up(started, made)


def test_mount_options_and_extra_hosts_meet_the_engine(tmp_path):
    """A bind with `ro,rslave`, an anonymous volume with nocopy over a directory the image fills,
    a tmpfs with a size and mode, and one host name with two addresses, as the engine makes them
    from the flags the provider would pass (tests/container_engine.py `mount_flag`). What this
    reproduces of the engine: it refuses slave propagation from a source on a private mount
    ("path ... is mounted on / but it is not a shared or slave mount": systemd makes `/` shared
    on users' hosts, this machine's `/` is private, so the test makes its source a shared mount),
    copies nothing into a nocopy volume, and writes every address of a host to /etc/hosts."""
    source = tmp_path / "metrics"
    source.mkdir()
    (source / "reading").write_text("from the host\n")
    subprocess.run(["mount", "--bind", str(source), str(source)], check=True)
    started: list = []
    made: list = []
    try:
        subprocess.run(["mount", "--make-shared", str(source)], check=True)
        compose = tmp_path / "compose.yaml"
        compose.write_text(f"""services:
  probe:
    image: local/standin:1
    command: ["--listen", "8080"]
    volumes:
      - {source}:/host:ro,rslave
      - {{type: volume, target: /etc/apt, volume: {{nocopy: true}}}}
      - {{type: tmpfs, target: /scratch, tmpfs: {{size: 1m, mode: 0o1770}}}}
    extra_hosts: ["myhost=10.0.0.1,10.0.0.2"]
""")
        networks, containers, images = record("rm", str(compose))
        run_stack(networks, containers, images, started, made)
        (name,) = started
        assert docker("exec", name, "cat", "/host/reading").stdout == "from the host\n"
        mount = next(m for m in json.loads(docker("inspect", name).stdout)[0]["Mounts"] if m["Destination"] == "/host")
        assert (mount["Propagation"], mount["RW"]) == ("rslave", False)
        assert docker("exec", name, "ls", "-A", "/etc/apt").stdout == ""  # the image has files there
        assert docker("exec", name, "stat", "-c", "%a", "/scratch").stdout.strip() == "1770"
        hosts = [line.split() for line in docker("exec", name, "cat", "/etc/hosts").stdout.splitlines()]
        assert [h for h in hosts if h[1:] == ["myhost"]] == [["10.0.0.1", "myhost"], ["10.0.0.2", "myhost"]]
    finally:
        for name in started:  # with its anonymous volume
            docker("rm", "-f", "-v", name, check=False)
        clean_up([], made)
        subprocess.run(["umount", str(source)], check=False)


def test_a_service_joins_another_services_namespaces_on_the_engine(tmp_path):
    """`network_mode`, `ipc` and `pid: service:<name>` as the engine runs them from the flags the
    provider would pass. What this reproduces of the engine: it lets a container join only a
    shareable donor's IPC ("non-shareable IPC", its default mode here being private), so the donor
    is made shareable; a joined container has the donor's namespaces, its processes included."""
    compose = tmp_path / "compose.yaml"
    compose.write_text("""services:
  donor:
    image: local/standin:1
    command: ["--listen", "8080"]
  sidecar:
    image: local/standin:1
    command: ["--listen", "8081"]
    network_mode: "service:donor"
    ipc: "service:donor"
    pid: "service:donor"
""")
    started: list = []
    made: list = []
    try:
        networks, containers, images = record("ns", str(compose))
        run_stack(networks, containers, images, started, made)
        donor, sidecar = started

        def namespace(name: str, kind: str) -> str:
            return docker("exec", name, "readlink", f"/proc/1/ns/{kind}").stdout.strip()
        for kind in ("net", "ipc", "pid"):
            assert namespace(sidecar, kind) == namespace(donor, kind), kind
        # pid 1 in the sidecar is the donor's process: the namespace is the donor's.
        assert "8080" in docker("exec", sidecar, "cat", "/proc/1/cmdline").stdout
    finally:
        clean_up(list(reversed(started)), made)


def test_an_inline_dockerfile_builds_on_the_engine(tmp_path):
    """`build.dockerfile_inline` (docker compose's watch fixtures use it): the recorded
    `docker.Image` build, run as the provider's classic build (`docker build -f`), from the file
    the program wrote, with the build arguments it recorded."""
    (tmp_path / "context.txt").write_text("from the context\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  built:\n    image: local/inline-build-test:1\n    build:\n      context: .\n      args: {WORD: arg}\n"
        "      dockerfile_inline: |\n        FROM local/debian:bookworm\n        ARG WORD\n"
        "        COPY context.txt /context.txt\n        RUN echo \"inline $$WORD\" > /built\n")  # $$: Compose interpolates $
    cfg = stack_config("local")
    platform = {**cfg["container-platform:platform"], "name": "rb",
                "stacks": [{"name": "st", "file": str(tmp_path / "compose.yaml"), "scheduler": "local"}]}
    d = evaluate("local", config={**cfg, "container-platform:platform": platform}, secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    (image,) = d.of_type("docker:index/image:Image")
    build = image.inputs["build"]
    argv = ["build", "-q", "-t", image.inputs["imageName"], "-f", build["dockerfile"]]
    argv += [a for k, v in build.get("args", {}).items() for a in ("--build-arg", f"{k}={v}")]
    try:
        subprocess.run(["docker", *argv, build["context"]], check=True, capture_output=True, text=True,
                       env={**os.environ, "DOCKER_BUILDKIT": "0"})
        out = docker("run", "--rm", image.inputs["imageName"], "cat", "/built", "/context.txt").stdout
        assert out == "inline arg\nfrom the context\n"
    finally:
        docker("rmi", "-f", image.inputs["imageName"], check=False)
