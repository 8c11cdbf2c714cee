"""Mesos masters and agents. Flags are passed as `MESOS_<FLAG>` environment variables, which
Mesos reads as the `--<flag>` of the same name (Mesos 1.7 configuration docs); every flag used
here is checked against `mesos_flags.txt` by the tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi

from ..spec import Instance
from ..spec.model import AgentPool, Mesos, quorum
from ..spec.offers import resources_flag
from .container import ContainerSpec, HealthCheck, Volume, container_name, zk_auth_url, zk_url
from .tls import TlsFiles, TlsMaterial, libprocess

MASTER_WORK_DIR = "/var/lib/mesos"
AGENT_WORK_ROOT = "/var/lib/mesos-agents"
PUBLIC_ROLE = "slave_public"
# Secret files (mode 0400, copied in before the start; fetched from SSM on EC2).
MASTER_CREDENTIALS = "/etc/mesos/credentials.json"
MASTER_ZK = "/etc/mesos/zk"  # the ZooKeeper URL with the masters' digest credentials
ZK_IDENTITY = "mesos"  # the masters' ZooKeeper digest user
AGENT_CREDENTIAL = "/etc/mesos/credential.json"
AGENT_HTTP_CREDENTIALS = "/etc/mesos/http-credentials.json"
ACLS = "/etc/mesos/acls.json"  # what each principal may do (platform/authorization.py)
# Every HTTP endpoint that supports authentication requires it; /health does not, so the
# health checks stay anonymous (Mesos endpoint docs: "does not require authentication").
HTTP_AUTHENTICATION = {"MESOS_AUTHENTICATE_HTTP_READONLY": "true", "MESOS_AUTHENTICATE_HTTP_READWRITE": "true"}
TLS_FILES = TlsFiles("/etc/mesos/tls")


@dataclass(frozen=True)
class AgentAuth:
    credential: pulumi.Input[str]  # `--credential` JSON: the principal the agent registers as
    http_credentials: pulumi.Input[str]  # `--http_credentials` JSON: who may call its endpoints
    acls: str  # `--acls` JSON: what each of them may do there
    tls: Optional[TlsMaterial] = None  # the agents' certificate, where TLS is on


def _health(port: int, tls: Optional[TlsMaterial], names_address: bool) -> HealthCheck:
    # The Mesos images ship curl; /health answers 200 once the process serves HTTP (HTTPS with
    # TLS on) on the address it was told to bind ($MESOS_IP, expanded inside the container).
    # A certificate that `names_address` is verified; the agents' certificate names no address
    # (platform/tls.py), and a check of the agent by itself needs no proof of who answers.
    if tls is None:
        url, verify = f"http://$MESOS_IP:{port}/health", ""
    else:
        url, verify = f"https://$MESOS_IP:{port}/health", f"--cacert {TLS_FILES.ca} " if names_address else "-k "
    return HealthCheck(("CMD-SHELL", f"curl -fsS {verify}{url}"))


def work_volume(platform_name: str, node_name: str, log_generation: int) -> str:
    """The master's work volume (its replicated log): a new one for each log generation."""
    return f"{platform_name}-{node_name}-work" + (f"-g{log_generation}" if log_generation > 1 else "")


def mesos_master(node: Instance, address: pulumi.Input[str], zk_connect: pulumi.Input[str],
                 mesos: Mesos, platform_name: str, *, credentials: pulumi.Input[str],
                 zk_secret: pulumi.Input[str], acls: str, tls: Optional[TlsMaterial] = None) -> ContainerSpec:
    """`credentials` is the `--credentials` JSON of every principal (credentials.py);
    `zk_secret` the password of the masters' ZooKeeper identity; `acls` the `--acls` JSON;
    `tls` the masters' certificate (roles/tls.py: they accept TLS only, and verify no one)."""
    port = node.port("http")
    secure = libprocess(tls, TLS_FILES, verify_masters=False, accept_plain=False)
    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=mesos.image_master,
        # The replicated log: the registry of agents and frameworks survives a restart. As a
        # command, because the image's default command is `--registry=in_memory` and a flag on
        # the command line beats its MESOS_ variable (stout flags.hpp: "the latter takes
        # precedence"); any command replaces that default (IMAGE-FACTS).
        args=("--registry=replicated_log",),
        env={
            # `--zk` reads a file:// value's content (stout's SecurePathOrValue, Mesos 1.7), so the
            # URL's password stays out of the environment.
            "MESOS_ZK": f"file://{MASTER_ZK}",
            "MESOS_QUORUM": str(quorum(mesos.masters)),
            "MESOS_CLUSTER": mesos.cluster_name,
            "MESOS_IP": address,
            "MESOS_HOSTNAME": address,
            "MESOS_PORT": str(port),
            "MESOS_WORK_DIR": MASTER_WORK_DIR,
            "MESOS_LOG_DIR": "/var/log/mesos",
            "MESOS_HOSTNAME_LOOKUP": "false",
            # Only agents and frameworks with a credential may register: without it any task
            # could register an agent (and be sent other apps' tasks) or tear Marathon down.
            "MESOS_AUTHENTICATE_AGENTS": "true",
            "MESOS_AUTHENTICATE_FRAMEWORKS": "true" if mesos.authenticate_frameworks else "false",
            "MESOS_CREDENTIALS": MASTER_CREDENTIALS,
            "MESOS_ACLS": ACLS,
            **HTTP_AUTHENTICATION,
            **secure.env,
        },
        files={ACLS: acls, **secure.files},
        secret_files={MASTER_CREDENTIALS: credentials,
                      MASTER_ZK: zk_auth_url(zk_connect, "mesos", ZK_IDENTITY, zk_secret), **secure.secret_files},
        volumes=(
            Volume(MASTER_WORK_DIR, name=work_volume(platform_name, node.name, mesos.masters.log_generation),
                   persistent=True),
            Volume("/var/log/mesos", name=f"{platform_name}-{node.name}-log"),
        ),
        health=_health(port, tls, names_address=True),
        labels={"container-platform/role": "mesos-master"},
    )


