"""The Compose key table (components/compose/keys.py) row by row: for each key a scheduler maps,
a service that uses it, and the field of the scheduler's resource it must land in, with the
value Docker, pulumi-docker or Marathon gives that key's meaning (units, defaults and flag
names as their documentation states them: pulumi-docker's `memory`/`shm_size` in MB, Swarm's
`nano_cpus` in 1e-9 CPUs and `memory_bytes` in bytes, Docker's `--shm-size`/`--memory-swap`
in bytes, Marathon's `taskKillGracePeriodSeconds` in seconds).

One Compose file per scheduler holds every row's service; it is evaluated once under the mock
runtime and each row is its own test, so a translation that drops, renames or rescales one
key fails that key's row. A last test keeps the rows and the table in step: every key the
table says a scheduler maps has a row for that scheduler, or names the test that pins it.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from components.compose import keys

from .conftest import PLACEHOLDER_SECRETS
from .harness import through_docker_provider
from .test_compose_corpus import deploy

Get = Callable[["Rendered"], Any]


class Rendered(dict):
    """A row's rendered resource inputs (a local service's first container, a Swarm service,
    a Marathon app definition), with the whole deployment beside them for rows that look
    further (replicas, the image, commands run after a service)."""

    def __init__(self, resource, deployment, service: str, inputs: dict):
        super().__init__(inputs)
        self.deployment, self.service = deployment, service
        self.depends_on = sorted(deployment.by_urn(u).name for u in resource.dependencies)


@dataclass(frozen=True)
class Row:
    key: str  # the table's key, `deploy.` for deploy keys
    id: str  # the row's service name
    service: str  # the service's YAML (a flow mapping), `image` added
    expect: dict[str, tuple[Get, Any]] = field(default_factory=dict)  # scheduler -> (getter, value)
    grants: tuple[str, ...] = ()


def params(app: dict, flag: str) -> list[str]:
    """The values Marathon passes to `docker run` as --flag (Mesos's Docker containerizer)."""
    return [p["value"] for p in app["container"]["docker"].get("parameters") or [] if p["key"] == flag]


def labels(entries) -> dict:
    return {e["label"]: e["value"] for e in entries or []}


def spec(s: dict) -> dict:
    return s["taskSpec"]["containerSpec"]


def of_service(d, service: str) -> list:
    """The local containers of a service, by the label the program puts on each."""
    return sorted((c for c in d.containers() if labels(c.inputs.get("labels")).get("container-platform/service") == service),
                  key=lambda c: c.name)


def local_containers(r: Rendered) -> list[str]:
    return [c.name for c in of_service(r.deployment, r.service)]


def commands(r: Rendered) -> list[str]:
    return [c.inputs["create"] for c in r.deployment.of_type("command:local:Command") if c.name.startswith(f"s-{r.service}-")]


def image_of(r: Rendered, name: str) -> dict:
    (image,) = [i.inputs for i in r.deployment.of_type("docker:index/remoteImage:RemoteImage") if i.inputs["name"] == name]
    return image


MB = 2**20
ROWS = [
    Row("command", "command", "{command: [serve, -v]}",
        {"local": (lambda c: c["command"], ["serve", "-v"]), "swarm": (lambda s: spec(s)["args"], ["serve", "-v"]),
         "marathon": (lambda a: a["args"], ["serve", "-v"])}),
    Row("entrypoint", "entrypoint", "{entrypoint: [/bin/tini, --], command: [run]}",
        {"local": (lambda c: c["entrypoints"], ["/bin/tini", "--"]),
         "swarm": (lambda s: spec(s)["commands"], ["/bin/tini", "--"]),
         # Docker's --entrypoint takes one word: the rest goes before the command.
         "marathon": (lambda a: (params(a, "entrypoint"), a["args"]), (["/bin/tini"], ["--", "run"]))}),
    Row("environment", "environment", "{environment: {LEVEL: debug, EMPTY: ''}}",
        {"local": (lambda c: sorted(c["envs"]), ["EMPTY=", "LEVEL=debug"]),
         "swarm": (lambda s: spec(s)["env"], {"LEVEL": "debug", "EMPTY": ""}),
         "marathon": (lambda a: a["env"], {"LEVEL": "debug", "EMPTY": ""})}),
    Row("env_file", "env-file", "{env_file: [app.env], environment: {B: set}}",
        {"local": (lambda c: sorted(c["envs"]), ["A=from-file", "B=set"]),
         "swarm": (lambda s: spec(s)["env"], {"A": "from-file", "B": "set"}),
         "marathon": (lambda a: a["env"], {"A": "from-file", "B": "set"})}),
    Row("ports", "ports", "{ports: ['8081:80', '5353:53/udp']}",
        {"local": (lambda c: c["ports"], [{"internal": 80, "external": 8081, "ip": "127.0.0.1", "protocol": "tcp"},
                                          {"internal": 53, "external": 5353, "ip": "127.0.0.1", "protocol": "udp"}]),
         "swarm": (lambda s: s["endpointSpec"]["ports"],
                   [{"targetPort": 80, "publishedPort": 8081, "protocol": "tcp", "publishMode": "ingress"},
                    {"targetPort": 53, "publishedPort": 5353, "protocol": "udp", "publishMode": "ingress"}]),
         # Private on Marathon: any host port the agent offers, a service port on marathon-lb from the range.
         "marathon": (lambda a: [(m["containerPort"], m["hostPort"], m["protocol"], 10000 <= m["servicePort"] <= 10100)
                                 for m in a["container"]["portMappings"]], [(80, 0, "tcp", True), (53, 0, "udp", True)])}),
    # The long form without protocol or mode: Compose's defaults, tcp through the routing mesh.
    Row("ports", "ports-long", "{ports: [{target: 80, published: 8082}]}",
        {"local": (lambda c: c["ports"], [{"internal": 80, "external": 8082, "ip": "127.0.0.1", "protocol": "tcp"}]),
         "swarm": (lambda s: s["endpointSpec"]["ports"],
                   [{"targetPort": 80, "publishedPort": 8082, "protocol": "tcp", "publishMode": "ingress"}])}),
    # One container port over both protocols: one Marathon mapping, as Marathon writes it ("udp,tcp").
    Row("ports", "ports-both-protocols", "{ports: ['5300:53/tcp', '5300:53/udp']}",
        {"local": (lambda c: [(p["internal"], p["external"], p["protocol"]) for p in c["ports"]],
                   [(53, 5300, "tcp"), (53, 5300, "udp")]),
         "swarm": (lambda s: [(p["targetPort"], p["publishedPort"], p["protocol"]) for p in s["endpointSpec"]["ports"]],
                   [(53, 5300, "tcp"), (53, 5300, "udp")]),
         "marathon": (lambda a: [(m["containerPort"], m["protocol"], m["name"]) for m in a["container"]["portMappings"]],
                      [(53, "udp,tcp", "udp-tcp-53")])}),
    Row("expose", "expose", "{expose: ['9000']}",
        {"local": (lambda c: c.get("ports"), None), "swarm": (lambda s: s["endpointSpec"].get("ports"), None),
         "marathon": (lambda a: [(m["containerPort"], m["hostPort"]) for m in a["container"]["portMappings"]], [(9000, 0)])}),
    Row("volumes", "volumes-named", "{volumes: ['data:/var/lib/x']}",
        {"local": (lambda c: c["volumes"], [{"containerPath": "/var/lib/x", "volumeName": "local-s-data"}]),
         "swarm": (lambda s: spec(s)["mounts"], [{"target": "/var/lib/x", "type": "volume", "source": "local-s-data"}]),
         # A local persistent volume in the sandbox (size in MB), mounted into the container.
         "marathon": (lambda a: sorted(a["container"]["volumes"], key=lambda v: v["containerPath"]),
                      [{"containerPath": "/var/lib/x", "hostPath": "data", "mode": "RW"},
                       {"containerPath": "data", "mode": "RW", "persistent": {"size": 1024}}])}),
    Row("volumes", "volumes-bind-ro", "{volumes: ['./site:/etc/site:ro']}",
        {"local": (lambda c: [(v["containerPath"], v["hostPath"].endswith("/site"), v["readOnly"]) for v in c["volumes"]],
                   [("/etc/site", True, True)]),
         "marathon": (lambda a: [(v["containerPath"], v["mode"]) for v in a["container"]["volumes"]], [("/etc/site", "RO")])}),
    Row("volumes", "volumes-tmpfs", "{volumes: [{type: tmpfs, target: /cache, tmpfs: {size: 4194304}}, "
                                    "{type: tmpfs, target: /empty, read_only: true}]}",
        {"local": (lambda c: c["mounts"], [{"target": "/cache", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 4194304}},
                                           {"target": "/empty", "type": "tmpfs", "readOnly": True}]),
         "swarm": (lambda s: spec(s)["mounts"], [{"target": "/cache", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 4194304}},
                                                 {"target": "/empty", "type": "tmpfs", "readOnly": True}]),
         "marathon": (lambda a: params(a, "tmpfs"), ["/cache:size=4194304", "/empty:ro"])}),
    # A mount's options (keys.MOUNT_KEYS): a bind or volume with options goes through the
    # engine's Mounts API on the local engine (a plain one stays `-v`: it makes a missing source).
    Row("volumes[].bind.propagation", "mount-propagation", "{volumes: ['/srv/metrics:/host:ro,rslave']}",
        {"local": (lambda c: (c.get("volumes"), c["mounts"]),
                   (None, [{"target": "/host", "type": "bind", "source": "/srv/metrics", "readOnly": True,
                            "bindOptions": {"propagation": "rslave"}}])),
         "swarm": (lambda s: spec(s)["mounts"], [{"target": "/host", "type": "bind", "source": "/srv/metrics",
                                                  "readOnly": True, "bindOptions": {"propagation": "rslave"}}])}),
    Row("volumes[].bind.create_host_path", "mount-no-create",
        "{volumes: [{type: bind, source: /srv/must-exist, target: /in, bind: {create_host_path: false}}]}",
        {"local": (lambda c: (c.get("volumes"), c["mounts"]),
                   (None, [{"target": "/in", "type": "bind", "source": "/srv/must-exist"}])),
         "swarm": (lambda s: spec(s)["mounts"], [{"target": "/in", "type": "bind", "source": "/srv/must-exist"}])}),
    Row("volumes", "mount-anonymous", "{volumes: [/scratch]}",
        {"marathon": (lambda a: params(a, "volume"), ["/scratch"])}),
    Row("volumes[].volume.nocopy", "mount-nocopy", "{volumes: [{type: volume, target: /cache, volume: {nocopy: true}}]}",
        {"local": (lambda c: c["mounts"], [{"target": "/cache", "type": "volume", "volumeOptions": {"noCopy": True}}]),
         "swarm": (lambda s: spec(s)["mounts"], [{"target": "/cache", "type": "volume", "volumeOptions": {"noCopy": True}}]),
         "marathon": (lambda a: (params(a, "mount"), params(a, "volume")),
                      (["type=volume,destination=/cache,volume-nocopy=true"], []))}),
    Row("volumes[].volume.subpath", "mount-subpath", "{volumes: [{type: volume, source: data, target: /logs, "
                                                     "volume: {subpath: app/logs}}]}",
        {"local": (lambda c: c["mounts"], [{"target": "/logs", "type": "volume", "source": "local-s-data",
                                            "volumeOptions": {"subpath": "app/logs"}}])}),
    Row("volumes[].volume.labels", "mount-labels", "{volumes: [{type: volume, target: /tmp/x, volume: {labels: {team: core}}}]}",
        {"local": (lambda c: c["mounts"][0]["volumeOptions"], {"labels": [{"label": "team", "value": "core"}]}),
         "swarm": (lambda s: spec(s)["mounts"][0]["volumeOptions"], {"labels": [{"label": "team", "value": "core"}]})}),
    Row("volumes[].tmpfs.mode", "mount-tmpfs-mode", "{volumes: [{type: tmpfs, target: /scratch, tmpfs: {mode: 0o1770}}]}",
        {"local": (lambda c: c["mounts"], [{"target": "/scratch", "type": "tmpfs", "tmpfsOptions": {"mode": 0o1770}}]),
         "swarm": (lambda s: spec(s)["mounts"], [{"target": "/scratch", "type": "tmpfs", "tmpfsOptions": {"mode": 0o1770}}]),
         "marathon": (lambda a: params(a, "tmpfs"), ["/scratch:mode=1770"])}),
    # Without a check of its own, a Marathon service with a port is checked on it (MESOS_TCP).
    Row("healthcheck", "no-healthcheck", "{expose: ['8080']}",
        {"marathon": (lambda a: a["healthChecks"], [{"protocol": "MESOS_TCP", "portIndex": 0, "gracePeriodSeconds": 60,
                                                     "intervalSeconds": 15, "timeoutSeconds": 5,
                                                     "maxConsecutiveFailures": 3}])}),
    # Disabled: no check, not even the image's own HEALTHCHECK (Docker's test ["NONE"]); on
    # Marathon not the TCP check a service with a port gets otherwise.
    Row("healthcheck", "healthcheck-disabled", "{expose: ['8080'], healthcheck: {disable: true}}",
        {"local": (lambda c: (c["healthcheck"], c.get("wait")), ({"tests": ["NONE"]}, None)),
         "swarm": (lambda s: spec(s)["healthcheck"], {"tests": ["NONE"]}),
         "marathon": (lambda a: a["healthChecks"], [])}),
    Row("healthcheck", "healthcheck-none", "{healthcheck: {test: [NONE]}}",
        {"local": (lambda c: c["healthcheck"], {"tests": ["NONE"]}),
         "swarm": (lambda s: spec(s)["healthcheck"], {"tests": ["NONE"]})}),
    # Only Docker's engine probes faster while starting (Swarm and Marathon warn: no effect).
    Row("healthcheck", "healthcheck-start", "{healthcheck: {test: [CMD-SHELL, 'true'], start_interval: 2s}}",
        {"local": (lambda c: c["healthcheck"]["startInterval"], "2s")}),
    Row("healthcheck", "healthcheck", "{healthcheck: {test: [CMD-SHELL, 'true'], interval: 7s, timeout: 3s, retries: 5, "
                                      "start_period: 11s}}",
        {"local": (lambda c: (c["healthcheck"], c["wait"], c["waitTimeout"] >= 11 + 7 * 5),
                   ({"tests": ["CMD-SHELL", "true"], "interval": "7s", "timeout": "3s", "startPeriod": "11s", "retries": 5},
                    True, True)),
         "swarm": (lambda s: spec(s)["healthcheck"],
                   {"tests": ["CMD-SHELL", "true"], "interval": "7s", "timeout": "3s", "startPeriod": "11s", "retries": 5}),
         "marathon": (lambda a: a["healthChecks"],
                      [{"protocol": "COMMAND", "command": {"value": "true"}, "intervalSeconds": 7, "timeoutSeconds": 3,
                        "gracePeriodSeconds": 11, "maxConsecutiveFailures": 5}])}),
    Row("labels", "labels", "{labels: {tier: web}}",
        {"local": (lambda c: labels(c["labels"])["tier"], "web"),
         "swarm": (lambda s: (labels(spec(s)["labels"]), "tier" in labels(s["labels"])), ({"tier": "web"}, False)),
         "marathon": (lambda a: a["labels"]["tier"], "web")}),
    Row("restart", "restart", "{restart: unless-stopped}",
        {"local": (lambda c: c["restart"], "unless-stopped"),
         "swarm": (lambda s: s["taskSpec"]["restartPolicy"]["condition"], "any"),
         "marathon": (lambda a: a["backoffSeconds"] > 0, True)}),
    Row("container_name", "container-name", "{container_name: fixed-name}",
        {"local": (lambda c: c["name"], "fixed-name")}),
    Row("networks", "networks", "{networks: {back: {aliases: [nw]}}}",
        {"local": (lambda c: c["networksAdvanced"], [{"name": "local-s-back", "aliases": ["networks", "nw"]}]),
         "swarm": (lambda s: s["taskSpec"]["networksAdvanceds"], [{"name": "local-s-back", "aliases": ["networks", "nw"]}])}),
    # A service's own settings on one network (keys.ATTACHMENT_KEYS).
    Row("networks.<network>.aliases", "attachment-aliases", "{networks: {back: {aliases: [nw]}}}",
        {"local": (lambda c: c["networksAdvanced"][0]["aliases"], ["attachment-aliases", "nw"]),
         "swarm": (lambda s: s["taskSpec"]["networksAdvanceds"][0]["aliases"], ["attachment-aliases", "nw"])}),
    Row("networks.<network>.ipv4_address", "attachment-ipv4", "{networks: {fixed: {ipv4_address: 172.30.0.10}}}",
        {"local": (lambda c: c["networksAdvanced"], [{"name": "local-s-fixed", "aliases": ["attachment-ipv4"],
                                                      "ipv4Address": "172.30.0.10"}])}),
    Row("networks.<network>.ipv6_address", "attachment-ipv6", "{networks: {fixed: {ipv6_address: 'fd00:30::10'}}}",
        {"local": (lambda c: c["networksAdvanced"][0]["ipv6Address"], "fd00:30::10")}),
    Row("networks.<network>.mac_address", "attachment-mac", "{networks: {back: {mac_address: '02:42:ac:11:00:02'}}}",
        {"local": (lambda c: c["networksAdvanced"][0]["macAddress"], "02:42:ac:11:00:02")}),
    Row("networks.<network>.driver_opts", "attachment-driver-opts",
        "{networks: {back: {driver_opts: {com.docker.network.endpoint.sysctls: 'net.ipv4.conf.IFNAME.log_martians=1'}}}}",
        {"swarm": (lambda s: s["taskSpec"]["networksAdvanceds"][0]["driverOpts"],  # pulumi-docker: ["key=value"]
                   ["com.docker.network.endpoint.sysctls=net.ipv4.conf.IFNAME.log_martians=1"])}),
    Row("network_mode", "network-mode", "{network_mode: none}",
        {"local": (lambda c: (c["networkMode"], c.get("networksAdvanced")), ("none", None))}),
    Row("network_mode", "network-mode-bridge", "{network_mode: bridge}",
        {"marathon": (lambda a: a["networks"], [{"mode": "container/bridge"}])}),
    Row("network_mode", "network-mode-host", "{network_mode: host}",
        {"swarm": (lambda s: s["taskSpec"]["networksAdvanceds"], [{"name": "host"}])}, grants=("host-network",)),
    Row("secrets", "secrets", "{secrets: [token, {source: token, target: /etc/token, mode: 0400}]}",
        {"local": (lambda c: [(u["file"], u["permissions"], u["content"]) for u in c["uploads"]],
                   [("/run/secrets/token", "0444", "t0ken\n"), ("/etc/token", "0400", "t0ken\n")]),
         "swarm": (lambda s: [(x["fileName"], x.get("fileMode")) for x in spec(s)["secrets"]],
                   [("/run/secrets/token", None), ("/etc/token", 0o400)])}),
    # The owner a secret's file gets in the task (a server that drops root reads it as its user).
    Row("secrets", "secrets-owner", "{secrets: [{source: token, target: /etc/token, uid: '103', gid: '104', mode: 0440}]}",
        {"swarm": (lambda s: [(x["fileName"], x["fileUid"], x["fileGid"], x["fileMode"]) for x in spec(s)["secrets"]],
                   [("/etc/token", "103", "104", 0o440)])}),
    Row("configs", "configs-owner", "{configs: [{source: site, target: /etc/site.conf, uid: '101', gid: '102', mode: 0640}]}",
        {"swarm": (lambda s: [(x["fileName"], x["fileUid"], x["fileGid"], x["fileMode"]) for x in spec(s)["configs"]],
                   [("/etc/site.conf", "101", "102", 0o640)])}),
    Row("configs", "configs", "{configs: [{source: site, target: /etc/site.conf}]}",
        {"local": (lambda c: [(u["file"], u["permissions"], u["content"]) for u in c["uploads"]],
                   [("/etc/site.conf", "0444", "listen 80\n")]),
         "swarm": (lambda s: [x["fileName"] for x in spec(s)["configs"]], ["/etc/site.conf"])}),
    # An existing config is named, and given by the ID a command on the manager looks up (the
    # engine takes none by name: tests/test_real_swarm.py).
    Row("configs", "configs-external", "{configs: [shared]}",
        {"swarm": (lambda s: spec(s)["configs"], [{"fileName": "/shared", "configName": "team-site",
                                                   "configId": "s-config-team-site-id-stdout"}])}),
    Row("profiles", "profiles", "{profiles: [debug]}",
        {s: (lambda r: r is None, True) for s in keys.SCHEDULERS}),  # the profile is not active: no resource
    Row("extends", "extends", "{extends: {service: command}, environment: {X: '1'}}",
        {"local": (lambda c: (c["command"], c["envs"]), (["serve", "-v"], ["X=1"])),
         "swarm": (lambda s: (spec(s)["args"], spec(s)["env"]), (["serve", "-v"], {"X": "1"})),
         "marathon": (lambda a: (a["args"], a["env"]), (["serve", "-v"], {"X": "1"}))}),
    Row("scale", "scale", "{scale: 2}",
        {"local": (local_containers, ["local-s-scale-1", "local-s-scale-2"]),
         "swarm": (lambda s: s["mode"], {"replicated": {"replicas": 2}}), "marathon": (lambda a: a["instances"], 2)}),
    Row("user", "user", "{user: '1000:1000'}",
        {"local": (lambda c: c["user"], "1000:1000"), "swarm": (lambda s: spec(s)["user"], "1000:1000"),
         "marathon": (lambda a: params(a, "user"), ["1000:1000"])}),
    Row("working_dir", "working-dir", "{working_dir: /srv}",
        {"local": (lambda c: c["workingDir"], "/srv"), "swarm": (lambda s: spec(s)["dir"], "/srv"),
         "marathon": (lambda a: params(a, "workdir"), ["/srv"])}),
    Row("hostname", "hostname", "{hostname: box}",
        {"local": (lambda c: c["hostname"], "box"), "swarm": (lambda s: spec(s)["hostname"], "box"),
         "marathon": (lambda a: params(a, "hostname"), ["box"])}),
    Row("domainname", "domainname", "{domainname: corp.example}",
        {"local": (lambda c: c["domainname"], "corp.example"),
         "marathon": (lambda a: params(a, "domainname"), ["corp.example"])}),
    Row("init", "init", "{init: true}",
        {"local": (lambda c: c["init"], True),
         "swarm": (lambda s: [c.split("  #")[0] for c in commands(s)], ["docker service update --quiet --init=true local-s-init"]),
         "marathon": (lambda a: params(a, "init"), ["true"])}),
    Row("stop_signal", "stop-signal", "{stop_signal: SIGINT}",
        {"local": (lambda c: c["stopSignal"], "SIGINT"), "swarm": (lambda s: spec(s)["stopSignal"], "SIGINT"),
         "marathon": (lambda a: params(a, "stop-signal"), ["SIGINT"])}),
    Row("stop_grace_period", "stop-grace-period", "{stop_grace_period: 1m30s}",
        {"local": (lambda c: (c["stopTimeout"], c["destroyGraceSeconds"]), (90, 90)),
         "swarm": (lambda s: spec(s)["stopGracePeriod"], "90s"),
         "marathon": (lambda a: a["taskKillGracePeriodSeconds"], 90)}),
    Row("read_only", "read-only", "{read_only: true}",
        {"local": (lambda c: c["readOnly"], True), "swarm": (lambda s: spec(s)["readOnly"], True),
         "marathon": (lambda a: params(a, "read-only"), ["true"])}),
    Row("tmpfs", "tmpfs", "{tmpfs: ['/scratch:size=8m']}",
        {"local": (lambda c: c["tmpfs"], {"/scratch": "size=8m"}),
         "swarm": (lambda s: spec(s)["mounts"], [{"target": "/scratch", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 8 * MB}}]),
         "marathon": (lambda a: params(a, "tmpfs"), ["/scratch:size=8m"])}),
    Row("shm_size", "shm-size", "{shm_size: 64m}",
        {"local": (lambda c: c["shmSize"], 64),
         "swarm": (lambda s: spec(s)["mounts"], [{"target": "/dev/shm", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 64 * MB}}]),
         "marathon": (lambda a: params(a, "shm-size"), [str(64 * MB)])}),
    Row("shm_size", "shm-size-small", "{shm_size: 300k}",  # below a megabyte: pulumi-docker takes whole MB
        {"local": (lambda c: c["shmSize"], 1)}),
    Row("cap_add", "cap-add", "{cap_add: [NET_ADMIN]}",
        {"local": (lambda c: c["capabilities"], {"adds": ["NET_ADMIN"]}),
         "swarm": (lambda s: (spec(s)["capAdds"], spec(s).get("capDrops")), (["NET_ADMIN"], None)),
         "marathon": (lambda a: (params(a, "cap-add"), params(a, "cap-drop")), (["NET_ADMIN"], []))}),
    Row("cap_drop", "cap-drop", "{cap_drop: [MKNOD]}",
        {"local": (lambda c: c["capabilities"], {"drops": ["MKNOD"]}),
         "swarm": (lambda s: (spec(s).get("capAdds"), spec(s)["capDrops"]), (None, ["MKNOD"])),
         "marathon": (lambda a: (params(a, "cap-add"), params(a, "cap-drop")), ([], ["MKNOD"]))}),
    Row("privileged", "privileged", "{privileged: true}",
        {"local": (lambda c: c["privileged"], True),
         "marathon": (lambda a: a["container"]["docker"]["privileged"], True)}, grants=("privileged",)),
    Row("security_opt", "security-opt", "{security_opt: ['no-new-privileges:true']}",
        {"local": (lambda c: c["securityOpts"], ["no-new-privileges:true"]),
         "marathon": (lambda a: params(a, "security-opt"), ["no-new-privileges:true"])}),
    Row("sysctls", "sysctls", "{sysctls: {net.core.somaxconn: '1024'}}",
        {"local": (lambda c: c["sysctls"], {"net.core.somaxconn": "1024"}),
         "swarm": (lambda s: spec(s)["sysctl"], {"net.core.somaxconn": "1024"}),
         "marathon": (lambda a: params(a, "sysctl"), ["net.core.somaxconn=1024"])}),
    Row("ulimits", "ulimits", "{ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 64}}",
        {"local": (lambda c: sorted(c["ulimits"], key=lambda u: u["name"]),
                   [{"name": "nofile", "soft": 1024, "hard": 2048}, {"name": "nproc", "soft": 64, "hard": 64}]),
         "marathon": (lambda a: params(a, "ulimit"), ["nofile=1024:2048", "nproc=64:64"])}),
    Row("logging", "logging", "{logging: {driver: json-file, options: {max-size: 10m}}}",
        {"local": (lambda c: (c["logDriver"], c["logOpts"]), ("json-file", {"max-size": "10m"})),
         "swarm": (lambda s: s["taskSpec"]["logDriver"], {"name": "json-file", "options": {"max-size": "10m"}}),
         "marathon": (lambda a: (params(a, "log-driver"), params(a, "log-opt")), (["json-file"], ["max-size=10m"]))}),
    Row("runtime", "runtime", "{runtime: runc}",
        {"local": (lambda c: c["runtime"], "runc"), "marathon": (lambda a: params(a, "runtime"), ["runc"])}),
    # Swarm's platform constraint has no variant (`v8`): the architecture alone.
    Row("platform", "platform", "{platform: linux/arm64/v8, image: example/arm:1}",
        {"local": (lambda c: image_of(c, "example/arm:1")["platform"], "linux/arm64/v8"),
         "swarm": (lambda s: s["taskSpec"]["placement"]["platforms"], [{"os": "linux", "architecture": "arm64"}]),
         "marathon": (lambda a: params(a, "platform"), ["linux/arm64/v8"])}),
    Row("platform", "platform-os", "{platform: linux, image: example/any:1}",
        {"swarm": (lambda s: s["taskSpec"]["placement"]["platforms"], [{"os": "linux", "architecture": "amd64"}])}),
    Row("ipc", "ipc", "{ipc: shareable}",
        {"local": (lambda c: c["ipcMode"], "shareable"), "marathon": (lambda a: params(a, "ipc"), ["shareable"])}),
    # `service:<name>` is the engine's `container:<its container>`; a donor without an ipc of its
    # own is made shareable, the only mode the engine lets another container join.
    Row("ipc", "ipc-donor", "{labels: {role: donor}}", {"local": (lambda c: c["ipcMode"], "shareable")}),
    Row("ipc", "ipc-of-a-service", "{ipc: 'service:ipc-donor'}",
        {"local": (lambda c: c["ipcMode"], "container:local-s-ipc-donor-1")}),
    Row("pid", "pid-of-a-service", "{pid: 'service:ipc'}",
        {"local": (lambda c: (c["pidMode"], "local-s-ipc-1" in c.depends_on), ("container:local-s-ipc-1", True))}),
    Row("network_mode", "network-of-a-service", "{network_mode: 'service:ipc'}",
        {"local": (lambda c: (c["networkMode"], c.get("networksAdvanced")), ("container:local-s-ipc-1", None))}),
    Row("pid", "pid", "{pid: 'container:abc'}",
        {"local": (lambda c: c["pidMode"], "container:abc"), "marathon": (lambda a: params(a, "pid"), ["container:abc"])}),
    Row("stdin_open", "stdin-open", "{stdin_open: true}",
        {"local": (lambda c: (c["stdinOpen"], c.get("tty")), (True, None)),
         "marathon": (lambda a: (params(a, "interactive"), params(a, "tty")), (["true"], []))}),
    Row("tty", "tty", "{tty: true}",
        {"local": (lambda c: (c.get("stdinOpen"), c["tty"]), (None, True)),
         "marathon": (lambda a: (params(a, "interactive"), params(a, "tty")), ([], ["true"]))}),
    Row("extra_hosts", "extra-hosts", "{extra_hosts: ['db.example:10.1.2.3']}",
        {"local": (lambda c: c["hosts"], [{"host": "db.example", "ip": "10.1.2.3"}]),
         "swarm": (lambda s: spec(s)["hosts"], [{"host": "db.example", "ip": "10.1.2.3"}]),
         "marathon": (lambda a: params(a, "add-host")[0], "db.example:10.1.2.3")}),
    Row("dns", "dns", "{dns: [10.0.0.53]}",
        {"local": (lambda c: (c["dns"], c.get("dnsSearches"), c.get("dnsOpts")), (["10.0.0.53"], None, None)),
         "swarm": (lambda s: spec(s)["dnsConfig"], {"nameservers": ["10.0.0.53"]}),
         "marathon": (lambda a: params(a, "dns"), ["10.0.0.53"])}),
    # Swarm's dns_config needs name servers beside searches and options.
    Row("dns_search", "dns-search", "{dns: [10.0.0.53], dns_search: [corp.example]}",
        {"local": (lambda c: (c["dns"], c["dnsSearches"], c.get("dnsOpts")), (["10.0.0.53"], ["corp.example"], None)),
         "swarm": (lambda s: spec(s)["dnsConfig"], {"nameservers": ["10.0.0.53"], "searches": ["corp.example"]}),
         "marathon": (lambda a: params(a, "dns-search"), ["corp.example"])}),
    Row("dns_opt", "dns-opt", "{dns: [10.0.0.53], dns_opt: ['ndots:2']}",
        {"local": (lambda c: (c["dns"], c.get("dnsSearches"), c["dnsOpts"]), (["10.0.0.53"], None, ["ndots:2"])),
         "swarm": (lambda s: spec(s)["dnsConfig"], {"nameservers": ["10.0.0.53"], "options": ["ndots:2"]}),
         "marathon": (lambda a: params(a, "dns-option"), ["ndots:2"])}),
    # Short form with or without a target, long form with or without permissions ("rwm" by default).
    Row("devices", "devices", "{devices: ['/dev/fuse:/dev/fuse', /dev/kvm, '/dev/snd:/dev/snd0:r', {source: /dev/net/tun}]}",
        {"local": (lambda c: c["devices"], [{"hostPath": "/dev/fuse", "containerPath": "/dev/fuse", "permissions": "rwm"},
                                            {"hostPath": "/dev/kvm", "containerPath": "/dev/kvm", "permissions": "rwm"},
                                            {"hostPath": "/dev/snd", "containerPath": "/dev/snd0", "permissions": "r"},
                                            {"hostPath": "/dev/net/tun", "containerPath": "/dev/net/tun", "permissions": "rwm"}]),
         "marathon": (lambda a: params(a, "device"), ["/dev/fuse:/dev/fuse:rwm", "/dev/kvm:/dev/kvm:rwm",
                                                      "/dev/snd:/dev/snd0:r", "/dev/net/tun:/dev/net/tun:rwm"])}),
    Row("group_add", "group-add", "{group_add: [audio]}",
        {"local": (lambda c: c["groupAdds"], ["audio"]), "swarm": (lambda s: spec(s)["groups"], ["audio"]),
         "marathon": (lambda a: params(a, "group-add"), ["audio"])}),
    Row("cpus", "cpus", "{cpus: 0.25}",
        {"local": (lambda c: c["cpus"], "0.25"),
         "swarm": (lambda s: s["taskSpec"]["resources"]["limits"]["nanoCpus"], 250_000_000),
         "marathon": (lambda a: a["cpus"], 0.25)}),
    Row("mem_limit", "mem-limit", "{mem_limit: 96m}",
        {"local": (lambda c: c["memory"], 96),
         "swarm": (lambda s: s["taskSpec"]["resources"]["limits"]["memoryBytes"], 96 * MB),
         "marathon": (lambda a: a["mem"], 96)}),
    Row("mem_reservation", "mem-reservation", "{mem_reservation: 48m}",
        {"local": (lambda c: (c["memoryReservation"], c.get("memory")), (48, None)),
         "swarm": (lambda s: s["taskSpec"]["resources"]["reservation"]["memoryBytes"], 48 * MB),
         "marathon": (lambda a: a["mem"], 48)}),
    Row("memswap_limit", "memswap-limit", "{mem_limit: 128m, memswap_limit: 256m}",
        {"local": (lambda c: (c["memory"], c["memorySwap"]), (128, 256)),
         "marathon": (lambda a: params(a, "memory-swap"), [str(256 * MB)])}),
    Row("cpu_shares", "cpu-shares", "{cpu_shares: 512}",
        {"local": (lambda c: c["cpuShares"], 512), "marathon": (lambda a: params(a, "cpu-shares"), ["512"])}),
    Row("cpuset", "cpuset", "{cpuset: '0-1'}",
        {"local": (lambda c: c["cpuSet"], "0-1"), "marathon": (lambda a: params(a, "cpuset-cpus"), ["0-1"])}),
    Row("pids_limit", "pids-limit", "{pids_limit: 100}",
        {"marathon": (lambda a: params(a, "pids-limit"), ["100"])}),
    Row("userns_mode", "userns-mode", "{userns_mode: host}",
        {"local": (lambda c: c["usernsMode"], "host"), "marathon": (lambda a: params(a, "userns"), ["host"])}),
    Row("pull_policy", "pull-policy", "{pull_policy: always}",
        {"marathon": (lambda a: a["container"]["docker"]["forcePullImage"], True)}),
    Row("x-platform", "public", "{ports: ['8082:80'], x-platform: {public: true}}",
        {"local": (lambda c: [p["ip"] for p in c["ports"]], ["0.0.0.0"]),
         "marathon": (lambda a: (a["requirePorts"], a["acceptedResourceRoles"],
                                 [m["hostPort"] for m in a["container"]["portMappings"]]), (True, ["slave_public"], [8082]))}),
    # A link is a dependency, and its alias a name of the linked service on the stack's network.
    Row("links", "links", "{links: ['command:backend']}",
        {"local": (lambda c: ("local-s-command-1" in c.depends_on,
                              [n["aliases"] for x in of_service(c.deployment, "command") for n in x.inputs["networksAdvanced"]]),
                   (True, [["command", "backend"]])),
         "swarm": (lambda s: ("s-command" in s.depends_on,
                              [n["aliases"] for x in s.deployment.of_type("docker:index/service:Service") if x.name == "s-command"
                               for n in x.inputs["taskSpec"]["networksAdvanceds"]]), (True, [["command", "backend"]]))}),
    Row("links", "links-plain", "{links: [command]}",
        {"marathon": (lambda a: "s-command" in a.depends_on, True)}),
    Row("volumes_from", "volumes-from", "{volumes_from: [command]}",
        {"local": (lambda c: c["volumes"], [{"fromContainer": "local-s-command-1"}])}),
    # Pulled when the reference changes: the image is the reference as written, the container runs it.
    Row("pull_policy", "pull-policy-local", "{pull_policy: always, image: example/p:1}",
        {"local": (lambda c: (image_of(c, "example/p:1")["keepLocally"], "local-example-p-1" in c.depends_on), (True, True))}),
    Row("deploy.replicas", "replicas", "{deploy: {replicas: 3}}",
        {"local": (local_containers, ["local-s-replicas-1", "local-s-replicas-2", "local-s-replicas-3"]),
         "swarm": (lambda s: s["mode"], {"replicated": {"replicas": 3}}), "marathon": (lambda a: a["instances"], 3)}),
    Row("deploy.mode", "replicated", "{deploy: {mode: replicated, replicas: 2}}",
        {"local": (local_containers, ["local-s-replicated-1", "local-s-replicated-2"]),
         "marathon": (lambda a: a["instances"], 2)}),
    Row("deploy.mode", "global", "{deploy: {mode: global}}",
        {"swarm": (lambda s: (s["mode"], s["convergeConfig"]), ({"global": True}, {"delay": "5s", "timeout": "5m"}))}),
    # Scaled to nothing, a Swarm service would never converge: `pulumi up` must not wait for it.
    # replicas has no effect on a global service (a warning): it still runs, so it still converges.
    Row("deploy.mode", "global-replicas-0", "{deploy: {mode: global, replicas: 0}}",
        {"swarm": (lambda s: (s["mode"], s["convergeConfig"]), ({"global": True}, {"delay": "5s", "timeout": "5m"}))}),
    Row("deploy.replicas", "scaled-to-zero", "{deploy: {replicas: 0}}",
        {"swarm": (lambda s: (s["mode"], s.get("convergeConfig")), ({"replicated": {"replicas": 0}}, None))}),
    # (More than one CPU: a scale off by a part in a billion shows only on whole CPUs.)
    Row("deploy.resources", "resources", "{deploy: {resources: {limits: {cpus: '2.5', memory: 128M}, "
                                         "reservations: {cpus: '1.25', memory: 32M}}}}",
        {"local": (lambda c: (c["cpus"], c["memory"], c["memoryReservation"]), ("2.5", 128, 32)),
         "swarm": (lambda s: s["taskSpec"]["resources"],
                   {"limits": {"nanoCpus": 2_500_000_000, "memoryBytes": 128 * MB},
                    "reservation": {"nanoCpus": 1_250_000_000, "memoryBytes": 32 * MB}})}),
    # (Marathon's agents here offer one CPU.)
    Row("deploy.resources", "resources-marathon", "{deploy: {resources: {limits: {cpus: '0.75', memory: 128M}}}}",
        {"marathon": (lambda a: (a["cpus"], a["mem"]), (0.75, 128))}),
    Row("deploy.restart_policy", "restart-policy", "{deploy: {restart_policy: {condition: on-failure, delay: 3s, "
                                                   "max_attempts: 2, window: 30s}}}",
        {"local": (lambda c: (c["restart"], c["maxRetryCount"]), ("on-failure", 2)),
         "swarm": (lambda s: s["taskSpec"]["restartPolicy"],
                   {"condition": "on-failure", "delay": "3s", "maxAttempts": 2, "window": "30s"})}),
    Row("deploy.restart_policy", "restart-policy-any", "{deploy: {restart_policy: {condition: any, delay: 9s}}}",
        {"swarm": (lambda s: s["taskSpec"]["restartPolicy"], {"condition": "any", "delay": "9s", "maxAttempts": 0, "window": "0s"}),
         "marathon": (lambda a: a["backoffSeconds"], 9)}),
    Row("deploy.update_config", "update-config", "{deploy: {replicas: 2, update_config: {parallelism: 2, delay: 5s, "
                                                 "order: start-first, failure_action: rollback, monitor: 20s, "
                                                 "max_failure_ratio: 0.25}}}",
        {"swarm": (lambda s: s["updateConfig"], {"parallelism": 2, "delay": "5s", "order": "start-first", "failureAction": "rollback",
                                                 "monitor": "20s", "maxFailureRatio": "0.25"}),
         # start-first: every old task keeps serving while new ones start (Marathon's upgradeStrategy).
         "marathon": (lambda a: a["upgradeStrategy"], {"minimumHealthCapacity": 1, "maximumOverCapacity": 1})}),
    Row("deploy.update_config", "update-default", "{deploy: {replicas: 2}}",
        # Docker's defaults (docker service create: --update-parallelism 1, --update-failure-action pause,
        # --update-monitor 5s, --update-order stop-first); Marathon's stop-first replaces one task at a time.
        {"swarm": (lambda s: s["updateConfig"], {"parallelism": 1, "delay": "0s", "order": "stop-first", "failureAction": "pause",
                                                 "monitor": "5s", "maxFailureRatio": "0.0"}),
         "marathon": (lambda a: a["upgradeStrategy"], {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0})}),
    Row("deploy.update_config", "update-partial", "{deploy: {replicas: 2, update_config: {parallelism: 3}}}",
        # what the file leaves out keeps Docker's default, not an empty value
        {"swarm": (lambda s: s["updateConfig"], {"parallelism": 3, "delay": "0s", "order": "stop-first", "failureAction": "pause",
                                                 "monitor": "5s", "maxFailureRatio": "0.0"})}),
    Row("deploy.rollback_config", "rollback-config", "{deploy: {rollback_config: {parallelism: 0, order: start-first, "
                                                     "failure_action: continue}}}",
        {"swarm": (lambda s: s["rollbackConfig"], {"parallelism": 0, "delay": "0s", "order": "start-first", "failureAction": "continue",
                                                   "monitor": "5s", "maxFailureRatio": "0.0"})}),
    Row("deploy.placement", "placement", "{deploy: {placement: {constraints: ['node.labels.pool==private'], "
                                         "max_replicas_per_node: 1}}}",
        {"swarm": (lambda s: s["taskSpec"]["placement"], {"constraints": ["node.labels.pool==private"], "maxReplicas": 1}),
         "marathon": (lambda a: a["constraints"], [["pool", "CLUSTER", "private"], ["hostname", "MAX_PER", "1"]])}),
    # Swarm's spread preference (Marathon refuses it: compose/limits.py): one row of its own.
    Row("deploy.placement", "placement-spread", "{deploy: {placement: {preferences: [{spread: node.labels.zone}]}}}",
        {"swarm": (lambda s: s["taskSpec"]["placement"]["prefs"], ["spread=node.labels.zone"])}),
    Row("deploy.labels", "deploy-labels", "{deploy: {labels: {team: core}}}",
        {"swarm": (lambda s: (labels(s["labels"])["team"], "team" in labels(spec(s).get("labels"))), ("core", False)),
         "marathon": (lambda a: a["labels"]["team"], "core")}),
    Row("deploy.endpoint_mode", "endpoint-mode", "{deploy: {endpoint_mode: dnsrr}}",
        {"swarm": (lambda s: s["endpointSpec"], {"mode": "dnsrr"})}),
]

