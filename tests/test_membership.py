"""Issue 14, item 3 under the mock runtime: ZooKeeper grows and shrinks in place (a change of
members through the first node, after every node is up), and the masters' count and quorum
change only in the steps Mesos allows. The real ensemble doing it: tests/test_real_rolling.py."""
import subprocess

import pytest

from components.hosts import health_gate
from components.platform.masters_quorum import MastersQuorumProvider
from components.roles import mesos as mesos_role, zookeeper

from .conftest import evaluate_changed
from .harness import stack_names, workloads

MEMBERS = "zookeeper-members"


def membership(d):
    (found,) = [r for r in d.resources if r.name == MEMBERS]
    return found


def script_of(resource) -> str:
    """What runs when the members change: a Command's update, or on AWS the SSM script."""
    return resource.inputs.get("update") or resource.inputs["script"]


def wanted(script: str) -> list[str]:
    return [l for l in script.split("want='", 1)[1].split("'", 1)[0].splitlines()]


@pytest.mark.parametrize("name", stack_names())
def test_every_stack_changes_its_members_after_every_node_is_up_and_before_the_masters(stack, name):
    d = stack(name)
    nodes = [w for w in workloads(d) if w.role == "zookeeper"]
    change = membership(d)
    assert {n.resource.urn for n in nodes} <= set(change.dependencies)
    # Nothing to do at the first start (every node begins with the same seed).
    assert change.inputs.get("create", "").startswith(": first start") or change.type == "pulumi-python:dynamic:Resource"
    seeds = {n.files[zookeeper.SEED] for n in nodes}
    assert len(seeds) == 1 and wanted(script_of(change)) == sorted(seeds.pop().splitlines())
    # As the superuser, whose password it never holds: zkCli reads it in the container.
    assert f"cat {zookeeper.ADMIN_AUTH}" in script_of(change) and "addauth" not in script_of(change)
    assert not change.secret_inputs - {"__provider", "connection"}  # an SSH connection holds its key
    masters = [w for w in workloads(d) if w.role == "mesos-master"]
    for m in masters:
        if m.resource.type == "docker:index/container:Container":
            assert change.urn in m.resource.dependencies, m.name


def test_three_to_five_reseeds_the_three_and_asks_for_five(stack):
    before = stack("onprem")
    d = evaluate_changed("onprem", lambda p: p["zookeeper"].update(count=5, hosts=[*p["zookeeper"]["hosts"], "agent-1", "agent-2"]))
    assert d.error is None, d.error
    nodes = sorted((w for w in workloads(d) if w.role == "zookeeper"), key=lambda w: w.name)
    assert len(nodes) == 5 and all(len(n.files[zookeeper.SEED].splitlines()) == 5 for n in nodes)
    assert len(wanted(script_of(membership(d)))) == 5
    old = {w.name: w for w in workloads(before) if w.role == "zookeeper"}
    # The three that ran keep their settings and data; only the seed their next first start
    # would use is new (ZooKeeper keeps the members it has in /conf).
    for n in nodes[:3]:
        assert n.files[zookeeper.SETTINGS] == old[n.name].files[zookeeper.SETTINGS]
        assert n.files[zookeeper.SEED] != old[n.name].files[zookeeper.SEED]
    gates = {r.name: r.urn for r in d.resources if r.name.endswith(health_gate.GATE_SUFFIX)}
    for previous, node in zip(nodes, nodes[1:]):  # one at a time, in their order
        assert gates[f"{previous.name}{health_gate.GATE_SUFFIX}"] in node.resource.dependencies


def test_the_change_of_members_runs_on_the_first_nodes_host_through_ssm_on_aws(stack):
    d = stack("prod")
    change = membership(d)
    assert change.type == "pulumi-python:dynamic:Resource"
    (zk_a,) = [r for r in d.of_type("aws:ec2/instance:Instance") if r.name == "zk-a"]
    assert change.inputs["instance_id"] == zk_a.urn.rsplit("::", 1)[1] + "-id"
    assert change.inputs["purpose"] == "set ZooKeeper's members"
    assert "docker exec -i prod-zookeeper-1 " in change.inputs["script"]


