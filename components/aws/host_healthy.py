"""HostHealthy: the health gate of an EC2 host (hosts/health_gate.py), through SSM Run Command.

The hosts sit in private subnets, so `pulumi up` cannot reach their containers; the SSM agent
on each host can (the instance role has the Session Manager permissions). When the gate's
`instance_id` changes (the host was replaced), its update sends the gate's wait script as an
`AWS-RunShellScript` command to the new instance, retries while the agent has not registered
yet (`InvalidInstanceId` right after boot), and waits for the command to end: `Success` lets
Pulumi go on to the next host of the quorum; anything else fails the update with the script's
own words (which container, in which state), so the change stops with a majority still up.
The operator running `pulumi up` needs `ssm:SendCommand` on the hosts and the document, and
`ssm:GetCommandInvocation` (README, "AWS permissions").

A Pulumi dynamic resource; the provider uses boto3 (in the program's virtualenv, which Pulumi's
provider host runs) and keeps every helper inside the class (dynamic_resources.py).
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi.dynamic as dynamic

from ..dynamic_resources import pickled_by_value, serialized_once

DOCUMENT = "AWS-RunShellScript"
KEYS = ("instance_id", "script", "region", "timeout_seconds")  # a change of these runs the script
PURPOSE = "wait until this host's containers are healthy"  # what the script is for, in messages
# GetCommandInvocation's Status (botocore's ssm model, CommandInvocationStatus) other than Success
# that will not change: the gate fails at once. Pending, InProgress and Delayed are polled again.
ENDED_BADLY = ("Failed", "Cancelled", "Cancelling", "TimedOut")


@pickled_by_value
class HostHealthyProvider(dynamic.ResourceProvider):
    poll_s = 5.0  # a class attribute, so a test can run faster

    def create(self, props: dict) -> dynamic.CreateResult:
        # The first start waits for no one (health_gate.FIRST_START).
        return dynamic.CreateResult(props["instance_id"], props)

    def diff(self, _id: str, olds: dict, news: dict) -> dynamic.DiffResult:
        changed = [k for k in KEYS if olds.get(k) != news.get(k)]
        return dynamic.DiffResult(changes=bool(changed))  # an update in place: no replacement

    def update(self, _id: str, _olds: dict, news: dict) -> dynamic.UpdateResult:
        self.wait(news)
        return dynamic.UpdateResult(news)

    def delete(self, _id: str, _props: dict) -> None:
        return None

    # -- helpers (methods, so the pickled provider carries them) --------------------------

    def wait(self, props: dict) -> None:
        import time
        import boto3
        ssm = boto3.client("ssm", region_name=props["region"])
        instance, timeout = props["instance_id"], float(props["timeout_seconds"])
        deadline = time.monotonic() + timeout
        command_id = self.send(ssm, instance, props["script"], int(timeout), deadline, props.get("purpose") or PURPOSE)
        while True:
            invocation = self.invocation(ssm, command_id, instance)
            status = (invocation or {}).get("Status")
            if status == "Success":
                return
            if status in ENDED_BADLY:
                said = (invocation.get("StandardErrorContent") or invocation.get("StandardOutputContent") or "").strip()
                raise RuntimeError(f"{instance}: {props.get('purpose') or PURPOSE} failed (SSM command {command_id}: "
                                   f"{status}): {said[-2000:] or 'no output'}")
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{instance}: SSM command {command_id} still {status or 'not started'} after "
                                   f"{timeout:g} s; see `aws ssm get-command-invocation --command-id {command_id} "
                                   f"--instance-id {instance}`")
            time.sleep(self.poll_s)

    def send(self, ssm, instance: str, script: str, timeout_s: int, deadline: float, purpose: str = "") -> str:
        """The command's id; retried while the instance's SSM agent has not registered yet."""
        import time
        from botocore.exceptions import ClientError
        while True:
            try:
                sent = ssm.send_command(
                    InstanceIds=[instance], DocumentName=DOCUMENT,
                    Comment=f"container-platform: {purpose or PURPOSE}"[:100],
                    Parameters={"commands": [script], "executionTimeout": [str(timeout_s)]})
                return sent["Command"]["CommandId"]
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") != "InvalidInstanceId" or time.monotonic() >= deadline:
                    raise RuntimeError(f"cannot {purpose or PURPOSE} on {instance} through SSM: {e}") from None
                time.sleep(self.poll_s)

    def invocation(self, ssm, command_id: str, instance: str) -> Optional[dict]:
        """None until SSM has the invocation (it appears a moment after send_command)."""
        from botocore.exceptions import ClientError
        try:
            return ssm.get_command_invocation(CommandId=command_id, InstanceId=instance)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "InvocationDoesNotExist":
                return None
            raise


class HostHealthy(dynamic.Resource):
    """Waits, each time `instance_id` (or `script`) changes after the first, until `script`
    succeeds on the instance. The gate of a host; also any script a change must run on a host
    (`purpose` says which, in the SSM command's comment and in a failure)."""

    def __init__(self, name: str, instance_id: pulumi.Input[str], script: pulumi.Input[str], region: str,
                 timeout_seconds: pulumi.Input[int], purpose: str = PURPOSE,
                 opts: Optional[pulumi.ResourceOptions] = None):
        with serialized_once():
            super().__init__(HostHealthyProvider(), name, {
                "instance_id": instance_id, "script": script, "region": region, "timeout_seconds": timeout_seconds,
                "purpose": purpose,
            }, opts)
