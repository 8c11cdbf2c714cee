"""Twin: prod's three ZooKeeper hosts boot from exactly their rendered user data (tests/awstwin.py)
with a stand-in of the official ZooKeeper image (tests/images/zookeeper, reproducing its
entrypoint's chown of /data as root, the drop to uid 1000, and zoo.cfg/myid written only when
absent). The ensemble reaches quorum, serves writes, and keeps them after losing a host; each
host's health gate (its HostHealthy script, run as root with sh as SSM's aws:runShellScript runs
it) passes once its containers are healthy; a replacement of the lost host, booted from the same
user data over the kept volumes, finds its own transaction log again and rejoins."""
import re
import socket

import pytest
from kazoo.client import KazooClient

from components.hosts import health_gate
from components.roles import images

from .awstwin import AwsTwin, network
from .conftest import evaluate_changed
from .harness import cloud_config
from .realhelpers import docker, wait_for
from .realzk import wait_for_survivors

pytestmark = pytest.mark.real

VPC = "10.213.0.0/16"  # a network this test makes; the program places hosts in it
ZK_STANDIN = "local/zookeeper-standin:1"  # tests/images/zookeeper, built by scripts/setup.sh


@pytest.fixture
def zookeeper_image():
    """The stand-in under the official image's name, so the rendered `docker create` runs as is."""
    tagged = docker("image", "inspect", images.ZOOKEEPER, check=False).returncode != 0
    if tagged:
        docker("tag", ZK_STANDIN, images.ZOOKEEPER)
    yield
    if tagged:
        docker("rmi", images.ZOOKEEPER, check=False)


def zk_mode(address: str) -> str:
    for line in four_letter_at(address, "srvr").splitlines():
        if line.startswith("Mode:"):
            return line.split()[1]
    return ""


def four_letter_at(address: str, word: str) -> str:
    with socket.create_connection((address, 2181), timeout=2) as s:
        s.sendall(word.encode())
        chunks = []
        while chunk := s.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def test_prod_zookeeper_hosts_form_a_quorum_from_their_user_data_and_survive_losing_one(zookeeper_image):
    d = evaluate_changed("prod", lambda p: p["aws"].update(vpc_cidr=VPC))
    assert d.error is None, d.error
    hosts = [r for r in d.of_type("aws:ec2/instance:Instance") if r.inputs["tags"]["container-platform:roles"] == "zookeeper"]
    assert len(hosts) == 3
    with network(VPC) as net:
        stored = {p.inputs["name"]: p.inputs["value"] for p in d.of_type("aws:ssm/parameter:Parameter")}
        twins = [AwsTwin(r.name, r.inputs["privateIp"], net, cloud_config(r), stored) for r in hosts]
        try:
            for twin in twins:
                twin.boot()
            addresses = [t.address for t in twins]
            wait_for("a leader and two followers",
                     lambda: sorted(zk_mode(a) for a in addresses) == ["follower", "follower", "leader"], timeout=90)
            ids = []
            for twin in twins:
                (container,) = twin.containers
                # The entrypoint chowned /data (myid was copied in, not mounted read-only) and
                # the server runs as uid 1000 with the id the program gave it: the one zoo.cfg's
                # server line names for this host's address (the instances register in no fixed
                # order, so the id comes from the ensemble's config, not from the list's order).
                assert docker("exec", container, "stat", "-c", "%u", "/data/myid", "/proc/1").stdout.split() == ["1000", "1000"]
                # The members ZooKeeper keeps: the dynamic file its zoo.cfg names.
                cfg = docker("exec", container, "sh", "-c", "cat $(sed -n 's/^dynamicConfigFile=//p' /conf/zoo.cfg)").stdout
                (expected,) = re.findall(rf"^server\.(\d+)={re.escape(twin.address)}:", cfg, re.MULTILINE)
                ids.append(docker("exec", container, "cat", "/data/myid").stdout.strip())
                assert ids[-1] == expected
                assert docker("inspect", "-f", "{{.RestartCount}}", container).stdout.strip() == "0"
            assert sorted(ids) == ["1", "2", "3"]
            gates = {r.name[: -len(health_gate.GATE_SUFFIX)]: r.inputs["script"]
                     for r in d.of_type("pulumi-python:dynamic:Resource") if r.name.endswith(health_gate.GATE_SUFFIX)}
            for host, twin in zip(hosts, twins):
                gate = docker("exec", twin.name, "sh", "-c", gates[host.name], check=False)
                assert gate.returncode == 0 and gate.stdout.split("\n")[0] == f"{twin.containers[0]} is healthy", gate
            # The change of members, as SSM runs it on the first host: three are wanted and three
            # there are, so it asks for nothing (as the superuser it could: zkCli reads the file).
            (members,) = [r for r in d.of_type("pulumi-python:dynamic:Resource") if r.name == "zookeeper-members"]
            first = next(t for h, t in zip(hosts, twins) if h.urn.endswith("::zk-a"))
            changed = docker("exec", first.name, "sh", "-c", members.inputs["script"], check=False)
            assert changed.returncode == 0 and changed.stdout.startswith("zookeeper members: server.1 server.2 server.3"), changed
            client = KazooClient(hosts=",".join(f"{a}:2181" for a in addresses), timeout=5)
            client.start(timeout=20)
            try:
                client.create("/platform/probe", b"before", makepath=True)
                leader = next(t for t in twins if zk_mode(t.address) == "leader")
                (container,) = leader.containers
                logs = set(docker("exec", container, "ls", "/datalog/version-2").stdout.split())
                assert logs
                leader.destroy()
                survivors = [t.address for t in twins if t is not leader]
                wait_for_survivors(client, lambda: [zk_mode(a) for a in survivors])
                # The replacement: the same user data, the same address, the volumes kept.
                host = hosts[twins.index(leader)]
                replacement = AwsTwin(host.name, host.inputs["privateIp"], net, cloud_config(host), stored)
                twins.append(replacement)
                replacement.boot()
                gate = docker("exec", replacement.name, "sh", "-c", gates[host.name], check=False)
                assert gate.returncode == 0, gate.stderr
                assert logs <= set(docker("exec", container, "ls", "/datalog/version-2").stdout.split())
                assert zk_mode(replacement.address) in ("leader", "follower")
                assert client.get("/platform/probe")[0] == b"after"
            finally:
                client.stop()
                client.close()
        finally:
            for twin in twins:
                twin.destroy(keep_volumes=False)
