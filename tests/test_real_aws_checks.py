"""The boto3 preflight and post-deploy checks against a local moto server (AWS API emulator)."""
import json
import os
import subprocess
import sys

import boto3
import pytest

from ops.aws import Api, load, preflight, verify

from .harness import ROOT, stack_config
from .realhelpers import free_port, stop, wait_for

pytestmark = pytest.mark.real

REGION = "eu-west-1"  # the dev stack's


@pytest.fixture(scope="module")
def moto():
    port = free_port()
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("moto_server", lambda: boto3.client("ec2", region_name=REGION, endpoint_url=url,
                                                     aws_access_key_id="test", aws_secret_access_key="test")
                 .describe_regions() is not None, timeout=30)
        yield url
    finally:
        stop(server)


@pytest.fixture
def api(moto, monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(f"{moto}/moto-api/reset", method="POST")).read()
    return Api(REGION, moto)


def dev_with(**aws_overrides):
    from components import spec
    platform = json.loads(json.dumps(stack_config("dev")["container-platform:platform"]))
    platform["aws"].update(aws_overrides)
    return spec.load(platform, lambda _k: True)


def debian_image(api) -> str:
    return api.client("ec2").register_image(Name="debian-12-amd64-20261101-1000", Architecture="x86_64",
                                            RootDeviceName="/dev/xvda")["ImageId"]


def failures(findings):
    return {f.check: f.detail for f in findings if not f.ok}


def test_preflight_passes_for_a_region_that_can_hold_dev(api):
    image = debian_image(api)
    findings = preflight(dev_with(ami={"id": image}), api)
    assert failures(findings) == {}
    checks = {f.check for f in findings}
    assert {"region", "zones", "ami", "instance type t3.small", "instance type t3.medium",
            "quota VPCs per region", "quota rules per security group (busiest group)"} <= checks


def test_preflight_names_what_is_missing(api):
    findings = failures(preflight(dev_with(agent_instance_type="x9.huge", zones=6), api))
    assert "no image 'debian-12-amd64-*' from owners ['136693071363']" in findings["ami"]
    assert findings["instance type x9.huge"].startswith("not offered in eu-west-1a")
    assert findings["zones"] == "6 needed, 3 available (eu-west-1a, eu-west-1b, eu-west-1c)"


def test_preflight_counts_what_is_already_in_use(api):
    ec2 = api.client("ec2")
    for _ in range(4):  # the default VPC plus these reach moto's quota of 5
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
    assert "quota VPCs per region" in failures(preflight(dev_with(ami={"id": debian_image(api)}), api))


def deploy_dev_like_the_program(api, stack="dev"):
    """What `pulumi up` leaves in the account, as far as the checks look: the core host and
    the agent group, with the program's tags."""
    ec2, autoscaling = api.client("ec2"), api.client("autoscaling")
    image = debian_image(api)
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    core = ec2.run_instances(ImageId=image, InstanceType="t3.small", MinCount=1, MaxCount=1, SubnetId=subnet,
                             TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                 {"Key": "Name", "Value": "dev-core-1"}, {"Key": "container-platform:stack", "Value": stack}]}])
    template = ec2.create_launch_template(LaunchTemplateName="agent-private", LaunchTemplateData={
        "ImageId": image, "InstanceType": "t3.medium"})["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="agent-private-1a2b", MinSize=1, MaxSize=3, DesiredCapacity=2, VPCZoneIdentifier=subnet,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in {
            "Name": "dev-agent-private", "container-platform:pool": "private", "container-platform:stack": stack}.items()])
    return core["Instances"][0]["InstanceId"]


def test_verify_passes_for_a_healthy_environment(api):
    deploy_dev_like_the_program(api)
    findings = verify(load("dev"), "dev", api)
    assert failures(findings) == {}
    assert [f.detail for f in findings if f.check == "agent pool private"][0].startswith("2 of 2 desired instances in service")
    assert len([f for f in findings if f.check == "agent pool private"]) == 3  # the group and its 2 instances


def test_verify_names_a_missing_host(api):
    core = deploy_dev_like_the_program(api)
    api.client("ec2").terminate_instances(InstanceIds=[core])
    assert failures(verify(load("dev"), "dev", api)) == {"host core-1": "no instance named dev-core-1"}


def test_verify_names_an_instance_with_the_wrong_stack_tag(api):
    deploy_dev_like_the_program(api)
    ec2 = api.client("ec2")
    group = api.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"][0]
    stray = group["Instances"][0]["InstanceId"]
    ec2.create_tags(Resources=[stray], Tags=[{"Key": "container-platform:stack", "Value": "prod"}])
    found = failures(verify(load("dev"), "dev", api))
    assert found == {"agent pool private": f"{stray} (dev-agent-private) is tagged container-platform:stack='prod', expected 'dev'"}


def test_the_commands_run_from_the_shell(api, moto):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    run = subprocess.run([sys.executable, "-m", "ops.aws", "preflight", "--stack", "dev", "--endpoint-url", moto],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "FAIL ami: no image" in run.stdout and "preflight dev:" in run.stdout
    deploy_dev_like_the_program(api)
    run = subprocess.run([sys.executable, "-m", "ops.aws", "verify", "--stack", "dev", "--endpoint-url", moto],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "verify dev: 4 ok, 0 failed" in run.stdout
    run = subprocess.run([sys.executable, "-m", "ops.aws", "verify", "--stack", "local"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "for target 'aws'" in run.stderr


def test_without_credentials_the_checks_say_how_to_get_them_not_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONPATH"}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true")
    run = subprocess.run([sys.executable, "-m", "ops.aws", "preflight", "--stack", "dev"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith("no AWS credentials: set AWS_PROFILE")
