"""What a service takes from its host needs an explicit grant (components/compose/host_access.py):
refused by default naming the grant and the key, accepted once listed, a grant nothing needs is a
warning."""
import textwrap

import pytest

from components.compose import host_access, load_stack

SECRET = {"DB_PASSWORD": "${secret.dbPassword}"}


def stack(tmp_path, service: str, scheduler="local"):
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: nginx:1.27\n" + textwrap.indent(textwrap.dedent(service), "    "))
    s, problems = load_stack(tmp_path, "compose.yaml", "s", scheduler, {}, "platform.stacks[0]")
    assert s is not None, problems
    return s


@pytest.mark.parametrize("service, grant, key", [
    ("privileged: true\n", "privileged", "privileged"),
    ("cap_add: [SYS_ADMIN]\n", "privileged", "cap_add"),
    ("cap_add: [all]\n", "privileged", "cap_add"),
    ("cap_add: [NET_ADMIN, CAP_SYS_MODULE]\n", "privileged", "cap_add"),
    ("network_mode: host\n", "host-network", "network_mode"),
    ("pid: host\n", "host-pid", "pid"),
    ("ipc: host\n", "host-ipc", "ipc"),
    ("volumes: ['/var/run/docker.sock:/var/run/docker.sock']\n", "docker-socket", "volumes[0]"),
    ("volumes: ['/srv/data:/data', '/run/docker.sock:/s:ro']\n", "docker-socket", "volumes[1]"),
    ("volumes: ['/:/host:ro']\n", "host-system-paths", "volumes[0]"),
    ("volumes: ['/etc/ssl/../:/x']\n", "host-system-paths", "volumes[0]"),
    ("volumes: ['/proc/1/root:/x']\n", "host-system-paths", "volumes[0]"),
    ("volumes: [{type: bind, source: /var/lib/docker, target: /d}]\n", "host-system-paths", "volumes[0]"),
    ("command: ['--password', '${secret.dbPassword}']\n", "secrets-on-command-line", "command"),
])
def test_each_way_into_the_host_is_refused_until_granted(tmp_path, service, grant, key):
    s = stack(tmp_path, service)
    checked, problems = host_access.check(s, set(), "platform.stacks[0]")
    (p,) = problems
    assert p.path == f"compose.yaml:services.a.{key}"
    assert f'list "{grant}" under platform.stacks[0].allow' in p.message
    checked, problems = host_access.check(s, {grant}, "platform.stacks[0]")
    assert problems == [] and not checked.warnings


@pytest.mark.parametrize("service", [
    "cap_add: [NET_BIND_SERVICE]\n",
    "volumes: ['/srv/app:/app', '/etc-not-really:/x', '/run/user/1000/app:/app2']\n",
    "network_mode: none\n",
    "environment: {DB_PASSWORD: '${secret.dbPassword}'}\n",  # env on the local engine: the file's choice
])
def test_what_does_not_take_the_host_needs_no_grant(tmp_path, service):
    assert host_access.check(stack(tmp_path, service), set(), "platform.stacks[0]")[1] == []


def test_a_secret_in_a_marathon_apps_env_needs_its_grant(tmp_path):
    s = stack(tmp_path, "environment: {DB_PASSWORD: '${secret.dbPassword}'}\n", scheduler="marathon")
    (p,) = host_access.check(s, set(), "platform.stacks[0]")[1]
    assert p.path == "compose.yaml:services.a.environment.DB_PASSWORD" and "/v2/apps" in p.message
    assert host_access.check(s, {"secrets-in-marathon-app"}, "platform.stacks[0]")[1] == []


def test_a_grant_nothing_needs_is_a_warning(tmp_path):
    s = stack(tmp_path, "expose: ['80']\n")
    checked, problems = host_access.check(s, {"docker-socket"}, "platform.stacks[0]")
    assert problems == []
    (w,) = checked.warnings
    assert w.path == "platform.stacks[0].allow" and '"docker-socket" has no effect' in w.message
