"""Quorum-safe change (hosts/health_gate.py): each member of ZooKeeper, the masters and Marathon
is changed only once the one before it is healthy again, on every target.

What is checked here is the dependency chain Pulumi orders its steps by (a resource is
registered, so created, updated or replaced, only after everything it depends on is done) and
what each gate runs. The real-component test (test_real_rolling.py) runs the gates' exact
scripts against a real ZooKeeper ensemble being rolled.
"""
import subprocess

import pytest

from components.aws.host_healthy import DOCUMENT, HostHealthyProvider
from components.hosts import aws as aws_host, health_gate

from .conftest import evaluate_changed
from .harness import role_of, units

QUORUM_ROLES = ("zookeeper", "mesos-master", "marathon")
# Roles whose members are changed one at a time: the quorum roles, and Spark's standalone
# masters (with ZooKeeper recovery a standby takes over from the active one).
ROLLING_ROLES = (*QUORUM_ROLES, "spark-master")
GATE = "command:local:Command", "command:remote:Command"


def gates_by_member(d):
    return {r.name[: -len(health_gate.GATE_SUFFIX)]: r for r in d.resources
            if r.type in GATE and r.name.endswith(health_gate.GATE_SUFFIX)}


@pytest.mark.parametrize("name", ["local", "local-ha", "onprem"])
def test_each_quorum_member_waits_for_the_previous_ones_gate(stack, name):
    d = stack(name)
    gates = gates_by_member(d)
    for role in ROLLING_ROLES:
        members = [c for c in d.containers() if role_of(c) == role]
        if role == "spark-master" and name != "local-ha":
            continue  # local-ha has two masters with ZooKeeper recovery
        assert members, role
        for k, member in enumerate(members):
            gate = gates[member.name]
            assert member.urn in gate.dependencies
            previous = gates[members[k - 1].name].urn if k else None
            assert (previous in member.dependencies) if previous else not any(
                g.urn in member.dependencies for g in gates.values()), (role, member.name)
            # The first start waits for no one; a recreated member (its id is in the update) is
            # waited for, by its own health check, before the next member changes.
            assert gate.inputs["create"] == health_gate.FIRST_START
            update = gate.inputs["update"]
            assert f"{member.name}-id" in update.splitlines()[0]
            assert f"for c in {member.name}; do" in update
            assert member.inputs["healthcheck"]["tests"], "a gate waits for a health check"


def test_a_zookeeper_setting_changes_every_node_but_they_still_roll_in_order(stack):
    """A changed zoo.cfg recreates all three nodes (their uploads change); the chain is what
    keeps two of them up at any time."""
    before = stack("onprem")
    after = evaluate_changed("onprem", lambda p: p["zookeeper"].update(tick_time_ms=3000))
    nodes_before = {c.name: c for c in before.containers() if role_of(c) == "zookeeper"}
    nodes_after = [c for c in after.containers() if role_of(c) == "zookeeper"]
    assert all(c.inputs["uploads"] != nodes_before[c.name].inputs["uploads"] for c in nodes_after)
    gates = gates_by_member(after)
    assert [gates[nodes_after[k - 1].name].urn in nodes_after[k].dependencies for k in (1, 2)] == [True, True]


def test_aws_replaces_its_quorum_hosts_one_after_another(stack):
    d = stack("prod")
    instances = {i.name: i for i in d.of_type("aws:ec2/instance:Instance")}
    gates = {r.name[: -len(health_gate.GATE_SUFFIX)]: r for r in d.of_type("pulumi-python:dynamic:Resource")
             if r.name.endswith(health_gate.GATE_SUFFIX)}
    order = ["zk-a", "zk-b", "zk-c", "master-a", "master-b", "master-c"]
    assert list(gates) == order
    running = {}
    for u in units(d):
        running.setdefault(u.host, []).append(u)
    for k, host in enumerate(order):
        gate, instance = gates[host], instances[host]
        assert gate.inputs["instance_id"] == f"{host}-id" and gate.inputs["region"] == "eu-west-1"
        # It waits for every container on the host that has a health check, boot included.
        names = [u.name for u in running[host] if u.health]
        assert names and len(names) == len(running[host])
        assert f"for c in {' '.join(names)}; do" in gate.inputs["script"]
        assert gate.inputs["timeout_seconds"] >= aws_host.BOOT_S
        previous = f"{gates[order[k - 1]].urn}" if k else None
        chained = [g.urn for g in gates.values() if g.urn in instance.dependencies]
        assert chained == ([previous] if previous else []), host


