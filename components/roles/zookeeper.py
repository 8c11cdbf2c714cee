"""A ZooKeeper ensemble node: a rendered zoo.cfg and myid on the official image.

The official image generates zoo.cfg from environment variables only when /conf/zoo.cfg is
missing, and writes myid only when it is missing; both are written here, so the files the
container reads are exactly the files the real-ZooKeeper test starts servers from.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi

from ..spec import Instance
from ..spec.model import ZooKeeper
from .container import ContainerSpec, HealthCheck, Volume, container_name, lift

CONF_DIR = "/conf"
DATA_DIR = "/data"
DATA_LOG_DIR = "/datalog"
# `srvr` serves `zkServer.sh status` (the health check); `ruok`, `mntr`, `stat` are what
# operators and monitoring use.
FOUR_LETTER_WORDS = "srvr,ruok,mntr,stat,conf,isro"


@dataclass(frozen=True)
class Server:
    """One ensemble member as the others see it."""

    my_id: int
    address: str
    client_port: int
    peer_port: int
    election_port: int
    admin_port: Optional[int] = None  # the AdminServer, where platform.zookeeper.admin_port is set


def servers(nodes: Sequence[Instance], addresses: Sequence[str]) -> list[Server]:
    """Each node with the ports placement planned for it (nodes sharing a machine take
    consecutive ports), so zoo.cfg binds exactly what the clash check and firewalls know."""
    return [
        Server(n.index + 1, a, n.port("client"), n.port("peer"), n.port("election"),
               n.optional_port("admin"))
        for n, a in zip(nodes, addresses)
    ]


def connect_string(ensemble: Sequence[Server]) -> str:
    return ",".join(f"{s.address}:{s.client_port}" for s in ensemble)


def render_zoo_cfg(me: Server, ensemble: Sequence[Server], zk: ZooKeeper,
                   data_dir: str = DATA_DIR, data_log_dir: str = DATA_LOG_DIR) -> str:
    lines = [
        f"# zoo.cfg for ZooKeeper node {me.my_id} of {len(ensemble)}, rendered by container-platform",
        f"tickTime={zk.tick_time_ms}",
        "initLimit=10",
        "syncLimit=5",
        # Sessions expire after at most 10 ticks, so Mesos and Spark fail over quickly.
        f"maxSessionTimeout={zk.tick_time_ms * 10}",
        f"dataDir={data_dir}",
        f"dataLogDir={data_log_dir}",
        f"clientPort={me.client_port}",
        f"clientPortAddress={me.address}",
        "autopurge.snapRetainCount=5",
        "autopurge.purgeInterval=24",
        f"4lw.commands.whitelist={FOUR_LETTER_WORDS}",
        # Membership comes from this file only: nodes added by hand must not survive a redeploy.
        "reconfigEnabled=false",
        # A one-node ensemble still runs as an ensemble member, so growing to 3 is a config change.
        "standaloneEnabled=false",
    ]
    if me.admin_port:
        lines += ["admin.enableServer=true", f"admin.serverAddress={me.address}", f"admin.serverPort={me.admin_port}"]
    else:
        lines += ["admin.enableServer=false"]
    lines += [
        f"server.{s.my_id}={s.address}:{s.peer_port}:{s.election_port};{s.address}:{s.client_port}"
        for s in ensemble
    ]
    return "\n".join(lines) + "\n"


def zookeeper_node(node: Instance, nodes: Sequence[Instance], addresses: Sequence[pulumi.Input[str]],
                   zk: ZooKeeper, platform_name: str) -> ContainerSpec:
    """`addresses[i]` is the address of `nodes[i]`'s host (an output of that host)."""
    my_id = node.index + 1

    def cfg(*addrs: str) -> str:
        ensemble = servers(nodes, addrs)
        return render_zoo_cfg(ensemble[node.index], ensemble, zk)

    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=zk.image,
        # A zoo.cfg in /conf turns off the image's ZOO_* generation, and a /data/myid its
        # ZOO_MY_ID: both are copied in before the start (never mounted read-only: the
        # entrypoint chowns /data under `set -e`).
        files={f"{CONF_DIR}/zoo.cfg": lift(cfg, *addresses), f"{DATA_DIR}/myid": f"{my_id}\n"},
        volumes=(
            Volume(DATA_DIR, name=f"{platform_name}-{node.name}-data", persistent=True),
            Volume(DATA_LOG_DIR, name=f"{platform_name}-{node.name}-datalog", persistent=True),
        ),
        health=HealthCheck(("CMD", "zkServer.sh", "status")),
        labels={"container-platform/role": "zookeeper"},
    )
