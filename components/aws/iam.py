"""An IAM role and instance profile per host role, least privilege: Session Manager's own
actions, and reads of exactly the SSM parameters its hosts' containers fetch.

No AWS managed policy: AmazonSSMManagedInstanceCore also allows `ssm:GetParameter` on every
parameter in the account (another stack's secrets included). Session Manager needs only the
five actions below (AWS's "custom IAM instance profile for Session Manager"; the same set as
the managed AWSCloud9SSMInstanceProfile)."""
from __future__ import annotations

import json
from typing import Iterable, Optional, Sequence

import pulumi
import pulumi_aws as aws

from . import agent_watch

SESSION_MANAGER_ACTIONS = [
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]
# SSM Agent takes Run Command's commands over the ec2messages endpoint (AWS Systems Manager
# guide, "Reference: ec2messages, ssmmessages, and other API operations"): the hosts whose
# health gate runs through Run Command (aws/host_healthy.py) need these six too.
RUN_COMMAND_ACTIONS = [
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
]


def secrets_path(stack: str) -> str:
    return f"/container-platform/{stack}"


def read_policy(region: str, containers_path: Iterable[str]) -> str:
    """Read (and decrypt, through SSM's own key) the parameters under each container's path."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"],
        "Resource": [f"arn:aws:ssm:{region}:*:parameter{p}/*" for p in sorted(set(containers_path))]}]})


class InstanceRoles(pulumi.ComponentResource):
    """`profiles[role]` is the instance profile name for hosts of that role; `grant_reads` lets
    a role read its containers' secrets, once they are placed."""

    def __init__(self, name: str, roles: Sequence[str], stack: str, region: str, provider: aws.Provider,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:aws:InstanceRoles", name, None, opts)
        self._name, self._region = name, region
        self._child = pulumi.ResourceOptions(parent=self, provider=provider)
        assume = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        session = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": SESSION_MANAGER_ACTIONS, "Resource": "*"}]})
        self.profiles: dict[str, pulumi.Output[str]] = {}
        self._roles: dict[str, aws.iam.Role] = {}
        for role in roles:
            iam_role = aws.iam.Role(f"{name}-{role}", assume_role_policy=assume,
                                    description=f"container-platform {stack} {role} hosts", opts=self._child)
            aws.iam.RolePolicy(f"{name}-{role}-session-manager", role=iam_role.id, policy=session, opts=self._child)
            self._roles[role] = iam_role
            self.profiles[role] = aws.iam.InstanceProfile(f"{name}-{role}", role=iam_role.name, opts=self._child).name
        self.register_outputs({})

    def allow_run_command(self, role: str) -> None:
        """Hosts of `role` take SSM Run Command's commands (their health gates)."""
        aws.iam.RolePolicy(f"{self._name}-{role}-run-command", role=self._roles[role].id, policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": RUN_COMMAND_ACTIONS, "Resource": "*"}]}),
            opts=self._child)

    def allow_agent_watch(self, role: str, group_arn: pulumi.Input[str]) -> None:
        """Hosts of `role` (agents) may report their health to, and complete the termination
        lifecycle action of, their own group only (agent_watch.py)."""
        policy = pulumi.Output.from_input(group_arn).apply(lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": agent_watch.GROUP_ACTIONS, "Resource": arn},
            {"Effect": "Allow", "Action": [agent_watch.DESCRIBE_ACTION], "Resource": "*"}]}))
        aws.iam.RolePolicy(f"{self._name}-{role}-agent-watch", role=self._roles[role].id, policy=policy, opts=self._child)

    def grant_reads(self, role: str, containers_path: Sequence[str]) -> None:
        """Hosts of `role` may read the secrets under these containers' paths (none: no policy)."""
        if containers_path:
            aws.iam.RolePolicy(f"{self._name}-{role}-secrets", role=self._roles[role].id,
                               policy=read_policy(self._region, containers_path), opts=self._child)
