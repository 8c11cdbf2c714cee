"""cloud-init user data from ContainerSpecs: Docker, then one systemd unit per container.

The second materialization of a ContainerSpec (the first is `docker_engine.container_args`):
each unit runs `docker create` with the same image, environment, ports, volumes, restart
policy and health check, copies the rendered files in (as the provider's uploads do), and
starts it. Secrets are never written here: a unit fetches its `secret_env` and
`secret_files` from SSM Parameter Store into /run (mode 0600/0400) when it starts.
"""
from __future__ import annotations

import shlex
from typing import Mapping, Optional, Sequence

import yaml

from ..roles.container import ContainerSpec

ROOT = "/etc/container-platform"
SECRETS_DIR = "/run/container-platform"
# The instance's own private address, for hosts whose address is not known in advance (agents
# in an auto scaling group): written to instance.env at boot, expanded by the unit's shell.
INSTANCE_IP = "${INSTANCE_IP}"

DATA_VOLUME = """\
# The first disk that is neither the root disk nor in use becomes /var/lib/docker (container
# volumes live there), formatted once and mounted by label on every boot.
set -eu
mkdir -p /var/lib/docker
if ! grep -q 'LABEL=cp-data' /etc/fstab; then
  root=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)")
  for d in $(lsblk -dno NAME,TYPE | awk '$2 == "disk" {print $1}'); do
    [ "$d" = "$root" ] && continue
    [ "$(blkid -s LABEL -o value "/dev/$d" 2>/dev/null)" = cp-state ] && continue  # the state volume
    blkid "/dev/$d" >/dev/null 2>&1 || mkfs.ext4 -q -L cp-data "/dev/$d"
    echo 'LABEL=cp-data /var/lib/docker ext4 defaults,nofail 0 2' >> /etc/fstab
    break
  done
fi
mountpoint -q /var/lib/docker || mount /var/lib/docker || true
"""

STATE_MOUNT = "/var/lib/docker/volumes"  # Docker's named volumes (and their metadata) live here
STATE_LABEL = "cp-state"


def state_volume_script(volume_id: str, wait_s: int = 600) -> str:
    """bootcmd, before DATA_VOLUME: the host's state volume (an EBS volume kept across
    replacements) is waited for (it is attached after the instance starts), formatted only when
    blank and labelled, so DATA_VOLUME passes it by, and listed in fstab for Docker's volume
    directory (STATE_MOUNT_SCRIPT mounts it once /var/lib/docker is). On Nitro instances an EBS
    volume is the NVMe disk whose serial is its id without the dash
    (/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol...); on Xen it keeps its device name."""
    serial = volume_id.replace("-", "")
    return f"""\
# The state volume {volume_id}: formatted once, then mounted at {STATE_MOUNT} on every boot.
set -eu
dev=""
for i in $(seq {wait_s}); do
  for d in /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_{serial} /dev/xvdg /dev/sdg; do
    [ -b "$d" ] && dev="$d" && break 2
  done
  sleep 1
done
[ -n "$dev" ] || {{ echo "container-platform: state volume {volume_id} never appeared" >&2; exit 1; }}
blkid "$dev" >/dev/null 2>&1 || mkfs.ext4 -q -L {STATE_LABEL} "$dev"
mkdir -p {STATE_MOUNT}
grep -q 'LABEL={STATE_LABEL}' /etc/fstab || echo 'LABEL={STATE_LABEL} {STATE_MOUNT} ext4 defaults,nofail,x-systemd.device-timeout=10min 0 2' >> /etc/fstab
"""


# bootcmd, after DATA_VOLUME: the state volume over Docker's volume directory (nested in
# /var/lib/docker, so mounted after it; systemd orders the two itself on later boots).
STATE_MOUNT_SCRIPT = f"""\
set -eu
mkdir -p {STATE_MOUNT}
mountpoint -q {STATE_MOUNT} || mount {STATE_MOUNT}
"""


# Docker starts only with its volume directory on the state volume: never on an empty directory
# of the root disk, where ZooKeeper would start with no data and could form a new, empty ensemble.
DOCKER_NEEDS_STATE = f"[Unit]\nRequiresMountsFor={STATE_MOUNT}\n"

INSTANCE_FACTS = """\
#!/bin/sh
# IMDSv2 only (the instance requires session tokens).
set -eu
token=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
ip=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/local-ipv4)
printf 'INSTANCE_IP=%s\\n' "$ip" > /etc/container-platform/instance.env
"""

DAEMON_JSON = '{"live-restore": true, "log-driver": "json-file", "log-opts": {"max-size": "50m", "max-file": "5"}}\n'


def _sh(word: str) -> str:
    """Shell-quote `word`, leaving the INSTANCE_IP placeholder to the shell."""
    return '"$INSTANCE_IP"'.join(shlex.quote(part) if part else "" for part in word.split(INSTANCE_IP)) or "''"


