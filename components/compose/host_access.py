"""What a service may take from its host, granted only by name: `platform.stacks[i].allow`.

A privileged container (or one given a capability that amounts to it), the host's network, PID
or IPC namespace, the Docker socket, or a bind of a host system directory each hands the
container its host: root there, or every other container on it. A secret in a Marathon app's
env or command is readable by anyone who can read Marathon's `/v2/apps` or the task's sandbox
(Marathon 1.7 has no secrets without DC/OS), and one on any command line by every user of the
host (`ps`). Real stacks need some of these (Traefik and Portainer read the Docker socket, Plex
uses the host's network, Pi-hole keeps its data under the host's /etc), so none is refused
outright: each needs its grant listed, and a refusal names the grant and the key that needs it.
"""
from __future__ import annotations

import dataclasses
import posixpath

from ..problem import Problem
from .model import Secret, Service, Stack

GRANTS = {
    "privileged": "root on the host: privileged, or a capability that amounts to it (ALL, SYS_ADMIN, SYS_MODULE, "
                  "SYS_RAWIO, SYS_PTRACE, DAC_READ_SEARCH, BPF)",
    "host-network": "the host's network: every port of the host, and services bound to its loopback",
    "host-pid": "the host's processes: it can signal and trace every one",
    "host-ipc": "the host's shared memory and semaphores",
    "docker-socket": "the Docker engine's socket: it can start a privileged container, so root on the host",
    "host-system-paths": "a bind of a host system directory (/, /etc, /root, /proc, /sys, /dev, /boot, /var/lib/docker, /run)",
    "secrets-in-marathon-app": "a secret in a Marathon app's env or command: readable through Marathon's API "
                               "(/v2/apps) and the task's sandbox",
    "secrets-on-command-line": "a secret on its command line: every user of the host reads it in `ps`",
}
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
# Host system directories: these themselves and all below them; /run and /var/run themselves only
# (below them live applications' own sockets and runtime files).
SYSTEM_TREES = ("/etc", "/root", "/boot", "/dev", "/proc", "/sys", "/var/lib/docker")
SYSTEM_DIRECTORIES = ("/", "/run", "/var/run")
# Capabilities that amount to root on the host: mounts and namespaces, kernel modules, raw
# devices, tracing any process, reading any file by handle, loading BPF programs.
HOST_CAPABILITIES = {"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE", "DAC_READ_SEARCH", "BPF"}


def _system_path(source: str) -> bool:
    path = posixpath.normpath(source)
    return path in SYSTEM_DIRECTORIES or any(path == tree or path.startswith(tree + "/") for tree in SYSTEM_TREES)


def needs(service: Service, scheduler: str) -> dict[str, str]:
    """{grant: the key of the service that needs it}."""
    e, found = service.engine, {}
    if e.privileged:
        found["privileged"] = "privileged"
    if HOST_CAPABILITIES & {c.upper().removeprefix("CAP_") for c in e.cap_add}:
        found.setdefault("privileged", "cap_add")
    if service.network_mode == "host":
        found["host-network"] = "network_mode"
    if e.pid == "host":
        found["host-pid"] = "pid"
    if e.ipc == "host":
        found["host-ipc"] = "ipc"
    for i, m in enumerate(service.mounts):
        if m.kind != "bind":
            continue
        if posixpath.normpath(m.source) in DOCKER_SOCKETS:
            found.setdefault("docker-socket", f"volumes[{i}]")
        elif _system_path(m.source):
            found.setdefault("host-system-paths", f"volumes[{i}]")
    secret_env = sorted(k for k, v in service.environment.items() if any(isinstance(p, Secret) for p in v))
    secret_args = any(isinstance(p, Secret) for arg in service.command or () for p in arg)
    if scheduler == "marathon" and (secret_env or secret_args):
        found["secrets-in-marathon-app"] = f"environment.{secret_env[0]}" if secret_env else "command"
    if secret_args:
        found["secrets-on-command-line"] = "command"
    return found


def check(stack: Stack, allow: set[str], config_key: str) -> tuple[Stack, list[Problem]]:
    """The stack (with a warning for each grant nothing needs), and a problem for each need
    not granted."""
    problems, used = [], set()
    for s in stack.services:
        for grant, key in needs(s, stack.scheduler).items():
            used.add(grant)
            if grant not in allow:
                problems.append(Problem(f"{stack.file}:{s.key}.{key}", (
                    f"gives the container {GRANTS[grant]}; if that is intended, list \"{grant}\" "
                    f"under {config_key}.allow")))
    unused = [Problem(f"{config_key}.allow", f"\"{g}\" has no effect: no service of {stack.file} needs it")
              for g in sorted(allow - used)]
    return dataclasses.replace(stack, warnings=stack.warnings + tuple(unused)), problems
