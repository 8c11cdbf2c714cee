"""Layer 2: roles are plain functions from the spec to ContainerSpecs."""
from components.roles import marathon as marathon_role
from components.roles import mesos, zookeeper
from components.roles.marathon_lb import marathon_lb, render_head
from components.spec import load

from .conftest import HOST_KEY

ADDRS = ["10.0.1.10", "10.0.2.10", "10.0.3.10"]
AGENT_AUTH = mesos.AgentAuth(credential='{"principal": "agent", ...}', http_credentials='{"credentials": [...]}', acls='{}')


def ha_env():
    return load({
        "target": "physical",
        "hosts": [{"name": f"m{i}", "address": a, "host_key": HOST_KEY} for i, a in enumerate(ADDRS, 1)],
        "zookeeper": {"count": 3},
        "mesos": {"masters": {"count": 3},
                  "agent_pools": [{"name": "private", "count": 0},
                                  {"name": "public", "count": 0, "public": True,
                                   "resources": {"cpus": 4, "mem": 8192}, "attributes": {"zone": "a"}}]},
    }, secrets=["sshPrivateKey"])


def test_zoo_cfg_lists_every_member_with_its_own_id_and_binds_its_own_address():
    env = ha_env()
    nodes = env.of("zookeeper")
    spec = zookeeper.zookeeper_node(nodes[1], nodes, ADDRS, env.platform.zookeeper, "p", "pw")
    cfg, seed = spec.files[zookeeper.SETTINGS], spec.files[zookeeper.SEED]
    assert spec.files["/data/myid"] == "2\n"
    # Each member's address and ports, its client address last (ZooKeeper's own form).
    assert seed == "".join(f"server.{i}={a}:2888:3888:participant;{a}:2181\n" for i, a in enumerate(ADDRS, 1))
    assert "admin.enableServer=false" in cfg
    assert "4lw.commands.whitelist=srvr,ruok" in cfg
    assert spec.network_mode == "host" and spec.restart == "unless-stopped"
    # What ZooKeeper writes about its members (/conf) outlives the container, as its data does.
    assert {v.container_path for v in spec.volumes if v.persistent} == {"/conf", "/data", "/datalog"}


def test_connect_string_lists_client_ports():
    env = ha_env()
    ensemble = zookeeper.servers(env.of("zookeeper"), ADDRS)
    assert zookeeper.connect_string(ensemble) == "10.0.1.10:2181,10.0.2.10:2181,10.0.3.10:2181"


def test_master_has_majority_quorum_and_zk_path():
    env = ha_env()
    spec = mesos.mesos_master(env.of("mesos-master")[0], ADDRS[0], "zk1:2181,zk2:2181", env.platform.mesos, "p",
                              credentials="{...}", zk_secret="zk-s3cret", acls="{}")
    # The URL carries the masters' ZooKeeper password: in a 0400 file Mesos reads (file://), not in env.
    assert spec.env["MESOS_ZK"] == "file:///etc/mesos/zk"
    assert spec.secret_files["/etc/mesos/zk"] == "zk://mesos:zk-s3cret@zk1:2181,zk2:2181/mesos"
    assert spec.env["MESOS_QUORUM"] == "2"
    assert spec.env["MESOS_IP"] == ADDRS[0] and spec.env["MESOS_PORT"] == "5050"
    # What the master advertises in ZooKeeper and redirects to: its address, not the container's name.
    assert spec.env["MESOS_HOSTNAME"] == ADDRS[0]
    assert any(v.container_path == mesos.MASTER_WORK_DIR and v.persistent for v in spec.volumes)


def test_agent_uses_docker_containerizer_with_socket_host_network_and_no_systemd():
    env = ha_env()
    env = load({**env.platform.model_dump(exclude_defaults=True),
                "mesos": {"masters": {"count": 3}, "agent_pools": [
                    {"name": "public", "count": 1, "public": True, "resources": {"cpus": 4, "mem": 8192},
                     "attributes": {"zone": "a"}, "port": 5061}]}}, secrets=["sshPrivateKey"])
    node = env.of("mesos-agent")[0]
    spec = mesos.mesos_agent(node, env.platform.mesos.agent_pools[0], ADDRS[0], "zk:2181", env.platform.mesos, "p",
                             auth=AGENT_AUTH)
    assert spec.env["MESOS_MASTER"] == "zk://zk:2181/mesos"
    assert spec.env["MESOS_CONTAINERIZERS"] == "docker,mesos"
    assert spec.env["MESOS_SYSTEMD_ENABLE_SUPPORT"] == "false"
    assert spec.env["MESOS_DEFAULT_ROLE"] == "slave_public"
    assert spec.env["MESOS_RESOURCES"] == "cpus:4;mem:8192"
    assert spec.env["MESOS_ATTRIBUTES"] == "zone:a;pool:public"
    labelled = mesos.mesos_agent(node, env.platform.mesos.agent_pools[0], ADDRS[0], "zk:2181", env.platform.mesos, "p",
                                 {"rack": "r7", "zone": "host-zone"}, auth=AGENT_AUTH)
    assert labelled.env["MESOS_ATTRIBUTES"] == "rack:r7;zone:a;pool:public"
    assert spec.network_mode == "host"
    socket = [v for v in spec.volumes if v.container_path == "/var/run/docker.sock"]
    assert socket and socket[0].host_path == "/var/run/docker.sock"
    work = [v for v in spec.volumes if v.container_path == spec.env["MESOS_WORK_DIR"]]
    assert work and work[0].host_path == work[0].container_path, "sandboxes need the same path on host and agent"


