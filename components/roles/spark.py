"""Spark in every run mode: rendered `spark-env.sh` and `spark-defaults.conf` per role, and the
exact `spark-submit` command line of each mode.

Spark reads configuration three ways (in the application, spark-submit flags, and the files in
SPARK_CONF_DIR); the platform renders the files, so an application needs no cluster knowledge.
Standalone daemons read their host, ports, cores and memory from `spark-env.sh`
(`SPARK_MASTER_*`, `SPARK_WORKER_*`) and the recovery settings from `SPARK_DAEMON_JAVA_OPTS`,
as Spark's standalone documentation describes.
"""
from __future__ import annotations

import shlex
from typing import Mapping, Optional, Sequence

import pulumi

from ..spec import Instance
from ..spec.model import Spark
from .container import ContainerSpec, HealthCheck, Volume, container_name, lift
from .tls import TlsFiles, TlsMaterial, libprocess

SPARK_HOME = "/opt/spark"
CONF_DIR = f"{SPARK_HOME}/conf"
# Where a submitting client keeps the Spark principal's Mesos secret (spark.mesos.secret.file).
MESOS_SECRET_FILE = f"{CONF_DIR}/mesos-secret"
MESOS_PRINCIPAL = "spark"
MESOS_ROLE = "*"  # drivers register with Spark's default role (spark.mesos.role is not set)
HADOOP_CONF_DIR = "/etc/hadoop/conf"
# A driver's libmesos speaks TLS to the masters with the certificate the platform issues Spark.
TLS_FILES = TlsFiles(f"{CONF_DIR}/tls")
EVENTS_VOLUME_PATH = "/spark-events"
EXAMPLES_JAR = f"{SPARK_HOME}/examples/jars/spark-examples_2.12-{{version}}.jar"
SPARK_PI_ARGS = ("--executor-memory", "1G", "--total-executor-cores", "2")
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
HISTORY_CLASS = "org.apache.spark.deploy.history.HistoryServer"
DISPATCHER_CLASS = "org.apache.spark.deploy.mesos.MesosClusterDispatcher"


