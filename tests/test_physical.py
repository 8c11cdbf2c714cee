"""Physical hosts over SSH: providers per host, bootstrap first, the key secret everywhere."""
import json

from components.platform.swarm import LEAVE

from .conftest import PLACEHOLDER_SECRETS, evaluate_changed
from .harness import env_of, evaluate, role_of, stack_config, workloads


BOOTSTRAP = "command:remote:Command"


def test_every_container_runs_through_its_own_hosts_provider(stack):
    d = stack("onprem")
    providers = {r.urn: r for r in d.of_type("pulumi:providers:docker")}
    assert len(providers) == 7
    for c in d.containers():
        provider = providers[c.provider_urn]
        host = d.by_urn(provider.parent)
        addresses = [e.split("=", 1)[1] for e in c.inputs.get("envs", []) if e.startswith(("MESOS_IP=", "MARATHON_HOSTNAME="))]
        assert provider.inputs["host"].startswith("ssh://ops@192.0.2."), provider.inputs["host"]
        for a in addresses:
            assert f"@{a}:" in provider.inputs["host"], (c.name, provider.inputs["host"])
        assert host.type == "container-platform:hosts:PhysicalHost"


def test_every_provider_depends_on_its_hosts_bootstrap(stack):
    d = stack("onprem")
    bootstraps = {r.parent: r.urn for r in d.of_type(BOOTSTRAP) if r.name.endswith("-bootstrap-docker")}
    assert len(bootstraps) == 7
    for p in d.of_type("pulumi:providers:docker"):
        assert bootstraps[p.parent] in p.dependencies, p.name
        # Provider config arrives JSON-encoded, as the engine hands it to the plugin.
        assert "-i" in json.loads(p.inputs["sshOpts"])


def test_bootstrap_reruns_only_when_the_script_changes(stack):
    d = stack("onprem")
    triggers = {tuple(r.inputs["triggers"]) for r in d.of_type(BOOTSTRAP) if r.name.endswith("-bootstrap-docker")}
    assert len(triggers) == 1, "the same script hash on every host"
    (only,) = triggers
    assert len(only) == 1 and len(only[0]) == 64


def test_ssh_key_is_secret_wherever_it_appears(stack):
    d = stack("onprem")
    key = "BEGIN OPENSSH PRIVATE KEY"
    seen = 0
    for r in d.resources:
        for name, value in r.inputs.items():
            if key in repr(value):
                seen += 1
                assert name in r.secret_inputs, (r.name, name)
    assert seen >= 8  # seven bootstrap connections and the key file
    assert key not in repr(d.outputs)


def test_stateful_volumes_are_protected_in_onprem(stack):
    d = stack("onprem")
    data = [r for r in d.of_type("docker:index/volume:Volume") if r.name.endswith(("-data", "-datalog", "-work"))]
    assert len(data) == 9  # 3 x ZooKeeper data + datalog, 3 x master work dir
    assert all(r.protect and r.retain_on_delete for r in data)


def test_ssh_port_reaches_the_provider(stack):
    d = stack("onprem")
    hosts = {p.inputs["host"] for p in d.of_type("pulumi:providers:docker")}
    assert "ssh://ops@192.0.2.31:2222" in hosts


def test_host_labels_become_agent_attributes(stack):
    d = stack("onprem")
    attrs = {c.name: env_of(c)["MESOS_ATTRIBUTES"] for c in d.containers() if role_of(c) == "mesos-agent"}
    assert attrs["onprem-agent-private-1"] == "rack:r1;pool:private"
    assert attrs["onprem-agent-private-2"] == "rack:r2;pool:private"