def test_marathon_shares_zk_for_leader_election_and_takes_credentials():
    env = ha_env()
    node = env.of("marathon")[2]
    spec = marathon_role.marathon(node, ADDRS[2], "zk:2181", env.platform.marathon, "p", True,
                                  http_credentials="ops:pw", mesos_principal="marathon", mesos_secret="s3cret-s3cret",
                                  zk_secret="zk-s3cret")
    assert spec.env["MARATHON_MASTER"] == "zk://zk:2181/mesos"
    # Its state only for its own ZooKeeper identity; the Mesos znodes anyone may read.
    assert spec.secret_env["MARATHON_ZK"] == "zk://marathon:zk-s3cret@zk:2181/marathon" and "MARATHON_ZK" not in spec.env
    assert spec.env["MARATHON_MESOS_ROLE"] == "slave_public"
    # MARATHON_HTTP_CREDENTIALS would become --http_credentials on the Java command line.
    assert spec.secret_env["MESOSPHERE_HTTP_CREDENTIALS"] == "ops:pw" and not any("CREDENTIALS" in k for k in spec.env)
    assert spec.env["MARATHON_HTTP_PORT"] == "8080" and spec.network_mode == "host"


def test_marathon_lb_follows_every_marathon():
    env = ha_env()
    node = env.of("marathon-lb")[0]
    spec = marathon_lb(node, ["http://a:8080", "http://b:8080"], env.platform.discovery, "p", "ops:pw")
    # `--marathon` has nargs="+": repeated, marathon-lb would keep only the last URL.
    assert list(spec.args).count("--marathon") == 1
    assert list(spec.args)[list(spec.args).index("--marathon"):] == ["--marathon", "http://a:8080", "http://b:8080"]
    assert list(spec.args)[:3] == ["sse", "--group", "internal"]  # a command replaces the image's whole CMD
    assert spec.env["PORTS"] == "9090"  # HAProxy's stats port; service ports open as apps appear
    # Empty, the image's run script skips its net sysctls, which need a privileged container.
    assert spec.env["HAPROXY_SYSCTL_PARAMS"] == ""
    services = next(u for u in node.ports if u.purpose == "services")
    assert (services.port, services.port + services.span - 1) == (10000, 10100)


def test_each_zookeeper_node_binds_the_admin_port_placement_planned_for_it():
    """Issue 17's admin-port bug: zoo.cfg must bind the port the clash check and firewalls know."""
    one_machine = load({"target": "physical", "hosts": [{"name": "m1", "address": ADDRS[0], "host_key": HOST_KEY}],
                        "zookeeper": {"count": 3, "admin_port": 8081},
                        "mesos": {"masters": {"count": 1}, "agent_pools": [{"name": "private", "count": 0}]}},
                       secrets=["sshPrivateKey"])
    nodes = one_machine.of("zookeeper")
    planned = [n.port("admin") for n in nodes]
    assert planned == [8081, 8082, 8083]
    for n in nodes:
        cfg = zookeeper.zookeeper_node(n, nodes, [ADDRS[0]] * 3, one_machine.platform.zookeeper, "p", "pw").files[zookeeper.SETTINGS]
        assert f"admin.serverPort={n.port('admin')}\n" in cfg and "admin.enableServer=true" in cfg
    spread = load({**ha_env().platform.model_dump(exclude_defaults=True), "zookeeper": {"count": 3, "admin_port": 8081}},
                  secrets=["sshPrivateKey"])
    nodes = spread.of("zookeeper")
    for n in nodes:
        cfg = zookeeper.zookeeper_node(n, nodes, ADDRS, spread.platform.zookeeper, "p", "pw").files[zookeeper.SETTINGS]
        assert "admin.serverPort=8081\n" in cfg and f"admin.serverAddress={ADDRS[n.index]}" in cfg


