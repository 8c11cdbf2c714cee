"""LocalHost: this machine's Docker engine, through its unix socket."""
from __future__ import annotations

from typing import Optional, Sequence

import pulumi
import pulumi_command as command

from .docker_engine import DockerEngineHost

DOCKER_SOCKET = "unix:///var/run/docker.sock"


class LocalHost(DockerEngineHost):
    def __init__(self, name: str, address: str = "127.0.0.1", opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:hosts:LocalHost", name, address, opts=opts)
        self._connect(DOCKER_SOCKET)

    def shell(self, name: str, create: pulumi.Input[str], parent: pulumi.Resource,
              delete: Optional[str] = None, stdin: Optional[pulumi.Input[str]] = None,
              secret_stdout: bool = False, depends_on: Sequence[pulumi.Resource] = (),
              update: Optional[pulumi.Input[str]] = None) -> command.local.Command:
        return command.local.Command(
            name, create=create, update=update, delete=delete, stdin=stdin, interpreter=["/bin/sh", "-c"],
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on),
                                        additional_secret_outputs=["stdout"] if secret_stdout else None))
