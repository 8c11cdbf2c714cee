"""boto3 checks for the aws target, where a Pulumi resource is the wrong tool: before `up`,
can this account and region hold the stack? After `up`, is every expected instance there,
running, healthy and tagged with the stack?

    python -m ops.aws preflight --stack dev    # region, zones, AMI, instance types, quotas
    python -m ops.aws verify --stack dev       # hosts and agent groups of the deployed stack

Credentials and profile come from the usual AWS environment; `--endpoint-url` sends every call
to another endpoint (the tests use a local moto server). Exit status 1 if any check fails.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import boto3
import botocore.exceptions
import yaml

from components import spec
from components.aws.security import EGRESS_RULES_PER_GROUP, groups_of, ingress_rules
from components.spec.model import Platform

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Finding:
    ok: bool
    check: str
    detail: str

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.check}: {self.detail}"


def _config(stack: str) -> dict:
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]


def load(stack: str, secret_is_set: Callable[[str], bool] = lambda _key: True) -> spec.Environment:
    """The stack's environment; by default every secret counts as set (these checks need only
    the shape of the environment; Pulumi has the secrets)."""
    return spec.load(_config(stack)["container-platform:platform"], secret_is_set, f"stacks/Pulumi.{stack}.yaml")


def committed_secrets(stack: str) -> set[str]:
    """The secret config keys the stack file holds as ciphertext (`secure:`), by their short
    name: what a preview on a machine with only the secrets provider (CI) can decrypt."""
    return {k.split(":", 1)[1] for k, v in _config(stack).items() if isinstance(v, dict) and "secure" in v}


class Api:
    def __init__(self, region: str, endpoint_url: Optional[str] = None, session: Optional[boto3.Session] = None):
        self.session = session or boto3.Session(region_name=region)
        self.region, self.endpoint_url = region, endpoint_url

    def client(self, service: str):
        return self.session.client(service, region_name=self.region, endpoint_url=self.endpoint_url)


# -- preflight ------------------------------------------------------------------------------

def _quota(api: Api, service: str, code: str) -> Optional[float]:
    """The applied quota, else the default one, else None (not readable with these rights)."""
    sq = api.client("service-quotas")
    try:
        return sq.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"]
    except (botocore.exceptions.ClientError, NotImplementedError):
        pass
    try:
        pages = sq.get_paginator("list_aws_default_service_quotas").paginate(ServiceCode=service)
        return next((q["Value"] for page in pages for q in page["Quotas"] if q["QuotaCode"] == code), None)
    except botocore.exceptions.ClientError:
        return None


def _account_attribute(ec2, name: str) -> Optional[float]:
    for a in ec2.describe_account_attributes(AttributeNames=[name])["AccountAttributes"]:
        return float(a["AttributeValues"][0]["AttributeValue"])
    return None


def preflight(env: spec.Environment, api: Api) -> list[Finding]:
    p: Platform = env.platform
    a = p.aws
    ec2 = api.client("ec2")
    found: list[Finding] = []
    regions = {r["RegionName"] for r in ec2.describe_regions()["Regions"]}
    if a.region not in regions:
        return [Finding(False, "region", f"{a.region} is not enabled for this account (platform.aws.region)")]
    found.append(Finding(True, "region", a.region))

    zones = [z["ZoneName"] for z in ec2.describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}])["AvailabilityZones"]]
    wanted = a.zone_count
    found.append(Finding(len(zones) >= wanted, "zones",
                         f"{wanted} needed, {len(zones)} available ({', '.join(zones)})"))
    zones = zones[:wanted]

    if a.ami.id:
        try:
            images = ec2.describe_images(ImageIds=[a.ami.id])["Images"]
        except botocore.exceptions.ClientError:  # InvalidAMIID.NotFound / .Malformed
            images = []
    else:
        images = ec2.describe_images(Owners=a.ami.owners, Filters=[
            {"Name": "name", "Values": [a.ami.name]}, {"Name": "architecture", "Values": ["x86_64"]}])["Images"]
    newest = max(images, key=lambda i: i.get("CreationDate", ""), default=None)
    found.append(Finding(newest is not None, "ami",
                         f"{newest['ImageId']} ({newest.get('Name', '')})" if newest else
                         f"no image {a.ami.id or repr(a.ami.name)} from owners {a.ami.owners} in {a.region} (platform.aws.ami)"))

    types = {h.instance_type or a.instance_type for h in p.hosts} | {
        pool.instance_type or a.agent_instance_type for pool in p.mesos.agent_pools}
    offers = ec2.describe_instance_type_offerings(LocationType="availability-zone", Filters=[
        {"Name": "instance-type", "Values": sorted(types)}, {"Name": "location", "Values": zones}])["InstanceTypeOfferings"]
    offered = {(o["InstanceType"], o["Location"]) for o in offers}
    for t in sorted(types):
        missing = [z for z in zones if (t, z) not in offered]
        found.append(Finding(not missing, f"instance type {t}",
                             f"not offered in {', '.join(missing)}" if missing else f"offered in {', '.join(zones)}"))

    found += _quotas(env, api, ec2, sorted(types))
    return found


def _quotas(env: spec.Environment, api: Api, ec2, types: list[str]) -> list[Finding]:
    p, a = env.platform, env.platform.aws
    out: list[Finding] = []

    def check(name: str, needed: float, quota: Optional[float], in_use: float = 0) -> None:
        if quota is None:
            out.append(Finding(True, f"quota {name}", f"needs {needed:g}; the quota could not be read (no service-quotas access)"))
        else:
            out.append(Finding(in_use + needed <= quota, f"quota {name}",
                               f"needs {needed:g}, {in_use:g} in use, quota {quota:g}"))

    vcpus: dict[str, int] = {}
    for t in types:  # one at a time: an unknown type (already reported as not offered) fails alone
        try:
            vcpus[t] = ec2.describe_instance_types(InstanceTypes=[t])["InstanceTypes"][0]["VCpuInfo"]["DefaultVCpus"]
        except botocore.exceptions.ClientError:
            vcpus[t] = 0
    hosts = [h.instance_type or a.instance_type for h in p.hosts]
    agents = [(pool.instance_type or a.agent_instance_type, pool.max_count or pool.count) for pool in p.mesos.agent_pools]
    needed_vcpus = sum(vcpus[t] for t in hosts) + sum(vcpus[t] * n for t, n in agents)
    quota = _quota(api, "ec2", "L-1216C47A")  # Running On-Demand Standard instances (vCPUs)
    if quota is not None:
        check("on-demand standard vCPUs (at max scale)", needed_vcpus, quota)
    else:  # older accounts and emulators: the instance count limit
        check("instances (at max scale)", len(hosts) + sum(n for _, n in agents), _account_attribute(ec2, "max-instances"))
    if not a.network:
        nats = a.zones if a.nat_gateways == "per_zone" else 1
        eips = len(ec2.describe_addresses()["Addresses"])
        check("Elastic IPs (NAT gateways)", nats, _quota(api, "ec2", "L-0263D0A3") or _account_attribute(ec2, "vpc-max-elastic-ips"), eips)
        check("VPCs per region", 1, _quota(api, "vpc", "L-F678F1CE"), len(ec2.describe_vpcs()["Vpcs"]))
        check("internet gateways per region", 1, _quota(api, "vpc", "L-A4707A72"),
              len(ec2.describe_internet_gateways()["InternetGateways"]))
    busiest = max((sum(r.group == g for r in ingress_rules(env)) for g in groups_of(env)), default=0)
    check("rules per security group (busiest group)", busiest + EGRESS_RULES_PER_GROUP, _quota(api, "vpc", "L-0EA8095F"))
    return out


# -- verify ---------------------------------------------------------------------------------

STACK_TAG = "container-platform:stack"


def _tags(resource: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def verify(env: spec.Environment, stack: str, api: Api) -> list[Finding]:
    p = env.platform
    ec2, asg = api.client("ec2"), api.client("autoscaling")
    found: list[Finding] = []
    reservations = ec2.describe_instances(Filters=[
        {"Name": "tag:Name", "Values": [f"{p.name}-{h.name}" for h in p.hosts]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])["Reservations"]
    by_name: dict[str, list[dict]] = {}
    for r in reservations:
        for i in r["Instances"]:
            by_name.setdefault(_tags(i).get("Name", ""), []).append(i)
    status = {s["InstanceId"]: s for s in ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]}
    for h in p.hosts:
        name = f"{p.name}-{h.name}"
        instances = by_name.get(name, [])
        if not instances:
            found.append(Finding(False, f"host {h.name}", f"no instance named {name}"))
            continue
        for i in instances:
            found.append(_instance(f"host {h.name}", i, stack, status.get(i["InstanceId"])))
    groups = asg.describe_auto_scaling_groups(Filters=[{"Name": f"tag:{STACK_TAG}", "Values": [stack]}])["AutoScalingGroups"]
    by_pool = {_tags(g).get("container-platform:pool"): g for g in groups}
    for pool in p.mesos.agent_pools:
        g = by_pool.get(pool.name)
        if g is None:
            found.append(Finding(False, f"agent pool {pool.name}", f"no auto scaling group tagged {STACK_TAG}={stack}, container-platform:pool={pool.name}"))
            continue
        healthy = [i for i in g["Instances"] if i["LifecycleState"] == "InService" and i["HealthStatus"] == "Healthy"]
        found.append(Finding(len(healthy) >= g["DesiredCapacity"], f"agent pool {pool.name}",
                             f"{len(healthy)} of {g['DesiredCapacity']} desired instances in service and healthy ({g['AutoScalingGroupName']})"))
        ids = [i["InstanceId"] for i in g["Instances"]]
        if ids:
            for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]:
                for i in r["Instances"]:
                    found.append(_instance(f"agent pool {pool.name}", i, stack, status.get(i["InstanceId"])))
    return found


def _instance(check: str, i: dict, stack: str, status: Optional[dict]) -> Finding:
    tags, iid, state = _tags(i), i["InstanceId"], i["State"]["Name"]
    label = f"{iid} ({tags.get('Name', 'unnamed')})"
    if tags.get(STACK_TAG) != stack:
        return Finding(False, check, f"{label} is tagged {STACK_TAG}={tags.get(STACK_TAG)!r}, expected {stack!r}")
    if state != "running":
        return Finding(False, check, f"{label} is {state}")
    checks = [status["InstanceStatus"]["Status"], status["SystemStatus"]["Status"]] if status else ["unknown"]
    if any(c not in ("ok", "initializing") for c in checks):
        return Finding(False, check, f"{label} status checks: instance {checks[0]}, system {checks[-1]}")
    return Finding(True, check, f"{label} running, checks {'/'.join(checks)}")


# -- command line -----------------------------------------------------------------------------

COMMANDS: dict[str, Callable[..., list[Finding]]] = {"preflight": preflight, "verify": verify}
# Answered from the stack file alone, no AWS call: for a pipeline before it has credentials.
OFFLINE = ("region", "committed-secrets")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.aws", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=sorted([*COMMANDS, *OFFLINE]))
    parser.add_argument("--stack", required=True, help="the stack whose stacks/Pulumi.<stack>.yaml to check")
    parser.add_argument("--endpoint-url", help="send every AWS call here (e.g. a moto server)")
    args = parser.parse_args(argv)
    try:
        env = load(args.stack)
    except FileNotFoundError:
        print(f"no stacks/Pulumi.{args.stack}.yaml", file=sys.stderr)
        return 2
    except spec.SpecError as e:
        print(e, file=sys.stderr)
        return 2
    if env.platform.target != "aws":
        print(f"stack {args.stack} has target {env.platform.target!r}; these checks are for target 'aws'", file=sys.stderr)
        return 2
    if args.command == "region":
        print(env.platform.aws.region)
        return 0
    if args.command == "committed-secrets":
        # Every secret the stack needs must be in its file as ciphertext for a preview elsewhere.
        try:
            load(args.stack, committed_secrets(args.stack).__contains__)
        except spec.SpecError as e:
            print(f"{e}\n(a preview in CI decrypts only what the stack file holds: set each with "
                  "`pulumi config set --secret`, which writes its ciphertext there, and commit the file)", file=sys.stderr)
            return 2
        print(f"every secret stack {args.stack} needs is in its stack file, encrypted")
        return 0
    api = Api(env.platform.aws.region, args.endpoint_url)
    try:
        findings = preflight(env, api) if args.command == "preflight" else verify(env, args.stack, api)
    except botocore.exceptions.NoCredentialsError:
        print("no AWS credentials: set AWS_PROFILE (after `aws sso login`), or AWS_ACCESS_KEY_ID and "
              "AWS_SECRET_ACCESS_KEY, then run this again", file=sys.stderr)
        return 2
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ClientError) as e:
        print(f"the AWS API refused or could not be reached ({e}); check the credentials' account and "
              f"region {env.platform.aws.region}", file=sys.stderr)
        return 2
    for f in findings:
        print(f)
    failed = [f for f in findings if not f.ok]
    print(f"{args.command} {args.stack}: {len(findings) - len(failed)} ok, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
