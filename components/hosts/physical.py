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


class SshClientFile(pulumi.ComponentResource):
    """A file the Docker provider's `ssh` client reads, written on this machine (mode 0600):
    the stack's private key (from its Pulumi secret; `ssh` reads keys from files or an agent,
    never from memory) or the hosts' pinned keys (known_hosts). The content travels over stdin,
    so it never appears in a command line or a log; the file is removed again on destroy."""

    def __init__(self, name: str, path: str, content: pulumi.Input[str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:hosts:SshClientFile", name, None, opts)
        self.path = path
        self.writer = command.local.Command(
            f"{name}-write",
            create=f"umask 077 && mkdir -p '{Path(path).parent}' && cat > '{path}'",
            delete=f"rm -f '{path}'",
            stdin=content,
            triggers=[content],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"path": path})


def host_key_alias(stack: str, host: str) -> str:
    """The name a host's key is filed under in the stack's known_hosts (ssh's HostKeyAlias):
    the same whatever address or port it is reached at."""
    return f"container-platform-{stack}-{host}"


def known_hosts(keys: dict[str, str]) -> str:
    """known_hosts lines, `{alias: "type base64 [comment]"}`: only the type and key count."""
    return "".join(f"{alias} {' '.join(key.split()[:2])}\n" for alias, key in keys.items())


def provider_ssh_opts(key_file: str, known_hosts_file: str, alias: str) -> list[str]:
    """How the Docker provider's `ssh` connects: the stack's key, and only to a host whose key
    is the one pinned for it (strict checking against the stack's own known_hosts, never the
    user's, never accepting a new key)."""
    return ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts_file}",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", f"HostKeyAlias={alias}", "-i", key_file]


class PhysicalHost(DockerEngineHost):
    def __init__(self, name: str, address: str, user: str, port: int, host_key: str, private_key: pulumi.Output[str],
                 key_file: SshClientFile, known_hosts_file: SshClientFile, alias: str,
                 opts: Optional[pulumi.ResourceOptions] = None):
        """`host_key` is the host's SSH public key, filed as `alias` in `known_hosts_file`."""
        super().__init__("container-platform:hosts:PhysicalHost", name, address, opts=opts)
        script = BOOTSTRAP.read_text(encoding="utf-8")
        # pulumi-command checks the key itself (ssh.FixedHostKey of the given authorized key).
        self.connection = command.remote.ConnectionArgs(host=address, user=user, port=port, private_key=private_key,
                                                        host_key=host_key)
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
            ssh_opts=provider_ssh_opts(key_file.path, known_hosts_file.path, alias),
            depends_on=[self.bootstrap, key_file.writer, known_hosts_file.writer],
        )

    def shell(self, name: str, create: pulumi.Input[str], parent: pulumi.Resource,
              delete: Optional[str] = None, stdin: Optional[pulumi.Input[str]] = None,
              secret_stdout: bool = False, depends_on: Sequence[pulumi.Resource] = (),
              update: Optional[pulumi.Input[str]] = None) -> command.remote.Command:
        return command.remote.Command(
            name, connection=self.connection, create=create, update=update, delete=delete, stdin=stdin,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[self.bootstrap, *depends_on],
                                        additional_secret_outputs=["stdout"] if secret_stdout else None))
