"""An IAM role and instance profile per host role, with SSM Session Manager access and read
access to the stack's own secrets in Parameter Store."""
from __future__ import annotations

import json
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def secrets_path(stack: str) -> str:
    return f"/container-platform/{stack}"


class InstanceRoles(pulumi.ComponentResource):
    """`profiles[role]` is the instance profile name for hosts of that role."""

    def __init__(self, name: str, roles: Sequence[str], stack: str, provider: aws.Provider,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:aws:InstanceRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        assume = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        read_secrets = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": f"arn:aws:ssm:*:*:parameter{secrets_path(stack)}/*"}]})
        self.profiles: dict[str, pulumi.Output[str]] = {}
        for role in roles:
            iam_role = aws.iam.Role(f"{name}-{role}", assume_role_policy=assume,
                                    description=f"container-platform {stack} {role} hosts", opts=child)
            aws.iam.RolePolicyAttachment(f"{name}-{role}-ssm", role=iam_role.name, policy_arn=SSM_CORE, opts=child)
            aws.iam.RolePolicy(f"{name}-{role}-secrets", role=iam_role.id, policy=read_secrets, opts=child)
            self.profiles[role] = aws.iam.InstanceProfile(f"{name}-{role}", role=iam_role.name, opts=child).name
        self.register_outputs({})
