"""The aws target under the mock runtime: `dev` and `prod` resource graphs, rule by rule."""
import fnmatch
import json
import re

import pulumi
import pytest

from components.aws import agent_watch, iam
from components.hosts import cloud_init
from components.hosts.aws import unpacked
from components.roles import zookeeper

from .conftest import PLACEHOLDER_SECRETS, evaluate_changed
from .harness import cloud_config, evaluate, mesos_principals, stack_config, units, zk_password
from .memo import remembered

@remembered
def deployed(stack):
    d = evaluate(stack, secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    return d


def by_name(d, type_):
    return {r.name: r for r in d.of_type(type_)}


def group_names(d):
    """security group id (as the mocks return it) -> role name."""
    return {f"{name}-id": name[len("security-"):] for name in by_name(d, "aws:ec2/securityGroup:SecurityGroup")}


def ingress(d):
    names = group_names(d)
    return {(names[r.inputs["securityGroupId"]], int(r.inputs["fromPort"]), int(r.inputs["toPort"]),
             r.inputs.get("cidrIpv4") or names[r.inputs["referencedSecurityGroupId"]])
            for r in d.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")}


ADMIN = "198.51.100.0/24"
DEV_RULES = {
    ("zookeeper", 2181, 2181, "zookeeper"), ("zookeeper", 2181, 2181, "mesos-master"),
    ("zookeeper", 2181, 2181, "marathon"), ("zookeeper", 2181, 2181, "agent-private"),
    ("zookeeper", 2888, 2888, "zookeeper"), ("zookeeper", 3888, 3888, "zookeeper"),
    ("mesos-master", 5050, 5050, "mesos-master"), ("mesos-master", 5050, 5050, "marathon"),
    ("mesos-master", 5050, 5050, "agent-private"), ("mesos-master", 5050, 5050, ADMIN),
    ("marathon", 8080, 8080, "marathon"), ("marathon", 8080, 8080, "marathon-lb"), ("marathon", 8080, 8080, ADMIN),
    ("marathon-lb", 9090, 9090, ADMIN),
    ("marathon-lb", 10000, 10100, "agent-private"), ("marathon-lb", 10000, 10100, "marathon-lb"),
    ("agent-private", 5051, 5051, "mesos-master"),
    ("agent-private", 31000, 32000, "marathon-lb"), ("agent-private", 31000, 32000, "marathon"),
}


def test_dev_ingress_is_exactly_the_least_privilege_table():
    assert ingress(deployed("dev")) == DEV_RULES


def test_prod_public_agents_open_only_the_declared_public_ports_to_the_internet():
    rules = ingress(deployed("prod"))
    open_to_all = {r for r in rules if r[3] == "0.0.0.0/0"}
    assert open_to_all == {("agent-public", 8000, 8000, "0.0.0.0/0")}  # the app's web tier
    assert ("agent-public", 5051, 5051, "mesos-master") in rules
    assert {r[3] for r in rules if r[0] == "agent-public" and r[1] == 5051} == {"mesos-master"}
    admin = {"198.51.100.0/24", "203.0.113.0/24"}
    assert {r[3] for r in rules if r[0] == "marathon" and r[1] == 8080} == {"marathon", "marathon-lb", *admin}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_ssh_anywhere_without_a_key_and_explicit_egress(stack):
    d = deployed(stack)
    assert not [r for r in ingress(d) if r[1] <= 22 <= r[2]]
    names = group_names(d)
    egress: dict = {}
    for r in d.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"):
        egress.setdefault(names[r.inputs["securityGroupId"]], set()).add(
            (r.inputs["ipProtocol"], r.inputs.get("fromPort"), r.inputs["cidrIpv4"]))
    cidr = stack_config(stack)["container-platform:platform"]["aws"]["vpc_cidr"]
    assert set(egress) == set(names.values())
    for rules in egress.values():
        assert rules == {("tcp", 443, "0.0.0.0/0"), ("tcp", 80, "0.0.0.0/0"), ("-1", None, cidr)}


def test_ssh_is_opened_to_the_admin_cidrs_only_when_a_key_is_set():
    d = evaluate_changed("dev", lambda p: p["aws"].update(ssh_key_name="ops"))
    ssh = {r for r in ingress(d) if r[1] == 22}
    assert {r[3] for r in ssh} == {ADMIN} and len(ssh) == len(group_names(d))
    assert all(i.inputs["keyName"] == "ops" for i in d.of_type("aws:ec2/instance:Instance"))
    assert all(t.inputs["keyName"] == "ops" for t in d.of_type("aws:ec2/launchTemplate:LaunchTemplate"))  # agents too


def test_prod_spreads_quorum_hosts_over_three_zones_with_fixed_addresses():
    d = deployed("prod")
    subnets = {f"{name}-id": r for name, r in by_name(d, "aws:ec2/subnet:Subnet").items()}
    assert sorted(r.name for r in subnets.values()) == [f"network-{t}-{z}" for t in ("private", "public") for z in range(3)]
    instances = by_name(d, "aws:ec2/instance:Instance")
    for group in (("zk-a", "zk-b", "zk-c"), ("master-a", "master-b", "master-c")):
        zones = [subnets[instances[h].inputs["subnetId"]].name for h in group]
        assert zones == ["network-private-0", "network-private-1", "network-private-2"]
    hosts = d.outputs["hosts"]
    for name, inst in instances.items():
        assert inst.inputs["privateIp"] == hosts[name]["address"]
        subnet = subnets[inst.inputs["subnetId"]].inputs["cidrBlock"]
        assert inst.inputs["privateIp"].startswith(subnet.rsplit(".", 2)[0])
    assert d.outputs["zookeeper_connect"] == ",".join(f"{hosts[h]['address']}:2181" for h in ("zk-a", "zk-b", "zk-c"))
    zk_units = [u for u in units(d) if u.role == "zookeeper"]
    for u in zk_units:
        assert u.files[zookeeper.SEED].splitlines() == [
            f"server.{i}={hosts[h]['address']}:2888:3888:participant;{hosts[h]['address']}:2181"
            for i, h in enumerate(("zk-a", "zk-b", "zk-c"), 1)]


def test_prod_masters_have_quorum_two_and_marathon_on_each():
    d = deployed("prod")
    masters = [u for u in units(d) if u.role == "mesos-master"]
    assert len(masters) == 3 and {u.env["MESOS_QUORUM"] for u in masters} == {"2"}
    assert sorted(u.host for u in units(d) if u.role == "marathon") == ["master-a", "master-b", "master-c"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_imdsv2_and_encrypted_volumes_everywhere(stack):
    d = deployed(stack)
    for i in d.of_type("aws:ec2/instance:Instance"):
        assert i.inputs["metadataOptions"]["httpTokens"] == "required"
        assert i.inputs["rootBlockDevice"]["encrypted"] is True
        assert [v["encrypted"] for v in i.inputs["ebsBlockDevices"]] == [True]
    for lt in d.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert lt.inputs["metadataOptions"]["httpTokens"] == "required"
        assert [b["ebs"]["encrypted"] for b in lt.inputs["blockDeviceMappings"]] == [True, True]


def test_prod_protects_state_not_hosts_and_masters_resist_termination_but_still_roll():
    d = deployed("prod")
    instances = by_name(d, "aws:ec2/instance:Instance")
    # The state is on protected volumes; a protected instance could never be replaced, so no
    # change could roll through it.
    assert not any(i.protect for i in instances.values())
    assert all(v.protect for v in d.of_type("aws:ebs/volume:Volume"))
    # A host is replaced when its containers change; the old one goes first (same address).
    assert all(i.inputs["userDataReplaceOnChange"] and i.delete_before_replace for i in instances.values())
    protected = {n for n, i in instances.items() if i.inputs.get("disableApiTermination")}
    assert protected == {"master-a", "master-b", "master-c"}
    # pulumi-aws 7 refuses to destroy a termination-protected instance without force_destroy.
    assert {n for n, i in instances.items() if i.inputs.get("forceDestroy")} == protected
    assert not any(i.protect for i in deployed("dev").of_type("aws:ec2/instance:Instance"))


def test_agent_pools_are_auto_scaling_groups_over_the_private_subnets():
    d = deployed("prod")
    groups = by_name(d, "aws:autoscaling/group:Group")
    private_subnets = [f"network-private-{z}-id" for z in range(3)]
    assert (groups["agent-private"].inputs["minSize"], groups["agent-private"].inputs["maxSize"],
            groups["agent-private"].inputs["desiredCapacity"]) == (3, 12, 3)
    assert (groups["agent-public"].inputs["minSize"], groups["agent-public"].inputs["maxSize"]) == (3, 6)
    for g in groups.values():
        assert g.inputs["vpcZoneIdentifiers"] == private_subnets
        assert g.inputs["launchTemplate"] == {"id": f"{g.name}-id", "version": "1"}
        tags = {t["key"]: t["value"] for t in g.inputs["tags"] if t["propagateAtLaunch"]}
        assert tags["container-platform:stack"] == "prod"
    # The target group checks port 8000, which only agents running a web task answer: ELB
    # health checks would terminate every other public agent at each grace period.
    assert groups["agent-public"].inputs["healthCheckType"] == "EC2"
    assert groups["agent-public"].inputs["targetGroupArns"] == ["arn:aws:mock:::agent-public-8000"]
    assert groups["agent-private"].inputs["healthCheckType"] == "EC2"
    (listener,) = d.of_type("aws:lb/listener:Listener")
    assert listener.inputs["port"] == 8000 and listener.inputs["protocol"] == "TCP"
    assert listener.inputs["defaultActions"] == [{"type": "forward", "targetGroupArn": "arn:aws:mock:::agent-public-8000"}]
    assert d.outputs["public_load_balancers"] == {"public": "agent-public-nlb.elb.example"}


def test_agents_start_from_the_hosts_ami_and_tag_their_instances_and_volumes_as_their_group_does():
    """The agents' launch template boots the AMI the other hosts boot and tags what it starts
    (instance and volume) with the group's tags, which ops/aws.py looks agents up by."""
    d = deployed("prod")
    amis = {i.inputs["ami"] for i in d.of_type("aws:ec2/instance:Instance")}
    groups = by_name(d, "aws:autoscaling/group:Group")
    for template in d.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert {template.inputs["imageId"]} == amis and "keyName" not in template.inputs  # no key set: no SSH
        group_tags = {t["key"]: t["value"] for t in groups[template.name].inputs["tags"] if t["propagateAtLaunch"]}
        assert group_tags == {"Name": f"prod-{template.name}", "container-platform:pool": template.name.removeprefix("agent-"),
                              "container-platform:stack": "prod", "container-platform:platform": "prod"}
        assert [(s["resourceType"], s["tags"]) for s in template.inputs["tagSpecifications"]] == [
            ("instance", group_tags), ("volume", group_tags)]


def test_each_host_runs_on_its_own_instance_type_or_the_stacks():
    d = deployed("prod")
    aws_cfg = stack_config("prod")["container-platform:platform"]["aws"]
    own = {h["name"]: h["instance_type"] for h in stack_config("prod")["container-platform:platform"]["hosts"]
           if "instance_type" in h}
    types = {i.name: i.inputs["instanceType"] for i in d.of_type("aws:ec2/instance:Instance")}
    assert own and all(types[h] == t for h, t in own.items())
    assert {t for h, t in types.items() if h not in own} == {aws_cfg["instance_type"]}
    assert {t.inputs["instanceType"] for t in d.of_type("aws:ec2/launchTemplate:LaunchTemplate")} == {aws_cfg["agent_instance_type"]}


def test_network_resources_are_named_in_the_console_after_their_resource():
    d = deployed("prod")
    named = {r.name: r.inputs["tags"]["Name"] for r in d.resources
             if r.type.split(":")[-1] in ("Vpc", "Subnet", "RouteTable", "InternetGateway", "NatGateway", "Eip")}
    assert named.pop("network-vpc") == named.pop("network-igw") == "network"
    assert named and all(name == tag for name, tag in named.items()), named
    tiers = {s.name: s.inputs["tags"]["tier"] for s in d.of_type("aws:ec2/subnet:Subnet")}
    assert tiers == {f"network-{tier}-{z}": tier for tier in ("public", "private") for z in range(3)}


def test_public_agents_offer_the_ports_public_services_publish():
    """Mesos offers a task only ports in its agent's `ports` resource (default [31000-32000]):
    without 8000 there, prod's public web tier would never be placed."""
    agents = {u.host: u for u in units(deployed("prod")) if u.role == "mesos-agent"}
    assert agents["agent-public"].env["MESOS_RESOURCES"] == "cpus:2;mem:7000;ports:[8000-8000,31000-32000]"
    assert agents["agent-private"].env["MESOS_RESOURCES"] == "cpus:8;mem:30000;ports:[31000-32000]"


def test_agents_learn_their_address_at_boot():
    d = deployed("dev")
    (agent,) = [u for u in units(d) if u.role == "mesos-agent"]
    assert agent.env["MESOS_IP"] == "$INSTANCE_IP" and agent.env["MESOS_HOSTNAME"] == "$INSTANCE_IP"
    assert agent.env["MESOS_MASTER"] == f"zk://{d.outputs['zookeeper_connect']}/mesos"
    (template,) = d.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert "/etc/container-platform/instance.sh" in {f["path"] for f in cloud_config(template)["write_files"]}


def fetched_parameters(r) -> set[str]:
    """The SSM parameter names a host's (or launch template's) secrets scripts fetch."""
    return {m for f in cloud_config(r).get("write_files", []) if f["path"].endswith("/secrets.sh")
            for m in re.findall(r"--name (\S+)", f["content"])}


def test_each_host_role_reads_exactly_its_own_containers_secrets_and_no_managed_policy():
    d = deployed("prod")
    roles = by_name(d, "aws:iam/role:Role")
    assert sorted(roles) == ["iam-agent-private", "iam-agent-public", "iam-master", "iam-zookeeper"]
    assert d.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []  # no AWS managed policy
    policies: dict[str, list[dict]] = {}
    for p in d.of_type("aws:iam/rolePolicy:RolePolicy"):
        policies.setdefault(p.inputs["role"].removesuffix("-id"), []).extend(json.loads(p.inputs["policy"])["Statement"])
    wildcard = {r: {tuple(sorted(st["Action"])) for st in sts if st["Resource"] == "*"} for r, sts in policies.items()}
    session, run_command = tuple(sorted(iam.SESSION_MANAGER_ACTIONS)), tuple(sorted(iam.RUN_COMMAND_ACTIONS))
    # Session Manager everywhere; Run Command (the health gates) only where a quorum member
    # runs; agents look up their own group (an action without resource-level permissions).
    describe = (agent_watch.DESCRIBE_ACTION,)
    assert wildcard == {"iam-agent-private": {session, describe}, "iam-agent-public": {session, describe},
                        "iam-master": {session, run_command}, "iam-zookeeper": {session, run_command}}
    for pool in ("private", "public"):  # the agent watch acts on its own group only
        (own,) = [st for st in policies[f"iam-agent-{pool}"] if st["Action"] == agent_watch.GROUP_ACTIONS]
        assert own["Resource"] == f"arn:aws:mock:::agent-{pool}"
    assert all(not any(a.startswith("ssm:GetParameter") for a in st["Action"]) for sts in policies.values()
               for st in sts if st["Resource"] == "*")

    def readable(role: str, name: str) -> bool:
        return any(fnmatch.fnmatchcase(f"arn:aws:ssm:eu-west-1:123456789012:parameter{name}", res)
                   for st in policies.get(role, []) if "ssm:GetParameter" in st["Action"] for res in st["Resource"])

    instances = by_name(d, "aws:ec2/instance:Instance")
    assert {n: i.inputs["iamInstanceProfile"] for n, i in instances.items()} == {
        **{h: "iam-zookeeper" for h in ("zk-a", "zk-b", "zk-c")}, **{h: "iam-master" for h in ("master-a", "master-b", "master-c")}}
    templates = by_name(d, "aws:ec2/launchTemplate:LaunchTemplate")
    assert templates["agent-public"].inputs["iamInstanceProfile"] == {"name": "iam-agent-public"}
    fetched: dict[str, set[str]] = {}  # role -> the parameters its hosts fetch
    for i in instances.values():
        fetched.setdefault(i.inputs["iamInstanceProfile"], set()).update(fetched_parameters(i))
    for t in templates.values():
        fetched.setdefault(t.inputs["iamInstanceProfile"]["name"], set()).update(fetched_parameters(t))
    all_names = {p.inputs["name"] for p in d.of_type("aws:ssm/parameter:Parameter")}
    assert set().union(*fetched.values()) == all_names  # every parameter is fetched by someone
    for role, names in fetched.items():
        assert all(readable(role, n) for n in names), role
        assert not [n for n in all_names - names if readable(role, n)], f"{role} reads other roles' secrets"
    # ZooKeeper hosts read only their superuser's two files.
    assert {n.rsplit("/", 1)[1] for n in fetched["iam-zookeeper"]} == {"conf-zoo-cfg-super", "conf-admin-auth"}


def test_instances_give_no_instance_credentials_to_bridge_networked_tasks():
    d = deployed("prod")
    for r in d.of_type("aws:ec2/instance:Instance"):
        assert r.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1, r.name
    for r in d.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert r.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1, r.name


def test_control_plane_credentials_go_to_ssm_not_into_user_data():
    d = deployed("prod")
    params = {p.inputs["name"]: p for p in d.of_type("aws:ssm/parameter:Parameter")}
    assert all(p.inputs["type"] == "SecureString" and "value" in p.secret_inputs for p in params.values())
    by_container = {}
    for name in params:
        container, key = name.removeprefix("/container-platform/prod/").split("/")
        by_container.setdefault(container.rsplit("-", 1)[0] if container[-1].isdigit() else container, set()).add(key)
    agent = {"etc-mesos-credential-json", "etc-mesos-http-credentials-json", "etc-mesos-tls-key-pem"}
    assert by_container == {
        "prod-zookeeper": {"conf-zoo-cfg-super", "conf-admin-auth"},
        "prod-master": {"etc-mesos-credentials-json", "etc-mesos-zk", "etc-mesos-tls-key-pem"},
        "prod-marathon": {"MESOSPHERE_HTTP_CREDENTIALS", "MARATHON_ZK", "etc-marathon-mesos-secret",
                          "etc-marathon-tls-key-pem", "MESOSPHERE_KEYSTORE_PASS", "etc-marathon-tls-keystore-p12"},
        # The login guards the stats endpoint too, so the HAProxy head that names it is a secret.
        "prod-marathon-lb": {"etc-marathon-lb-credentials", "marathon-lb-templates-haproxy-head",
                             "etc-marathon-lb-tls-stats-pem"},
        "prod-agent-private": agent,
        "prod-agent-public": agent,
    }
    # A standard-tier parameter holds at most 4 KB (SSM quotas): the largest is the keystore.
    assert max(len(p.inputs["value"].encode()) for p in params.values()) < 4096
    rendered = [json.dumps(cloud_config(r)) for r in d.of_type("aws:ec2/instance:Instance")]
    rendered += [unpacked(t.inputs["userData"]) for t in d.of_type("aws:ec2/launchTemplate:LaunchTemplate")]
    secrets = {PLACEHOLDER_SECRETS["marathonPassword"]}
    secrets |= set(mesos_principals(d).values())
    secrets |= {zk_password(p.inputs["value"]) for p in params.values() if p.inputs["name"].endswith(("etc-mesos-zk", "MARATHON_ZK"))}
    assert len(secrets) == 7  # Marathon's login, the four Mesos principals, two ZooKeeper identities
    # The private keys (their base64 body), and the keystore's password.
    secrets |= {p.inputs["value"].splitlines()[1] for p in params.values() if p.inputs["name"].endswith("key-pem")}
    secrets |= {p.inputs["value"] for p in params.values() if p.inputs["name"].endswith("KEYSTORE_PASS")}
    assert len(secrets) == 7 + 3 + 1  # the keys of the masters, the agents (one for every group), Marathon
    superuser = {p.inputs["value"].rsplit(":", 1)[1].strip() for p in params.values() if p.inputs["name"].endswith("admin-auth")}
    assert len(superuser) == 1 and not [s for s in superuser for text in rendered if s in text]
    assert not [s for s in secrets for text in rendered if s in text]
    marathon = [u for u in units(d) if u.role == "marathon"]
    assert all("--env-file" in u.argv and not any("CREDENTIALS" in k for k in u.env) for u in marathon)


@pytest.mark.parametrize("change, path", [
    (lambda p: p["aws"].update(admin_cidrs=["0.0.0.0/0"]), "platform.aws.admin_cidrs[0]"),
    (lambda p: p["hosts"][3].update(zone=0) or p["hosts"][4].update(zone=0), "platform.mesos.masters.hosts"),
    (lambda p: p["mesos"]["agent_pools"][0].update(min_count=5), "platform.mesos.agent_pools[0].count"),
    (lambda p: p["mesos"]["agent_pools"][0].update(count=20, max_count=12), "platform.mesos.agent_pools[0].count"),
    (lambda p: p["hosts"][0].update(zone=3), "platform.hosts[0].zone"),
    (lambda p: p["hosts"][0].update(address="10.0.0.1"), "platform.hosts[0].address"),
    (lambda p: p["stacks"][0].update(scheduler="swarm"), "platform.stacks[0].scheduler"),
    (lambda p: p["aws"].update(ami={"id": "ami-nope"}), "platform.aws.ami.id"),
    (lambda p: p["hosts"].append({"name": "spare", "zone": 1}), "platform.hosts[6]"),
    (lambda p: p["zookeeper"].update(hosts=["zk-a", "zk-b", "zk-x"]), "platform.zookeeper.hosts[2]"),
])
def test_bad_aws_config_is_refused_before_any_resource(change, path):
    d = evaluate_changed("prod", change)
    assert isinstance(d.error, pulumi.RunError) and path in str(d.error), d.error
    assert d.resources == []


def test_an_existing_vpc_and_a_pinned_ami_are_used_as_given():
    network = {"vpc_id": "vpc-0a1b", "public_subnet_ids": ["subnet-a1", "subnet-a2", "subnet-a3"],
               "private_subnet_ids": ["subnet-b1", "subnet-b2", "subnet-b3"]}
    d = evaluate_changed("prod", lambda p: p["aws"].update(network=network, ami={"id": "ami-0123456789abcdef0"}))
    assert d.error is None, d.error
    assert not d.of_type("aws:ec2/vpc:Vpc") and not d.of_type("aws:ec2/subnet:Subnet") and not d.of_type("aws:ec2/natGateway:NatGateway")
    instances = by_name(d, "aws:ec2/instance:Instance")
    assert [instances[h].inputs["subnetId"] for h in ("zk-a", "zk-b", "zk-c")] == ["subnet-b1", "subnet-b2", "subnet-b3"]
    # Fixed addresses come from each existing subnet's CIDR, looked up (the mocks: 10.9.16.0/20 for subnet-b1, ...)
    assert [instances[h].inputs["privateIp"] for h in ("zk-a", "zk-b", "zk-c")] == ["10.9.16.10", "10.9.32.10", "10.9.48.10"]
    assert {i.inputs["ami"] for i in instances.values()} == {"ami-0123456789abcdef0"}
    assert {g.inputs["vpcId"] for g in d.of_type("aws:ec2/securityGroup:SecurityGroup")} == {"vpc-0a1b"}
    assert {t.inputs["imageId"] for t in d.of_type("aws:ec2/launchTemplate:LaunchTemplate")} == {"ami-0123456789abcdef0"}
    (nlb,) = d.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert nlb.inputs["subnets"] == ["subnet-a1", "subnet-a2", "subnet-a3"]  # the public agents' balancer faces out
    assert d.outputs["zookeeper_connect"] == "10.9.16.10:2181,10.9.32.10:2181,10.9.48.10:2181"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_aws_resource_uses_the_stacks_explicit_provider(stack):
    d = deployed(stack)
    (provider,) = d.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "eu-west-1"
    # Providers take their object inputs JSON-encoded.
    assert json.loads(provider.inputs["defaultTags"])["tags"]["container-platform:stack"] == stack
    for r in d.resources:
        if r.type.startswith("aws:"):
            assert r.provider_urn == provider.urn, f"{r.name} uses the default provider"


def test_subnets_are_spread_over_zones_the_region_calls_available():
    """The zone lookup asks for available zones: the region (ops/mock_runtime.py REGION_ZONES)
    has an impaired one, which sorts first."""
    from ops.mock_runtime import REGION_ZONES
    available = [n for n, _, state in REGION_ZONES if state == "available"]
    for stack in ("dev", "prod"):
        zones = [s.inputs["availabilityZone"] for s in deployed(stack).of_type("aws:ec2/subnet:Subnet")]
        assert zones and set(zones) <= set(available), (stack, zones)
        assert len(set(zones)) == stack_config(stack)["container-platform:platform"]["aws"]["zones"], (stack, zones)


def test_hosts_without_a_zone_go_round_the_zones_in_host_order():
    def no_zones(p):
        for h in p["hosts"]:
            h.pop("zone", None)
    d = evaluate_changed("prod", no_zones)
    assert d.error is None, d.error
    zone_of_subnet = {f"{s.name}-id": s.inputs["availabilityZone"] for s in d.of_type("aws:ec2/subnet:Subnet")}
    zones = {i.name: zone_of_subnet[i.inputs["subnetId"]] for i in d.of_type("aws:ec2/instance:Instance")}
    hosts = [h["name"] for h in stack_config("prod")["container-platform:platform"]["hosts"]]
    assert [zones[h] for h in hosts] == [sorted(set(zones.values()))[i % 3] for i in range(len(hosts))], zones


def test_zookeeper_and_master_state_lives_on_a_kept_volume_attached_to_each_replacement():
    """Stateful data outlives hosts: every host with a persistent volume (ZooKeeper's data, the
    masters' replicated log) gets an EBS volume in its own zone, encrypted, kept on delete and
    protected where the role is (prod); it is attached to the instance (stopped before a detach), and the
    user data mounts it at Docker's volume directory before Docker may start."""
    d = deployed("prod")
    instances = by_name(d, "aws:ec2/instance:Instance")
    volumes = by_name(d, "aws:ebs/volume:Volume")
    attachments = by_name(d, "aws:ec2/volumeAttachment:VolumeAttachment")
    stateful = {n for n, i in instances.items() if {"zookeeper", "mesos-master"} & set(i.inputs["tags"]["container-platform:roles"].split(","))}
    assert stateful == {"zk-a", "zk-b", "zk-c", "master-a", "master-b", "master-c"}
    assert set(volumes) == {f"{n}-state" for n in stateful} == set(attachments)
    subnets = {f"{s.name}-id": s.inputs["availabilityZone"] for s in d.of_type("aws:ec2/subnet:Subnet")}
    for name in stateful:
        v, a, host = volumes[f"{name}-state"], attachments[f"{name}-state"], instances[name]
        assert v.retain_on_delete and v.protect
        assert v.inputs["encrypted"] is True and v.inputs["size"] == 20
        assert v.inputs["availabilityZone"] == subnets[host.inputs["subnetId"]]
        assert (a.inputs["volumeId"], a.inputs["instanceId"]) == (f"{v.name}-id", f"{name}-id")
        assert a.inputs["stopInstanceBeforeDetaching"] is True
        config = cloud_config(host)
        assert [cloud_init.DATA_VOLUME in b for b in config["bootcmd"]] == [False, True, False]
        assert f"{v.name}-id".replace("-", "") in config["bootcmd"][0]  # found by its own NVMe serial
        drop_in = {f["path"]: f["content"] for f in config["write_files"]}["/etc/systemd/system/docker.service.d/state-volume.conf"]
        assert f"RequiresMountsFor={cloud_init.STATE_MOUNT}" in drop_in
    for lt in d.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert "state-volume" not in unpacked(lt.inputs["userData"])  # agents keep no state


def test_a_replaced_zookeeper_host_keeps_its_volume_and_its_user_data_names_the_same_one():
    before, after = deployed("prod"), evaluate_changed("prod", lambda p: p["zookeeper"].update(tick_time_ms=3000))
    b, a = by_name(before, "aws:ec2/instance:Instance")["zk-a"], by_name(after, "aws:ec2/instance:Instance")["zk-a"]
    assert b.inputs["userDataBase64"] != a.inputs["userDataBase64"]  # the host is replaced ...
    vb, va = by_name(before, "aws:ebs/volume:Volume")["zk-a-state"], by_name(after, "aws:ebs/volume:Volume")["zk-a-state"]
    assert vb.inputs == va.inputs  # ... its state volume is not
    assert cloud_config(b)["bootcmd"][0] == cloud_config(a)["bootcmd"][0]


def test_every_iam_policy_document_is_one_aws_accepts():
    # moto/iam/policy_validation.py reproduces IAM's documented checks (case-sensitive Effect,
    # Version, action and resource formats); a document it refuses fails at `pulumi up`.
    from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator
    d = deployed("prod")
    documents = [(IAMPolicyDocumentValidator, p.inputs["policy"]) for p in d.of_type("aws:iam/rolePolicy:RolePolicy")]
    documents += [(IAMTrustPolicyDocumentValidator, r.inputs["assumeRolePolicy"]) for r in d.of_type("aws:iam/role:Role")]
    assert len(documents) >= 8
    for validator, document in documents:
        validator(document).validate()  # raises MalformedPolicyDocument, naming the rule


def test_nothing_runs_a_shell_on_an_ec2_host_and_it_says_why():
    """Swarm (the only user of host shells besides gates) is refused on aws by the spec
    (spec/stacks.py); a new caller that reached an EC2 host anyway is told the reason."""
    from components.hosts.aws import AwsHost
    with pytest.raises(NotImplementedError, match="^EC2 hosts run containers from cloud-init; nothing else runs on them$"):
        AwsHost.shell(object(), "prod-join", "docker swarm join")


@pytest.mark.parametrize("name", ["debian-12-amd64-*", "debian-12-*"])
def test_the_ami_is_debians_newest_x86_64_image_not_a_look_alike_nor_arm64(name):
    """The mock answers get_ami as DescribeImages does (ops/mock_runtime.IMAGES): a newer image
    named like Debian's from another account, and a newer arm64 build, are both there to be
    wrongly picked: the owners filter and the architecture filter (x86_64, case-sensitive) keep them out."""
    d = evaluate_changed("prod", lambda p: p["aws"].update(ami={"name": name}))
    assert d.error is None, d.error
    assert {i.inputs["ami"] for i in d.of_type("aws:ec2/instance:Instance")} == {"ami-0abcdef1234567890"}
