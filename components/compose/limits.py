"""What each scheduler cannot honour in a stack as a whole, said before anything is deployed
(single keys are judged by keys.py; these rules need several services or values at once)."""
from __future__ import annotations

import functools
import itertools
import re
from typing import Optional

from . import constraints
from .model import MARATHON_DEFAULT_CPUS, MARATHON_DEFAULT_MEM_MB, MARATHON_VOLUME_MB, Service, Stack
from .problems import Problems

ALL_ADDRESSES = (None, "0.0.0.0", "::")
HOST_KEY = re.compile(r"HOST|ADDR|SERVER|URL|URI|ENDPOINT|BROKER", re.IGNORECASE)


def scheduler_limits(stack: Stack, out: Problems) -> None:
    if stack.scheduler == "marathon":
        names = _HostNames(stack)
        check = functools.partial(_marathon, names=names)
    else:
        check = {"swarm": _swarm, "local": _local}[stack.scheduler]
    for s in stack.services:
        check(stack, s, out)
        if s.mode == "global" and stack.scheduler != "swarm":
            out.add(f"{s.key}.deploy.mode", (
                "global runs one task per node; the local engine is one node: use replicas: 1"
                if stack.scheduler == "local" else
                "Marathon has no per-agent mode; use replicas with deploy.placement.max_replicas_per_node: 1"))
    if stack.scheduler == "marathon":
        _marathon_networks(stack, out)


def _local(stack: Stack, s: Service, out: Problems) -> None:
    fixed = [p.published for p in s.ports if p.published]
    if s.replicas > 1 and fixed:
        out.add(f"{s.key}.ports", (
            f"{s.replicas} replicas on one machine cannot all bind published port {fixed[0]}; publish "
            "the container port alone (\"80\": each replica gets a free host port), drop the port (other "
            "services reach it by name) or run one replica"))
    if s.container_name and s.replicas > 1:
        out.add(f"{s.key}.container_name", f"names one container, but the service has {s.replicas} replicas; "
                                           "drop container_name or run one replica")
    if (s.network_mode or "").startswith("container:"):
        out.add(f"{s.key}.network_mode", "names a container outside the stack; use service:<name> of this stack")
    for a in s.networks:
        net = stack.networks[a.network]
        for kind, address in (("ipv4_address", a.ipv4_address), ("ipv6_address", a.ipv6_address)):
            if address and not net.external and not any(pool.subnet for pool in net.ipam):
                out.add(f"{s.key}.networks.{a.network}.{kind}", (
                    f"network '{a.network}' has no subnet of its own, and the engine gives static addresses only "
                    "on one: add networks.<name>.ipam.config: [{subnet: ...}] holding the address"))
    for f in s.files:
        if f.uid is not None or f.gid is not None:
            out.add(f"{s.key}.{f.kind}s", ("uid/gid: files the local engine's provider uploads are owned by root; "
                                           "leave them out and set a `mode` the process can read (default 0444)"))
        if stack.files[(f.kind, f.source)].external:
            out.add(f"{s.key}.{f.kind}s", (f"{f.kind} '{f.source}' is external, an object of Swarm, which the local "
                                           "engine does not have; give it a file or content"))


