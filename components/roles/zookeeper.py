"""A ZooKeeper ensemble node on the official image, whose membership can change in place.

Membership is ZooKeeper's own (dynamic reconfiguration, ZooKeeper 3.5+): the ensemble keeps its
members in a dynamic config file that it rewrites, with a version, on every reconfiguration, and
a server that starts with an older membership takes the ensemble's newer one from its peers
during leader election; a server not in the membership follows as a non-voting member until a
reconfiguration adds it. So:
- each node's rendered files are its settings (`zoo.cfg.settings`, no member list) and the
  membership a first start begins with (`zoo.cfg.seed`);
- /conf is a volume of its own, kept like /data: what ZooKeeper wrote there (`zoo.cfg`, naming
  its newest `zoo.cfg.dynamic.<version>`) outlives the container, and the container's start
  (`COMPOSE`) keeps that membership, using the seed only when there is none yet. A member
  recreated by a change (a new setting, or a seed that now names more or fewer members) comes
  back with the membership the ensemble has, not a guess;
- members are then added or removed by `reconfig` (`membership_script`, run once the new
  members are up, before removed ones are deleted), as ZooKeeper's superuser, whose digest the
  servers load from `zoo.cfg.super` (a property of zoo.cfg becomes a `zookeeper.*` system
  property: QuorumPeerConfig.parseProperties).
Facts from ZooKeeper 3.8 (read in its QuorumPeer/QuorumPeerConfig/FastLeaderElection and
zkServer.sh; shown on Debian's ZooKeeper 3.8 in tests/test_real_rolling.py): the dynamic file
is written next to the static one and the static one rewritten (so /conf must be writable by
the server: the image's /conf belongs to uid 1000, and so does a volume Docker fills from it),
`zkServer.sh status` finds the client port in the dynamic file when zoo.cfg has none.

The official image generates zoo.cfg from environment variables only when /conf/zoo.cfg is
missing, and writes myid only when it is missing; both are written here before the image's
entrypoint runs, so the files ZooKeeper reads are exactly the ones the real-ZooKeeper tests
start servers from.
"""
from __future__ import annotations

import base64
import hashlib
import shlex
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi

from ..spec import Instance
from ..spec.model import ZooKeeper
from .container import ContainerSpec, HealthCheck, Volume, container_name, lift

CONF_DIR = "/conf"
DATA_DIR = "/data"
DATA_LOG_DIR = "/datalog"
ZOO_CFG = f"{CONF_DIR}/zoo.cfg"  # composed at each start (COMPOSE); ZooKeeper rewrites it
SETTINGS = f"{CONF_DIR}/zoo.cfg.settings"  # rendered: everything but the members
SUPER = f"{CONF_DIR}/zoo.cfg.super"  # secret: the superuser's digest
SEED = f"{CONF_DIR}/zoo.cfg.seed"  # the members a first start begins with
ADMIN_AUTH = f"{CONF_DIR}/admin.auth"  # secret: zkCli's `addauth` line for the superuser
DYNAMIC = f"{CONF_DIR}/zoo.cfg.dynamic"  # where the seed goes; ZooKeeper then writes its own versions
SUPERUSER = "super"
# The official image's entrypoint and command (zookeeper:3.8.4's Dockerfile ENTRYPOINT and CMD).
IMAGE_START = ("/docker-entrypoint.sh", "zkServer.sh", "start-foreground")
# `srvr` serves `zkServer.sh status` (the health check); `ruok`, `mntr`, `stat` are what
# operators and monitoring use.
FOUR_LETTER_WORDS = "srvr,ruok,mntr,stat,conf,isro"

# zoo.cfg from the rendered settings, the superuser's digest and the membership ZooKeeper keeps:
# the dynamic file zoo.cfg names, or the seed: on a first start (no zoo.cfg yet, or one naming a
# file that is gone), and when the kept membership lacks this node (a joiner that took on the
# ensemble's members before a reconfig added it "will not be able to boot since it is absent from
# its configuration file", ZooKeeper's dynamic-reconfiguration guide; from the seed it finds the
# ensemble again). Written as a new file then moved, so a failed start never leaves half a
# zoo.cfg behind.
COMPOSE = f"""\
set -eu
dynamic=$(sed -n 's/^dynamicConfigFile=//p' {ZOO_CFG} 2>/dev/null || true)
if [ -z "$dynamic" ] || [ ! -f "$dynamic" ] || ! grep -q "^server\\.$(cat {DATA_DIR}/myid)=" "$dynamic"; then
  dynamic={DYNAMIC}
  cp {SEED} "$dynamic"
fi
{{ cat {SETTINGS} {SUPER}; echo "dynamicConfigFile=$dynamic"; }} > {ZOO_CFG}.new
mv {ZOO_CFG}.new {ZOO_CFG}
"""


