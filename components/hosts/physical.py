"""PhysicalHost: an existing machine reached over SSH.

A versioned, idempotent script installs and configures Docker (re-run only when the script
changes), then a `docker.Provider(host="ssh://user@address:port")` that depends on it runs the
host's ContainerSpecs exactly as `LocalHost` does.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional, Sequence

import pulumi
import pulumi_command as command

from .docker_engine import DockerEngineHost

BOOTSTRAP = Path(__file__).with_name("bootstrap-docker.sh")


def bootstrap_command(user: str) -> str:
    """How the bootstrap script (on stdin) runs: as root, through sudo for any other user."""
    return "sh -s" if user == "root" else "sudo -n sh -s"


class SshKeyFile(pulumi.ComponentResource):
    """The stack's SSH key, written from its Pulumi secret to a 0600 file for the Docker
    provider's `ssh` client (which reads keys from files or an agent, never from memory).
    It travels over stdin, so it never appears in a command line or a log, and the file is
    removed again on destroy."""

    def __init__(self, name: str, path: str, private_key: pulumi.Output[str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:hosts:SshKeyFile", name, None, opts)
        self.path = path
        self.writer = command.local.Command(
            f"{name}-write",
            create=f"umask 077 && mkdir -p '{Path(path).parent}' && cat > '{path}'",
            delete=f"rm -f '{path}'",
            stdin=private_key,
            triggers=[private_key],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"path": path})


class PhysicalHost(DockerEngineHost):
    def __init__(self, name: str, address: str, user: str, port: int, private_key: pulumi.Output[str],
                 key_file: SshKeyFile, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:hosts:PhysicalHost", name, address, opts=opts)
        script = BOOTSTRAP.read_text()
        self.connection = command.remote.ConnectionArgs(host=address, user=user, port=port, private_key=private_key)
        self.bootstrap = command.remote.Command(
            f"{name}-bootstrap-docker",
            connection=self.connection,
            create=bootstrap_command(user),
            stdin=script,
            # Re-run only when the script changes, not on every `up`.
            triggers=[hashlib.sha256(script.encode()).hexdigest()],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._connect(
            f"ssh://{user}@{address}:{port}",
            ssh_opts=["-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-i", key_file.path],
            depends_on=[self.bootstrap, key_file.writer],
        )

    def shell(self, name: str, create: pulumi.Input[str], parent: pulumi.Resource,
              delete: Optional[str] = None, stdin: Optional[pulumi.Input[str]] = None,
              secret_stdout: bool = False, depends_on: Sequence[pulumi.Resource] = ()) -> command.remote.Command:
        return command.remote.Command(
            name, connection=self.connection, create=create, delete=delete, stdin=stdin,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[self.bootstrap, *depends_on],
                                        additional_secret_outputs=["stdout"] if secret_stdout else None))