@pytest.mark.parametrize("before, after, refused", [
    ((3, 2), (5, 3), None),  # up by one quorum: the three restart with 3, then two more start
    ((5, 3), (3, 3), None),  # down, first run: two leave, the rest keep their quorum
    ((3, 3), (3, 2), None),  # down, second run: the rest restart with the smaller quorum
    ((3, 2), (3, 2), None),
    ((5, 3), (3, 2), "First set platform.mesos.masters.count: 3 with platform.mesos.masters.quorum: 3"),
    ((3, 2), (7, 4), "go through 3 first"),
    ((5, 3), (3, 4), "keep platform.mesos.masters.quorum: 3"),
    ((1, 1), (3, 2), "raise platform.mesos.masters.log_generation"),
])
def test_the_masters_change_count_and_quorum_only_in_the_steps_mesos_allows(before, after, refused):
    provider = MastersQuorumProvider()
    olds = {"count": before[0], "quorum": before[1], "log_generation": 1}
    news = {"count": after[0], "quorum": after[1], "log_generation": 1}
    failures = provider.check(olds, news).failures
    if refused is None:
        assert failures == []
    else:
        (failure,) = failures
        assert refused in failure.reason, failure.reason
    # A new log generation starts afresh: anything goes; and a first creation checks nothing.
    assert provider.check(olds, {**news, "log_generation": 2}).failures == []
    assert provider.check({}, news).failures == []


def test_the_masters_guard_keeps_what_it_was_given_and_changes_only_with_count_quorum_or_log():
    """Every master depends on the guard: a diff it reports is a change the masters follow, and
    state it keeps is what the next check compares with."""
    provider = MastersQuorumProvider()
    props = {"count": 3, "quorum": 2, "log_generation": 1}
    created = provider.create(props)
    assert (created.id, created.outs) == ("mesos-masters", props)
    assert provider.diff("mesos-masters", props, dict(props)).changes is False
    for key, value in (("count", 5), ("quorum", 3), ("log_generation", 2)):
        diff = provider.diff("mesos-masters", props, {**props, key: value})
        assert diff.changes is True and not diff.replaces, key
        # and the update keeps the new figures, which the next check compares with
        assert provider.update("mesos-masters", props, {**props, key: value}).outs == {**props, key: value}


def test_every_master_and_every_aws_quorum_host_waits_for_the_quorum_check(stack):
    d = stack("local-ha")
    (guard,) = [r for r in d.resources if r.name == "mesos-masters-quorum"]
    assert guard.inputs["count"] == 3 and guard.inputs["quorum"] == 2
    masters = [w for w in workloads(d) if w.role == "mesos-master"]
    assert len(masters) == 3 and all(guard.urn in m.resource.dependencies for m in masters)
    prod = stack("prod")
    (guard,) = [r for r in prod.resources if r.name == "mesos-masters-quorum"]
    (first,) = [r for r in prod.of_type("aws:ec2/instance:Instance") if r.name == "zk-a"]
    assert guard.urn in first.dependencies  # and every later quorum host waits for the one before


def test_a_new_log_generation_gives_every_master_a_new_work_volume():
    d = evaluate_changed("local-ha", lambda p: p["mesos"]["masters"].update(log_generation=2))
    assert d.error is None, d.error
    volumes = [v["volumeName"] for w in workloads(d) if w.role == "mesos-master"
               for v in w.resource.inputs["volumes"] if v["containerPath"] == mesos_role.MASTER_WORK_DIR]
    assert volumes == [f"ha-master-{i}-work-g2" for i in (1, 2, 3)]


