"""SparkCluster: standalone masters and workers (ZooKeeper recovery), the history server, and
for every mode the master URL, client configuration and SparkPi command as outputs."""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi

from ..roles import spark as role
from ..roles.container import http_url, lift
from ..roles.tls import TlsMaterial
from ..hosts import Host
from ..spec.model import Spark
from ..spec.placement import Instance
from .rolling import run_one_at_a_time


@dataclass(frozen=True)
class SparkClusterArgs:
    masters: Sequence[Instance]  # placed standalone masters (none in the other modes)
    workers: Sequence[Instance]
    history: Sequence[Instance]
    hosts: Mapping[str, Host]  # each instance's `host` -> where it runs
    zk_connect: pulumi.Input[str]  # recovery (standalone) and the Mesos masters' (mode mesos)
    settings: Spark = Spark()
    platform_name: str = "platform"
    load_balancers: Sequence[pulumi.Input[str]] = ()  # marathon-lb: where the dispatcher is reached
    mesos_secret: Optional[pulumi.Input[str]] = None  # the principal `spark`'s, where Mesos authenticates frameworks
    mesos_tls: Optional[TlsMaterial] = None  # the drivers' certificate, where the masters speak TLS only


class SparkCluster(pulumi.ComponentResource):
    master_url: pulumi.Output[str]
    spark_pi: pulumi.Output[str]  # the SparkPi submission of this mode, ready to paste
    client_files: pulumi.Output[dict]  # {path: content} for submitting clients (a secret with a credential)

    def __init__(self, name: str, args: SparkClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:spark:SparkCluster", name, None, opts)
        spark, hosts, zk_connect, platform_name = args.settings, args.hosts, args.zk_connect, args.platform_name
        load_balancers, mesos_secret, mesos_tls = args.load_balancers, args.mesos_secret, args.mesos_tls
        recovery_zk = zk_connect if spark.recovery == "zookeeper" else None
        masters = args.masters
        # With ZooKeeper recovery a standby takes over from the active master: changed one at a
        # time, one of them leads throughout.
        self.masters = run_one_at_a_time(
            [(hosts[n.host], role.spark_master(n, hosts[n.host].address, recovery_zk, spark, platform_name)) for n in masters],
            parent=self)
        # [(address, rpc port)] of every standalone master (none in the other modes).
        standalone = lift(lambda *a: list(zip(a, [n.port("rpc") for n in masters])),
                          *[hosts[n.host].address for n in masters])
        self.workers = [
            hosts[n.host].run(role.spark_worker(n, hosts[n.host].address, lift(role.standalone_url, standalone), spark, platform_name),
                              parent=self, depends_on=self.masters)
            for n in args.workers
        ]
        self.history = [
            hosts[n.host].run(role.spark_history(n, hosts[n.host].address, spark, platform_name), parent=self)
            for n in args.history
        ]
        dispatcher = lift(lambda lb: f"{lb}:{spark.mesos.dispatcher_port}", load_balancers[0]) if load_balancers else ""
        self.master_url = pulumi.Output.from_input(
            lift(lambda s, zk, d: role.master_url(spark, s, zk, d), standalone, zk_connect, dispatcher))
        tls = [mesos_tls.chain, mesos_tls.key, mesos_tls.ca] if mesos_tls is not None else []
        self.client_files = pulumi.Output.all(self.master_url, mesos_secret, *tls).apply(
            lambda v: role.client_files(spark, v[0], v[1], TlsMaterial(*v[2:]) if v[2:] else None))
        self.spark_pi = self.master_url.apply(lambda url: shlex.join(role.spark_submit(spark, url)))
        self.ui_urls = [http_url(hosts[n.host].address, n.port("ui")) for n in masters]
        self.history_urls = [http_url(hosts[n.host].address, n.port("ui")) for n in args.history]
        # Cluster mode on Mesos: the dispatcher is a Marathon app (rendered here, valid against
        # Marathon's schema), reached through marathon-lb on its fixed port.
        self.dispatcher_app = (
            pulumi.Output.from_input(zk_connect).apply(lambda zk: json.dumps(role.dispatcher_app(spark, zk, platform_name)))
            if spark.mode == "mesos" and spark.deploy_mode == "cluster" else None)
        self.register_outputs({"master_url": self.master_url, "spark_pi": self.spark_pi})
