"""Start real ZooKeeper servers (Debian's package) from exactly the files the role renders.

Each server runs in a private mount namespace where its rendered files (settings, seed members,
the superuser's digest, /data/myid) sit at the paths the container would see, and starts as
the container does: the role's COMPOSE script writes /conf/zoo.cfg, then the server runs (as
the image's entrypoint would have it). No line of the rendered files is changed for a test.
Ports are free loopback ports, passed in through the spec.
"""
from __future__ import annotations

import contextlib
import os
import shlex
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

from components.roles import zookeeper as role
from components.spec import load

from .realhelpers import free_port_blocks, stop, wait_for

ZK_CLASSPATH = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar"
SUPERUSER_PASSWORD = "superuser-s3cret"
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


def wait_for_survivors(client, modes) -> None:
    """After a node is lost: `modes()` (the survivors' modes) settles on a leader and a
    follower, and a write goes through the remaining quorum."""
    wait_for("a new leader among the survivors", lambda: sorted(modes()) == ["follower", "leader"], timeout=60)

    def write_and_read() -> bool:
        client.set("/platform/probe", b"after")
        return client.get("/platform/probe")[0] == b"after"

    wait_for("a write through the surviving quorum", write_and_read, timeout=30)


@contextlib.contextmanager
def ensemble(count: int, tick_time_ms: int = 1000) -> Iterator[dict[int, subprocess.Popen]]:
    """{client port: server process} for `count` servers on 127.0.0.1; stops them all after."""
    client, peer, election = free_port_blocks(count, count, count)
    env = load({"zookeeper": {"count": count, "client_port": client, "peer_port": peer,
                              "election_port": election, "tick_time_ms": tick_time_ms},
                "marathon": {"enabled": False}, "discovery": {"enabled": False}})
    nodes = env.of("zookeeper")
    made = [p for p in MOUNT_POINTS if not os.path.exists(p)]
    for p in made:
        os.makedirs(p)
    work = tempfile.TemporaryDirectory(prefix="zk-ensemble-")
    procs: dict[int, subprocess.Popen] = {}
    try:
        for node in nodes:
            spec = role.zookeeper_node(node, nodes, ["127.0.0.1"] * count, env.platform.zookeeper, "test",
                                       SUPERUSER_PASSWORD)
            root = Path(work.name) / node.name
            mounts = []
            for mount_point in MOUNT_POINTS:
                (root / mount_point.strip("/")).mkdir(parents=True)
                mounts.append(f"mount --bind {root / mount_point.strip('/')} {mount_point}")
            for path, content in {**spec.files, **spec.secret_files}.items():
                (root / path.strip("/")).write_text(content)
            script = " && ".join(mounts) + (
                f" && sh -c {shlex.quote(role.COMPOSE)} && exec java -Dzookeeper.log.dir={root} -cp {ZK_CLASSPATH} "
                f"org.apache.zookeeper.server.quorum.QuorumPeerMain {role.ZOO_CFG}")
            log = open(root / "server.log", "w")
            # unshare and sh exec into the JVM, so the PID we hold is the server's.
            procs[node.port("client")] = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                stdout=log, stderr=subprocess.STDOUT)
        yield procs
    finally:
        for p in procs.values():
            stop(p)
        work.cleanup()
        for p in made:
            os.rmdir(p)