def render_env(values: Mapping[str, str]) -> str:
    lines = ["# spark-env.sh, rendered by container-platform"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def render_defaults(values: Mapping[str, str]) -> str:
    lines = ["# spark-defaults.conf, rendered by container-platform"]
    lines += [f"{k} {v}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def recovery_opts(spark: Spark, zk_connect: str) -> str:
    return " ".join([
        "-Dspark.deploy.recoveryMode=ZOOKEEPER",
        f"-Dspark.deploy.zookeeper.url={zk_connect}",
        f"-Dspark.deploy.zookeeper.dir={spark.zookeeper_dir}",
    ])


def standalone_url(masters: Sequence[tuple[str, int]]) -> str:
    """`spark://h1:7077,h2:7077`: a client tries every master and follows the active one."""
    return "spark://" + ",".join(f"{a}:{p}" for a, p in masters)


def master_url(spark: Spark, standalone: Sequence[tuple[str, int]] = (), zk_connect: str = "",
               dispatcher: str = "") -> str:
    """The `--master` of an application, by mode (and deploy mode on Mesos)."""
    if spark.mode == "local":
        return f"local[{spark.local_threads}]"
    if spark.mode == "standalone":
        return standalone_url(standalone)
    if spark.mode == "mesos":
        # Client mode talks to the Mesos masters directly; cluster mode hands the driver
        # to the dispatcher, which launches it on the cluster.
        return f"mesos://{dispatcher}" if spark.deploy_mode == "cluster" else f"mesos://zk://{zk_connect}/mesos"
    return "yarn"


def client_defaults(spark: Spark, master: str, mesos_authenticated: bool = False) -> dict[str, str]:
    """spark-defaults.conf for whoever submits: the master, event logs, mode-specific settings.
    A driver on authenticating Mesos masters registers as principal `spark` with the secret
    read from a file (keys as spark-mesos 3.5 defines them in deploy/mesos/config)."""
    values = {
        "spark.master": master,
        "spark.submit.deployMode": spark.deploy_mode,
    }
    if spark.history.enabled:
        values["spark.eventLog.enabled"] = "true"
        values["spark.eventLog.dir"] = spark.event_log_dir
    if spark.mode == "mesos":
        values["spark.mesos.executor.docker.image"] = spark.mesos.executor_image
        values["spark.mesos.executor.home"] = SPARK_HOME
        if mesos_authenticated:
            values["spark.mesos.principal"] = MESOS_PRINCIPAL
            values["spark.mesos.secret.file"] = MESOS_SECRET_FILE
    if spark.mode == "yarn" and spark.yarn:
        values["spark.yarn.queue"] = spark.yarn.queue
    return values


def client_env(spark: Spark, tls_env: Mapping[str, str] = {}) -> dict[str, str]:
    """spark-env.sh of a submitting client: Hadoop's config on YARN; on Mesos with TLS the
    driver's `LIBPROCESS_SSL_*` (`tls_env`)."""
    return {"HADOOP_CONF_DIR": HADOOP_CONF_DIR} if spark.mode == "yarn" else dict(tls_env)


def client_files(spark: Spark, master: str, mesos_secret: Optional[str] = None,
                 tls: Optional[TlsMaterial] = None) -> dict[str, str]:
    """Every file a submitting client needs, by path: SPARK_CONF_DIR's two files, on YARN the
    Hadoop site files HADOOP_CONF_DIR points at, on authenticating Mesos masters the principal's
    secret (`mesos_secret`), and on Mesos with TLS the driver's certificate (`tls`, plain
    values); keep the secret and the key mode 0400."""
    authenticated = spark.mode == "mesos" and mesos_secret is not None
    secure = libprocess(tls if spark.mode == "mesos" else None, TLS_FILES, verify_masters=True, accept_plain=False)
    return {
        f"{CONF_DIR}/spark-defaults.conf": render_defaults(client_defaults(spark, master, authenticated)),
        f"{CONF_DIR}/spark-env.sh": render_env(client_env(spark, secure.env)),
        **hadoop_site_files(spark),
        **({MESOS_SECRET_FILE: mesos_secret} if authenticated and mesos_secret is not None else {}),
        **secure.files, **secure.secret_files,
    }


def spark_submit(spark: Spark, master: str, application: Sequence[str] = (), args: Sequence[str] = ("100",)) -> list[str]:
    """The SparkPi submission of a mode, as an argv list.

    `application` defaults to SparkPi from the examples jar in the Spark image.
    """
    app = list(application) or ["--class", "org.apache.spark.examples.SparkPi",
                                EXAMPLES_JAR.format(version=spark.version)]
    cmd = ["spark-submit", "--master", master, "--deploy-mode", spark.deploy_mode]
    if spark.mode == "yarn":
        # YARN sizes by executors, not total cores.
        cmd += ["--executor-memory", "1G", "--num-executors", "2"]
    else:
        cmd += list(SPARK_PI_ARGS)
    # The application comes after every option: spark-submit passes what follows it to the app.
    return cmd + app + list(args)


def hadoop_site_files(spark: Spark) -> dict[str, str]:
    """core-site.xml and yarn-site.xml pointing at the existing Hadoop cluster."""
    if spark.mode != "yarn" or spark.yarn is None:
        return {}

    def site(props: Mapping[str, str]) -> str:
        body = "".join(f"  <property>\n    <name>{k}</name>\n    <value>{v}</value>\n  </property>\n" for k, v in props.items())
        return f'<?xml version="1.0"?>\n<!-- rendered by container-platform -->\n<configuration>\n{body}</configuration>\n'

    rm = spark.yarn.resource_manager
    return {
        f"{HADOOP_CONF_DIR}/core-site.xml": site({"fs.defaultFS": spark.yarn.default_fs}),
        f"{HADOOP_CONF_DIR}/yarn-site.xml": site({
            "yarn.resourcemanager.hostname": rm,
            "yarn.resourcemanager.address": f"{rm}:8032",
            "yarn.resourcemanager.scheduler.address": f"{rm}:8030",
        }),
    }


def master_env(node: Instance, address: str, spark: Spark, zk_connect: Optional[str]) -> dict[str, str]:
    env = {
        "SPARK_MASTER_HOST": address,
        "SPARK_MASTER_PORT": str(node.port("rpc")),
        "SPARK_MASTER_WEBUI_PORT": str(node.port("ui")),
        "SPARK_LOCAL_IP": address,
    }
    if spark.recovery == "zookeeper" and zk_connect:
        env["SPARK_DAEMON_JAVA_OPTS"] = recovery_opts(spark, zk_connect)
    return env


def master_defaults(node: Instance) -> dict[str, str]:
    return {"spark.master.rest.enabled": "true", "spark.master.rest.port": str(node.port("rest"))}


def worker_env(node: Instance, address: str, spark: Spark) -> dict[str, str]:
    return {
        "SPARK_WORKER_CORES": str(spark.workers.cores),
        "SPARK_WORKER_MEMORY": spark.workers.memory,
        "SPARK_WORKER_PORT": str(node.port("rpc")),
        "SPARK_WORKER_WEBUI_PORT": str(node.port("ui")),
        "SPARK_LOCAL_IP": address,
    }


def history_defaults(node: Instance, spark: Spark) -> dict[str, str]:
    return {"spark.history.fs.logDirectory": spark.event_log_dir, "spark.history.ui.port": str(node.port("ui"))}


def _events_volume(spark: Spark, platform_name: str) -> tuple[Volume, ...]:
    """Drivers (in masters' and workers' containers) write event logs the history server reads."""
    if spark.event_log_dir.startswith("file:"):
        return (Volume(EVENTS_VOLUME_PATH, name=f"{platform_name}-spark-events", persistent=True),)
    return ()


def _daemon(node: Instance, role: str, klass: str, env: pulumi.Input[str], defaults: Mapping[str, str],
            spark: Spark, platform_name: str, args: Sequence[pulumi.Input[str]] = ()) -> ContainerSpec:
    """A Spark daemon: `spark-class <klass>` with its rendered files in SPARK_CONF_DIR."""
    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=spark.image,
        args=(f"{SPARK_HOME}/bin/spark-class", klass, *args),
        env={"SPARK_CONF_DIR": CONF_DIR, "SPARK_NO_DAEMONIZE": "true"},
        files={f"{CONF_DIR}/spark-env.sh": env, f"{CONF_DIR}/spark-defaults.conf": render_defaults(defaults)},
        volumes=_events_volume(spark, platform_name),
        # The image has bash but no curl: the UI port accepting a connection means the daemon is up.
        health=HealthCheck(("CMD", "bash", "-c",
                            f". {CONF_DIR}/spark-env.sh && exec 3<>/dev/tcp/$SPARK_LOCAL_IP/{node.port('ui')}")),
        labels={"container-platform/role": role},
    )


def spark_master(node: Instance, address: pulumi.Input[str], zk_connect: Optional[pulumi.Input[str]],
                 spark: Spark, platform_name: str) -> ContainerSpec:
    env = lift(lambda a, zk: render_env(master_env(node, a, spark, zk)), address, zk_connect)
    return _daemon(node, "spark-master", MASTER_CLASS, env, master_defaults(node), spark, platform_name)


def spark_worker(node: Instance, address: pulumi.Input[str], masters_url: pulumi.Input[str],
                 spark: Spark, platform_name: str) -> ContainerSpec:
    env = lift(lambda a: render_env(worker_env(node, a, spark)), address)
    return _daemon(node, "spark-worker", WORKER_CLASS, env, {}, spark, platform_name, args=(masters_url,))


def spark_history(node: Instance, address: pulumi.Input[str], spark: Spark, platform_name: str) -> ContainerSpec:
    env = lift(lambda a: render_env({"SPARK_LOCAL_IP": a}), address)
    return _daemon(node, "spark-history", HISTORY_CLASS, env, history_defaults(node, spark), spark, platform_name)


def dispatcher_app(spark: Spark, zk_connect: str, platform_name: str) -> dict:
    """The MesosClusterDispatcher as a Marathon app (cluster mode on Mesos).

    Valid against Marathon's AppDefinition schema; host networking with fixed ports, so the
    dispatcher's address is `<agent>:<dispatcher_port>`, reached through marathon-lb.
    """
    m = spark.mesos
    return {
        "id": f"/{platform_name}/spark-dispatcher",
        "instances": 1,
        "cpus": 0.5,
        "mem": 1024,
        "args": [
            f"{SPARK_HOME}/bin/spark-class", DISPATCHER_CLASS,
            "--master", f"mesos://zk://{zk_connect}/mesos",
            "--port", str(m.dispatcher_port), "--webui-port", str(m.dispatcher_web_ui_port),
            "--zk", zk_connect, "--name", f"{platform_name}-spark",
        ],
        "env": {"SPARK_CONF_DIR": CONF_DIR, "SPARK_NO_DAEMONIZE": "true"},
        "container": {"type": "DOCKER", "docker": {"image": spark.image, "network": "HOST"}},
        "requirePorts": True,
        "portDefinitions": [
            {"port": m.dispatcher_port, "protocol": "tcp", "name": "dispatcher"},
            {"port": m.dispatcher_web_ui_port, "protocol": "tcp", "name": "ui"},
        ],
        "healthChecks": [{"protocol": "HTTP", "path": "/", "portIndex": 1, "gracePeriodSeconds": 120,
                          "intervalSeconds": 20, "maxConsecutiveFailures": 3}],
        "upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 0},
        "labels": {"container-platform/role": "spark-dispatcher"},
    }
