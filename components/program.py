"""Layer 5: the whole program. `__main__.py` calls `main()`.

Validation comes first: a bad config stops with a `pulumi.RunError` (printed by the engine
without a traceback) before a single resource is registered.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pulumi
import pulumi.runtime.config as runtime_config

from . import collector, sdk_cycle_check, spec
from .aws.target import AwsTarget
from .hosts.local import LocalHost
from .hosts.physical import PhysicalHost, SshClientFile, host_key_alias, known_hosts
from .outputs import concat
from .platform import credentials as creds
from .platform.credentials import ControlPlaneCredentials
from .platform.marathon import Marathon, MarathonArgs
from .platform.masters_quorum import MastersQuorum
from .platform.mesos import MesosCluster, MesosClusterArgs, MesosSecrets
from .platform.schedulers import LocalScheduler, MarathonScheduler, Scheduler, SwarmScheduler
from .platform.service_stack import ServiceStack, ServiceStackArgs
from .platform.spark import SparkCluster, SparkClusterArgs
from .platform.swarm import SwarmCluster, SwarmClusterArgs
from .platform.tls import ControlPlaneTls
from .platform.zookeeper import ZooKeeperEnsemble, ZooKeeperEnsembleArgs
from .roles import marathon as marathon_role, mesos as mesos_role
from .roles.mesos import AgentAuth
from .roles.tls import TlsMaterial


def load_environment(config: pulumi.Config) -> spec.Environment:
    def secret_is_set(key: str) -> bool:
        # Set with `pulumi config set --secret`: a plain value would land in the state unencrypted.
        full = config.full_key(key)
        return runtime_config.get_config(full) is not None and runtime_config.is_config_secret(full)

    source = f"stacks/Pulumi.{pulumi.get_stack()}.yaml, key {config.name}:platform"
    try:
        env = spec.load(config.get_object("platform"), secret_is_set, source)
    except spec.SpecError as e:
        raise pulumi.RunError(str(e)) from None
    for warning in env.warnings:  # keys without effect on their scheduler: said, never dropped silently
        pulumi.log.warn(str(warning))
    return env


def build_hosts(env: spec.Environment, config: pulumi.Config, aws_target: Optional[AwsTarget]) -> dict:
    p = env.platform
    if aws_target is not None:
        return dict(aws_target.hosts)
    if p.target == "local":
        return {h.name: LocalHost(h.name, h.address or "127.0.0.1") for h in p.hosts}
    key = config.require_secret("sshPrivateKey")
    stack = pulumi.get_stack()
    key_file = SshClientFile("ssh-key", str(Path.home() / ".ssh" / f"container-platform-{stack}.key"), key)
    aliases = {h.name: host_key_alias(stack, h.name) for h in p.hosts}
    pinned = SshClientFile("known-hosts", str(Path.home() / ".ssh" / f"container-platform-{stack}.known_hosts"),
                           known_hosts({aliases[h.name]: h.host_key for h in p.hosts if h.host_key}))
    return {h.name: PhysicalHost(h.name, h.address, h.ssh_user, h.ssh_port, h.host_key, key, key_file, pinned,
                                 aliases[h.name]) for h in p.hosts}


@dataclass(frozen=True)
class Certificates:
    """One certificate per TLS-speaking role (platform/tls.py), and the CA they chain to; all
    None where TLS is off."""

    ca: Optional[pulumi.Output[str]] = None
    masters: Optional[TlsMaterial] = None
    agents: Optional[TlsMaterial] = None
    marathon: Optional[TlsMaterial] = None  # with its keystore, where Marathon runs
    load_balancers: Optional[TlsMaterial] = None  # marathon-lb's stats endpoint
    spark: Optional[TlsMaterial] = None  # Spark drivers on Mesos


def build_certificates(env: spec.Environment, config: pulumi.Config, hosts: dict) -> Certificates:
    """The control plane's certificates, where TLS is on: each names the addresses of its role's
    hosts (agents and drivers none: they are clients, or have no address until they boot)."""
    p = env.platform
    if not p.tls_enabled:
        return Certificates()
    authority = (p.tls.authority.certificate, config.require_secret(p.tls.authority.private_key_secret)) \
        if p.tls.authority is not None else None
    tls = ControlPlaneTls("tls", p.name, p.tls.validity_days, authority)

    def addresses(role: str) -> list[pulumi.Input[str]]:
        return list(dict.fromkeys(hosts[n.host].address for n in env.of(role)))

    return Certificates(
        tls.ca_certificate, tls.issue("mesos-masters", addresses("mesos-master")), tls.issue("mesos-agents"),
        tls.issue("marathon", addresses("marathon"), keystore=True) if env.of("marathon") else None,
        tls.issue("marathon-lb", addresses("marathon-lb")) if env.of("marathon-lb") else None,
        tls.issue("spark") if p.spark.enabled and p.spark.mode == "mesos" else None)


def build_stacks(env: spec.Environment, config: pulumi.Config, hosts: dict,
                 marathon: Optional[Marathon]) -> dict[str, dict]:
    """Every Compose stack on its scheduler; what each service is reached at, by stack."""
    p = env.platform
    swarm = SwarmCluster("swarm", SwarmClusterArgs(
        managers=[hosts[n] for n in spec.model.swarm_managers(p)], workers=[hosts[n] for n in p.swarm.workers],
        port=p.swarm.port, labels={h.name: h.labels for h in p.hosts},
    )) if any(s.scheduler == "swarm" for s in env.stacks) else None
    out = {}
    for stack in env.stacks:
        scheduler: Callable[[pulumi.Resource], Scheduler]
        if stack.scheduler == "marathon":
            assert marathon is not None  # the spec checks that Marathon is enabled
            scheduler = functools.partial(
                MarathonScheduler, p.name, stack, marathon.urls, marathon.credentials,
                marathon.load_balancer_addresses, env.service_ports, p.discovery.group,
                [*marathon.instances, *marathon.load_balancers], p.target == "local", marathon.ca_certificate)
        elif stack.scheduler == "swarm":
            assert swarm is not None
            scheduler = functools.partial(SwarmScheduler, p.name, stack, swarm, config.require_secret)
        else:
            scheduler = functools.partial(LocalScheduler, p.name, stack, hosts[p.hosts[0].name], config.require_secret)
        deployed = ServiceStack(ServiceStackArgs(stack, scheduler, config.require_secret))
        out[stack.name] = {"scheduler": stack.scheduler, "file": stack.file, "addresses": deployed.addresses,
                           "published": deployed.published}
    return out


def build_agent_groups(target: AwsTarget, zk_connect: pulumi.Input[str], auth: AgentAuth) -> dict[str, pulumi.Input]:
    """AWS agents (auto scaling groups), once ZooKeeper's address is known; what to export."""
    groups = target.agent_groups(zk_connect, auth)
    exports: dict[str, pulumi.Input] = {
        "vpc_id": target.network.vpc_id,
        "hosts": {name: {"address": h.address, "instance_id": h.instance.id} for name, h in target.hosts.items()},
        "agent_groups": {g.pool: g.group.name for g in groups},
    }
    balancers = {g.pool: g.load_balancer_dns for g in groups if g.load_balancer_dns is not None}
    if balancers:
        exports["public_load_balancers"] = balancers
    return exports