def test_masters_admit_only_authenticated_agents_frameworks_and_http_callers():
    env = ha_env()
    spec = mesos.mesos_master(env.of("mesos-master")[0], ADDRS[0], "zk:2181", env.platform.mesos, "p",
                              credentials='{"credentials": []}', zk_secret="z", acls="{}")
    for flag in ("AUTHENTICATE_AGENTS", "AUTHENTICATE_FRAMEWORKS", "AUTHENTICATE_HTTP_READONLY", "AUTHENTICATE_HTTP_READWRITE"):
        assert spec.env[f"MESOS_{flag}"] == "true", flag
    # Credentials from a 0400 file the master reads (path or file:// URL), never a flag value.
    assert spec.secret_files[spec.env["MESOS_CREDENTIALS"]] == '{"credentials": []}'
    assert set(spec.secret_files) == {spec.env["MESOS_CREDENTIALS"], spec.env["MESOS_ZK"].removeprefix("file://")}
    assert spec.env["MESOS_CREDENTIALS"].startswith("/") and not spec.secret_env
    opted_out = load({**env.platform.model_dump(exclude_defaults=True),
                      "mesos": {**env.platform.mesos.model_dump(exclude_defaults=True), "authenticate_frameworks": False}},
                     secrets=["sshPrivateKey"]).platform.mesos
    spec = mesos.mesos_master(env.of("mesos-master")[0], ADDRS[0], "zk:2181", opted_out, "p", credentials="{}", zk_secret="z", acls="{}")
    assert spec.env["MESOS_AUTHENTICATE_FRAMEWORKS"] == "false" and spec.env["MESOS_AUTHENTICATE_AGENTS"] == "true"


def test_agents_register_with_their_credential_and_guard_their_own_endpoints():
    env = ha_env()
    env = load({**env.platform.model_dump(exclude_defaults=True),
                "mesos": {"masters": {"count": 3}, "agent_pools": [{"name": "private", "count": 1, "port": 5061}]}},
               secrets=["sshPrivateKey"])
    spec = mesos.mesos_agent(env.of("mesos-agent")[0], env.platform.mesos.agent_pools[0], ADDRS[0], "zk:2181",
                             env.platform.mesos, "p", auth=AGENT_AUTH)
    assert spec.secret_files == {spec.env["MESOS_CREDENTIAL"]: AGENT_AUTH.credential,
                                 spec.env["MESOS_HTTP_CREDENTIALS"]: AGENT_AUTH.http_credentials}
    assert spec.env["MESOS_AUTHENTICATE_HTTP_READONLY"] == spec.env["MESOS_AUTHENTICATE_HTTP_READWRITE"] == "true"
    assert spec.health.test[1].endswith("/health")  # the one endpoint Mesos never authenticates


def test_marathon_registers_as_an_authenticated_framework_with_its_secret_in_a_file():
    env = ha_env()
    spec = marathon_role.marathon(env.of("marathon")[0], ADDRS[0], "zk:2181", env.platform.marathon, "p", False,
                                  http_credentials="ops:pw", mesos_principal="marathon", mesos_secret="s3cret-s3cret",
                                  zk_secret="zk-s3cret")
    assert spec.env["MARATHON_MESOS_AUTHENTICATION"] == ""  # an empty value: the boolean --mesos_authentication
    assert spec.env["MARATHON_MESOS_AUTHENTICATION_PRINCIPAL"] == "marathon"
    assert spec.secret_files == {spec.env["MARATHON_MESOS_AUTHENTICATION_SECRET_FILE"]: "s3cret-s3cret"}
    assert "s3cret" not in repr(spec.env) + repr(spec.args)
    assert spec.env["MARATHON_MASTER"] == "zk://zk:2181/mesos"  # the leader is readable anonymously


def test_an_ensemble_placed_by_hand_shares_ports_only_where_nodes_share_a_host():
    """ZooKeeperEnsembleArgs.on (examples/zookeeper): nodes on their own hosts all listen on the
    client port; nodes sharing one host take consecutive ports, as spec.placement places them."""
    from types import SimpleNamespace

    from components.platform.zookeeper import ZooKeeperEnsembleArgs
    from components.spec.model import ZooKeeper

    three = ZooKeeperEnsembleArgs.on([SimpleNamespace(name=n) for n in ("a", "b", "c")], ZooKeeper(count=3))
    assert [(n.host, n.port("client")) for n in three.nodes] == [("a", 2181), ("b", 2181), ("c", 2181)]
    one = ZooKeeperEnsembleArgs.on([SimpleNamespace(name="a")], ZooKeeper(count=3), platform_name="zk")
    assert [(n.host, n.port("client")) for n in one.nodes] == [("a", 2181), ("a", 2182), ("a", 2183)]
    assert set(one.hosts) == {"a"} and one.platform_name == "zk"


def test_marathon_lbs_haproxy_head_is_sections_of_indented_settings_logging_to_syslog():
    # HAProxy reads a line at the first column as a section keyword (global, defaults, userlist,
    # listen...); settings are indented within one. The real HAProxy reads it in test_real_tls.py.
    for tls in (False, True):
        lines = render_head("ops:pw", tls).splitlines()
        sections = [line.split()[0] for line in lines if line and not line.startswith("  ")]
        assert set(sections) <= {"global", "defaults", "userlist", "listen", "frontend", "backend"}, sections
        assert lines[:3] == ["global", "  log /dev/log local0", "  log /dev/log local1 notice"]
