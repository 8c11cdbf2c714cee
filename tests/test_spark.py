"""Spark rendering for every mode, the version check, and the SparkCluster under the mock runtime."""
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest

from components.roles import spark as role
from components.spec import SpecError, load

from .contracts import marathon_app_validator
from .harness import evaluate, mesos_principals, role_of, uploads
from .memo import remembered

ZK = "10.0.0.1:2181,10.0.0.2:2181"


def spark(**overrides):
    base = {"enabled": True, "masters": {"web_ui_port": 8090}, "workers": {"web_ui_port": 8091}}
    return {"spark": {**base, **overrides}}


def spark_spec(**overrides):
    opt_out = {"mesos": {"authenticate_frameworks": False}} if overrides.get("deploy_mode") == "cluster" else {}
    return load({**spark(**overrides), **opt_out}).platform.spark


@pytest.mark.parametrize("mode,deploy,expected", [
    ("local", "client", "local[2]"),
    ("standalone", "client", "spark://10.0.0.1:7077,10.0.0.2:7077"),
    ("standalone", "cluster", "spark://10.0.0.1:7077,10.0.0.2:7077"),
    ("mesos", "client", f"mesos://zk://{ZK}/mesos"),
    ("mesos", "cluster", "mesos://10.0.0.9:7077"),
    ("yarn", "client", "yarn"),
    ("yarn", "cluster", "yarn"),
])
def test_master_url_of_every_mode(mode, deploy, expected):
    extra = {"yarn": {"resource_manager": "rm.example"}} if mode == "yarn" else {}
    s = spark_spec(mode=mode, deploy_mode=deploy, **extra)
    url = role.master_url(s, [("10.0.0.1", 7077), ("10.0.0.2", 7077)], ZK, "10.0.0.9:7077")
    assert url == expected
    submit = role.spark_submit(s, url)
    assert submit[:5] == ["spark-submit", "--master", expected, "--deploy-mode", deploy]
    assert submit[-1] == "100" and "--executor-memory" in submit
    # SparkPi from the examples jar the apache/spark image ships
    assert submit[-4:-1] == ["--class", "org.apache.spark.examples.SparkPi", role.EXAMPLES_JAR.format(version=s.version)]
    if mode == "yarn":
        assert "--num-executors" in submit and "--total-executor-cores" not in submit
    else:
        assert submit[5:9] == ["--executor-memory", "1G", "--total-executor-cores", "2"]


def test_mesos_client_defaults_name_the_executor_image():
    s = spark_spec(mode="mesos")
    defaults = role.client_defaults(s, "mesos://zk://zk:2181/mesos")
    assert defaults["spark.mesos.executor.docker.image"] == s.mesos.executor_image
    # Where spark-class is inside that image (the apache/spark images' SPARK_HOME): without it the
    # executor is started from the driver's own path.
    assert defaults["spark.mesos.executor.home"] == "/opt/spark"
    assert defaults["spark.eventLog.enabled"] == "true"


def test_yarn_renders_hadoop_site_files_and_conf_dir():
    s = spark_spec(mode="yarn", deploy_mode="cluster", yarn={"resource_manager": "rm.example", "queue": "etl"})
    files = role.hadoop_site_files(s)
    assert "<name>yarn.resourcemanager.hostname</name>\n    <value>rm.example</value>" in files["/etc/hadoop/conf/yarn-site.xml"]
    # Hadoop's property names are case-sensitive: read the file as Hadoop does, name by name.
    props = {p.findtext("name"): p.findtext("value")
             for p in ElementTree.fromstring(files["/etc/hadoop/conf/yarn-site.xml"]).iter("property")}
    assert props["yarn.resourcemanager.address"] == "rm.example:8032"
    assert "<name>fs.defaultFS</name>" in files["/etc/hadoop/conf/core-site.xml"]
    client = role.client_files(s, "yarn")
    assert "export HADOOP_CONF_DIR=/etc/hadoop/conf" in client["/opt/spark/conf/spark-env.sh"]
    assert "spark.yarn.queue etl" in client["/opt/spark/conf/spark-defaults.conf"]
    assert client["/etc/hadoop/conf/yarn-site.xml"] == files["/etc/hadoop/conf/yarn-site.xml"]