# Keys the table maps that a row here cannot show in one service's fields (`key` on every
# scheduler, `key@scheduler` on one), and the test that pins each.
ELSEWHERE = {
    "networks@marathon": "test_compose_corpus.py::test_one_service_key_by_key_on_every_scheduler (one service: "
                         "its networks flatten; here services on different networks would be refused)",
    "image": "test_compose_corpus.py::test_one_service_key_by_key_on_every_scheduler",
    "build": "test_compose.py::test_examples_are_valid_compose_and_load_for_every_scheduler",
    "depends_on": "test_compose.py::test_services_come_in_dependency_order_and_references_are_parsed",
}
TOP_LEVEL = """networks: {back: {}, fixed: {enable_ipv6: true, ipam: {config: [{subnet: 172.30.0.0/24}, {subnet: 'fd00:30::/64'}]}}}
volumes: {data: {}}
configs: {site: {file: ./site.conf}, shared: {external: true, name: team-site}}
secrets: {token: {file: ./token.txt}}
"""


def rows_for(scheduler: str) -> list[Row]:
    return [r for r in ROWS if scheduler in r.expect]


def deployed(scheduler: str, directory: Path):
    """Every row's service for `scheduler` in one Compose file, deployed on its base stack."""
    rows = rows_for(scheduler)
    text = TOP_LEVEL + "services:\n" + "".join(
        f"  {r.id}: {r.service if 'image:' in r.service else '{image: example/a:1, ' + r.service[1:]}\n" for r in rows)
    (directory / "compose.yaml").write_text(text)
    (directory / "site.conf").write_text("listen 80\n")
    (directory / "token.txt").write_text("t0ken\n")
    (directory / "app.env").write_text("A=from-file\nB=from-file\n")
    (directory / "site").mkdir(exist_ok=True)
    return deploy(directory / "compose.yaml", scheduler, tuple(sorted({g for r in rows for g in r.grants})))


