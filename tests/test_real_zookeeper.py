"""Real: a 3-node ZooKeeper ensemble started from exactly the files the role renders elects a
leader, and keeps serving writes and reads after its leader is killed by PID; the platform's
ZooKeeper identities own the znodes of Mesos and Marathon."""
import re
import signal

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import CREATOR_ALL_ACL, make_acl

from components.roles import mesos as mesos_role

from .harness import env_of, evaluate, role_of, uploads
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


def rendered_zookeeper_urls() -> dict[str, str]:
    """{identity: zk:// URL} exactly as the local stack hands them to the masters (their
    --zk=file:// content) and to Marathon (MARATHON_ZK)."""
    d = evaluate("local", secrets={"dbPassword": "placeholder-db-password"})
    assert d.error is None, d.error
    master = next(c for c in d.containers() if role_of(c) == "mesos-master")
    marathon = next(c for c in d.containers() if role_of(c) == "marathon")
    return {"mesos": uploads(master)[mesos_role.MASTER_ZK], "marathon": env_of(marathon)["MARATHON_ZK"]}


# Marathon's own pattern for --zk (ZookeeperConf.scala, v1.7.50): the user has no '/' or ':',
# the password no '@'. Mesos's zookeeper::URL splits the same way (include/mesos/zookeeper/url.hpp).
ZK_URL = re.compile(r"^zk://(?:([^/:]+):([^@]+)@)?([A-Za-z0-9-.]+(?::\d+)?(?:,[A-Za-z0-9-.]+(?::\d+)?)*)(/[^/]+(?:/[^/]+)*)$")


def client(port: int, credential: str = "") -> KazooClient:
    c = KazooClient(hosts=f"127.0.0.1:{port}", timeout=5,
                    auth_data=[("digest", credential)] if credential else None)
    c.start(timeout=15)
    return c


def test_only_the_platforms_credentials_write_the_mesos_and_marathon_znodes_on_real_zookeeper():
    """The identities as rendered, on a real ensemble, with the ACLs Mesos and Marathon create
    their znodes with once their URL carries credentials: Marathon CREATOR_ALL (nobody else may
    even read its state, where app definitions live), Mesos readable by anyone (agents and
    frameworks find the leader anonymously) and writable by its creator (src/zookeeper/group.cpp,
    EVERYONE_READ_CREATOR_ALL). An anonymous client, or one with another identity, can neither
    rewrite nor delete them."""
    urls = rendered_zookeeper_urls()
    parsed = {who: ZK_URL.match(url) for who, url in urls.items()}
    assert all(parsed.values()), urls  # Marathon and Mesos parse them
    assert {who: m.group(1) for who, m in parsed.items()} == {"mesos": "mesos", "marathon": "marathon"}
    assert (parsed["mesos"].group(4), parsed["marathon"].group(4)) == ("/mesos", "/marathon")
    credential = {who: f"{m.group(1)}:{m.group(2)}" for who, m in parsed.items()}
    with ensemble(1) as servers:
        (port,) = servers
        wait_for("the server serves", lambda: mode(port) in ("leader", "standalone"), timeout=60)
        marathon, mesos, anonymous = client(port, credential["marathon"]), client(port, credential["mesos"]), client(port)
        try:
            marathon.create("/marathon/state/app:web", b'{"id": "/web"}', acl=[CREATOR_ALL_ACL[0]], makepath=True)
            everyone_read_creator_all = [make_acl("world", "anyone", read=True), CREATOR_ALL_ACL[0]]
            mesos.create("/mesos/json.info_0000000001", b'{"leader": "m1"}', acl=everyone_read_creator_all, makepath=True)

            with pytest.raises(NoAuthError):
                anonymous.get("/marathon/state/app:web")
            with pytest.raises(NoAuthError):
                mesos.get("/marathon/state/app:web")  # another identity is no better
            assert anonymous.get("/mesos/json.info_0000000001")[0] == b'{"leader": "m1"}'
            for intruder in (anonymous, marathon):
                with pytest.raises(NoAuthError):
                    intruder.set("/mesos/json.info_0000000001", b'{"leader": "rogue"}')
                with pytest.raises(NoAuthError):
                    intruder.delete("/mesos/json.info_0000000001")
            with pytest.raises(NoAuthError):
                anonymous.set("/marathon/state/app:web", b"{}")

            # The owners can: the platform keeps working.
            marathon.set("/marathon/state/app:web", b'{"id": "/web", "instances": 2}')
            assert marathon.get("/marathon/state/app:web")[0] == b'{"id": "/web", "instances": 2}'
            mesos.set("/mesos/json.info_0000000001", b'{"leader": "m2"}')
            assert mesos.get("/mesos/json.info_0000000001")[0] == b'{"leader": "m2"}'
        finally:
            for c in (marathon, mesos, anonymous):
                c.stop()
                c.close()
