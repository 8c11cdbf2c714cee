"""The policy pack (policy/): each rule holds on every stack the program renders, and catches
the broken variant it exists for. The rules see what Pulumi hands a policy: the resource type
and its input properties as the engine names them, which is what the mock runtime records."""
import base64
import copy
import gzip
import runpy
import sys
from types import SimpleNamespace

import pytest

from .conftest import PLACEHOLDER_SECRETS
from .harness import ROOT, evaluate, stack_names
from .memo import remembered

sys.path.insert(0, str(ROOT / "policy"))
import platform_rules as rules  # noqa: E402

@remembered
def _resources(name):
    d = evaluate(name, secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    return [(r.type, r.inputs) for r in d.resources if r.custom]


def resources(name):
    return copy.deepcopy(_resources(name))


def first(name, kind, where=lambda p: True):
    return next(p for k, p in resources(name) if k == kind and where(p))


@pytest.mark.parametrize("name", stack_names())
def test_every_stack_keeps_every_rule(name):
    found = {rule_name: [m for kind, props in resources(name) for m in rule(kind, props)]
             for rule_name, _, rule in rules.RESOURCE_RULES}
    found.update({rule_name: rule(resources(name)) for rule_name, _, rule in rules.STACK_RULES})
    assert found == {n: [] for n in found}


def test_imdsv2_and_encryption_are_required():
    instance = first("prod", "aws:ec2/instance:Instance")
    instance["metadataOptions"]["httpTokens"] = "optional"
    assert "IMDSv2" in rules.imdsv2("aws:ec2/instance:Instance", instance)[0]
    template = first("prod", "aws:ec2/launchTemplate:LaunchTemplate")
    template["metadataOptions"]["httpPutResponseHopLimit"] = 2
    assert "hop limit" in rules.imdsv2("aws:ec2/launchTemplate:LaunchTemplate", template)[0]
    template["blockDeviceMappings"][1]["ebs"]["encrypted"] = False
    assert rules.encrypted_storage("aws:ec2/launchTemplate:LaunchTemplate", template) == [
        "blockDeviceMappings[1].ebs must be encrypted"]
    volume = first("prod", "aws:ebs/volume:Volume")
    volume["encrypted"] = False
    assert rules.encrypted_storage("aws:ebs/volume:Volume", volume) == ["the volume must be encrypted"]


def test_only_service_ports_may_be_open_to_the_world():
    kind = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    world = [p for k, p in resources("prod") if k == kind and p.get("cidrIpv4") == "0.0.0.0/0"]
    assert [int(p["fromPort"]) for p in world] == [8000], "prod opens its public web port, and only that"
    admin = first("prod", kind, lambda p: int(p["fromPort"]) == 8080)
    assert rules.control_ports_not_public(kind, admin) == []
    admin["cidrIpv4"] = "0.0.0.0/1"  # half the internet is the internet
    assert "[8080]" in rules.control_ports_not_public(kind, admin)[0]
    assert "5050" in rules.control_ports_not_public(kind, {"ipProtocol": "-1", "cidrIpv6": "::/0"})[0]


def test_images_are_pinned():
    kind = "docker:index/remoteImage:RemoteImage"
    assert rules.pinned_images(kind, {"name": "zookeeper:3.8.4"}) == []
    assert rules.pinned_images(kind, {"name": "registry:5000/app@sha256:" + "0" * 64}) == []
    assert len(rules.pinned_images(kind, {"name": "redis"})) == len(rules.pinned_images(kind, {"name": "redis:latest"})) == 1
    assert len(rules.pinned_images(kind, {"name": "localhost:5000/redis"})) == 1  # a registry port is no tag
    app = first("onprem", "pulumi-python:dynamic:Resource", lambda p: "app" in p)
    app["app"]["container"]["docker"]["image"] = "nginx"
    assert "'nginx'" in rules.pinned_images("pulumi-python:dynamic:Resource", app)[0]


def test_platform_containers_restart_and_authenticate():
    kind = "docker:index/container:Container"
    is_master = lambda p: {"label": rules.ROLE_LABEL, "value": "mesos-master"} in p.get("labels", [])  # noqa: E731
    master = first("local-ha", kind, is_master)
    master["restart"] = "no"
    assert "restart" in rules.restart_policies(kind, master)[0]
    master["envs"] = [e for e in master["envs"] if not e.startswith("MESOS_ACLS=")]
    assert rules.authenticated_control_plane(kind, master) == ["mesos-master: MESOS_ACLS must be set"]
    # On EC2 the same flags, read from the docker create lines in the user data.
    host = first("prod", "aws:ec2/instance:Instance", lambda p: "mesos-master" in p["tags"]["container-platform:roles"])
    text = gzip.decompress(base64.b64decode(host["userDataBase64"])).decode()
    assert "MESOS_AUTHENTICATE_AGENTS=true" in text
    host["userDataBase64"] = base64.b64encode(gzip.compress(
        text.replace("MESOS_AUTHENTICATE_AGENTS=true", "MESOS_AUTHENTICATE_AGENTS=false").encode())).decode()
    assert rules.authenticated_control_plane("aws:ec2/instance:Instance", host) == [
        "mesos-master: MESOS_AUTHENTICATE_AGENTS=true must be set"]


def test_off_this_machine_the_control_plane_speaks_tls_only():
    kind = "docker:index/container:Container"
    is_role = lambda role: lambda p: {"label": rules.ROLE_LABEL, "value": role} in p.get("labels", [])  # noqa: E731
    master = first("onprem", kind, is_role("mesos-master"))
    master["envs"] = [e.replace("SUPPORT_DOWNGRADE=false", "SUPPORT_DOWNGRADE=true") for e in master["envs"]]
    assert rules.encrypted_control_plane(kind, master) == ["mesos-master: LIBPROCESS_SSL_SUPPORT_DOWNGRADE=false must be set"]
    marathon = first("onprem", kind, is_role("marathon"))
    marathon["envs"] = [e for e in marathon["envs"] if not e.startswith("MARATHON_DISABLE_HTTP")]
    assert rules.encrypted_control_plane(kind, marathon) == ["marathon: MARATHON_DISABLE_HTTP must be set"]
    # On this machine's loopback, plain is fine (the local stacks).
    assert rules.encrypted_control_plane(kind, first("local", kind, is_role("mesos-master"))) == []
    # On EC2, from the user data; an agent's address is the instance's own, learnt at boot.
    template = first("prod", "aws:ec2/launchTemplate:LaunchTemplate")
    text = gzip.decompress(base64.b64decode(template["userData"])).decode()
    template["userData"] = base64.b64encode(gzip.compress(
        text.replace("LIBPROCESS_SSL_ENABLED=true", "LIBPROCESS_SSL_ENABLED=false").encode())).decode()
    assert rules.encrypted_control_plane("aws:ec2/launchTemplate:LaunchTemplate", template) == [
        "mesos-agent: LIBPROCESS_SSL_ENABLED=true must be set"]


def test_quorums_are_odd_and_spread_over_zones():
    ha = resources("local-ha")
    zk = [i for i, (k, p) in enumerate(ha) if k == "docker:index/container:Container"
          and {"label": rules.ROLE_LABEL, "value": "zookeeper"} in p.get("labels", [])]
    del ha[zk[0]]
    assert rules.odd_quorums_over_zones(ha) == ["2 zookeeper members: use an odd number (3 or 5)"]
    prod = resources("prod")
    for kind, props in prod:
        if kind == "aws:ec2/instance:Instance" and "zookeeper" in props["tags"]["container-platform:roles"]:
            props["subnetId"] = "network-private-0-id"
    assert "3 zookeeper hosts share 1 subnet(s)" in rules.odd_quorums_over_zones(prod)[0]


def test_the_pack_hands_every_rule_to_pulumi(monkeypatch):
    """policy/__main__.py as the CLI runs it, with PolicyPack (which would serve forever)
    recording what it gets; each validate reports what its rule finds."""
    import pulumi_policy
    made = {}
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: made.update(kwargs))
    runpy.run_path(str(ROOT / "policy" / "__main__.py"), run_name="__main__")
    assert made["enforcement_level"] == pulumi_policy.EnforcementLevel.MANDATORY
    names = [p.name for p in made["policies"]]
    assert names == [n for n, _, _ in rules.RESOURCE_RULES + rules.STACK_RULES]
    reported = []
    imds = next(p for p in made["policies"] if p.name == "imdsv2-hop-limit-1")
    imds.validate(SimpleNamespace(resource_type="aws:ec2/instance:Instance", props={"metadataOptions": {}}),
                  lambda message, urn: reported.append(message))
    stack = next(p for p in made["policies"] if p.name == "odd-quorums-over-zones")
    two = [SimpleNamespace(resource_type="aws:ec2/instance:Instance",
                           props={"tags": {"container-platform:roles": "zookeeper"}, "subnetId": f"s{i}"}) for i in (1, 2)]
    stack.validate(SimpleNamespace(resources=two), lambda message, urn: reported.append(message))
    assert len(reported) == 2 and "IMDSv2" in reported[0] and "2 zookeeper members" in reported[1]