def rendered(d, scheduler: str, service: str) -> Rendered | None:
    if scheduler == "local":
        found = [(c, c.inputs) for c in of_service(d, service)][:1]
    elif scheduler == "swarm":
        found = [(s, s.inputs) for s in d.of_type("docker:index/service:Service") if s.name == f"s-{service}"]
    else:
        found = [(a, a.inputs["app"]) for a in d.marathon_apps() if a.name == f"s-{service}"]
    return Rendered(found[0][0], d, service, found[0][1]) if found else None


@pytest.mark.parametrize("scheduler, row", [(s, r) for s in keys.SCHEDULERS for r in rows_for(s)],
                         ids=lambda x: x.id if isinstance(x, Row) else x)
def test_a_key_lands_where_the_table_says(key_table_dirs, scheduler, row):
    d = deployed(scheduler, key_table_dirs[scheduler])
    assert d.error is None, str(d.error)
    get, want = row.expect[scheduler]
    r = rendered(d, scheduler, row.id)
    if r is None and row.key != "profiles":  # a service out of its profiles has no resource
        pytest.fail(f"no resource for {row.id}")
    assert get(r) == want, f"{row.key} on {scheduler}"


def test_a_docker_run_flag_reads_as_marathons_parameter():
    # (The table is built when keys.py is imported; this reads the one helper at test time.)
    assert keys.param("add-host") == keys.Maps("`docker.parameters` add-host")
    assert keys.SERVICE_KEYS["extra_hosts"]["marathon"] == keys.param("add-host")


