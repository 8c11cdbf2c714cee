"""LocalHost: this machine's Docker engine, through its unix socket."""
from __future__ import annotations

from typing import Optional

import pulumi

from .docker_engine import DockerEngineHost

DOCKER_SOCKET = "unix:///var/run/docker.sock"


class LocalHost(DockerEngineHost):
    def __init__(self, name: str, address: str = "127.0.0.1", opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:hosts:LocalHost", name, address, opts=opts)
        self._connect(DOCKER_SOCKET)
