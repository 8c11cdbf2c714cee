"""Real: a 3-node ZooKeeper ensemble started from exactly the files the role renders.

Each server runs in a private mount namespace where its rendered /conf/zoo.cfg and
/data/myid sit at the paths the container would see, so no line of the rendered files is
changed for the test. Ports are free loopback ports, passed in through the spec.
"""
import os
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from kazoo.client import KazooClient

from components.roles import zookeeper as role
from components.spec import load

from .realhelpers import free_port, wait_for

pytestmark = pytest.mark.real

ZK_CLASSPATH = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar"
MOUNT_POINTS = (role.CONF_DIR, role.DATA_DIR, role.DATA_LOG_DIR)


def four_letter(port: int, word: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(word.encode())
        chunks = []
        while chunk := s.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def mode(port: int) -> str:
    for line in four_letter(port, "srvr").splitlines():
        if line.startswith("Mode:"):
            return line.split()[1]
    return ""


def consecutive_free_ports(n: int) -> int:
    while True:
        base = free_port()
        if base + n < 65535 and all(_is_free(base + i) for i in range(n)):
            return base


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.fixture
def ensemble():
    env = load({"zookeeper": {"count": 3, "client_port": consecutive_free_ports(3),
                              "peer_port": consecutive_free_ports(3), "election_port": consecutive_free_ports(3),
                              "tick_time_ms": 1000},
                "mesos": {"masters": {"count": 1}}, "marathon": {"enabled": False}, "discovery": {"enabled": False}})
    nodes = env.of("zookeeper")
    made = [p for p in MOUNT_POINTS if not os.path.exists(p)]
    for p in made:
        os.makedirs(p)
    work = tempfile.TemporaryDirectory(prefix="zk-ensemble-")
    procs = {}
    try:
        for node in nodes:
            spec = role.zookeeper_node(node, nodes, ["127.0.0.1"] * 3, env.platform.zookeeper, "test")
            root = Path(work.name) / node.name
            mounts = []
            for mount_point in MOUNT_POINTS:
                (root / mount_point.strip("/")).mkdir(parents=True)
                mounts.append(f"mount --bind {root / mount_point.strip('/')} {mount_point}")
            for path, content in spec.files.items():
                (root / path.strip("/")).write_text(content)
            script = " && ".join(mounts) + (
                f" && exec java -Dzookeeper.log.dir={root} -cp {ZK_CLASSPATH} "
                f"org.apache.zookeeper.server.quorum.QuorumPeerMain {role.CONF_DIR}/zoo.cfg")
            log = open(root / "server.log", "w")
            # unshare and sh exec into the JVM, so the PID we hold is the server's.
            procs[node.port("client")] = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                stdout=log, stderr=subprocess.STDOUT)
        yield procs
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        work.cleanup()
        for p in made:
            os.rmdir(p)


def test_rendered_ensemble_elects_a_leader_and_survives_losing_one(ensemble):
    ports = sorted(ensemble)
    wait_for("a leader and two followers",
             lambda: sorted(mode(p) for p in ports) == ["follower", "follower", "leader"], timeout=60)
    connect = ",".join(f"127.0.0.1:{p}" for p in ports)
    client = KazooClient(hosts=connect, timeout=5)
    client.start(timeout=15)
    try:
        client.create("/platform/probe", b"before", makepath=True)
        assert client.get("/platform/probe")[0] == b"before"

        leader = next(p for p in ports if mode(p) == "leader")
        ensemble[leader].send_signal(signal.SIGKILL)
        ensemble[leader].wait(timeout=10)
        survivors = [p for p in ports if p != leader]
        wait_for("a new leader among the survivors",
                 lambda: sorted(mode(p) for p in survivors) == ["follower", "leader"], timeout=60)

        def write_and_read() -> bool:
            client.set("/platform/probe", b"after")
            return client.get("/platform/probe")[0] == b"after"

        wait_for("a write through the surviving quorum", write_and_read, timeout=30)
        client.create("/platform/after-failover", b"ok")
        assert client.get("/platform/after-failover")[0] == b"ok"
    finally:
        client.stop()
        client.close()
