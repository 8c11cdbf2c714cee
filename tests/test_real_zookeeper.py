"""Real: a 3-node ZooKeeper ensemble started from exactly the files the role renders elects a
leader, and keeps serving writes and reads after its leader is killed by PID."""
import signal

import pytest
from kazoo.client import KazooClient

from .realhelpers import wait_for
from .realzk import ensemble, mode, wait_for_survivors

pytestmark = pytest.mark.real


def test_rendered_ensemble_elects_a_leader_and_survives_losing_one():
    with ensemble(3) as servers:
        ports = sorted(servers)
        wait_for("a leader and two followers",
                 lambda: sorted(mode(p) for p in ports) == ["follower", "follower", "leader"], timeout=60)
        client = KazooClient(hosts=",".join(f"127.0.0.1:{p}" for p in ports), timeout=5)
        client.start(timeout=15)
        try:
            client.create("/platform/probe", b"before", makepath=True)
            assert client.get("/platform/probe")[0] == b"before"

            leader = next(p for p in ports if mode(p) == "leader")
            servers[leader].send_signal(signal.SIGKILL)
            servers[leader].wait(timeout=10)
            survivors = [p for p in ports if p != leader]
            wait_for_survivors(client, lambda: [mode(p) for p in survivors])
            client.create("/platform/after-failover", b"ok")
            assert client.get("/platform/after-failover")[0] == b"ok"
        finally:
            client.stop()
            client.close()