def test_master_env_carries_zookeeper_recovery():
    env = load(spark(masters={"count": 2, "web_ui_port": 8090, "port": 7077}, workers={"port": 7087, "web_ui_port": 8095}))
    node = env.of("spark-master")[1]
    values = role.master_env(node, "10.0.0.5", env.platform.spark, ZK)
    assert values["SPARK_MASTER_PORT"] == "7078" and values["SPARK_MASTER_WEBUI_PORT"] == "8091"
    assert f"-Dspark.deploy.zookeeper.url={ZK}" in values["SPARK_DAEMON_JAVA_OPTS"]
    assert "-Dspark.deploy.recoveryMode=ZOOKEEPER" in values["SPARK_DAEMON_JAVA_OPTS"]
    rendered = role.render_env(values)
    assert "export SPARK_DAEMON_JAVA_OPTS='-Dspark.deploy.recoveryMode=ZOOKEEPER" in rendered


@pytest.mark.parametrize("raw,path,fragment", [
    (spark(mode="mesos", version="4.0.1"), "platform.spark.version", "removed in Spark 4.0"),
    (spark(mode="yarn"), "platform.spark.yarn", "resource_manager"),
    (spark(mode="local", deploy_mode="cluster"), "platform.spark.deploy_mode", "in-process"),
    (spark(masters={"count": 2, "web_ui_port": 8090}, workers={"port": 7087, "web_ui_port": 8095}, recovery="none"),
     "platform.spark.recovery", "ZooKeeper recovery"),
    (spark(masters={"web_ui_port": 8080}), "platform.spark.masters.web_ui_port", "marathon 'marathon-1'"),
    (spark(workers={"memory": "lots"}), "platform.spark.workers.memory", "lots"),
    (spark(mode="mesos", deploy_mode="cluster") | {"marathon": {"enabled": False}}, "platform.spark.deploy_mode", "Marathon app"),
    # The dispatcher's credential would sit in Marathon's app env: refused, saying why and the two ways out.
    ({"spark": {"enabled": True, "mode": "mesos", "deploy_mode": "cluster"}}, "platform.spark.deploy_mode",
     "Mesos accepts only frameworks with a credential, and the cluster-mode dispatcher"),
])
def test_bad_spark_config(raw, path, fragment):
    with pytest.raises(SpecError) as e:
        load(raw)
    assert any(p.path == path and fragment in p.message for p in e.value.problems), e.value.problems


def test_spark_4_is_fine_outside_mesos():
    assert load(spark(mode="standalone", version="4.0.1")).platform.spark.version == "4.0.1"


def test_dispatcher_app_is_a_valid_marathon_app():
    app = role.dispatcher_app(spark_spec(mode="mesos", deploy_mode="cluster"), ZK, "p")
    marathon_app_validator().validate(app)
    assert app["args"][app["args"].index(f"mesos://zk://{ZK}/mesos") - 1] == "--master"
    # One dispatcher: a second would register a second framework taking the same drivers'
    # submissions (Spark's MesosClusterDispatcher has no leader election); Marathon restarts it.
    assert app["instances"] == 1


def test_dispatcher_app_schema_check_can_fail():
    app = role.dispatcher_app(spark_spec(mode="mesos", deploy_mode="cluster"), ZK, "p")
    app["cmd"] = "also a cmd"  # cmd and args are mutually exclusive in Marathon
    with pytest.raises(jsonschema.ValidationError):
        marathon_app_validator().validate(app)


def _mode_config(mode: str, deploy: str = "client") -> dict:
    extra = {"yarn": {"resource_manager": "rm.example"}} if mode == "yarn" else {}
    # The cluster-mode dispatcher cannot be given a Mesos credential: it needs the explicit opt-out.
    opt_out = {"mesos": {"authenticate_frameworks": False}} if (mode, deploy) == ("mesos", "cluster") else {}
    return {"container-platform:platform": {**spark(mode=mode, deploy_mode=deploy, **extra), **opt_out}}


MODES = [("local", "client"), ("standalone", "client"), ("standalone", "cluster"),
         ("mesos", "client"), ("mesos", "cluster"), ("yarn", "client"), ("yarn", "cluster")]


