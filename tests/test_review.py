"""The offline review of a change (ops/review.py): each stack before and after, compared."""
import json
import shutil
import subprocess
import sys

import pytest

from components.hosts import health_gate
from ops import review as review_module
from ops.review import compare, quorum_warnings, replaces, report

from .harness import ROOT


def snap(resources, outputs=None, target="local"):
    return {"target": target, "outputs": outputs or {},
            "resources": {f"urn:{n}": {"type": "t", "name": n, "inputs": i} for n, i in resources.items()}}


def test_compare_finds_added_removed_and_changed_inputs_with_a_text_diff():
    before = snap({"a": {"x": 1}, "b": {"cfg": "line1\nline2\n"}, "gone": {}}, {"url": "http://a"})
    after = snap({"a": {"x": 1}, "b": {"cfg": "line1\nline2 changed\n"}, "new": {}}, {"url": "http://b"})
    delta = compare(before, after)
    assert delta["added"] == ["urn:new"] and delta["removed"] == ["urn:gone"]
    assert list(delta["changed"]) == ["urn:b"] and list(delta["changed"]["urn:b"]) == ["cfg"]
    assert "-  line2" in delta["changed"]["urn:b"]["cfg"] and "+  line2 changed" in delta["changed"]["urn:b"]["cfg"]
    assert list(delta["outputs"]) == ["url"]
    text = report("main", {"s": (before, after)})
    assert "| `s` | 1 | 1 | 0 | 1 | 1 |" in text and "added `t` **new**" in text and "removed `t` **gone**" in text


def test_a_change_that_does_not_evaluate_is_reported_with_its_error():
    text = report("main", {"s": (snap({}), {"error": "invalid platform config: platform.zookeeper.count: ..."})})
    assert "| `s` | **the change does not evaluate** |" in text and "platform.zookeeper.count" in text