def test_the_aws_gate_waits_only_for_a_replaced_host(monkeypatch):
    calls = []
    provider = HostHealthyProvider()
    monkeypatch.setattr(HostHealthyProvider, "wait", lambda self, props: calls.append(props["instance_id"]))
    props = {"instance_id": "i-1", "script": "s", "region": "eu-west-1", "timeout_seconds": 60}
    assert provider.create(props).id == "i-1" and calls == []
    assert not provider.diff("i-1", props, dict(props)).changes
    new = {**props, "instance_id": "i-2"}
    d = provider.diff("i-1", props, new)
    assert d.changes and not d.replaces
    provider.update("i-1", props, new)
    assert calls == ["i-2"]


class FakeSsm:
    """SSM as seen right after a host boots: the agent is not registered for `unregistered`
    calls, then the command runs `states` (one per poll)."""

    def __init__(self, states, unregistered=0, stderr=""):
        self.states, self.unregistered, self.stderr, self.sent = list(states), unregistered, stderr, []

    def send_command(self, **kwargs):
        from botocore.exceptions import ClientError
        if self.unregistered:
            self.unregistered -= 1
            raise ClientError({"Error": {"Code": "InvalidInstanceId", "Message": "not registered"}}, "SendCommand")
        self.sent.append(kwargs)
        return {"Command": {"CommandId": "cmd-1"}}

    def get_command_invocation(self, CommandId, InstanceId):
        from botocore.exceptions import ClientError
        state = self.states.pop(0)
        if state is None:
            raise ClientError({"Error": {"Code": "InvocationDoesNotExist", "Message": "-"}}, "GetCommandInvocation")
        return {"Status": state, "StandardErrorContent": self.stderr}


def run_wait(monkeypatch, ssm, timeout=30, **extra):
    import boto3
    monkeypatch.setattr(HostHealthyProvider, "poll_s", 0.01)
    monkeypatch.setattr(boto3, "client", lambda service, region_name: ssm)
    HostHealthyProvider().wait({"instance_id": "i-9", "script": "echo ok", "region": "eu-west-1",
                                "timeout_seconds": timeout, **extra})


def test_the_aws_gate_retries_until_the_agent_registers_then_waits_for_success(monkeypatch):
    ssm = FakeSsm([None, "Pending", "InProgress", "Success"], unregistered=2)
    run_wait(monkeypatch, ssm)
    (sent,) = ssm.sent
    assert sent["InstanceIds"] == ["i-9"] and sent["DocumentName"] == DOCUMENT == "AWS-RunShellScript"
    assert sent["Parameters"] == {"commands": ["echo ok"], "executionTimeout": ["30"]}
    assert ssm.states == []


def test_the_aws_gate_fails_with_what_the_script_said(monkeypatch):
    ssm = FakeSsm(["InProgress", "Failed"], stderr="container-platform: prod-zk-2 is unhealthy after 960 s")
    with pytest.raises(RuntimeError, match="i-9: wait until this host's containers are healthy failed .*Failed.*prod-zk-2 is unhealthy"):
        run_wait(monkeypatch, ssm)


def test_a_gate_with_another_purpose_says_it_in_the_command_and_its_failure(monkeypatch):
    """The change of ZooKeeper's members runs through the same gate: its SSM comment and its
    failure name what it is for."""
    ssm = FakeSsm(["Failed"], stderr="reconfig refused")
    with pytest.raises(RuntimeError, match="i-9: set ZooKeeper's members failed .*reconfig refused"):
        run_wait(monkeypatch, ssm, purpose="set ZooKeeper's members")
    assert ssm.sent[0]["Comment"] == "container-platform: set ZooKeeper's members"


def test_the_aws_gate_gives_up_at_its_timeout_naming_the_command_to_look_at(monkeypatch):
    ssm = FakeSsm(["InProgress"] * 10_000)
    with pytest.raises(TimeoutError) as e:
        run_wait(monkeypatch, ssm, timeout=0.2)
    assert str(e.value) == ("i-9: SSM command cmd-1 still InProgress after 0.2 s; see `aws ssm get-command-invocation "
                            "--command-id cmd-1 --instance-id i-9`")


def _ssm_statuses() -> list[str]:
    import botocore.session
    model = botocore.session.get_session().get_service_model("ssm")
    return model.shape_for("CommandInvocationStatus").enum


@pytest.mark.parametrize("status", _ssm_statuses())
def test_the_aws_gate_answers_every_status_ssm_can_report(monkeypatch, status):
    """Each value of botocore's CommandInvocationStatus: Success lets the update go on, a status
    that cannot change any more fails at once with the script's words, the rest are polled again."""
    ssm = FakeSsm([status, "Success"], stderr="zk-2 unhealthy")
    if status in ("Pending", "InProgress", "Delayed", "Success"):
        run_wait(monkeypatch, ssm)
        assert ssm.states == ([] if status != "Success" else ["Success"])
    else:
        with pytest.raises(RuntimeError, match=f"i-9: wait until .* failed .*{status}.*zk-2 unhealthy"):
            run_wait(monkeypatch, ssm)
        assert ssm.states == ["Success"], "failed at the first poll"