def test_every_key_the_table_maps_has_a_row_or_names_its_test():
    rowed = {(r.key, s) for r in ROWS for s in r.expect}
    missing = []
    for prefix, table in (("", keys.SERVICE_KEYS), ("deploy.", keys.DEPLOY_KEYS), ("volumes[].", keys.MOUNT_KEYS),
                          ("networks.<network>.", keys.ATTACHMENT_KEYS)):
        for key, rules in table.items():
            for scheduler, rule in rules.items():
                if key == "deploy":  # "see the deploy keys": those have their rows
                    continue
                if isinstance(rule, keys.Maps) and (prefix + key, scheduler) not in rowed \
                        and key not in ELSEWHERE and f"{key}@{scheduler}" not in ELSEWHERE:
                    missing.append(f"{prefix}{key} on {scheduler}")
    assert not missing, "keys the table maps with no row here: " + ", ".join(missing)


def test_each_key_pinned_elsewhere_names_a_test_that_exists():
    here = Path(__file__).parent
    for key, where in ELSEWHERE.items():
        module, _, test = where.split(" ")[0].partition("::")
        source = (here / module).read_text()
        assert f"def {test}(" in source, f"{key}: {where}"
        assert key.split("@")[0] in source, f"{key}: {module} never mentions it"


@pytest.mark.parametrize("scheduler, driver", [("local", "bridge"), ("swarm", "overlay")])
def test_top_level_volumes_and_networks_are_made_or_found(tmp_path, scheduler, driver):
    # A volume or network the stack declares is made with the scheduler's driver; an external
    # one is used by its existing name and never made (nor deleted with the stack).
    (tmp_path / "compose.yaml").write_text(
        "volumes: {data: {}, shared: {external: true, name: team-data}}\n"
        "networks: {back: {}, edge: {external: true, name: team-edge}}\n"
        "services: {a: {image: example/a:1, volumes: ['data:/d', 'shared:/s'], networks: [back, edge]}}\n")
    d = deploy(tmp_path / "compose.yaml", scheduler)
    assert d.error is None, str(d.error)
    volumes = [v.inputs["name"] for v in d.of_type("docker:index/volume:Volume") if v.name.startswith("s-")]
    networks = {n.inputs["name"]: n.inputs["driver"] for n in d.of_type("docker:index/network:Network")
                if n.name.startswith("s-")}
    assert len(volumes) == 1 and "team-data" not in volumes and volumes[0].endswith("data")
    assert list(networks.values()) == [driver] and "team-edge" not in networks
    r = rendered(d, scheduler, "a")
    text = json.dumps(dict(r))
    assert "team-data" in text and "team-edge" in text