@pytest.fixture
def repo(tmp_path):
    """A git checkout of this project (tracked files), committed: the base of the review."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, tmp_path / f)
    for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base"]):
        subprocess.run(["git", *cmd], cwd=tmp_path, check=True, capture_output=True)
    return tmp_path


def review(repo, *stacks):
    run = subprocess.run([sys.executable, "-m", "ops.review", "--base", "HEAD", *[a for s in stacks for a in ("--stack", s)],
                          "--changed-aws-stacks", "changed.json"], cwd=repo, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return run.stdout, json.loads((repo / "changed.json").read_text())


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_review_of_a_working_tree_change_against_the_base_revision(repo):
    edit(repo / "stacks" / "Pulumi.local.yaml", "    workers:\n        count: 1", "    workers:\n        count: 2")
    edit(repo / "stacks" / "Pulumi.dev.yaml", "          count: 2\n", "          count: 3\n")
    edit(repo / "examples" / "compose" / "app" / "compose.yaml", "image: redis:7.4", "image: redis:7.4.1")
    edit(repo / "examples" / "compose" / "app" / "compose.yaml", "      POSTGRES_DB: directus\n",
         "      POSTGRES_DB: directus\n      POSTGRES_INITDB_ARGS: --data-checksums\n")
    text, changed_aws = review(repo, "local", "dev", "onprem")
    # local: a second Spark worker, the cache on a new image (pulled; the old one let go), the
    # database with a new variable.
    assert "| `local` | 2 | 1 | 2 | 0 | 0 |" in text
    assert "added `docker:index/container:Container` **local-spark-worker-2**" in text
    assert "added `docker:index/remoteImage:RemoteImage` **local-redis-7-4-1**" in text
    assert "replaced `docker:index/container:Container` **local-app-cache-1**: `image`" in text
    assert "| `dev` | 0 | 0 | 0 | 1 | 0 |" in text and "desiredCapacity" in text  # the group scales in place
    assert "| `onprem` | 0 | 0 | 0 | 2 | 0 |" in text  # Marathon apps (same ids) are updated in place
    assert "Warning" not in text
    assert changed_aws == ["dev"]
    # The change next to the password shows; the password (a placeholder anyway) does not.
    assert any(line.strip().startswith("+") and "POSTGRES_INITDB_ARGS" in line for line in text.splitlines())
    assert "POSTGRES_PASSWORD: '[secret dbPassword]'" in text and "placeholder-dbPassword" not in text



def resource(kind, inputs):
    return {"type": kind, "name": "r", "inputs": inputs}


@pytest.mark.parametrize("kind, before, after, replaced", [
    ("docker:index/container:Container", {"image": "a:1", "memory": 64}, {"image": "a:2", "memory": 64}, True),
    ("docker:index/container:Container", {"image": "a:1", "memory": 64}, {"image": "a:1", "memory": 128}, False),
    ("docker:index/container:Container", {"envs": ["A=1"]}, {"envs": ["A=2"]}, True),
    ("aws:ec2/instance:Instance", {"userDataBase64": "x", "tags": {}}, {"userDataBase64": "y", "tags": {}}, True),
    ("aws:ec2/instance:Instance", {"instanceType": "m5.large"}, {"instanceType": "m5.xlarge"}, False),
    ("pulumi-python:dynamic:Resource", {"app": {"id": "/a", "instances": 1}}, {"app": {"id": "/a", "instances": 2}}, False),
    ("pulumi-python:dynamic:Resource", {"app": {"id": "/a"}}, {"app": {"id": "/b"}}, True),
    ("docker:index/service:Service", {"taskSpec": 1}, {"taskSpec": 2}, False),
    # pulumi-command 1.x: only `triggers` replace; a new script is an update that runs it.
    ("command:remote:Command", {"create": "a", "update": "u1"}, {"create": "a", "update": "u2"}, False),
    ("command:local:Command", {"create": "a"}, {"create": "b"}, False),
    ("command:remote:Command", {"triggers": ["1"]}, {"triggers": ["2"]}, True),
    # A health gate (HostHealthy) never replaces.
    ("pulumi-python:dynamic:Resource", {"instance_id": "i-1"}, {"instance_id": "i-2"}, False),
])
def test_each_change_is_called_a_replacement_or_an_update_in_place(kind, before, after, replaced):
    keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert replaces(resource(kind, before), resource(kind, after), keys) is replaced


def zk_hosts(n, user_data, gated_after=None):
    """`n` ZooKeeper hosts; `gated_after[i]`: the host whose health gate host i depends on."""
    resources = {}
    for i in range(n):
        host = resource("aws:ec2/instance:Instance", {"userDataBase64": user_data,
                                                       "tags": {"container-platform:roles": "zookeeper"}})
        after = (gated_after or {}).get(i)
        resources[f"urn:zk-{i}"] = {**host, "name": f"zk-{i}",
                                    "dependencies": [f"urn:zk-{after}-healthy"] if after is not None else []}
        resources[f"urn:zk-{i}-healthy"] = {"type": "pulumi-python:dynamic:Resource", "name": f"zk-{i}-healthy",
                                            "inputs": {}, "dependencies": [f"urn:zk-{i}"]}
    return {"resources": resources}


@pytest.mark.parametrize("members, replaced, warned", [(3, 3, True), (3, 2, True), (3, 1, False), (5, 2, False), (5, 3, True)])
def test_replacing_a_majority_of_a_quorum_role_at_once_is_flagged(members, replaced, warned):
    after = zk_hosts(members, "new")
    warnings, _ = quorum_warnings(after, [f"urn:zk-{i}" for i in range(replaced)])
    assert bool(warnings) is warned
    if warned:
        assert f"replaces {replaced} of {members} `zookeeper` members" in warnings[0]


@pytest.mark.parametrize("gated_after, widest", [
    ({1: 0, 2: 1}, 1),  # a chain: one at a time
    ({2: 1, 1: 0, 4: 3, 3: 2}, 1),
    ({1: 0, 2: 0}, 2),  # both wait for the first only, then go together
    ({2: 1}, 2),  # the first and the second go together
])
def test_members_chained_through_health_gates_roll_one_at_a_time(gated_after, widest):
    n = max(gated_after) + 1
    after = zk_hosts(n, "new", gated_after)
    warnings, notes = quorum_warnings(after, [f"urn:zk-{i}" for i in range(n)])
    assert bool(warnings) is (widest > (n - 1) // 2)
    if warnings:
        assert f"replaces {widest} of {n} `zookeeper` members at once" in warnings[0]
    else:
        assert notes == ["`zookeeper` rolls: " + ", then ".join(f"**zk-{i}**" for i in range(n))
                         + ", each healthy again before the next goes"]


def test_the_review_knows_the_programs_health_gates_by_name():
    assert review_module.GATE_SUFFIX == health_gate.GATE_SUFFIX


def test_the_report_flags_a_prod_like_change_of_every_zookeeper_host():
    before, after = zk_hosts(3, "old"), zk_hosts(3, "new")
    text = report("main", {"prod": ({"target": "aws", "outputs": {}, **before}, {"target": "aws", "outputs": {}, **after})})
    assert "| `prod` | 0 | 0 | 3 | 0 | 0 |" in text
    assert "> **Warning**: replaces 3 of 3 `zookeeper` members at once" in text


def test_a_prod_zookeeper_setting_rolls_host_by_host_in_the_review(repo):
    """The program's own chain, seen by the review: every ZooKeeper host is replaced (its user
    data changes), one after another, and nothing warns."""
    edit(repo / "stacks" / "Pulumi.prod.yaml", "      protect: true\n    mesos:", "      protect: true\n      tick_time_ms: 3000\n    mesos:")
    text, changed_aws = review(repo, "prod")
    assert "| `prod` | 0 | 0 | 3 | 0 | 0 |" in text, text[:600]
    assert "> **Rolls**: `zookeeper` rolls: **zk-a**, then **zk-b**, then **zk-c**, each healthy again" in text
    assert "Warning" not in text and changed_aws == ["prod"]


def test_a_change_that_breaks_a_stack_fails_the_review_naming_it(repo):
    edit(repo / "stacks" / "Pulumi.dev.yaml", "          count: 2\n", "          count: -2\n")
    run = subprocess.run([sys.executable, "-m", "ops.review", "--base", "HEAD", "--stack", "dev", "--stack", "local"],
                         cwd=repo, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and "the change breaks: dev" in run.stderr
    assert "| `dev` | **the change does not evaluate** |" in run.stdout  # the report is still written


def test_an_upgrade_of_every_control_plane_image_rolls_each_quorum_role_in_the_review(repo):
    """The version matrix's upgrade path on prod: new ZooKeeper, Mesos and Marathon images
    replace the six core hosts, and the review says, before it happens, that each quorum role
    goes one member at a time and in which order."""
    edit(repo / "stacks" / "Pulumi.prod.yaml", "      protect: true\n    mesos:",
         "      protect: true\n      image: zookeeper:3.9.3\n    mesos:")
    edit(repo / "stacks" / "Pulumi.prod.yaml", "      cluster_name: prod\n",
         "      cluster_name: prod\n      image_master: mesosphere/mesos-master:1.7.1\n")
    edit(repo / "stacks" / "Pulumi.prod.yaml", "    marathon:\n", "    marathon:\n      image: mesosphere/marathon:v1.7.189\n")
    text, _ = review(repo, "prod")
    assert "| `prod` | 0 | 0 | 6 |" in text, text[:600]
    for role, hosts in (("zookeeper", "zk"), ("mesos-master", "master"), ("marathon", "master")):
        order = ", then ".join(f"**{hosts}-{z}**" for z in "abc")
        assert f"> **Rolls**: `{role}` rolls: {order}, each healthy again" in text, role
    assert "Warning" not in text


def test_the_report_lists_what_breaks_the_platforms_rules():
    after = {"target": "aws", "outputs": {}, "resources": {"urn:h": {
        "type": "aws:ec2/instance:Instance", "name": "zk-a", "dependencies": [],
        "inputs": {"metadataOptions": {"httpTokens": "optional"}, "rootBlockDevice": {"encrypted": True}}}}}
    text = report("main", {"prod": (after, after)})
    assert "### `prod`: breaks the platform's rules (policy/)" in text
    assert "- `zk-a` (imdsv2-hop-limit-1): instance metadata must require IMDSv2" in text


def test_a_change_that_breaks_a_rule_fails_the_review_naming_the_stack(repo):
    edit(repo / "stacks" / "Pulumi.local.yaml", "    zookeeper:\n", "    zookeeper:\n      image: zookeeper\n")
    run = subprocess.run([sys.executable, "-m", "ops.review", "--base", "HEAD", "--stack", "local"],
                         cwd=repo, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and "the change breaks: local" in run.stderr
    assert "(pinned-images): image 'zookeeper' must name a tag" in run.stdout