def main() -> None:
    collector.set_for_evaluation()  # the heap only grows until the deployment ends: see components/collector.py
    sdk_cycle_check.install()  # a stack chained a thousand deep: see components/sdk_cycle_check.py
    config = pulumi.Config()
    env = load_environment(config)
    masters = env.platform.mesos.masters
    # Every master waits for it: a change of their count or quorum that Mesos does not allow
    # stops at preview, before any master (or, on AWS, any quorum host) changes.
    quorum_guard = MastersQuorum("mesos-masters-quorum", masters.count, spec.quorum(masters), masters.log_generation)
    aws_target = AwsTarget(env, first=quorum_guard) if env.platform.target == "aws" else None
    hosts = build_hosts(env, config, aws_target)
    zookeeper = ZooKeeperEnsemble("zookeeper", ZooKeeperEnsembleArgs(env.of("zookeeper"), hosts, env.platform.zookeeper,
                                                                   env.platform.name))
    # Marathon's login is the secret marathonPassword where it is set, else generated.
    credentials = ControlPlaneCredentials("credentials", env.platform.marathon.auth.username,
                                          config.get_secret("marathonPassword"))
    certificates = build_certificates(env, config, hosts)
    mesos = MesosCluster("mesos", MesosClusterArgs(
        env.of("mesos-master"), env.of("mesos-agent"), hosts, zookeeper.connect_string,
        MesosSecrets(credentials.mesos, credentials.zookeeper[mesos_role.ZK_IDENTITY], credentials.agent_operator),
        env.platform.mesos, env.platform.name, {h.name: h.labels for h in env.platform.hosts}, env.public_ports,
        masters_tls=certificates.masters, agents_tls=certificates.agents, masters_after=[quorum_guard]))
    load_balancers: list = []
    marathon: Optional[Marathon] = None
    exports: dict[str, pulumi.Input] = {
        "zookeeper_connect": zookeeper.connect_string,
        "mesos_ui": mesos.leader_url,
        "mesos_masters": mesos.master_urls,
        # The login for the masters' and agents' HTTP endpoints (the Mesos web UI): a secret.
        "mesos_http_credentials": concat(creds.OPERATOR, ":", credentials.mesos[creds.OPERATOR]),
        # The login for the agents' endpoints (their sandboxes and logs): another secret.
        "mesos_agent_http_credentials": concat(creds.AGENT_OPERATOR, ":", credentials.agent_operator),
    }
    if env.platform.marathon.enabled:
        marathon = Marathon("marathon", MarathonArgs(
            env.of("marathon"), env.of("marathon-lb"), hosts, zookeeper.connect_string,
            http_credentials=credentials.marathon_http, mesos_principal=creds.MARATHON,
            mesos_secret=credentials.mesos[creds.MARATHON], zk_secret=credentials.zookeeper[marathon_role.ZK_IDENTITY],
            settings=env.platform.marathon, discovery=env.platform.discovery, platform_name=env.platform.name,
            has_public_agents=any(pool.public for pool in env.platform.mesos.agent_pools),
            tls=certificates.marathon, load_balancer_tls=certificates.load_balancers, after=mesos.masters))
        exports["marathon_ui"] = marathon.urls[0]
        exports["marathon_credentials"] = credentials.marathon_http  # a secret
        exports["marathon_urls"] = marathon.urls
        load_balancers = marathon.load_balancer_addresses
        if marathon.load_balancers:
            exports["service_discovery"] = {
                "kind": "marathon-lb",
                "load_balancers": marathon.load_balancer_addresses,
                "how": "a Marathon app labelled HAPROXY_GROUP="
                       f"{env.platform.discovery.group} with service port P is at <load balancer>:P",
            }
    if env.platform.spark.enabled:
        spark = SparkCluster("spark", SparkClusterArgs(
            env.of("spark-master"), env.of("spark-worker"), env.of("spark-history"), hosts, zookeeper.connect_string,
            env.platform.spark, env.platform.name, load_balancers,
            credentials.mesos[creds.SPARK] if env.platform.mesos.authenticate_frameworks else None,
            mesos_tls=certificates.spark))
        exports["spark_master_url"] = spark.master_url
        exports["spark_pi"] = spark.spark_pi
        exports["spark_client_files"] = spark.client_files
        exports["spark_master_uis"] = spark.ui_urls
        exports["spark_history_ui"] = spark.history_urls[0] if spark.history_urls else None
        if spark.dispatcher_app is not None:
            exports["spark_dispatcher_marathon_app"] = spark.dispatcher_app
    if certificates.ca is not None:
        # What clients trust: `curl --cacert`, a browser's imported authority.
        exports["tls_ca_certificate"] = certificates.ca
    if aws_target is not None:
        exports.update(build_agent_groups(aws_target, zookeeper.connect_string, mesos.agent_auth))
    if env.stacks:
        exports["stacks"] = build_stacks(env, config, hosts, marathon)
    for host in hosts.values():
        host.finish()
    if aws_target is not None:
        aws_target.finish()
    for key, value in exports.items():
        pulumi.export(key, value)