OWN_OBJECTS = """
networks:
  fixed:
    driver_opts: {com.docker.network.bridge.name: br-fixed}
    enable_ipv6: true
    labels: {team: core}
    ipam:
      driver: default
      options: {foo: bar}
      config:
        - {subnet: 172.28.0.0/16, ip_range: 172.28.5.0/24, gateway: 172.28.5.254, aux_addresses: {host1: 172.28.1.5}}
        - {subnet: "2001:3984:3989::/64", gateway: "2001:3984:3989::1"}
volumes:
  data: {labels: [team=core], driver_opts: {type: tmpfs, device: tmpfs, o: size=64m}}
services:
  a: {image: example/a:1, volumes: ['data:/d'], networks: [fixed]}
"""


@pytest.mark.parametrize("scheduler", ["local", "swarm"])
def test_a_stacks_network_and_volume_settings_reach_their_resources(tmp_path, scheduler):
    # (compose-go loader/tests/networks_test.go TestTopLevelNetworks: the IPAM pools as written;
    # keys.NETWORK_KEYS and VOLUME_KEYS.)
    (tmp_path / "compose.yaml").write_text(OWN_OBJECTS)
    d = deploy(tmp_path / "compose.yaml", scheduler)
    assert d.error is None, str(d.error)
    (network,) = [n.inputs for n in d.of_type("docker:index/network:Network") if n.name == "s-fixed-network"]
    assert (network["ipv6"], network["labels"], network["ipamDriver"], network["ipamOptions"], network["options"]) == \
        (True, [{"label": "team", "value": "core"}], "default", {"foo": "bar"}, {"com.docker.network.bridge.name": "br-fixed"})
    assert network["ipamConfigs"] == [
        {"subnet": "172.28.0.0/16", "ipRange": "172.28.5.0/24", "gateway": "172.28.5.254", "auxAddress": {"host1": "172.28.1.5"}},
        {"subnet": "2001:3984:3989::/64", "gateway": "2001:3984:3989::1"}]
    (volume,) = [v.inputs for v in d.of_type("docker:index/volume:Volume") if v.name == "s-data-volume"]
    assert volume["labels"] == [{"label": "team", "value": "core"}]
    assert volume["driverOpts"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=64m"}


@pytest.mark.parametrize("kind, address", [("ipv4_address", "10.9.0.5"), ("ipv6_address", "fd00:9::5")])
def test_a_static_address_needs_a_subnet_the_file_gives(tmp_path, kind, address):
    # The engine refuses it otherwise ("user specified IP address is supported only when
    # connecting to networks with user configured subnets").
    (tmp_path / "compose.yaml").write_text(
        f"networks: {{back: {{}}}}\nservices: {{a: {{image: example/a:1, networks: {{back: {{{kind}: '{address}'}}}}}}}}\n")
    d = deploy(tmp_path / "compose.yaml", "local")
    assert f"services.a.networks.back.{kind}: network 'back' has no subnet of its own" in str(d.error), d.error


def test_an_image_built_for_the_local_engine_is_built_through_its_provider(tmp_path):
    # Not Pulumi's default docker provider, which would build wherever DOCKER_HOST points.
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "compose.yaml").write_text("services: {a: {build: ., image: example/a:1}}\n")
    d = deploy(tmp_path / "compose.yaml", "local")
    assert d.error is None, str(d.error)
    (image,) = d.of_type("docker:index/image:Image")
    assert through_docker_provider(image), image.provider