def _attributes(pool: AgentPool, host_labels: dict[str, str]) -> str:
    # Host labels first, so a pool's attributes override them; `pool` always names the pool,
    # for placement constraints such as `pool:LIKE:public`.
    attrs = {**host_labels, **pool.attributes, "pool": pool.name}
    return ";".join(f"{k}:{v}" for k, v in attrs.items())


def mesos_agent(node: Instance, pool: AgentPool, address: pulumi.Input[str],
                zk_connect: pulumi.Input[str], mesos: Mesos, platform_name: str,
                host_labels: Optional[dict[str, str]] = None, public_ports: Sequence[int] = (), *,
                auth: AgentAuth) -> ContainerSpec:
    """The agent runs in a container as Mesos documents it (docker-containerizer.md): the
    Docker containerizer through the host's socket, executors in containers of the agent's own
    image (`docker_mesos_image`), the work dir at the same path inside and out, the host's PID
    namespace, no systemd. `public_ports` are the ports public services publish (offers.py)."""
    port = node.port("http")
    secure = libprocess(auth.tls, TLS_FILES, verify_masters=True, accept_plain=True)
    # The Docker containerizer bind-mounts task sandboxes from the work dir into sibling
    # containers, so the work dir must have the same path on the host and in the agent.
    work_dir = f"{AGENT_WORK_ROOT}/{platform_name}-{node.name}"
    env: dict[str, pulumi.Input[str]] = {
        "MESOS_MASTER": zk_url(zk_connect, "mesos"),
        "MESOS_IP": address,
        "MESOS_HOSTNAME": address,
        "MESOS_PORT": str(port),
        "MESOS_CONTAINERIZERS": "docker,mesos",
        "MESOS_DOCKER_SOCKET": "/var/run/docker.sock",
        # Executors run in containers of their own, so tasks survive an agent restart.
        "MESOS_DOCKER_MESOS_IMAGE": mesos.image_agent,
        "MESOS_WORK_DIR": work_dir,
        "MESOS_LOG_DIR": "/var/log/mesos",
        # There is no systemd inside the agent's container.
        "MESOS_SYSTEMD_ENABLE_SUPPORT": "false",
        # Pulling a large image can take minutes; the default (1 min) kills such tasks.
        "MESOS_EXECUTOR_REGISTRATION_TIMEOUT": mesos.executor_registration_timeout,
        "MESOS_HOSTNAME_LOOKUP": "false",
        "MESOS_ATTRIBUTES": _attributes(pool, host_labels or {}),
        # Mesos 1.7 builds its Linux launcher on cgroup v1 hierarchies and fails on cgroup v2
        # hosts (Debian 12, Ubuntu 22.04+, most hosts today). Tasks run under the Docker
        # containerizer, which has Docker enforce their limits, so the POSIX launcher and
        # isolators lose nothing and work on v1 and v2 alike, without privileges.
        "MESOS_LAUNCHER": "posix",
        "MESOS_ISOLATION": "posix/cpu,posix/mem",
        "MESOS_CREDENTIAL": AGENT_CREDENTIAL,
        "MESOS_HTTP_CREDENTIALS": AGENT_HTTP_CREDENTIALS,
        "MESOS_ACLS": ACLS,
        # Tasks run under the Docker executor, which talks to the agent over libprocess, not the
        # v1 HTTP API, so read-write authentication does not lock it out (docs/authentication.md).
        **HTTP_AUTHENTICATION,
        **secure.env,
    }
    resources = resources_flag(pool, public_ports)
    if resources:
        env["MESOS_RESOURCES"] = resources
    if pool.public:
        env["MESOS_DEFAULT_ROLE"] = PUBLIC_ROLE
    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=mesos.image_agent,
        env=env,
        files={ACLS: auth.acls, **secure.files},
        secret_files={AGENT_CREDENTIAL: auth.credential, AGENT_HTTP_CREDENTIALS: auth.http_credentials, **secure.secret_files},
        volumes=(
            Volume(work_dir, host_path=work_dir, persistent=True),
            Volume("/var/run/docker.sock", host_path="/var/run/docker.sock"),
            # The Docker containerizer resizes a task's cgroups itself when its resources change
            # and reads them for usage statistics (Mesos 1.7 src/slave/containerizer/docker.cpp,
            # `__update`, `cgroupsStatistics`), at the host's paths: on a cgroup v1 host the
            # agent needs the host's hierarchy (its own container shows only its own cgroup;
            # tests/test_real_agent_cgroups.py). On cgroup v2 Mesos 1.7 finds no v1 hierarchy
            # there and skips both, so the mount is harmless.
            Volume("/sys/fs/cgroup", host_path="/sys/fs/cgroup"),
            Volume("/var/log/mesos", name=f"{platform_name}-{node.name}-log"),
        ),
        # Executors started through the host's engine must stay visible to a restarted agent.
        pid_mode="host",
        health=_health(port, auth.tls, names_address=False),
        labels={"container-platform/role": "mesos-agent", "container-platform/pool": pool.name},
    )
