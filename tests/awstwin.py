"""Twin of an EC2 host: a Debian 12 container that boots from a host's rendered user data the
way cloud-init and systemd would, so the exact bytes the program renders meet a real shell,
Docker engine and image entrypoint.

Reproduced (cloud-init's documented behaviour for the modules the user data uses):
- the instance's private address: the twin sits on a Docker network the test makes, at the
  address the program gave the instance;
- `write_files`: each file at its path with its content and `permissions`, owned by root,
  parent directories created;
- `runcmd`: every command in order, as root, stopping at the first failure;
- systemd (tests/images/awshost/systemctl): units start as Type=oneshot services, ExecStartPre=
  then ExecStart=;
- the instance's own Docker engine is this machine's, with `--network host` meaning the twin's
  network namespace (tests/images/awshost/docker).
Stood in for, not run: `bootcmd` (formatting the data disk: named volumes play the volumes on
it), `packages` (the twin has the host's Docker client), IMDS (instance.sh asks it for the
private address; the twin writes instance.env with its own address instead), and SSM Parameter
Store (tests/images/awshost/aws answers the units' get-parameter with the values the program
stored, given to the twin as `parameters`).
"""
from __future__ import annotations

import contextlib
import hashlib
import uuid
from typing import Iterator

from components.hosts import cloud_init

from .realhelpers import DOCKER, copy_in, docker

TWIN_IMAGE = "local/awshost-twin:1"  # tests/images/awshost, built by scripts/setup.sh
INSTANCE_FACTS = f"{cloud_init.ROOT}/instance.sh"


@contextlib.contextmanager
def network(cidr: str) -> Iterator[str]:
    """A Docker network spanning the VPC's addresses, removed after."""
    name = f"cp-twin-{uuid.uuid4().hex[:8]}"
    docker("network", "create", "--subnet", cidr, name)
    try:
        yield name
    finally:
        docker("network", "rm", name, check=False)


class AwsTwin:
    def __init__(self, name: str, address: str, network_name: str, cloud_config: dict,
                 parameters: dict[str, str] | None = None):
        """`parameters`: {SSM parameter name: value}, what the program stored."""
        self.name = f"twin-{name}-{uuid.uuid4().hex[:6]}"
        self.address, self.network, self.config = address, network_name, cloud_config
        self.parameters = parameters or {}
        units = [f["path"] for f in cloud_config["write_files"] if f["path"].startswith("/etc/systemd/system/cp-")]
        # The containers its units run (cloud_init.unit_name: cp-<container>.service).
        self.containers = [u.rsplit("/", 1)[1][len("cp-"):-len(".service")] for u in units]

    def boot(self) -> None:
        docker("run", "-d", "--name", self.name, "--hostname", self.name.replace("twin-", "ip-"),
               "--network", self.network, "--ip", self.address, "-e", f"TWIN_NAME={self.name}",
               "-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", f"{DOCKER}:/usr/bin/docker-real:ro",
               TWIN_IMAGE, "sleep", "infinity")
        copy_in(self.name, [(f["path"], f["content"], f.get("permissions", "0644")) for f in self.config["write_files"]])
        copy_in(self.name, [(f"/var/lib/twin-ssm/{hashlib.sha256(name.encode()).hexdigest()}", value, "0600")
                            for name, value in self.parameters.items()])
        docker("exec", self.name, "sh", "-c",
               f"mkdir -p {cloud_init.ROOT} && echo INSTANCE_IP={self.address} > {cloud_init.ROOT}/instance.env")
        for command in self.config["runcmd"]:
            if command == ["sh", INSTANCE_FACTS]:
                continue  # IMDS: stood in for above
            result = docker("exec", self.name, *command, check=False)
            assert result.returncode == 0, (self.name, command, result.stdout, result.stderr)

    def destroy(self, keep_volumes: bool = True) -> None:
        """The instance goes (terminated); its containers with it. Named volumes are kept unless
        asked, as the data volume may outlive the instance."""
        for c in self.containers:
            docker("rm", "-f", c, check=False)
        docker("rm", "-f", self.name, check=False)
        if not keep_volumes:
            for v in docker("volume", "ls", "-q").stdout.split():
                if any(v.startswith(c) for c in self.containers):
                    docker("volume", "rm", v, check=False)