def test_every_ssh_connection_checks_the_pinned_host_key_and_never_accepts_a_new_one():
    """pulumi-command checks `hostKey` itself (ssh.FixedHostKey); the Docker provider's `ssh`
    client checks the stack's own known_hosts, strictly, under a per-host alias."""
    d = evaluate("onprem", secrets=PLACEHOLDER_SECRETS)
    hosts = {h["name"]: h for h in stack_config("onprem")["container-platform:platform"]["hosts"]}
    by_address = {h["address"]: h for h in hosts.values()}
    for c in d.of_type("command:remote:Command"):
        assert c.inputs["connection"]["hostKey"] == by_address[c.inputs["connection"]["host"]]["host_key"], c.name
    known = next(c for c in d.of_type("command:local:Command") if c.name == "known-hosts-write").inputs["stdin"]
    lines = dict(line.split(" ", 1) for line in known.splitlines())
    for p in d.of_type("pulumi:providers:docker"):
        name = p.name.removesuffix("-docker")
        options = json.loads(p.inputs["sshOpts"])
        settings = dict(o.split("=", 1) for o in options if "=" in o)
        assert all(options[i - 1] == "-o" for i, o in enumerate(options) if "=" in o), options  # ssh's -o, not -O
        assert settings["StrictHostKeyChecking"] == "yes" and settings["GlobalKnownHostsFile"] == "/dev/null"
        assert settings["UserKnownHostsFile"].endswith("container-platform-onprem.known_hosts")
        assert lines[settings["HostKeyAlias"]] == hosts[name]["host_key"]
    assert len(lines) == len(hosts)


def test_a_host_key_written_with_its_comment_is_pinned_by_type_and_key_alone():
    """ssh-keyscan and `cat /etc/ssh/ssh_host_*.pub` give `type key comment`; the comment is
    no part of the key (known_hosts lines are written from type and key)."""
    def with_comment(p):
        p["hosts"][0]["host_key"] += " root@node1 (from keyscan)"
    d = evaluate_changed("onprem", with_comment)
    assert d.error is None, d.error
    first = stack_config("onprem")["container-platform:platform"]["hosts"][0]
    known = next(c for c in d.of_type("command:local:Command") if c.name == "known-hosts-write").inputs["stdin"]
    lines = [line.split(" ", 1) for line in known.splitlines()]
    assert [key for alias, key in lines if alias.endswith("-" + first["name"])] == [first["host_key"]], known


def test_a_physical_swarm_node_leaves_the_swarm_when_its_membership_is_deleted():
    """On SSH hosts the Swarm's init and joins are remote commands whose delete makes the node
    leave (tearing down an environment leaves no host in a swarm)."""
    d = evaluate_changed("onprem", lambda p: p.update(
        stacks=[{"name": "app", "file": "examples/compose/app/compose.yaml", "scheduler": "swarm"}]))
    assert d.error is None, d.error
    swarm = [c for c in d.of_type("command:remote:Command") if "-init" in c.name or "-join-" in c.name]
    assert swarm and all(c.inputs["delete"] == LEAVE for c in swarm), [c.name for c in swarm]


def test_public_agents_offer_the_ports_public_services_publish(stack):
    # As on AWS (test_aws.py), through MesosCluster: Mesos offers a task only ports in its
    # agent's `ports` resource, so without 8000 the public web tier would never be placed.
    resources = {w.host: w.env.get("MESOS_RESOURCES") for w in workloads(stack("onprem")) if w.role == "mesos-agent"}
    assert resources["onprem-agent-public-1"] == "ports:[8000-8000,31000-32000]"
    assert resources["onprem-agent-private-1"] == "cpus:8;mem:30000"


def test_a_host_reached_as_root_runs_the_bootstrap_without_sudo():
    """A minimal Debian host has no sudo: root runs the script itself (`sh -s`); every other user
    through `sudo -n`, which fails at once rather than waiting for a password."""
    def as_root(p):
        p["hosts"][0]["ssh_user"] = "root"
    d = evaluate_changed("onprem", as_root)
    assert d.error is None, d.error
    creates = {c.name: c.inputs["create"] for c in d.of_type("command:remote:Command")
               if c.name.endswith("-bootstrap-docker")}
    first = next(name for name in creates if name.startswith("core-1"))
    assert creates.pop(first) == "sh -s"
    assert set(creates.values()) == {"sudo -n sh -s"}