@dataclass(frozen=True)
class Server:
    """One ensemble member as the others see it."""

    my_id: int
    address: str
    client_port: int
    peer_port: int
    election_port: int
    admin_port: Optional[int] = None  # the AdminServer, where platform.zookeeper.admin_port is set

    @property
    def line(self) -> str:
        """Its `server.N` line, in the form ZooKeeper itself writes (and `config` prints)."""
        return (f"server.{self.my_id}={self.address}:{self.peer_port}:{self.election_port}:participant;"
                f"{self.address}:{self.client_port}")


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


def render_settings(me: Server, zk: ZooKeeper, data_dir: str = DATA_DIR, data_log_dir: str = DATA_LOG_DIR) -> str:
    """zoo.cfg without its members (they are in the dynamic file)."""
    lines = [
        f"# zoo.cfg for ZooKeeper node {me.my_id}, rendered by container-platform (members: dynamicConfigFile)",
        f"tickTime={zk.tick_time_ms}",
        "initLimit=10",
        "syncLimit=5",
        # Sessions expire after at most 10 ticks, so Mesos and Spark fail over quickly.
        f"maxSessionTimeout={zk.tick_time_ms * 10}",
        f"dataDir={data_dir}",
        f"dataLogDir={data_log_dir}",
        # No clientPort here: each member's client address is in its `server.N` line, which
        # ZooKeeper keeps and a reconfiguration may change (with both, they must agree).
        "autopurge.snapRetainCount=5",
        "autopurge.purgeInterval=24",
        f"4lw.commands.whitelist={FOUR_LETTER_WORDS}",
        # Members change by `reconfig` (membership_script), by the superuser only.
        "reconfigEnabled=true",
        # A one-node ensemble still runs as an ensemble member, so it can grow by reconfig.
        "standaloneEnabled=false",
    ]
    if me.admin_port:
        lines += ["admin.enableServer=true", f"admin.serverAddress={me.address}", f"admin.serverPort={me.admin_port}"]
    else:
        lines += ["admin.enableServer=false"]
    return "\n".join(lines) + "\n"


def render_members(ensemble: Sequence[Server]) -> str:
    return "".join(s.line + "\n" for s in ensemble)


def super_digest(password: str) -> str:
    """`super:<base64 SHA-1 of super:password>`: how ZooKeeper's digest provider stores a user."""
    return f"{SUPERUSER}:" + base64.b64encode(hashlib.sha1(f"{SUPERUSER}:{password}".encode()).digest()).decode()