@remembered
def mode_deployment(mode: str, deploy: str):
    """The default single-machine platform with Spark in `mode` (tests/test_rendered.py pins it)."""
    return evaluate(f"spark-{mode}-{deploy}", _mode_config(mode, deploy))


@pytest.mark.parametrize("mode,deploy", MODES)
def test_every_mode_evaluates_and_exports_its_spark_pi(mode, deploy):
    d = mode_deployment(mode, deploy)
    assert d.error is None, d.error
    assert d.outputs["spark_pi"].startswith("spark-submit --master ")
    assert f"--deploy-mode {deploy}" in d.outputs["spark_pi"]
    roles = [role_of(c) for c in d.containers()]
    assert roles.count("spark-master") == (1 if mode == "standalone" else 0)
    assert roles.count("spark-history") == (0 if mode == "local" else 1)
    client = d.outputs["spark_client_files"]
    assert f"spark.master {d.outputs['spark_master_url']}" in client["/opt/spark/conf/spark-defaults.conf"]
    assert ("/etc/hadoop/conf/yarn-site.xml" in client) == (mode == "yarn")
    if mode == "mesos":
        assert d.outputs["spark_master_url"].startswith("mesos://")
        assert ("spark_dispatcher_marathon_app" in d.outputs) == (deploy == "cluster")


def test_standalone_wiring_by_output(stack):
    d = stack("local-ha")
    zk = d.outputs["zookeeper_connect"]
    masters = [c for c in d.containers() if role_of(c) == "spark-master"]
    workers = [c for c in d.containers() if role_of(c) == "spark-worker"]
    assert len(masters) == 2 and len(workers) == 2
    for m in masters:
        assert f"-Dspark.deploy.zookeeper.url={zk}" in uploads(m)["/opt/spark/conf/spark-env.sh"]
    for w in workers:
        assert w.inputs["command"][-1] == d.outputs["spark_master_url"] == "spark://127.0.0.1:7077,127.0.0.1:7078"
        assert {m.urn for m in masters} <= set(w.dependencies)
    history = [c for c in d.containers() if role_of(c) == "spark-history"]
    assert "spark.history.fs.logDirectory file:/spark-events" in uploads(history[0])["/opt/spark/conf/spark-defaults.conf"]


def test_spark_drivers_on_mesos_register_as_principal_spark_with_the_secret_from_a_file():
    d = mode_deployment("mesos", "client")
    assert d.error is None, d.error
    client = d.outputs["spark_client_files"]
    assert "spark_client_files" in d.secret_outputs  # it carries the secret
    defaults = client[f"{role.CONF_DIR}/spark-defaults.conf"]
    assert "spark.mesos.principal spark\n" in defaults
    assert f"spark.mesos.secret.file {role.MESOS_SECRET_FILE}\n" in defaults
    known = mesos_principals(d)
    assert client[role.MESOS_SECRET_FILE] == known["spark"]
    assert known["spark"] not in defaults


def test_cluster_mode_on_authenticating_mesos_is_refused_with_the_reason():
    with pytest.raises(SpecError) as e:
        load(spark(mode="mesos", deploy_mode="cluster"))
    (problem,) = e.value.problems
    assert problem.path == "platform.spark.deploy_mode"
    assert "authenticate_frameworks: false" in problem.message and "/v2/apps" in problem.message


def test_the_spark_mesos_keys_rendered_exist_in_spark_mesos_3_5():
    """The keys are checked against the real spark-mesos jar (pyspark ships it): a renamed key
    would be silently ignored by Spark and the driver would register without a credential."""
    import pyspark
    jar = next((Path(pyspark.__file__).parent / "jars").glob("spark-mesos_*.jar"))
    with zipfile.ZipFile(jar) as z:
        constants = z.read("org/apache/spark/deploy/mesos/config/package$.class")
    defaults = role.client_defaults(spark_spec(mode="mesos"), "mesos://zk://zk:2181/mesos", mesos_authenticated=True)
    rendered = [k for k in defaults if k.startswith("spark.mesos.")]
    assert {"spark.mesos.principal", "spark.mesos.secret.file"} <= set(rendered)
    for key in rendered:
        assert key.encode() in constants, key
