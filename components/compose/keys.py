"""Every Compose service key, per scheduler: where it goes, or why that scheduler cannot honour it.

This table is the one source of truth: the loader refuses a key whose rule is `Refuse` (with
the reason), warns about a key whose rule is `Warn` (it has no effect there) and translates
every `Maps` key as the text says; the README's key table is rendered from it
(`python -m components.compose.keys`), and a test keeps the two identical.

The local scheduler makes a `docker.Container` per replica, Swarm a `docker.Service`, Marathon
an app definition whose `container.docker.parameters` are `docker run` flags (Mesos's Docker
containerizer passes each `{key, value}` as `--key=value`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union


@dataclass(frozen=True)
class Maps:
    to: str


@dataclass(frozen=True)
class Refuse:
    why: str


@dataclass(frozen=True)
class Warn:
    why: str


Rule = Union[Maps, Refuse, Warn]
SCHEDULERS = ("local", "swarm", "marathon")


def param(flag: str) -> Maps:
    return Maps(f"`docker.parameters` {flag}")


def every(rule: Rule) -> dict[str, Rule]:
    return {s: rule for s in SCHEDULERS}


SWARM_API = "pulumi-docker's `docker.Service` has no field for it (the Swarm API it drives)"
NO_FILES_ON_MARATHON = ("Marathon cannot place a file into a Docker task (Mesos secrets and file "
                        "volumes need DC/OS); bake the file into the image or use scheduler swarm")
LEGACY = "a legacy option Docker replaced"

SERVICE_KEYS: dict[str, dict[str, Rule]] = {
    "image": {"local": Maps("`image` (pulled once per host)"), "swarm": Maps("`container_spec.image`"),
              "marathon": Maps("`container.docker.image`")},
    "build": {"local": Maps("`docker.Image` built from the context beside the file (not pushed); `image` names it"),
              "swarm": Maps("built on this machine when the swarm is this machine alone; otherwise ignored beside "
                            "`image` (as `docker stack deploy` does), refused without it"),
              "marathon": Maps("ignored beside `image` (agents pull it); refused without it")},
    "command": {"local": Maps("`command`"), "swarm": Maps("`container_spec.args`"), "marathon": Maps("`args`")},
    "entrypoint": {"local": Maps("`entrypoints`"), "swarm": Maps("`container_spec.commands`"),
                   "marathon": Maps("`docker.parameters` entrypoint + the rest before `args`")},
    "environment": {"local": Maps("`envs`"), "swarm": Maps("`container_spec.env`"), "marathon": Maps("`env`")},
    "env_file": every(Maps("read beside the Compose file (compose's .env grammar), under `environment`")),
    "ports": {"local": Maps("`ports` (host IP kept; loopback unless x-platform.public; target-only: a random host port)"),
              "swarm": Maps("`endpoint_spec.ports`"),
              "marathon": Maps("`portMappings` with a fixed service port on marathon-lb")},
    "expose": {"local": Maps("reachable on the stack's networks"), "swarm": Maps("reachable on the stack's networks"),
               "marathon": Maps("`portMappings` (service port on marathon-lb)")},
    "volumes": {"local": Maps("`volumes` (named, anonymous, binds; relative binds against the file's directory), "
                              "`mounts` for tmpfs"),
                "swarm": Maps("`container_spec.mounts`"),
                "marathon": Maps("`container.volumes`: binds, named volumes as local persistent volumes; "
                                 "`docker.parameters` volume (anonymous), tmpfs")},
    "depends_on": {"local": Maps("creation order; service_healthy waits for the health check, "
                                 "service_completed_successfully for the exit"),
                   "swarm": Maps("creation order (each service converges before its dependants)"),
                   "marathon": Maps("creation order (each app is healthy before its dependants)")},
    "healthcheck": {"local": Maps("`healthcheck` (disabled: test `[NONE]`, the image's check off too)"),
                    "swarm": Maps("`container_spec.healthcheck` (disabled: test `[NONE]`)"),
                    "marathon": Maps("`healthChecks` COMMAND check (disabled: none)")},
    "deploy": every(Maps("see the deploy keys below")),
    "labels": {"local": Maps("`labels`"), "swarm": Maps("`container_spec.labels` (deploy.labels: the service's)"),
               "marathon": Maps("`labels`")},
    "restart": {"local": Maps("`restart` (no, always, on-failure[:N], unless-stopped as written)"),
                "swarm": Maps("`restart_policy` (always/unless-stopped: any)"),
                "marathon": Maps("always/unless-stopped (Marathon relaunches every task); no and on-failure refused")},
    "container_name": {"local": Maps("`name` (one replica only: names are unique per engine)"),
                       "swarm": Warn("Swarm names tasks itself (as `docker stack deploy` ignores it)"),
                       "marathon": Warn("Marathon names tasks itself")},
    "networks": {"local": Maps("`networks_advanced` with aliases, one `docker.Network` per Compose network"),
                 "swarm": Maps("`networks_advanceds` with aliases, overlay networks"),
                 "marathon": Maps("flattened when every pair of services shares a network (nothing changes); "
                                  "refused where it would change isolation or needs an alias")},
    "network_mode": {"local": Maps("`network_mode` (host, none, bridge, service:<name>)"),
                     "swarm": Maps("host: the `host` network; other modes refused"),
                     "marathon": Maps("bridge: the default; other modes refused (marathon-lb routes to the host "
                                      "ports Marathon assigns, which a host-networked task does not bind)")},
    "links": {"local": Maps("a dependency, and the alias on the linked service"),
              "swarm": Maps("a dependency, and the alias on the linked service"),
              "marathon": Maps("a dependency (an alias is refused: Marathon tasks have no host names)")},
    "external_links": every(Refuse(f"{LEGACY} (links to containers outside the stack); use an external network")),
    "secrets": {"local": Maps("an upload at /run/secrets/<name> (or target), mode 0444 unless `mode` (uid/gid refused)"),
                "swarm": Maps("`docker.Secret` + `container_spec.secrets`"),
                "marathon": Refuse(NO_FILES_ON_MARATHON)},
    "configs": {"local": Maps("an upload at /<name> (or target), mode 0444 unless `mode` (uid/gid refused)"),
                "swarm": Maps("`docker.ServiceConfig` + `container_spec.configs`"),
                "marathon": Refuse(NO_FILES_ON_MARATHON)},
    "profiles": every(Maps("the service runs only when one of its profiles is active "
                           "(platform.stacks[].profiles, or COMPOSE_PROFILES)")),
    "extends": every(Maps("merged from the named service (and file) by Compose's rules")),
    "scale": every(Maps("the replica count, as deploy.replicas")),
    "user": {"local": Maps("`user`"), "swarm": Maps("`container_spec.user`"), "marathon": param("user")},
    "working_dir": {"local": Maps("`working_dir`"), "swarm": Maps("`container_spec.dir`"), "marathon": param("workdir")},
    "hostname": {"local": Maps("`hostname`"), "swarm": Maps("`container_spec.hostname`"), "marathon": param("hostname")},
    "domainname": {"local": Maps("`domainname`"), "swarm": Refuse(SWARM_API), "marathon": param("domainname")},
    "init": {"local": Maps("`init`"),
             "swarm": Maps("`docker service update --init` on the manager after each change of the service "
                           "(pulumi-docker's `docker.Service` has no field for the API's ContainerSpec.Init)"),
             "marathon": param("init")},
    "stop_signal": {"local": Maps("`stop_signal`"), "swarm": Maps("`container_spec.stop_signal`"),
                    "marathon": param("stop-signal")},
    "stop_grace_period": {"local": Maps("`stop_timeout` and `destroy_grace_seconds`"),
                          "swarm": Maps("`container_spec.stop_grace_period`"),
                          "marathon": Maps("`taskKillGracePeriodSeconds`")},
    "read_only": {"local": Maps("`read_only`"), "swarm": Maps("`container_spec.read_only`"), "marathon": param("read-only")},
    "tmpfs": {"local": Maps("`tmpfs`"), "swarm": Maps("a tmpfs mount"), "marathon": param("tmpfs")},
    "shm_size": {"local": Maps("`shm_size`"), "swarm": Maps("a tmpfs mount at /dev/shm of that size"),
                 "marathon": param("shm-size")},
    "cap_add": {"local": Maps("`capabilities.adds`"), "swarm": Maps("`container_spec.cap_adds`"), "marathon": param("cap-add")},
    "cap_drop": {"local": Maps("`capabilities.drops`"), "swarm": Maps("`container_spec.cap_drops`"),
                 "marathon": param("cap-drop")},
    "privileged": {"local": Maps("`privileged`"), "swarm": Refuse("Swarm services cannot run privileged"),
                   "marathon": Maps("`container.docker.privileged`")},
    "security_opt": {"local": Maps("`security_opts`"), "swarm": Refuse("Swarm services take no security options"),
                     "marathon": param("security-opt")},
    "sysctls": {"local": Maps("`sysctls`"), "swarm": Maps("`container_spec.sysctl`"), "marathon": param("sysctl")},
    "ulimits": {"local": Maps("`ulimits`"), "swarm": Refuse(SWARM_API), "marathon": param("ulimit")},
    "logging": {"local": Maps("`log_driver`, `log_opts`"), "swarm": Maps("`task_spec.log_driver`"),
                "marathon": param("log-driver, log-opt")},
    "runtime": {"local": Maps("`runtime`"), "swarm": Refuse("Swarm services cannot choose an OCI runtime"),
                "marathon": param("runtime")},
    "platform": {"local": Maps("the image's `platform` (pull or build)"),
                 "swarm": Maps("`placement.platforms`"), "marathon": param("platform")},
    "ipc": {"local": Maps("`ipc_mode` (service:<name> as container:<its container>, which is made shareable)"),
            "swarm": Refuse("Swarm services have no IPC mode"), "marathon": Maps("`docker.parameters` ipc (service:<name> refused)")},
    "pid": {"local": Maps("`pid_mode` (service:<name> as container:<its container>)"),
            "swarm": Refuse("Swarm services have no PID mode"), "marathon": Maps("`docker.parameters` pid (service:<name> refused)")},
    "stdin_open": {"local": Maps("`stdin_open`"), "swarm": Refuse(SWARM_API), "marathon": param("interactive")},
    "tty": {"local": Maps("`tty`"), "swarm": Refuse(SWARM_API), "marathon": param("tty")},
    "extra_hosts": {"local": Maps("`hosts`"), "swarm": Maps("`container_spec.hosts`"), "marathon": param("add-host")},
    "dns": {"local": Maps("`dns`"), "swarm": Maps("`dns_config.nameservers`"), "marathon": param("dns")},
    "dns_search": {"local": Maps("`dns_searches`"), "swarm": Maps("`dns_config.searches`"), "marathon": param("dns-search")},
    "dns_opt": {"local": Maps("`dns_opts`"), "swarm": Maps("`dns_config.options`"), "marathon": param("dns-option")},
    "devices": {"local": Maps("`devices`"), "swarm": Refuse("Swarm services cannot map devices"), "marathon": param("device")},
    "group_add": {"local": Maps("`group_adds`"), "swarm": Maps("`container_spec.groups`"), "marathon": param("group-add")},
    "cpus": {"local": Maps("`cpus`"), "swarm": Maps("`resources.limits.nano_cpus`"), "marathon": Maps("`cpus`")},
    "mem_limit": {"local": Maps("`memory`"), "swarm": Maps("`resources.limits.memory_bytes`"), "marathon": Maps("`mem`")},
    "mem_reservation": {"local": Maps("`memory_reservation`"), "swarm": Maps("`resources.reservation.memory_bytes`"),
                        "marathon": Maps("`mem` when no limit is set")},
    "memswap_limit": {"local": Maps("`memory_swap`"), "swarm": Refuse(SWARM_API), "marathon": param("memory-swap")},
    "cpu_shares": {"local": Maps("`cpu_shares`"), "swarm": Refuse(SWARM_API), "marathon": param("cpu-shares")},
    "cpuset": {"local": Maps("`cpu_set`"), "swarm": Refuse(SWARM_API), "marathon": param("cpuset-cpus")},
    "pids_limit": {"local": Refuse("pulumi-docker's `docker.Container` has no pids limit"), "swarm": Refuse(SWARM_API),
                   "marathon": param("pids-limit")},
    "volumes_from": {"local": Maps("`volumes` from the first replica's container"),
                     "swarm": Refuse("Swarm services cannot share another service's volumes; use a named volume"),
                     "marathon": Refuse("Marathon tasks cannot share another task's volumes")},
    "userns_mode": {"local": Maps("`userns_mode`"), "swarm": Refuse(SWARM_API), "marathon": param("userns")},
    "pull_policy": {"local": Maps("pulled when the image reference changes (pin a tag or digest to roll out); "
                                  "`build`: built from `build`"),
                    "swarm": Warn("Swarm nodes pull the image when a task starts"),
                    "marathon": Maps("always: `forcePullImage`")},
    "develop": every(Warn("`docker compose watch` settings; nothing watches files in a deployed stack")),
    "attach": every(Warn("controls which logs `docker compose up` prints; a deployed stack prints none")),
    "x-platform": {"local": Maps("public: published on all interfaces, not only loopback"),
                   "swarm": Warn("public: Swarm's ingress publishes a service's ports on every node, public or not"),
                   "marathon": Maps("public: fixed host ports on public agents (`acceptedResourceRoles`)")},
}

# What the platform does not translate yet, with the reason it matters: refused on every scheduler.
UNTRANSLATED = ("annotations", "blkio_config", "cgroup", "cgroup_parent", "cpu_count", "cpu_percent", "cpu_period",
                "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "credential_spec", "device_cgroup_rules", "gpus",
                "isolation", "label_file", "mac_address", "mem_swappiness", "models", "oom_kill_disable",
                "oom_score_adj", "post_start", "pre_stop", "provider", "pull_refresh_after", "storage_opt",
                "use_api_socket", "uts")
for _key in UNTRANSLATED:
    SERVICE_KEYS[_key] = every(Refuse("container-platform does not translate this key yet, and dropping it would "
                                      "change the container; ask for it in an issue"))

DEPLOY_KEYS: dict[str, dict[str, Rule]] = {
    "replicas": every(Maps("replicas (instances on Marathon)")),
    "mode": {"local": Maps("replicated; global refused (one machine: use replicas: 1)"),
             "swarm": Maps("`mode.global` or `mode.replicated`"),
             "marathon": Maps("replicated; global refused (no per-agent mode: use max_replicas_per_node: 1)")},
    "resources": {"local": Maps("`cpus`, `memory`, `memory_reservation`"),
                  "swarm": Maps("`resources.limits`, `resources.reservation`"),
                  "marathon": Maps("`cpus`, `mem` (limits, else reservations)")},
    "restart_policy": {"local": Maps("`restart`, `max_retry_count`"), "swarm": Maps("`restart_policy`"),
                       "marathon": Maps("`backoffSeconds` (condition any only)")},
    "update_config": {"local": Warn("the local engine replaces a container in place"),
                      "swarm": Maps("`update_config`"), "marathon": Maps("`upgradeStrategy`")},
    "rollback_config": {"local": Warn("the local engine has no rollback"), "swarm": Maps("`rollback_config`"),
                        "marathon": Warn("Marathon rolls back by redeploying the previous version")},
    "placement": {"local": Warn("one machine: placement has no effect"),
                  "swarm": Maps("`placement` (constraints, preferences, max_replicas)"),
                  "marathon": Maps("`constraints` (preferences refused)")},
    "labels": {"local": Warn("the local engine has no service object; use labels for the containers"),
               "swarm": Maps("the service's `labels`"), "marathon": Maps("`labels`")},
    "endpoint_mode": {"local": Warn("the engine's DNS answers with every replica"),
                      "swarm": Maps("`endpoint_spec.mode`"), "marathon": Warn("marathon-lb balances every task")},
}

# A mount's options (`volumes[]`: the long form's blocks, the short form's flags), each judged
# when it is set to anything but its default. pulumi-docker's mounts (docker.Container `mounts`,
# docker.Service `container_spec.mounts`) carry bind propagation, volume no_copy/labels (and on
# a container subpath) and tmpfs mode; Marathon's `container.volumes` a path and a mode.
MARATHON_VOLUMES = "Marathon's `container.volumes` take a host path, a container path and RW/RO only"
NO_RELABEL = ("mounts have no SELinux relabel; relabel the host path yourself "
              "(`chcon -Rt container_file_t PATH`) and drop the option")
MOUNT_KEYS: dict[str, dict[str, Rule]] = {
    # (The engine takes slave and shared propagation only from a source on a shared mount, as
    # systemd makes `/`: tests/test_real_local_stack.py.)
    "bind.propagation": {"local": Maps("`mounts` with `bind_options.propagation` (the source must exist)"),
                         "swarm": Maps("`mounts` `bind_options.propagation`"), "marathon": Refuse(MARATHON_VOLUMES)},
    "bind.selinux": {"local": Refuse(f"pulumi-docker's `docker.Container` {NO_RELABEL}"),
                     "swarm": Refuse(f"the Swarm API's {NO_RELABEL}"), "marathon": Refuse(MARATHON_VOLUMES)},
    "bind.create_host_path": {"local": Maps("false: `mounts` (the engine refuses to start without the source)"),
                              "swarm": Maps("false: as Swarm's mounts are (a task does not start without the source)"),
                              "marathon": Refuse(f"{MARATHON_VOLUMES}; Mesos makes a missing host path")},
    "bind.recursive": every(Refuse("pulumi-docker's mounts have no recursive setting (the engine mounts "
                                   "recursively, as `enabled`)")),
    "volume.nocopy": {"local": Maps("`mounts` `volume_options.no_copy`"), "swarm": Maps("`mounts` `volume_options.no_copy`"),
                      "marathon": Maps("a named volume is a Mesos persistent volume, which starts empty; an anonymous "
                                       "one a `docker.parameters` mount with volume-nocopy")},
    "volume.subpath": {"local": Maps("`mounts` `volume_options.subpath`"),
                       "swarm": Refuse("pulumi-docker's `docker.Service` volume options have no subpath"),
                       "marathon": Refuse(MARATHON_VOLUMES)},
    "volume.labels": {"local": Maps("`mounts` `volume_options.labels`"), "swarm": Maps("`mounts` `volume_options.labels`"),
                      "marathon": Refuse(MARATHON_VOLUMES)},
    "tmpfs.mode": {"local": Maps("`mounts` `tmpfs_options.mode`"), "swarm": Maps("`mounts` `tmpfs_options.mode`"),
                   "marathon": Maps("`docker.parameters` tmpfs mode=")},
    "consistency": every(Warn("Docker Desktop's file-sharing setting (cached, delegated); Linux engines mount "
                              "directly")),
}

# `build:` where the platform builds (the local engine, a swarm of this machine alone): as
# pulumi-docker's `docker.Image` builds (its `build` block), with the classic builder.
NO_BUILD_FIELD = "pulumi-docker's `docker.Image` build has no field for it"
BUILD_KEYS: dict[str, Rule] = {
    "context": Maps("`build.context` (beside the Compose file)"), "dockerfile": Maps("`build.dockerfile`"),
    "args": Maps("`build.args`"), "target": Maps("`build.target`"),
    "cache_from": Maps("`build.cache_from.images`"), "network": Maps("`build.network`"),
    "extra_hosts": Maps("`build.add_hosts`"),
    "dockerfile_inline": Maps("written to a file named by its digest in the temporary directory, the build's "
                              "`build.dockerfile` (pulumi-docker builds from a Dockerfile on disk)"),
    "labels": Warn("the image's labels are metadata no container reads (its own `labels` are); "
                   "pulumi-docker's build has no field for them: set them with LABEL in the Dockerfile"),
    "platforms": Warn("the image is built for the service's `platform` (else the engine's) and never pushed, so "
                      "no other platform's build would run"),
    "tags": Warn("the image is built as `image` alone and never pushed"),
    **{k: Refuse(NO_BUILD_FIELD) for k in ("entitlements", "ssh", "cache_to", "no_cache", "additional_contexts",
                                           "provenance", "sbom", "pull", "shm_size", "isolation", "privileged",
                                           "secrets", "ulimits")},
}

# A service's attachment to a network (`networks.<network>` under a service).
NO_TASK_ADDRESS = "Swarm gives each task an address of its own (a service has many tasks)"
ONE_BRIDGE = "Marathon tasks share the agents' bridge network (the stack's networks flatten into it)"
NO_ATTACHMENT_FIELD = "pulumi-docker's network attachments have no field for it"
ATTACHMENT_KEYS: dict[str, dict[str, Rule]] = {
    "aliases": {"local": Maps("`networks_advanced.aliases`"), "swarm": Maps("`networks_advanceds.aliases`"),
                "marathon": Refuse("Marathon tasks have no host names; other services reach this one with "
                                   "${<service>.host}")},
    "ipv4_address": {"local": Maps("`networks_advanced.ipv4_address`"), "swarm": Refuse(NO_TASK_ADDRESS),
                     "marathon": Refuse(ONE_BRIDGE)},
    "ipv6_address": {"local": Maps("`networks_advanced.ipv6_address`"), "swarm": Refuse(NO_TASK_ADDRESS),
                     "marathon": Refuse(ONE_BRIDGE)},
    "mac_address": {"local": Maps("`networks_advanced.mac_address`"), "swarm": Refuse(NO_TASK_ADDRESS),
                    "marathon": Refuse(ONE_BRIDGE)},
    "driver_opts": {"local": Refuse("pulumi-docker's `networks_advanced` has no driver options"),
                    "swarm": Maps("`networks_advanceds.driver_opts`"), "marathon": Refuse(ONE_BRIDGE)},
    **{k: {"local": Refuse(NO_ATTACHMENT_FIELD), "swarm": Refuse(NO_ATTACHMENT_FIELD), "marathon": Refuse(ONE_BRIDGE)}
       for k in ("interface_name", "link_local_ips", "priority", "gw_priority")},
}

# The stack's own objects (top-level `networks`, `volumes`, `secrets`, `configs`): each key is
# judged as a service's are; `name` only when the object is not external (then it names the
# existing one). A key with no rule is refused as not translated.
OWN_NAME = Warn("the platform names the stack's objects <platform>-<stack>-<name>, so they never clash with "
                "another stack's; to use an existing one by this name, mark it `external: true`")
NETWORK_KEYS: dict[str, dict[str, Rule]] = {
    "name": every(OWN_NAME),
    "external": every(Maps("the existing network, by its name; never made nor deleted")),
    "driver": {"local": Maps("`driver` (bridge by default)"), "swarm": Maps("`driver` (overlay by default)"),
               "marathon": Warn(ONE_BRIDGE)},
    "driver_opts": {"local": Maps("`options`"), "swarm": Maps("`options`"), "marathon": Warn(ONE_BRIDGE)},
    "internal": {"local": Maps("`internal`"), "swarm": Maps("`internal`"),
                 "marathon": Maps("refused for a service on it: " + ONE_BRIDGE)},
    "ipam": {"local": Maps("`ipam_driver`, `ipam_configs`, `ipam_options`"),
             "swarm": Maps("`ipam_driver`, `ipam_configs`, `ipam_options`"), "marathon": Warn(ONE_BRIDGE)},
    "enable_ipv4": every(Refuse("pulumi-docker's `docker.Network` cannot turn IPv4 off")),
    "enable_ipv6": {"local": Maps("`ipv6`"), "swarm": Maps("`ipv6`"), "marathon": Warn(ONE_BRIDGE)},
    "attachable": {"local": Warn("a bridge network takes any container"),
                   "swarm": Warn("the platform makes the stack's overlay networks attachable (its own one-off "
                                 "containers join them)"),
                   "marathon": Warn(ONE_BRIDGE)},
    "labels": {"local": Maps("`labels`"), "swarm": Maps("`labels`"), "marathon": Warn(ONE_BRIDGE)},
}
VOLUME_KEYS: dict[str, dict[str, Rule]] = {
    "name": every(OWN_NAME),
    "external": every(Maps("the existing volume, by its name; never made nor deleted")),
    "driver": {"local": Maps("`driver`"), "swarm": Maps("`driver`"),
               "marathon": Maps("local only: a Mesos persistent volume (another driver is refused)")},
    "driver_opts": {"local": Maps("`driver_opts`"), "swarm": Maps("`driver_opts`"),
                    "marathon": Refuse("a Mesos persistent volume takes no driver options")},
    "labels": {"local": Maps("`labels`"), "swarm": Maps("`labels`"),
               "marathon": Warn("a Mesos persistent volume has no labels")},
    "x-platform": every(Maps("size: what a Marathon persistent volume reserves")),
}
NOT_TRANSLATED = Refuse("container-platform does not translate this key yet, and dropping it would change "
                        "what is deployed; ask for it in an issue")
FILE_KEYS: dict[str, dict[str, Rule]] = {
    "name": every(OWN_NAME),
    "external": {"local": Maps("refused for a service that uses it (the local engine has no Swarm objects)"),
                 "swarm": Maps("the existing object, looked up by name on the manager"),
                 "marathon": Maps("refused for a service that uses it (Marathon places no files)")},
    "file": every(Maps("read beside the Compose file")),
    "content": every(Maps("the text as written")),
    "environment": every(Refuse("it would take the value from the shell that runs the deploy; for a secret use "
                                "x-platform: {secret: <config key>} (a Pulumi secret), for a config `content:`")),
    "labels": every(Warn("no container reads a secret's or config's labels (and pulumi-docker's "
                         "`docker.ServiceConfig` takes none)")),
    "driver": every(NOT_TRANSLATED), "driver_opts": every(NOT_TRANSLATED), "template_driver": every(NOT_TRANSLATED),
    "x-platform": every(Maps("secret: the Pulumi secret that is the content")),
}


def judge(out, path: str, keys, table: dict[str, dict[str, Rule]], scheduler: str,
          unruled: Optional[Rule] = None) -> None:
    """Each of `keys` (at `path`) by its rule on `scheduler`: a refusal or a warning said to
    `out` (a compose.problems.Problems); a key with no rule passes (the schema has checked it,
    x- extensions among them) unless `unruled` says otherwise."""
    for k in keys:
        rule = table.get(k, {}).get(scheduler, unruled)
        if isinstance(rule, Refuse):
            out.add(f"{path}.{k}", f"cannot be honoured on {scheduler}: {rule.why}")
        elif isinstance(rule, Warn):
            out.warn(f"{path}.{k}", f"has no effect on {scheduler}: {rule.why}")


def markdown() -> str:
    """The README's table: one row per key, one column per scheduler."""
    def cell(rule: Rule) -> str:
        if isinstance(rule, Maps):
            return rule.to
        return ("**refused**: " if isinstance(rule, Refuse) else "*warning, no effect*: ") + rule.why

    rows = ["| key | local | swarm | marathon |", "|---|---|---|---|"]
    built = {k: {"local": rule, "swarm": rule, "marathon": Warn("ignored beside `image` (agents pull it)")}
             for k, rule in BUILD_KEYS.items()}
    for prefix, table in (("", SERVICE_KEYS), ("deploy.", DEPLOY_KEYS), ("build.", built), ("volumes[].", MOUNT_KEYS),
                          ("networks.<network>.", ATTACHMENT_KEYS), ("top-level networks.<name>.", NETWORK_KEYS),
                          ("top-level volumes.<name>.", VOLUME_KEYS), ("top-level secrets/configs.<name>.", FILE_KEYS)):
        for key in sorted(table):
            rows.append(f"| `{prefix}{key}` | " + " | ".join(cell(table[key][s]).replace("|", "\\|")
                                                              for s in SCHEDULERS) + " |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