def _health_line(test: Sequence[str]) -> str:
    # `docker run --health-cmd` always means CMD-SHELL; an exec-form check becomes the same
    # command line (every image with a health check here has /bin/sh).
    return test[1] if test[0] == "CMD-SHELL" else shlex.join(test[1:])


def files_root(spec: ContainerSpec) -> str:
    """Where a container's rendered files live on the host, laid out as in the container."""
    return f"{ROOT}/{spec.name}/files"


def file_path(spec: ContainerSpec, path: str) -> str:
    """Where a rendered file lives on the host, to be copied into the container at `path`."""
    return files_root(spec) + path


def secrets_file(spec: ContainerSpec) -> str:
    return f"{SECRETS_DIR}/{spec.name}.env"


def has_secrets(spec: ContainerSpec) -> bool:
    """Whether the unit fetches secrets from SSM before it starts the container."""
    return bool(spec.secret_env or spec.secret_files or spec.secret_files_base64)


def secret_files_root(spec: ContainerSpec) -> str:
    """Where the unit puts a container's secret files (fetched at start, in tmpfs /run)."""
    return f"{SECRETS_DIR}/{spec.name}/files"


def docker_create_argv(spec: ContainerSpec) -> list[str]:
    """The `docker create` for a spec whose values are plain strings."""
    argv = ["docker", "create", "--name", spec.name, "--restart", spec.restart, "--network", spec.network_mode]
    argv += [a for k, v in spec.env.items() for a in ("--env", f"{k}={v}")]
    if spec.secret_env:
        argv += ["--env-file", secrets_file(spec)]
    for v in spec.volumes:
        source = v.name or v.host_path
        argv += ["--volume", f"{source}:{v.container_path}" + (":ro" if v.read_only else "")]
    if spec.health:
        h = spec.health
        argv += ["--health-cmd", _health_line(h.test), "--health-interval", f"{h.interval_s}s",
                 "--health-timeout", f"{h.timeout_s}s", "--health-retries", str(h.retries),
                 "--health-start-period", f"{h.start_period_s}s"]
    if spec.pid_mode:
        argv += ["--pid", spec.pid_mode]
    argv += [a for k, v in spec.labels.items() for a in ("--label", f"{k}={v}")]
    if spec.entrypoint is not None:
        argv += ["--entrypoint", spec.entrypoint[0] if spec.entrypoint else ""]
    argv.append(spec.image)
    argv += [*(spec.entrypoint or ())[1:], *spec.args]
    return argv


def _copy_in(spec: ContainerSpec, root: str, paths: Sequence[str]) -> str:
    """Copy files laid out under `root` into the created container at their own paths, as the
    Docker provider's uploads do (a tar stream extracted at /: missing parents are created, the
    files stay writable by the image's entrypoint)."""
    members = " ".join(shlex.quote(p.lstrip("/")) for p in paths)
    return f"tar -C {shlex.quote(root)} -cf - {members} | docker cp - {shlex.quote(spec.name)}:/\n"


def run_script(spec: ContainerSpec) -> str:
    script = ("#!/bin/sh\n"
              f"# {spec.name}: rendered by container-platform from its ContainerSpec.\n"
              "set -eu\n"
              f". {ROOT}/instance.env\n"
              f"docker rm -f {shlex.quote(spec.name)} >/dev/null 2>&1 || true\n"
              + " ".join(_sh(w) for w in docker_create_argv(spec)) + " >/dev/null\n")
    if spec.files:
        script += _copy_in(spec, files_root(spec), list(spec.files))
    if spec.secret_files or spec.secret_files_base64:
        script += _copy_in(spec, secret_files_root(spec), [*spec.secret_files, *spec.secret_files_base64])
    return script + f"exec docker start {shlex.quote(spec.name)}\n"


def secrets_script(spec: ContainerSpec, parameters: Mapping[str, str], region: str) -> str:
    """Fetch each secret from SSM (SecureString): env vars into the unit's env file, secret
    files (keys that are absolute paths) under `secret_files_root`, mode 0400; a binary one
    (`secret_files_base64`) is stored base64 and decoded here."""
    out = secrets_file(spec)
    # A command substitution drops every trailing newline, a file's own included: a "." after the
    # value keeps them, and only the newline the CLI prints after the value is taken off, so each
    # file is what the program stored, byte for byte (a PEM file or an HAProxy config ends in one).
    lines = ["#!/bin/sh", "set -eu", "umask 077", "nl='", "'", f"mkdir -p {SECRETS_DIR}", f": > {out}.tmp"]
    for key, name in parameters.items():
        lines += [f"v=$(aws ssm get-parameter --region {shlex.quote(region)} --with-decryption "
                  f"--name {shlex.quote(name)} --query Parameter.Value --output text && echo .)",
                  'v=${v%.}', 'v=${v%"$nl"}']
        if key.startswith("/"):
            target = secret_files_root(spec) + key
            decode = " | base64 -d" if key in spec.secret_files_base64 else ""
            lines += [f"mkdir -p {shlex.quote(target.rsplit('/', 1)[0])}",
                      f"printf '%s' \"$v\"{decode} > {shlex.quote(target)}", f"chmod 0400 {shlex.quote(target)}"]
        else:
            lines.append(f"printf '%s=%s\\n' {shlex.quote(key)} \"$v\" >> {out}.tmp")
    lines.append(f"mv {out}.tmp {out}")
    return "\n".join(lines) + "\n"