def _swarm(stack: Stack, s: Service, out: Problems) -> None:
    for i, p in enumerate(s.ports):
        if s.endpoint_mode == "dnsrr" and p.published is not None and p.mode != "host":
            out.add(f"{s.key}.ports[{i}]", (
                "endpoint_mode dnsrr has no routing mesh, so a published port needs `mode: host` "
                "(long port syntax), or use endpoint_mode vip"))
        if p.host_ip not in ALL_ADDRESSES:
            out.add(f"{s.key}.ports[{i}]", (f"Swarm publishes on every address of a node; {p.host_ip} cannot be "
                                            "chosen: drop the address"))
    if (s.engine.dns_search or s.engine.dns_opt) and not s.engine.dns:
        out.add(f"{s.key}.dns_search", ("Swarm's DNS settings (pulumi-docker's dns_config) need the name servers "
                                        "too: add `dns`"))
    if s.network_mode not in (None, "host"):
        out.add(f"{s.key}.network_mode", f"{s.network_mode!r}: a Swarm service joins networks; only host is possible")
    for i, c in enumerate(s.constraints):
        if "==" not in c and "!=" not in c:  # swarmkit's constraint.Parse refuses it at service create
            out.add(f"{s.key}.deploy.placement.constraints[{i}]", (
                f"{c!r} is not a constraint: Swarm takes <attribute>==<value> or <attribute>!=<value>, "
                "e.g. 'node.labels.zone==a'"))
    if s.wait_completed_for:
        out.add(f"{s.key}.depends_on", (f"waits for {', '.join(s.wait_completed_for)} to complete, but Swarm "
                                        "services have no completion; use scheduler local for one-shot jobs"))


def _marathon(stack: Stack, s: Service, out: Problems, names: "_HostNames") -> None:
    if s.restart.condition != "any":
        out.add(f"{s.key}.restart", (
            f"Marathon relaunches every task that ends (condition {s.restart.condition!r} cannot be "
            "honoured); run one-shot jobs with scheduler swarm or local, or use condition any"))
    for i, c in enumerate(s.constraints):
        _, error = constraints.to_marathon(c)
        if error:
            out.add(f"{s.key}.deploy.placement.constraints[{i}]", error)
    if s.placement_preferences:
        out.add(f"{s.key}.deploy.placement.preferences", (
            "Marathon has no spread preference; use a constraint (node.labels.zone!=...) or max_replicas_per_node"))
    for i, p in enumerate(s.ports):
        if p.host_ip not in ALL_ADDRESSES:
            out.add(f"{s.key}.ports[{i}]", f"Marathon binds host ports on every address; {p.host_ip} cannot be chosen")
    for i, m in enumerate(s.mounts):
        if m.kind != "volume" or not m.source:
            continue
        volume, where = stack.volumes[m.source], f"{s.key}.volumes[{i}]"
        users = [o.name for o in stack.services if any(x.source == m.source and x.kind == "volume" for x in o.mounts)]
        if volume.external or volume.driver not in (None, "local"):
            out.add(where, (f"volume '{m.source}' is {'external' if volume.external else 'a ' + str(volume.driver) + ' volume'}; "
                            "on Marathon a named volume is a local persistent volume that Mesos reserves on one agent"))
        elif s.replicas > 1 or len(users) > 1:
            out.add(where, (
                f"volume '{m.source}' is shared ({s.replicas} replicas, services {', '.join(users)}), but on Marathon a "
                "named volume is a local persistent volume of one task, pinned to its agent: each task would get its own; "
                "run one replica, or the stack with scheduler swarm or local"))
        elif volume.size_mb is None:
            out.warn(f"volumes.{m.source}", (f"reserves {MARATHON_VOLUME_MB} MB on the agent as a Marathon persistent "
                                             "volume; set its size with x-platform: {size: 10g}"))
    if s.network_mode not in (None, "bridge"):
        out.add(f"{s.key}.network_mode", (f"{s.network_mode!r}: Marathon tasks run on bridge networking here, "
                                          "because marathon-lb routes to the host ports Marathon assigns"))
    for key, other in s.namespaces_shared().items():
        if key != "network_mode":  # said above
            out.add(f"{s.key}.{key}", (f"'service:{other}': Marathon places each service's tasks on their own, "
                                       "so a task cannot join another service's namespace; run the stack with "
                                       "scheduler local"))
    if s.wait_completed_for:
        out.add(f"{s.key}.depends_on", (f"waits for {', '.join(s.wait_completed_for)} to complete, but Marathon "
                                        "relaunches tasks that end; use scheduler local for one-shot jobs"))
    _plain_hostnames(stack, s, names, out)
    if s.cpus == 0 or s.memory_mb == 0:
        out.add(f"{s.key}.deploy.resources.limits", ("0 means no limit to Docker, but Marathon places a task by "
                                                     "what it asks for: give a figure above 0"))
    if s.cpus is None and s.cpus_reserved is None:
        out.warn(f"{s.key}.deploy.resources", (f"no cpus given: Marathon needs a figure to place the task and "
                                               f"reserves {MARATHON_DEFAULT_CPUS}; set deploy.resources.limits.cpus"))
    if s.memory_mb is None and s.memory_reserved_mb is None:
        out.warn(f"{s.key}.deploy.resources", (f"no memory given: Marathon needs a figure to place the task and "
                                               f"reserves {MARATHON_DEFAULT_MEM_MB} MB (the task is killed above it); set "
                                               "deploy.resources.limits.memory"))


