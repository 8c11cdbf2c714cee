"""Twin: an on-prem host (tests/images/sshhost: Debian 12, sshd, the non-root sudo user `ops`
the onprem stack logs in as) is bootstrapped over SSH exactly as `command.remote` runs it (the
rendered command, the script on stdin), twice, and then serves as a Docker host over `ssh://`
to that user, as the Docker provider uses it (`docker system dial-stdio` over ssh with the
provider's ssh options).

Facts reproduced: sshd and sudo as on Debian 12; `sh -s` reads the script from stdin (so it
cannot re-exec itself by name); the engine's socket is root:docker 0660, so only members of the
docker group reach it without sudo."""
import os
import subprocess

import pytest

from components.hosts.physical import BOOTSTRAP, bootstrap_command

from .conftest import PLACEHOLDER_SECRETS
from .harness import evaluate
from .realhelpers import DOCKER, docker, free_port, wait_for

pytestmark = pytest.mark.real

TWIN_IMAGE = "local/sshhost-twin:1"  # tests/images/sshhost, built by scripts/setup.sh
USER = "ops"


def test_onprem_runs_the_bootstrap_through_sudo_for_its_non_root_user():
    d = evaluate("onprem", secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    commands = d.of_type("command:remote:Command")
    bootstraps = [c for c in commands if c.name.endswith("-bootstrap-docker")]
    assert len(bootstraps) == 7
    for c in bootstraps:
        assert c.inputs["connection"]["user"] == USER
        assert c.inputs["create"] == bootstrap_command(USER) == "sudo -n sh -s"
        assert c.inputs["stdin"] == BOOTSTRAP.read_text()


@pytest.fixture
def ssh_host(tmp_path):
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    port = free_port()
    cid = docker("run", "-d", "-p", f"127.0.0.1:{port}:22", "-v", "/var/run/docker.sock:/run/host-docker.sock",
                 TWIN_IMAGE).stdout.strip()
    subprocess.run([DOCKER, "exec", "-i", cid, "sh", "-c",
                    f"cat > /home/{USER}/.ssh/authorized_keys && chown {USER} /home/{USER}/.ssh/authorized_keys"],
                   input=(tmp_path / "id_ed25519.pub").read_text(), text=True, check=True)
    # The provider's ssh options (components/hosts/physical.py), with a known_hosts of our own.
    options = ["-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-i", str(key),
               "-o", f"UserKnownHostsFile={tmp_path / 'known_hosts'}", "-p", str(port)]
    # The docker CLI runs `ssh` from PATH: this one adds the options (ssh reads no $HOME config).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text("#!/bin/sh\nexec /usr/bin/ssh " + " ".join(options) + ' "$@"\n')
    (bin_dir / "ssh").chmod(0o755)
    wait_for("sshd", lambda: ssh(options, "true").returncode == 0, timeout=30)
    yield cid, options, bin_dir, port
    docker("rm", "-f", cid, check=False)


def ssh(options, command, stdin=None):
    return subprocess.run(["/usr/bin/ssh", *options, f"{USER}@127.0.0.1", command], input=stdin,
                          capture_output=True, text=True, timeout=600)


def test_bootstrap_over_ssh_as_a_sudo_user_twice_then_docker_over_ssh(ssh_host):
    cid, options, bin_dir, port = ssh_host
    script = BOOTSTRAP.read_text()
    first = ssh(options, bootstrap_command(USER), stdin=script)
    assert first.returncode == 0 and "bootstrap-docker: changed=1 Docker version" in first.stdout, first.stdout + first.stderr
    second = ssh(options, bootstrap_command(USER), stdin=script)
    assert second.returncode == 0 and "bootstrap-docker: changed=0" in second.stdout, second.stdout + second.stderr
    assert "docker" in ssh(options, "id -nG").stdout.split()

    docker("exec", cid, "start-engine")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    remote = subprocess.run([DOCKER, "-H", f"ssh://{USER}@127.0.0.1:{port}", "info", "--format", "{{.ID}}"],
                            capture_output=True, text=True, env=env, timeout=120)
    local = docker("info", "--format", "{{.ID}}")
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout  # the engine the twin serves, reached as `ops` over ssh://
