"""Real: the host bootstrap installs and configures Docker in a fresh Debian, and a second run
changes nothing. The Debian image is debootstrapped by scripts/setup.sh (no registry here)."""
import json

import pytest

from components.hosts.physical import BOOTSTRAP

from .realhelpers import BASE_IMAGE, docker

pytestmark = pytest.mark.real


@pytest.fixture
def debian_host():
    cid = docker("run", "-d", "--rm", "-v", f"{BOOTSTRAP}:/bootstrap-docker.sh:ro", BASE_IMAGE, "sleep", "900").stdout.strip()
    yield cid
    docker("rm", "-f", cid, check=False)


def snapshot(cid: str) -> str:
    return docker("exec", cid, "sh", "-c", "dpkg-query -W | sha256sum; sha256sum /etc/docker/daemon.json").stdout


def test_bootstrap_installs_docker_and_is_idempotent(debian_host):
    first = docker("exec", debian_host, "sh", "/bootstrap-docker.sh")
    assert "bootstrap-docker: changed=1 Docker version" in first.stdout, first.stdout + first.stderr
    config = json.loads(docker("exec", debian_host, "cat", "/etc/docker/daemon.json").stdout)
    assert config["live-restore"] is True
    assert config["log-opts"] == {"max-size": "50m", "max-file": "5"}
    assert docker("exec", debian_host, "docker", "--version").stdout.startswith("Docker version")
    before = snapshot(debian_host)

    second = docker("exec", debian_host, "sh", "/bootstrap-docker.sh")
    assert "bootstrap-docker: changed=0" in second.stdout, second.stdout + second.stderr
    assert snapshot(debian_host) == before


def test_bootstrap_refuses_an_unsupported_os(debian_host):
    docker("exec", debian_host, "sh", "-c", "sed -i 's/^ID=debian/ID=plan9/' /etc/os-release")
    result = docker("exec", debian_host, "sh", "/bootstrap-docker.sh", check=False)
    assert result.returncode == 2 and "only Debian and Ubuntu" in result.stderr
