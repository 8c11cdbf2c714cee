"""Test helpers over the mock runtime (ops/mock_runtime.py): views of what a stack deploys.

`workloads` shows Docker containers and EC2 cloud-init units alike, so a test of what runs
(env, restart policy, health check, files) covers every target.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

import yaml
from pulumi.runtime.mocks import _sync_await

from components.hosts.aws import resolved, unpacked
from components.hosts.docker_engine import DockerEngineHost
from components.roles import mesos as mesos_role
from components.roles.container import ContainerSpec
from ops.mock_runtime import ROOT, Deployment, Registered, evaluate, stack_config, stack_names

__all__ = ["ROOT", "Deployment", "Registered", "Workload", "captured_specs", "cloud_config", "env_of", "evaluate",
           "labels_of", "mesos_principals", "packed_user_data", "role_of", "stack_config", "stack_names",
           "through_docker_provider", "units", "uploads", "workloads", "zk_password"]


def through_docker_provider(r: Registered) -> bool:
    """`r` names an explicit docker provider (a host's), not Pulumi's default one."""
    return bool(r.provider) and r.provider_urn.split("::")[2].endswith("pulumi:providers:docker")


def env_of(container: Registered) -> dict[str, str]:
    return dict(e.split("=", 1) for e in container.inputs.get("envs", []))


def labels_of(container: Registered) -> dict[str, str]:
    return {label["label"]: label["value"] for label in container.inputs.get("labels", [])}


def role_of(container: Registered) -> str:
    return labels_of(container)["container-platform/role"]


def uploads(container: Registered) -> dict[str, str]:
    """The files written into a container before it starts, by path (a binary one, Marathon's
    keystore, as the provider's `content_base64`)."""
    return {u["file"]: u["content"] if "content" in u else u["contentBase64"] for u in container.inputs.get("uploads", [])}


@dataclass
class Workload:
    """One container as deployed: a `docker.Container`, or a cloud-init unit on an EC2 host."""

    name: str
    host: str  # the resource that runs it (the container itself, or the instance/launch template)
    env: dict[str, str]
    labels: dict[str, str]
    restart: str
    health: list[str]
    files: dict[str, str]
    argv: list[str]  # cloud-init: the `docker create` command line; docker: []
    resource: Registered

    @property
    def role(self) -> str:
        return self.labels.get("container-platform/role", "")


def packed_user_data(r: Registered) -> str:
    """What an EC2 instance or launch template is given as user data (gzip + base64)."""
    return r.inputs.get("userDataBase64") or r.inputs.get("userData")


def cloud_config(r: Registered) -> dict:
    """The cloud-config an EC2 instance or launch template boots with."""
    return yaml.safe_load(unpacked(packed_user_data(r)))


def docker_create(script: str) -> list[str]:
    """The `docker create` command line of a unit's run script (an argument may span lines:
    ZooKeeper's entrypoint script)."""
    start = script.index("\ndocker create ") + 1
    words = shlex.split(script[start:])
    return words[:words.index(">/dev/null")]


def copied_in(script: str) -> dict[str, str]:
    """{path in the container: path on the host} for every file the run script copies in."""
    out = {}
    for line in script.splitlines():
        if line.startswith("tar -C "):
            words = shlex.split(line.split(" | ")[0])  # tar -C ROOT -cf - MEMBER...
            root, members = words[2], words[5:]
            out.update({f"/{m}": f"{root}/{m}" for m in members})
    return out


def _flag_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]


def units(d: Deployment) -> list[Workload]:
    out = []
    for r in d.of_type("aws:ec2/instance:Instance") + d.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        files = {f["path"]: f["content"] for f in cloud_config(r).get("write_files", [])}
        for path, script in files.items():
            if not path.endswith("/run.sh"):
                continue
            argv = docker_create(script)
            name = argv[argv.index("--name") + 1]
            # Secret files are fetched at start, so they are not in the user data.
            mounted = {inside: files[outside] for inside, outside in copied_in(script).items() if outside in files}
            health = _flag_values(argv, "--health-cmd")
            out.append(Workload(
                name, r.name, dict(e.split("=", 1) for e in _flag_values(argv, "--env")),
                dict(l.split("=", 1) for l in _flag_values(argv, "--label")),
                argv[argv.index("--restart") + 1].split(":")[0], ["CMD-SHELL", *health] if health else [],
                mounted, argv, r))
    return out


def workloads(d: Deployment) -> list[Workload]:
    docker = [Workload(c.name, c.name, env_of(c), labels_of(c), c.inputs["restart"],
                       c.inputs.get("healthcheck", {}).get("tests", []), uploads(c), [], c) for c in d.containers()]
    return docker + units(d)


def captured_specs(stack: str, config=None, secrets=None) -> list[tuple[ContainerSpec, dict]]:
    """Every ContainerSpec a Docker-engine stack runs, in the order the program places them,
    with its values resolved; and its secret env as given."""
    specs = []
    original = DockerEngineHost.run

    def recording(self, spec, *args, **kwargs):
        specs.append(spec)
        return original(self, spec, *args, **kwargs)

    DockerEngineHost.run = recording
    try:
        d = evaluate(stack, config=config, secrets=secrets)
    finally:
        DockerEngineHost.run = original
    assert d.error is None, d.error
    return [(_sync_await(resolved(s).future()), dict(s.secret_env)) for s in specs]


def mesos_principals(d: Deployment) -> dict[str, str]:
    """{principal: secret} as the masters' --credentials file has them (a docker upload, or on
    EC2 the SSM parameter the unit fetches)."""
    texts = [uploads(c)[mesos_role.MASTER_CREDENTIALS] for c in d.containers() if role_of(c) == "mesos-master"]
    texts += [p.inputs["value"] for p in d.of_type("aws:ssm/parameter:Parameter")
              if p.inputs["name"].endswith("/etc-mesos-credentials-json")]
    assert texts and len(set(texts)) == 1, "every master reads the same credentials"
    return {c["principal"]: c["secret"] for c in json.loads(texts[0])["credentials"]}


def zk_password(url: str) -> str:
    """The password of a `zk://user:password@hosts/path` URL."""
    return url.split("@", 1)[0].rsplit(":", 1)[1]
