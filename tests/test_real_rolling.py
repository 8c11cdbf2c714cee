"""Real: a changed ZooKeeper setting rolls through a running 3-node ensemble one node at a time,
in the order and with the gates the program registers, while a client keeps writing; and the
ensemble grows and shrinks in place.

The ensemble is a `local` platform's ZooKeeper (the stand-in image, tests/images/zookeeper,
which runs Debian's ZooKeeper as the official image does and answers the role's health check
`zkServer.sh status` through `srvr`). Its recorded `docker.Container`s run through
tests/container_engine.py. The change (tickTime 1000 -> 1500) is applied as Pulumi's engine would:
in dependency order, each node removed and created again from the changed inputs (its data
volumes kept), then its gate's recorded `update` script run with /bin/sh -c, as pulumi-command's
local Command runs it. The next node goes only once that script has returned 0.

Documented window: a client write may fail only while a node is away or rejoining, that is
between a node's removal and its gate passing (+2 s for the client to notice), in practice only
for the election when the leader goes; no acknowledged write is ever lost, and the data written
before the roll is still there after it.
"""
import os
import subprocess
import threading
import time

import pytest
from kazoo.client import KazooClient

from components.hosts import health_gate
from components.roles import zookeeper

from . import container_engine
from .conftest import PLACEHOLDER_SECRETS
from .harness import evaluate, role_of, uploads
from .realhelpers import DOCKER, docker, free_port_blocks, remove_leftovers, wait_for
from .realzk import four_letter, mode

pytestmark = pytest.mark.real

IMAGE = "local/zookeeper-standin:1"  # built by scripts/setup.sh
PLATFORM = "rolltest"
# The gate runs `docker`; Debian's client is the one that matches this engine (realhelpers).
GATE_ENV = {**os.environ, "PATH": f"{os.path.dirname(DOCKER)}:{os.environ['PATH']}"}


@pytest.fixture(autouse=True)
def _no_leftovers():
    """Each test starts on an engine without the nodes (or their volumes, which hold members and
    data) of a run killed before its clean-up."""
    remove_leftovers(PLATFORM)


def platform(ports: dict, tick_time_ms: int, count: int) -> dict:
    return {"container-platform:platform": {
        "name": PLATFORM, "target": "local", "hosts": [{"name": "local"}],
        "zookeeper": {"count": count, "image": IMAGE, "tick_time_ms": tick_time_ms,
                      **{k: v for k, v in ports.items() if k != "agent_port"}},
        "mesos": {"masters": {"count": 1}, "agent_pools": [{"name": "private", "count": 1, "port": ports["agent_port"]}]},
        "marathon": {"enabled": False}, "discovery": {"enabled": False}}}


