"""Twin: an on-prem host (tests/images/sshhost: Debian 12, sshd, the non-root sudo user `ops`
the onprem stack logs in as) is bootstrapped over SSH exactly as `command.remote` runs it (the
rendered command, the script on stdin), twice, and then serves as a Docker host over `ssh://`
to that user, as the Docker provider uses it (`docker system dial-stdio` over ssh with the
provider's ssh options as rendered, against the known_hosts the program writes: the twin's own
host key pinned; another pinned key is refused); a quorum member's health gate runs over that
ssh session as `ops`.

Facts reproduced: sshd and sudo as on Debian 12; `sh -s` reads the script from stdin (so it
cannot re-exec itself by name); the engine's socket is root:docker 0660, so only members of the
docker group reach it without sudo."""
import json
import os
import subprocess
import time

import pytest

from components.hosts.physical import BOOTSTRAP, bootstrap_command

from .conftest import PLACEHOLDER_SECRETS, evaluate_changed
from .harness import evaluate
from .realhelpers import DOCKER, STANDIN_IMAGE, docker, free_port, wait_for

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


def rendered_ssh_client(tmp_path, host_key: str, port: int, key_path) -> list[str]:
    """The Docker provider's ssh options for onprem's core-1 as the program renders them when
    core-1's pinned key is `host_key`, and the known_hosts it writes, placed in a scratch file
    (the one path changed), with the test's client key: the options `ssh` is given for real."""
    d = evaluate_changed("onprem", lambda p: p["hosts"][0].update(host_key=host_key))
    assert d.error is None, d.error
    provider = next(r for r in d.of_type("pulumi:providers:docker") if r.name == "core-1-docker")
    options = json.loads(provider.inputs["sshOpts"])
    known_hosts = next(c for c in d.of_type("command:local:Command") if c.name == "known-hosts-write").inputs["stdin"]
    (tmp_path / "known_hosts").write_text(known_hosts)
    rendered_file = next(o.split("=", 1)[1] for o in options if o.startswith("UserKnownHostsFile="))
    rendered_key = options[options.index("-i") + 1]
    options = [o.replace(rendered_file, str(tmp_path / "known_hosts")) for o in options]
    options[options.index(rendered_key)] = str(key_path)
    return options + ["-p", str(port)]


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
    # The twin's own host key, as `ssh-keyscan` would print it after the address.
    wait_for("sshd's host key", lambda: docker("exec", cid, "test", "-s", "/etc/ssh/ssh_host_ed25519_key.pub",
                                                 check=False).returncode == 0, timeout=30)
    host_key = docker("exec", cid, "cat", "/etc/ssh/ssh_host_ed25519_key.pub").stdout.strip()
    options = rendered_ssh_client(tmp_path, host_key, port, key)
    # The docker CLI runs `ssh` from PATH: this one adds the options (ssh reads no $HOME config).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text("#!/bin/sh\nexec /usr/bin/ssh " + " ".join(options) + ' "$@"\n')
    (bin_dir / "ssh").chmod(0o755)
    wait_for("sshd", lambda: ssh(options, "true").returncode == 0, timeout=30)
    yield cid, options, bin_dir, port
    docker("rm", "-f", cid, check=False)


def test_a_host_whose_key_is_not_the_pinned_one_is_refused(ssh_host, tmp_path):
    """The same host and the same client key, but another key pinned for core-1 (as if another
    machine answered at its address): ssh refuses before logging in, and a new key is never
    accepted on first use."""
    cid, options, _, port = ssh_host
    assert ssh(options, "true").returncode == 0
    impostor = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(impostor)], check=True)
    pinned_elsewhere = tmp_path / "pinned-elsewhere"
    pinned_elsewhere.mkdir()
    wrong = rendered_ssh_client(pinned_elsewhere, impostor.with_suffix(".pub").read_text().strip(), port,
                                options[options.index("-i") + 1])
    refused = ssh(wrong, "true")
    assert refused.returncode == 255 and "Host key verification failed" in refused.stderr, refused.stderr
    assert (pinned_elsewhere / "known_hosts").read_text().count("\n") == 7  # nothing was added to it


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

    # A quorum member's health gate, as command.remote runs its `update` (the script as the
    # command of an ssh session of `ops`, a docker group member, no sudo), waits for the member's
    # health check on that engine.
    d = evaluate("onprem", secrets=PLACEHOLDER_SECRETS)
    gate = next(r for r in d.of_type("command:remote:Command") if r.name == "onprem-zookeeper-1-healthy")
    docker("rm", "-f", "onprem-zookeeper-1", check=False)  # left by a run killed before its finally
    docker("run", "-d", "--name", "onprem-zookeeper-1", "--health-cmd", "test -e /tmp/ready",
           "--health-interval", "1s", STANDIN_IMAGE, "sleep", "300")
    try:
        waiting = subprocess.Popen(["/usr/bin/ssh", *options, f"{USER}@127.0.0.1", gate.inputs["update"]],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(4)
        assert waiting.poll() is None, "the gate returned before the member was healthy"
        docker("exec", "onprem-zookeeper-1", "touch", "/tmp/ready")
        out, err = waiting.communicate(timeout=60)
        assert waiting.returncode == 0 and out.strip() == "onprem-zookeeper-1 is healthy", err
    finally:
        docker("rm", "-f", "onprem-zookeeper-1", check=False)
