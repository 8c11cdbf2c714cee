"""The control plane's credentials: one generated secret per Mesos principal, and Marathon's
HTTP login.

Mesos authenticates frameworks and agents with CRAM-MD5 (Mesos 1.7 docs/authentication.md)
against the master's `--credentials` file, and HTTP requests with basic auth against the same
file on masters and `--http_credentials` on agents. Each principal gets its own secret, so an
agent's credential cannot register a framework under Marathon's name. Secrets are generated
by pulumi-random and live in the stack's state as secrets; none ever reaches a command line.
"""
from __future__ import annotations

import json
from typing import Optional

import pulumi
import pulumi_random as random

from ..outputs import concat
from ..roles import marathon as marathon_role, mesos as mesos_role, spark as spark_role

# Who talks to the Mesos masters: Marathon and Spark drivers register as frameworks, agents as
# agents, and `operator` is the login for the masters' and agents' HTTP endpoints (the web UI).
MARATHON = "marathon"
AGENT = "agent"
SPARK = spark_role.MESOS_PRINCIPAL  # what the client files name
OPERATOR = "operator"
PRINCIPALS = (MARATHON, AGENT, SPARK, OPERATOR)  # what the masters' --credentials file lists
# The login for the agents' own HTTP endpoints. Not `operator`: an agent host keeps it in a file
# root there can read, and the masters do not know it, so it is worth nothing against them.
AGENT_OPERATOR = "agent-operator"
# ZooKeeper digest identities: the masters and Marathon each own their znodes.
ZOOKEEPER_IDENTITIES = (mesos_role.ZK_IDENTITY, marathon_role.ZK_IDENTITY)

# Letters and digits only: marathon-lb splits `user:password` at the first ':' and Marathon
# refuses framework secrets under eight characters (docs/docs/auth-secret.md).
SECRET_LENGTH = 32


def _generated(name: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    # pulumi-random marks `result` secret through the engine; said here as well, so every value
    # built from it is secret whatever the engine (the mock runtime applies no such marking).
    return pulumi.Output.secret(random.RandomPassword(name, length=SECRET_LENGTH, special=False,
                                                      opts=pulumi.ResourceOptions(parent=parent)).result)


def master_credentials_file(secrets: dict[str, pulumi.Input[str]]) -> pulumi.Output[str]:
    """The master's `--credentials` JSON: every principal, for frameworks, agents and HTTP."""
    principals = list(secrets)
    return pulumi.Output.all(*[secrets[p] for p in principals]).apply(lambda values: json.dumps(
        {"credentials": [{"principal": p, "secret": s} for p, s in zip(principals, values)]}, indent=2))


def agent_credential_file(secret: pulumi.Input[str]) -> pulumi.Output[str]:
    """The agent's `--credential` JSON: the one principal it registers as."""
    return pulumi.Output.from_input(secret).apply(lambda s: json.dumps({"principal": AGENT, "secret": s}, indent=2))


def http_credentials_file(principal: str, secret: pulumi.Input[str]) -> pulumi.Output[str]:
    """An agent's `--http_credentials` JSON: who may call its HTTP endpoints."""
    return pulumi.Output.from_input(secret).apply(
        lambda s: json.dumps({"credentials": [{"principal": principal, "secret": s}]}, indent=2))


class ControlPlaneCredentials(pulumi.ComponentResource):
    """`mesos[principal]` is that principal's secret; `zookeeper[identity]` the password of a
    ZooKeeper digest identity; `marathon_http` is `user:password` for Marathon's REST API (and
    marathon-lb, which reads Marathon's event stream); `agent_operator` the secret of the agents'
    HTTP login."""

    mesos: dict[str, pulumi.Output[str]]
    agent_operator: pulumi.Output[str]
    zookeeper: dict[str, pulumi.Output[str]]
    marathon_http: pulumi.Output[str]

    def __init__(self, name: str, marathon_user: str, marathon_password: Optional[pulumi.Input[str]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:security:ControlPlaneCredentials", name, None, opts)
        self.mesos = {p: _generated(f"{name}-mesos-{p}", self) for p in PRINCIPALS}
        self.agent_operator = _generated(f"{name}-mesos-{AGENT_OPERATOR}", self)
        self.zookeeper = {i: _generated(f"{name}-zookeeper-{i}", self) for i in ZOOKEEPER_IDENTITIES}
        password = marathon_password if marathon_password is not None else _generated(f"{name}-marathon-http", self)
        self.marathon_http = pulumi.Output.secret(concat(marathon_user, ":", password))
        self.register_outputs({})