def recorded(ports: dict, tick_time_ms: int, count: int = 3):
    d = evaluate("local", config=platform(ports, tick_time_ms, count), secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    nodes = [c for c in d.containers() if role_of(c) == "zookeeper"]
    gates = {r.name[: -len(health_gate.GATE_SUFFIX)]: r for r in d.of_type("command:local:Command")
             if r.name.endswith(health_gate.GATE_SUFFIX)}
    return nodes, gates


def engine_order(nodes, gates) -> list:
    """The nodes in the order Pulumi may change them: each after the one whose gate it needs."""
    after = {n.name: next((m.name for m in nodes if gates[m.name].urn in n.dependencies), None) for n in nodes}
    order, previous = [], None
    while len(order) < len(nodes):
        (step,) = [n for n in nodes if after[n.name] == previous and n not in order]
        order.append(step)
        previous = step.name
    return order


def health(name: str) -> str:
    return docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()


class Writer(threading.Thread):
    """Writes /roll/<n> = n as fast as the ensemble acknowledges; remembers what was
    acknowledged and when each failure happened."""

    def __init__(self, hosts: str):
        super().__init__(daemon=True)
        self.client = KazooClient(hosts=hosts, timeout=4, connection_retry={"max_tries": -1, "delay": 0.1})
        self.acked: list[int] = []
        self.failures: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.done.is_set():
            try:
                self.client.create(f"/roll/{n:06d}", str(n).encode(), makepath=True)
                self.acked.append(n)
            except Exception:
                self.failures.append(time.monotonic())
                time.sleep(0.2)
            n += 1
            time.sleep(0.02)


def zk_ports(count: int) -> dict:
    client, peer, election, agent = free_port_blocks(count, count, count, 1)
    return {"client_port": client, "peer_port": peer, "election_port": election, "agent_port": agent}


def serving(ports) -> list[str]:
    return sorted(mode(p) for p in ports)


def quorum_of(n: int) -> list[str]:
    return sorted(["leader"] + ["follower"] * (n - 1))


def client_port(node) -> int:
    """The client port of a recorded node: the end of its own line in its seed."""
    myid = uploads(node)["/data/myid"].strip()
    (line,) = [l for l in uploads(node)[zookeeper.SEED].splitlines() if l.startswith(f"server.{myid}=")]
    return int(line.rsplit(":", 1)[1])


def start_with_data(nodes, images, ports) -> Writer:
    """A first `up` of `nodes`, a znode written before any change, and a client writing from now on."""
    for node in nodes:
        container_engine.run(node.inputs, {}, images)
    wait_for("the first quorum", lambda: serving(ports) == quorum_of(len(nodes)), timeout=90)
    seed = KazooClient(hosts=",".join(f"127.0.0.1:{p}" for p in ports), timeout=5)
    seed.start(timeout=15)
    seed.create("/platform/before-the-roll", b"kept", makepath=True)
    seed.stop()
    writer = Writer(",".join(f"127.0.0.1:{p}" for p in ports))
    writer.client.start(timeout=15)
    writer.start()
    time.sleep(2)
    return writer


def stop_writing(writer: Writer, windows) -> None:
    windows.append((windows[-1][0], time.monotonic() + 2))
    time.sleep(2)
    writer.done.set()
    writer.join(timeout=30)
    writer.client.stop()


def change(nodes, existing: set, gates, images, windows) -> None:
    """One `up`, as Pulumi's engine carries it out: each node in the engine's order, removed and
    created again (volumes kept) if it exists, else created, then its gate's recorded script run
    with /bin/sh -c as the Command runs it (a recreated node's update, which waits until the
    node is healthy again; a new node's create, which waits for no one)."""
    for node in engine_order(nodes, gates):
        away = time.monotonic()
        if node.name in existing:
            docker("rm", "-f", node.inputs["name"])
        container_engine.run(node.inputs, {}, images)  # the same named volumes: its data is kept
        step = gates[node.name].inputs["update" if node.name in existing else "create"]
        gate = subprocess.run(["/bin/sh", "-c", step], env=GATE_ENV, capture_output=True, text=True, timeout=600)
        back = time.monotonic()
        assert gate.returncode == 0, (node.name, gate.stderr)
        if node.name in existing:
            assert gate.stdout.strip() == f"{node.inputs['name']} is healthy"
            assert health(node.inputs["name"]) == "healthy" and back - away > 5, "the gate really waited"
        windows.append((away, back + 2))


def check_nothing_lost(writer: Writer, windows, ports) -> None:
    reader = KazooClient(hosts=",".join(f"127.0.0.1:{p}" for p in ports), timeout=5)
    reader.start(timeout=15)
    try:
        stored = {int(c) for c in reader.get_children("/roll")}
        assert set(writer.acked) <= stored, f"lost: {sorted(set(writer.acked) - stored)[:10]}"
        assert reader.get("/platform/before-the-roll")[0] == b"kept"
    finally:
        reader.stop()
    assert len(writer.acked) > 100
    outside = [t for t in writer.failures if not any(a <= t <= b for a, b in windows)]
    assert outside == [], f"{len(outside)} writes failed outside the documented window"
    # Measured here: 1 failed write of 2,262 over a 52 s roll (when the leader went). A retry
    # every 0.2 s: 50 failures would be 10 s without writes, far above an election.
    assert len(writer.failures) <= 50, len(writer.failures)


def clean_up(*deployments) -> None:
    for node in {n.inputs["name"]: n for d in deployments for n in d}.values():
        docker("rm", "-f", node.inputs["name"], check=False)
        for v in node.inputs.get("volumes") or []:
            docker("volume", "rm", v["volumeName"], check=False)


def test_a_lone_member_never_passes_its_gate_so_the_first_start_does_not_wait():
    before, _ = recorded(zk_ports(3), 1000)
    images = {c.inputs["image"]: IMAGE for c in before}
    try:
        lone = container_engine.run(before[0].inputs, {}, images)
        alone = subprocess.run(["sh", "-c", health_gate.wait_script([lone], 20)], env=GATE_ENV,
                               capture_output=True, text=True, timeout=60)
        assert alone.returncode == 1 and f"{lone} is starting after 20 s" in alone.stderr, alone
    finally:
        clean_up(before)


def test_a_changed_setting_rolls_node_by_node_with_no_acknowledged_write_lost():
    ports = zk_ports(3)
    before, _ = recorded(ports, 1000)
    after, gates = recorded(ports, 1500)
    assert [n.name for n in engine_order(after, gates)] == [n.name for n in after], "the chain follows the members' order"
    images = {c.inputs["image"]: IMAGE for c in before + after}
    client_ports = [client_port(n) for n in before]
    try:
        writer, windows = start_with_data(before, images, client_ports), []
        change(after, {n.name for n in before}, gates, images, windows)
        wait_for("every member serving", lambda: serving(client_ports) == quorum_of(3), timeout=90)
        stop_writing(writer, windows)
        check_nothing_lost(writer, windows, client_ports)
        assert all("tickTime=1500" in four_letter(p, "conf") for p in client_ports)
    finally:
        clean_up(before, after)


def members_of(port: int) -> list[str]:
    """The ensemble's voting members as the server on `port` reports them (`conf`)."""
    return sorted(l for l in four_letter(port, "conf").splitlines() if l.startswith("server."))


def kept_members(container: str) -> str:
    """The members a node keeps in its /conf volume: the dynamic file its zoo.cfg names."""
    return docker("exec", container, "sh", "-c", f"cat \"$(sed -n 's/^dynamicConfigFile=//p' {zookeeper.ZOO_CFG})\"").stdout


def settled(nodes, ports, count: int) -> None:
    """Every node serves in a quorum of `count` and reports `count` members. One wait for both:
    a node whose role the change of members turned (a follower without a vote becoming a
    voter) leaves its quorum and rejoins (ZooKeeper's Follower restarts on a major change), and
    answers `conf` only once it serves again. On a timeout, what each node said."""
    def state() -> str:
        lines = []
        for node, port in zip(nodes, ports):
            name = node.inputs["name"]
            try:
                said = f"{mode(port) or '?'}, members {[l.split('=')[0] for l in members_of(port)]}"
            except OSError as e:
                said = f"no answer ({e})"
            tail = docker("logs", "--tail", "8", name, check=False)
            lines += [f"{name} (:{port}): {said}", *("    " + l for l in (tail.stdout + tail.stderr).splitlines()[-8:])]
        return "\n".join(lines)

    wait_for(f"{count} serving with {count} members",
             lambda: serving(ports) == quorum_of(count) and all(len(members_of(p)) == count for p in ports),
             timeout=120, explain=state)


def change_members(membership, windows) -> None:
    """The change of members, as the Command runs its `update` (after every node is up)."""
    away = time.monotonic()
    ran = subprocess.run(["/bin/sh", "-c", membership.inputs["update"]], env=GATE_ENV, capture_output=True, text=True,
                         timeout=600)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("zookeeper members: ")
    windows.append((away, time.monotonic() + 2))


def test_the_ensemble_grows_from_three_to_five_and_shrinks_back_with_no_acknowledged_write_lost():
    """3 -> 5 -> 3 in place, each an `up` as Pulumi's engine carries it out: the three nodes
    whose seed changed are recreated one at a time (each comes back with the members ZooKeeper
    kept in its /conf volume, so it rejoins at once); new nodes start from their seed, learn the
    ensemble's newer members from it and follow without a vote; then the membership Command's
    update asks for the wanted members through zkCli as the superuser; removed nodes are deleted
    last, as Pulumi deletes what a program dropped. A client writes throughout."""
    ports = zk_ports(5)
    three, gates3 = recorded(ports, 1000, count=3)
    five, gates5 = recorded(ports, 1000, count=5)
    membership = {n: next(r for r in recorded_commands(ports, n) if r.name == "zookeeper-members") for n in (3, 5)}
    images = {c.inputs["image"]: IMAGE for c in three + five}
    client_ports = [client_port(n) for n in five]
    try:
        writer, windows = start_with_data(three, images, client_ports[:3]), []
        # Grow: the old three recreated, two new ones, then the change of members.
        change(five, {n.name for n in three}, gates5, images, windows)
        assert len(members_of(client_ports[0])) == 3, "new nodes follow without a vote until the change"
        change_members(membership[5], windows)
        settled(five, client_ports, 5)
        # Shrink: the three recreated again, the change of members, then the other two deleted.
        change(three, {n.name for n in five}, gates3, images, windows)
        change_members(membership[3], windows)
        for node in five[3:]:
            docker("rm", "-f", node.inputs["name"])
        settled(three, client_ports[:3], 3)
        stop_writing(writer, windows)
        check_nothing_lost(writer, windows, client_ports[:3])
        # A second run of the change (nothing to do) leaves the members alone.
        again = subprocess.run(["/bin/sh", "-c", membership[3].inputs["update"]], env=GATE_ENV, capture_output=True,
                               text=True, timeout=120)
        assert again.returncode == 0 and members_of(client_ports[0]) == members_of(client_ports[1])
    finally:
        clean_up(three, five)


def recorded_commands(ports: dict, count: int):
    d = evaluate("local", config=platform(ports, 1000, count), secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    return d.of_type("command:local:Command")


def test_a_lone_node_grows_to_three_keeping_its_data():
    """1 -> 3, the first growth of a `local` or `dev` stack: the lone node, recreated with a seed
    of three, keeps serving alone with the members it kept (with the seed alone it would wait
    for a majority of three that does not exist yet), the two new nodes follow it, and the
    change of members makes them voters."""
    ports = zk_ports(3)
    one, _ = recorded(ports, 1000, count=1)
    three, gates3 = recorded(ports, 1000, count=3)
    (membership,) = [r for r in recorded_commands(ports, 3) if r.name == "zookeeper-members"]
    images = {c.inputs["image"]: IMAGE for c in one + three}
    client_ports = [client_port(n) for n in three]
    try:
        writer, windows = start_with_data(one, images, client_ports[:1]), []
        change(three, {one[0].name}, gates3, images, windows)
        assert serving(client_ports[:1]) == ["leader"] and len(members_of(client_ports[0])) == 1
        # A joiner restarted before the change of members: ZooKeeper has rewritten its kept
        # members to the ensemble's, which lack it (the dynamic-reconfiguration guide: it "will
        # not be able to boot"); its start takes the seed instead and it follows again.
        joiner = three[2].inputs["name"]
        wait_for("the joiner following with the ensemble's members, itself not among them",
                 lambda: mode(client_ports[2]) == "follower" and "server.3=" not in kept_members(joiner), timeout=90)
        docker("restart", joiner)
        wait_for("the restarted joiner following again", lambda: mode(client_ports[2]) == "follower", timeout=90)
        change_members(membership, windows)
        settled(three, client_ports, 3)
        stop_writing(writer, windows)
        check_nothing_lost(writer, windows, client_ports)
    finally:
        clean_up(one, three)