def unit(spec: ContainerSpec) -> str:
    pre = f"ExecStartPre=/bin/sh {ROOT}/{spec.name}/secrets.sh\n" if has_secrets(spec) else ""
    return ("[Unit]\n"
            f"Description=container-platform {spec.name}\n"
            "After=docker.service network-online.target\n"
            "Requires=docker.service\n"
            "Wants=network-online.target\n\n"
            "[Service]\n"
            # Docker's restart policy keeps the container running; the unit creates it at boot.
            "Type=oneshot\n"
            "RemainAfterExit=yes\n"
            f"{pre}"
            f"ExecStart=/bin/sh {ROOT}/{spec.name}/run.sh\n"
            f"ExecStop=/usr/bin/docker stop {spec.name}\n\n"
            "[Install]\n"
            "WantedBy=multi-user.target\n")


def unit_name(spec: ContainerSpec) -> str:
    return f"cp-{spec.name}.service"


def host_service_unit(name: str) -> str:
    """A long-running script of the host's own (not a container), kept running by systemd."""
    return ("[Unit]\n"
            f"Description=container-platform {name}\n"
            "After=docker.service network-online.target\n"
            "Wants=network-online.target\n\n"
            "[Service]\n"
            f"ExecStart=/bin/sh {ROOT}/{name}.sh\n"
            "Restart=always\n"
            "RestartSec=10\n\n"
            "[Install]\n"
            "WantedBy=multi-user.target\n")


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter: the same bytes, ~5x faster
    """Multi-line strings (scripts, units, config files) as literal blocks: readable as written."""


_Dumper.add_representer(str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def user_data(specs: Sequence[ContainerSpec], secret_parameters: Mapping[str, Mapping[str, str]], region: str,
              state_volume: Optional[str] = None, host_services: Mapping[str, str] = {}) -> str:
    """`#cloud-config` for a host running `specs` (plain values); `secret_parameters` maps a
    container name to {env var: SSM parameter name}; `state_volume`, the id of the EBS volume
    that holds the host's named volumes, where it keeps state; `host_services`, {name: script}
    of the host's own long-running services (`host_service_unit`), started after the containers."""
    files = [
        {"path": "/etc/docker/daemon.json", "content": DAEMON_JSON, "permissions": "0644"},
        {"path": f"{ROOT}/instance.sh", "content": INSTANCE_FACTS, "permissions": "0755"},
    ]
    if state_volume:
        files.append({"path": "/etc/systemd/system/docker.service.d/state-volume.conf",
                      "content": DOCKER_NEEDS_STATE, "permissions": "0644"})
    for spec in specs:
        files += [{"path": file_path(spec, path), "content": content, "permissions": "0644"}
                  for path, content in spec.files.items()]
        files.append({"path": f"{ROOT}/{spec.name}/run.sh", "content": run_script(spec), "permissions": "0755"})
        if has_secrets(spec):
            files.append({"path": f"{ROOT}/{spec.name}/secrets.sh", "permissions": "0700",
                          "content": secrets_script(spec, secret_parameters[spec.name], region)})
        files.append({"path": f"/etc/systemd/system/{unit_name(spec)}", "content": unit(spec), "permissions": "0644"})
    for name, script in host_services.items():
        files += [{"path": f"{ROOT}/{name}.sh", "content": script, "permissions": "0700"},
                  {"path": f"/etc/systemd/system/cp-{name}.service", "content": host_service_unit(name), "permissions": "0644"}]
    config = {
        "bootcmd": ([state_volume_script(state_volume), DATA_VOLUME, STATE_MOUNT_SCRIPT] if state_volume
                    else [DATA_VOLUME]),
        "package_update": True,
        "packages": ["docker.io", "curl"] + (["awscli"] if host_services or any(has_secrets(s) for s in specs) else []),
        "write_files": files,
        "runcmd": [
            ["systemctl", "enable", "--now", "docker"],
            ["sh", f"{ROOT}/instance.sh"],
            ["systemctl", "daemon-reload"],
            *([["systemctl", "enable", "--now", *[unit_name(s) for s in specs]]] if specs else []),
            *([["systemctl", "enable", "--now", *[f"cp-{n}.service" for n in host_services]]] if host_services else []),
        ],
    }
    return "#cloud-config\n" + yaml.dump(config, Dumper=_Dumper, sort_keys=False, width=1000)