# The change of members in a real shell, against a `docker` that answers as an ensemble in a
# given state would (what `config` has committed, what each server says to `srvr` and `conf`),
# and records each reconfig asked for. What each state means is ZooKeeper's
# dynamic-reconfiguration guide: joiners follow before a reconfig; a committed change is done
# only when every member acts on it.
FAKE_DOCKER = r"""#!/bin/sh
# docker exec [-i] <container> <command...>, as the membership script calls it
shift; [ "$1" = -i ] && shift; shift
state=$STATE
case "$1 $*" in
  "zkCli.sh"*) cat "$state/committed" ;;
  "bash"*) eval "set -- $(printf '%s\n' "$@" | tail -n 3 | tr '\n' ' ')"; cat "$state/$1_$2.$3" 2>/dev/null ;;
  "sh"*) cat >/dev/null; echo reconfig >> "$state/asked"; cp "$state/wanted" "$state/committed" ;;
esac
exit 0
"""


def play(tmp_path, ensemble, committed, srvr, conf, timeout_s=3):
    """Run the script for `ensemble` once: the ensemble has `committed` members (ids), each
    server answers `srvr` with its mode and `conf` with the members (ids) it acts on; a reconfig
    commits the wanted members."""
    state = tmp_path / "state"
    state.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    lines = {s.my_id: s.line for s in ensemble}
    (state / "committed").write_text("".join(lines[i] + "\n" for i in committed))
    (state / "wanted").write_text("".join(lines[i] + "\n" for i in sorted(lines)))
    for s in ensemble:
        (state / f"{s.address}_{s.client_port}.srvr").write_text(f"Zookeeper version: 3.8\nMode: {srvr[s.my_id]}\n")
        (state / f"{s.address}_{s.client_port}.conf").write_text(
            "clientPort=2181\nmembership: \n" + "".join(lines[i] + "\n" for i in conf[s.my_id]) + "version=100000000\n")
    script = zookeeper.membership_script("p-zk-a", ensemble[0], ensemble, timeout_s)
    ran = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=60,
                         env={"PATH": f"{bin_dir}:/usr/bin:/bin", "STATE": str(state)})
    asked = (state / "asked").read_text().count("reconfig") if (state / "asked").exists() else 0
    return ran, asked


FIVE = [zookeeper.Server(i, f"10.0.0.{i}", 2181, 2888, 3888) for i in range(1, 6)]
ALL = {i: [1, 2, 3, 4, 5] for i in range(1, 6)}
OLD = {i: [1, 2, 3] for i in range(1, 6)}
FOLLOWING = {1: "follower", 2: "leader", 3: "follower", 4: "follower", 5: "follower"}


def test_the_change_waits_for_every_joiner_to_follow_before_asking(tmp_path):
    ran, asked = play(tmp_path, FIVE, [1, 2, 3], {**FOLLOWING, 5: "standalone"}, OLD)
    assert ran.returncode == 1 and asked == 0
    assert ("members are: server.1 server.2 server.3 ; wanted: server.1 server.2 server.3 server.4 server.5 ; "
            "waiting on: server.5 (not yet following) (after 3 s)") in ran.stderr


def test_the_change_asks_once_the_joiners_follow_and_ends_when_every_member_acts_on_it(tmp_path):
    ran, asked = play(tmp_path, FIVE, [1, 2, 3], FOLLOWING, ALL, timeout_s=30)
    assert ran.returncode == 0 and asked == 1, ran.stderr
    assert ran.stdout == "zookeeper members: server.1 server.2 server.3 server.4 server.5 \n"


def test_a_member_that_missed_the_committed_change_fails_it_by_name(tmp_path):
    ran, asked = play(tmp_path, FIVE, [1, 2, 3, 4, 5], FOLLOWING, {**ALL, 4: [1, 2, 3]})
    assert ran.returncode == 1 and asked == 0, "a committed membership is never asked for again"
    assert "waiting on: server.4 (still acting on its old members) (after" in ran.stderr and "restart it" in ran.stderr


def test_members_already_right_are_left_alone(tmp_path):
    ran, asked = play(tmp_path, FIVE, [1, 2, 3, 4, 5], FOLLOWING, ALL)
    assert ran.returncode == 0 and asked == 0