def membership_script(container: str, me: Server, ensemble: Sequence[Server], timeout_s: int) -> str:
    """POSIX sh, run where the Docker CLI reaches `container` (a member in every membership):
    until every member of `ensemble` serves with exactly `ensemble` as its members, make it so.

    - Members ZooKeeper has committed (`config`, read from `me`) are not yet `ensemble`: once
      every joining member is following (a joiner follows without a vote; ZooKeeper's
      dynamic-reconfiguration guide asks that joiners be connected and synced with the leader
      before a reconfig, and one still syncing as the change commits can miss it), ask for
      them with `reconfig -members` as the superuser (zkCli reads the `addauth` line from the
      0400 file in the container, so the password is in no argument);
    - committed: every member must also have taken them on (`conf`, what each server acts
      on), the joiners included.
    A membership already right is left alone. After `timeout_s` it fails saying which member
    holds things up and what to do. The four-letter words go through bash's /dev/tcp in the
    container (the image has bash, no nc), to addresses the members already reach each other at.
    """
    want = "\n".join(sorted(s.line for s in ensemble))
    server = shlex.quote(f"{me.address}:{me.client_port}")
    ask = shlex.quote(f"{{ cat {ADMIN_AUTH}; echo {shlex.quote('reconfig -members ' + ','.join(s.line for s in ensemble))}; "
                      f"echo quit; }} | zkCli.sh -server {me.address}:{me.client_port}")
    c = shlex.quote(container)
    lines = [
        "set -u",
        f"want={shlex.quote(want)}",
        f"deadline=$(( $(date +%s) + {int(timeout_s)} ))",
        "word() {  # word <address> <port> <four-letter word>: the server's answer, or nothing",
        f"  docker exec {c} bash -c 'exec 3<>\"/dev/tcp/$1/$2\" && printf %s \"$3\" >&3 && cat <&3' word \"$@\" 2>/dev/null",
        "}",
        "ids() { echo \"$1\" | cut -d= -f1 | tr '\\n' ' '; }  # server.1 server.2 ...",
        "while :; do",
        f"  have=$(docker exec {c} zkCli.sh -server {server} config 2>/dev/null | grep '^server\\.' | sort)",
        "  behind=''",
        "  if [ \"$have\" = \"$want\" ]; then",
    ]
    for s in ensemble:
        lines.append(f"    [ \"$(word {s.address} {s.client_port} conf | grep '^server\\.' | sort)\" = \"$want\" ] "
                     f"|| behind=\"$behind server.{s.my_id} (still acting on its old members)\"")
    lines += [
        "    if [ -z \"$behind\" ]; then echo \"zookeeper members: $(ids \"$want\")\"; exit 0; fi",
        "  else",
    ]
    for s in ensemble:
        lines += [f"    case \"$have\" in *\"server.{s.my_id}=\"*) ;; *)",
                  f"      word {s.address} {s.client_port} srvr | grep -qx 'Mode: follower' "
                  f"|| behind=\"$behind server.{s.my_id} (not yet following)\" ;;",
                  "    esac"]
    lines += [
        f"    [ -n \"$behind\" ] || docker exec -i {c} sh -c {ask} >/dev/null 2>&1 || true",
        "  fi",
        "  if [ \"$(date +%s)\" -ge \"$deadline\" ]; then",
        f"    echo \"container-platform: ZooKeeper's members are: $(ids \"$have\"); wanted: $(ids \"$want\"); "
        f"waiting on:${{behind:- the reconfig}} "
        f"(after {int(timeout_s)} s). A joining member must be running and following first; a member still on its"
        " old members missed the change: restart it (it starts again with the ensemble's). See: docker logs <member>\" >&2",
        "    exit 1",
        "  fi",
        "  sleep 2",
        "done",
    ]
    return "\n".join(lines) + "\n"


def zookeeper_node(node: Instance, nodes: Sequence[Instance], addresses: Sequence[pulumi.Input[str]],
                   zk: ZooKeeper, platform_name: str, admin_password: pulumi.Input[str]) -> ContainerSpec:
    """`addresses[i]` is the address of `nodes[i]`'s host (an output of that host);
    `admin_password` the ensemble's superuser's (who alone may change its members)."""
    my_id = node.index + 1

    def settings(*addrs: str) -> str:
        return render_settings(servers(nodes, addrs)[node.index], zk)

    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=zk.image,
        # The start composes zoo.cfg (COMPOSE), then hands over to the image's own entrypoint.
        entrypoint=("/bin/sh", "-c", COMPOSE + "exec " + shlex.join(IMAGE_START) + "\n"),
        # Copied in before the start, never mounted read-only: the entrypoint chowns /data under
        # `set -e`; a /data/myid turns off its ZOO_MY_ID, a zoo.cfg its ZOO_* generation.
        files={SETTINGS: lift(settings, *addresses), SEED: lift(lambda *a: render_members(servers(nodes, a)), *addresses),
               f"{DATA_DIR}/myid": f"{my_id}\n"},
        secret_files={SUPER: lift(lambda p: f"DigestAuthenticationProvider.superDigest={super_digest(p)}\n", admin_password),
                      ADMIN_AUTH: lift(lambda p: f"addauth digest {SUPERUSER}:{p}\n", admin_password)},
        volumes=(
            Volume(CONF_DIR, name=f"{platform_name}-{node.name}-conf", persistent=True),
            Volume(DATA_DIR, name=f"{platform_name}-{node.name}-data", persistent=True),
            Volume(DATA_LOG_DIR, name=f"{platform_name}-{node.name}-datalog", persistent=True),
        ),
        health=HealthCheck(("CMD", "zkServer.sh", "status")),
        labels={"container-platform/role": "zookeeper"},
    )