@pytest.mark.parametrize("scheduler", ["local", "swarm"])
def test_a_builds_settings_reach_the_image_build(tmp_path, scheduler):
    # keys.BUILD_KEYS: what the provider's `build` block has a field for (compose-go
    # loader/tests/build_test.go TestBuildConfig's keys); tags and platforms only warn.
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "compose.yaml").write_text(
        "services: {a: {image: example/a:1, build: {context: ., dockerfile: Dockerfile, args: {foo: bar}, target: t, "
        "cache_from: [example/a:cache], network: host, extra_hosts: ['mirror=10.0.0.9'], tags: ['example/a:v1'], "
        "platforms: [linux/amd64]}}}\n")
    d = deploy(tmp_path / "compose.yaml", scheduler)
    assert d.error is None, str(d.error)
    (image,) = d.of_type("docker:index/image:Image")
    build = image.inputs["build"]
    assert (build["args"], build["target"], build["cacheFrom"], build["network"], build["addHosts"]) == \
        ({"foo": "bar"}, "t", {"images": ["example/a:cache"]}, "host", ["mirror:10.0.0.9"])
    assert build["context"] == str(tmp_path) and build["dockerfile"] == str(tmp_path / "Dockerfile")


def test_an_inline_dockerfile_is_built_from_a_file_named_by_its_digest(tmp_path):
    # (compose-go loader/tests/build_test.go TestDockerfileInline; built for real in
    # tests/test_real_local_stack.py)
    text = "FROM scratch\nLABEL inline=yes\n"
    (tmp_path / "compose.yaml").write_text(
        f"services: {{a: {{image: example/a:1, build: {{context: ., dockerfile_inline: {json.dumps(text)}}}}}}}\n")
    firsts = []
    for _ in range(2):
        deploy.cache_clear()
        d = deploy(tmp_path / "compose.yaml", "local")
        assert d.error is None, str(d.error)
        (image,) = d.of_type("docker:index/image:Image")
        firsts.append(image.inputs["build"]["dockerfile"])
    assert firsts[0] == firsts[1] and Path(firsts[0]).read_text() == text
    assert not Path(firsts[0]).is_relative_to(tmp_path)  # not written into the user's context