def test_the_aws_gate_retries_only_an_unregistered_agent(monkeypatch):
    """Any other refusal of send_command (access denied, a bad document) fails at once, saying
    what SSM said; an error reading the invocation other than 'not there yet' is not swallowed."""
    from botocore.exceptions import ClientError

    class Denied(FakeSsm):
        def send_command(self, **kwargs):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no ssm:SendCommand"}}, "SendCommand")

    with pytest.raises(RuntimeError, match=r"^cannot wait until this host's containers are healthy on i-9 through "
                                           r"SSM: .*AccessDeniedException.*no ssm:SendCommand"):
        run_wait(monkeypatch, Denied([]))

    class Throttled(FakeSsm):
        def get_command_invocation(self, CommandId, InstanceId):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetCommandInvocation")

    with pytest.raises(ClientError, match="ThrottlingException"):
        run_wait(monkeypatch, Throttled([]))


def test_the_aws_gate_sends_what_the_real_ssm_api_accepts(monkeypatch):
    """Against moto (which validates the request against botocore's SSM model): the command
    names the instance, the document and the script."""
    import boto3
    from moto import mock_aws
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        image = ec2.describe_images()["Images"][0]["ImageId"]
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        script = health_gate.wait_script(["prod-zk-1"], 960)
        HostHealthyProvider().wait({"instance_id": instance, "script": script, "region": "eu-west-1",
                                    "timeout_seconds": 960})
        (command,) = boto3.client("ssm", region_name="eu-west-1").list_commands()["Commands"]
        assert command["InstanceIds"] == [instance] and command["DocumentName"] == "AWS-RunShellScript"
        assert command["Parameters"]["commands"] == [script]


def test_the_pickled_aws_gate_runs_in_a_fresh_process_without_the_project():
    """Pulumi stores the provider pickled in the state and runs it in its provider host, where
    this project is not importable; there it sends its script through SSM (moto) and returns."""
    import json
    import os
    import subprocess
    import sys

    from pulumi.dynamic.dynamic import serialize_provider
    script = (
        "import json, sys, dill, boto3\n"
        "from moto import mock_aws\n"
        "assert not any(p.endswith('/work/main') for p in sys.path)\n"
        "import base64\n"
        "p = dill.loads(base64.b64decode(sys.stdin.readline()))\n"
        "props = json.loads(sys.stdin.readline())\n"
        "with mock_aws():\n"
        "    ec2 = boto3.client('ec2', region_name='eu-west-1')\n"
        "    image = ec2.describe_images()['Images'][0]['ImageId']\n"
        "    props['instance_id'] = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)['Instances'][0]['InstanceId']\n"
        "    print(p.update('i-old', {}, props).outs['instance_id'] == props['instance_id'])\n"
        "    print(boto3.client('ssm', region_name='eu-west-1').list_commands()['Commands'][0]['Parameters']['commands'][0])\n"
    )
    props = {"script": "echo ok", "region": "eu-west-1", "timeout_seconds": 30}
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    run = subprocess.run([sys.executable, "-c", script], cwd="/tmp", env=env, capture_output=True, text=True,
                         input=serialize_provider(HostHealthyProvider()) + "\n" + json.dumps(props) + "\n", timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:2] == ["True", "echo ok"]


@pytest.mark.parametrize("status, code, says", [
    ("healthy", 0, "zk-1 is healthy\nzk-2 is healthy\n"),
    ("starting", 1, "container-platform: zk-1 is starting after 0 s; the change stops here"),
])
def test_the_gate_script_runs_in_a_posix_shell_against_what_docker_says(tmp_path, status, code, says):
    # A stand-in `docker` answering `inspect` with one health status (the real engine's gate
    # is tests/test_real_rolling.py); dash, Debian's sh, runs the exact rendered bytes.
    fake = tmp_path / "docker"
    fake.write_text(f"#!/bin/sh\necho {status}\n")
    fake.chmod(0o755)
    run = subprocess.run(["sh", "-c", health_gate.wait_script(["zk-1", "zk-2"], 0)], capture_output=True, text=True,
                         env={"PATH": f"{tmp_path}:/usr/bin:/bin"}, timeout=30)
    assert run.returncode == code and says in (run.stdout if code == 0 else run.stderr)