class _HostNames:
    """Finds another service's name used as a host name in a value: a URL's host (`http://api:8080`,
    `user@db/x`), a host:port (`db:5432`), or the whole value of a variable named like an address
    (`DB_HOST=db`; not `MYSQL_USER=wordpress`). One pattern per stack, not per pair of services."""

    def __init__(self, stack: Stack):
        self.names = {o.name for o in stack.services}
        alternatives = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        self.pattern = re.compile(rf"(?:(?:://|@)({alternatives})(?=$|[:/?])|(?:^|[\s=,])({alternatives}):\d)")

    def used(self, key: str, text: str, own: str) -> Optional[str]:
        if text.strip() in self.names and text.strip() != own and HOST_KEY.search(key):
            return text.strip()
        for m in self.pattern.finditer(text):
            name = m.group(1) or m.group(2)
            if name != own:
                return name
        return None


def _plain_hostnames(stack: Stack, s: Service, names: _HostNames, out: Problems) -> None:
    """On Marathon nothing resolves a service's name, so `DB_HOST=db` or `http://api:8080` would
    not connect. Refused, naming the reference that works everywhere (a rewrite would also have to
    change the port, which on Marathon is the service port on marathon-lb)."""
    values = [(f"environment.{k}", k, v) for k, v in s.environment.items()]
    values += [(f"command[{i}]", "", v) for i, v in enumerate(s.command or ())]
    for where, key, template in values:
        name = names.used(key, "".join(p if isinstance(p, str) else "\0" for p in template), s.name)
        if name:
            out.add(f"{s.key}.{where}", (
                f"uses '{name}' as a host name, which nothing resolves on Marathon; write "
                f"${{{name}.host}} (and ${{{name}.port}} for its port), which work on every scheduler"))


def _marathon_networks(stack: Stack, out: Problems) -> None:
    """Marathon tasks share one bridge network behind marathon-lb: Compose networks flatten into
    it only where that changes nothing."""
    nets = {s.name: {a.network for a in s.networks} or {"default"} for s in stack.services}
    for s in stack.services:
        if s.aliases:  # others' `links: [svc:alias]` (an attachment's own aliases: keys.ATTACHMENT_KEYS)
            out.add(f"{s.key}.networks", (f"alias {s.aliases[0]!r}: Marathon tasks have no host names; other "
                                          f"services reach this one with ${{{s.name}.host}}"))
        for n in sorted(nets[s.name]):
            net = stack.networks[n]
            if net.internal or net.external:
                out.add(f"{s.key}.networks", (f"network '{n}' is {'internal' if net.internal else 'external'}; "
                                              "Marathon tasks share one bridge network, so it cannot be honoured"))
    if set.intersection(*nets.values()):  # one network every service is on: nothing to isolate
        return
    for a, b in itertools.combinations(stack.services, 2):
        if not nets[a.name] & nets[b.name]:
            out.add(f"{b.key}.networks", (
                f"'{a.name}' and '{b.name}' share no network (the file isolates them), but Marathon tasks all reach "
                "each other through marathon-lb: run this stack with scheduler swarm or local"))
            return