def test_a_config_or_secret_has_its_files_text_its_content_or_its_pulumi_secrets_value(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "configs: {empty: {content: ''}, site: {content: 'listen 80'}}\n"
        "secrets: {pw: {x-platform: {secret: dbPassword}}}\n"
        "services: {a: {image: example/a:1, configs: [empty, site], secrets: [pw]}}\n")
    d = deploy(tmp_path / "compose.yaml", "local")
    assert d.error is None, str(d.error)
    uploads = {u["file"]: u["content"] for u in rendered(d, "local", "a")["uploads"]}
    assert uploads == {"/empty": "", "/site": "listen 80", "/run/secrets/pw": PLACEHOLDER_SECRETS["dbPassword"]}


def test_an_inline_dockerfile_is_written_as_utf_8_whatever_the_machines_locale(monkeypatch):
    """Docker reads a Dockerfile as UTF-8; a deploy machine with an ASCII locale (LANG=C, no
    UTF-8 mode) would otherwise fail to write `café` or write other bytes than the file said."""
    import io

    from components.services.local import inline_dockerfile
    text = f"FROM scratch\nLABEL note=\"café ✓\" run={time.time_ns()}\n"  # a file not written before
    monkeypatch.setattr(io, "text_encoding", lambda encoding, *_: encoding or "ascii")
    path = Path(inline_dockerfile(text))
    assert path.read_bytes() == text.encode("utf-8")
    assert inline_dockerfile(text) == str(path)  # read back and found the same: not rewritten
