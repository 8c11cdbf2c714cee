"""Real Spark (pyspark 3.5 from PyPI, Java 17): SparkPi in local[2]; a standalone master and
worker started from the rendered files, SparkPi submitted with the rendered command; the history
server from its rendered config listing that run; two masters with real ZooKeeper recovery.

Daemons run the exact `spark-class` command of their ContainerSpec with its rendered
spark-env.sh and spark-defaults.conf in SPARK_CONF_DIR: only /opt/spark (the image's
SPARK_HOME) is swapped for the wheel's.
"""
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path

import pyspark
import pytest

from components.roles import spark as role
from components.roles.container import ContainerSpec
from components.spec import load

from .realhelpers import free_port_blocks, stop, wait_for
from .realzk import ensemble

pytestmark = pytest.mark.real

SPARK_HOME = Path(pyspark.__file__).resolve().parent
PI = Path(__file__).resolve().parents[1] / "examples" / "spark" / "pi.py"


class Cluster:
    """Runs role ContainerSpecs as local processes; stops every one it started."""

    def __init__(self, work: Path):
        self.work = work
        self.procs: list[subprocess.Popen] = []

    def env(self, conf: Path, extra=None) -> dict:
        return {**os.environ, **(extra or {}), "SPARK_HOME": str(SPARK_HOME), "SPARK_CONF_DIR": str(conf),
                "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable, "SPARK_LOG_DIR": str(self.work)}

    def conf_dir(self, name: str, files: dict) -> Path:
        conf = self.work / name / "conf"
        conf.mkdir(parents=True)
        for path, content in files.items():
            assert path.startswith(role.CONF_DIR + "/"), path
            (conf / Path(path).name).write_text(content)
        return conf

    def start(self, spec: ContainerSpec) -> subprocess.Popen:
        conf = self.conf_dir(spec.name, spec.files)
        argv = [spec.args[0].replace(role.SPARK_HOME, str(SPARK_HOME)), *spec.args[1:]]
        log = open(self.work / f"{spec.name}.log", "w")
        # spark-class execs the JVM, so this PID is the daemon's.
        proc = subprocess.Popen(argv, env=self.env(conf, spec.env | {"SPARK_CONF_DIR": str(conf)}),
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def submit(self, spark, master_url: str, name: str) -> str:
        """Submit pi.py with the mode's rendered spark-submit command and client files."""
        conf = self.conf_dir(f"client-{name}", role.client_files(spark, master_url))
        argv = role.spark_submit(spark, master_url, application=[str(PI)], args=["100"])
        argv[0] = str(SPARK_HOME / "bin" / "spark-submit")
        result = subprocess.run(argv, env=self.env(conf), capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def stop_all(self):
        for p in self.procs:
            stop(p)


@pytest.fixture
def cluster():
    with tempfile.TemporaryDirectory(prefix="spark-") as work:
        c = Cluster(Path(work))
        try:
            yield c
        finally:
            c.stop_all()


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def pi_of(stdout: str) -> float:
    return float(re.search(r"Pi is roughly ([0-9.]+)", stdout).group(1))


def spark_env(work: Path, masters: int = 1, zookeeper_port: int = 2181):
    events = work / "events"
    events.mkdir(exist_ok=True)
    port, web_ui, rest, worker, worker_ui, history = free_port_blocks(masters, masters, masters, 1, 1, 1)
    return load({
        "zookeeper": {"client_port": zookeeper_port},
        "marathon": {"enabled": False}, "discovery": {"enabled": False},
        "spark": {"enabled": True, "mode": "standalone", "event_log_dir": f"file:{events}",
                  "zookeeper_dir": f"/spark-test-{uuid.uuid4().hex}",
                  "masters": {"count": masters, "port": port, "web_ui_port": web_ui, "rest_port": rest},
                  "workers": {"count": 1, "cores": 2, "memory": "2g", "port": worker, "web_ui_port": worker_ui},
                  "history": {"port": history}},
    })


def master_status(env, node) -> dict:
    return get_json(f"http://127.0.0.1:{node.port('ui')}/json/")


def test_spark_pi_in_local_mode(cluster):
    spark = load({"spark": {"enabled": True, "mode": "local", "local_threads": 2,
                            "event_log_dir": f"file:{cluster.work}", "history": {"enabled": False}},
                  "marathon": {"enabled": False}, "discovery": {"enabled": False}}).platform.spark
    url = role.master_url(spark)
    assert url == "local[2]"
    assert abs(pi_of(cluster.submit(spark, url, "local")) - math.pi) < 0.01


def test_standalone_runs_spark_pi_and_the_history_server_lists_it(cluster):
    env = spark_env(cluster.work)
    spark = env.platform.spark
    (m,), (w,), (h,) = env.of("spark-master"), env.of("spark-worker"), env.of("spark-history")
    cluster.start(role.spark_master(m, "127.0.0.1", None, spark, "t"))
    wait_for("the master to be ALIVE", lambda: master_status(env, m)["status"] == "ALIVE", timeout=60)
    url = role.standalone_url([("127.0.0.1", m.port("rpc"))])
    cluster.start(role.spark_worker(w, "127.0.0.1", url, spark, "t"))
    wait_for("the worker to register", lambda: len(master_status(env, m)["workers"]) == 1, timeout=60)

    out = cluster.submit(spark, url, "standalone")
    assert abs(pi_of(out) - math.pi) < 0.01
    (app,) = master_status(env, m)["completedapps"]
    assert app["name"] == "PythonPi" and app["state"] == "FINISHED"

    cluster.start(role.spark_history(h, "127.0.0.1", spark, "t"))

    def listed():
        apps = get_json(f"http://127.0.0.1:{h.port('ui')}/api/v1/applications")
        return any(a["id"] == app["id"] and a["attempts"][0]["completed"] for a in apps)

    wait_for("the history server to list the run", listed, timeout=90)


def test_zookeeper_recovery_promotes_the_standby_and_serves_a_new_submission(cluster):
    with ensemble(1) as zk:
        (zk_port,) = zk
        env = spark_env(cluster.work, masters=2, zookeeper_port=zk_port)
        spark = env.platform.spark
        zk_connect = f"127.0.0.1:{zk_port}"
        m1, m2 = env.of("spark-master")
        (w,) = env.of("spark-worker")
        first = cluster.start(role.spark_master(m1, "127.0.0.1", zk_connect, spark, "t"))
        wait_for("master 1 to be ALIVE", lambda: master_status(env, m1)["status"] == "ALIVE", timeout=90)
        cluster.start(role.spark_master(m2, "127.0.0.1", zk_connect, spark, "t"))
        wait_for("master 2 to be STANDBY", lambda: master_status(env, m2)["status"] == "STANDBY", timeout=60)
        url = role.standalone_url([("127.0.0.1", m1.port("rpc")), ("127.0.0.1", m2.port("rpc"))])
        cluster.start(role.spark_worker(w, "127.0.0.1", url, spark, "t"))
        wait_for("the worker to register", lambda: len(master_status(env, m1)["workers"]) == 1, timeout=60)

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        wait_for("master 2 to take over", lambda: master_status(env, m2)["status"] == "ALIVE", timeout=120)
        wait_for("the worker to re-register with master 2",
                 lambda: any(x["state"] == "ALIVE" for x in master_status(env, m2)["workers"]), timeout=60)

        out = cluster.submit(spark, url, "recovered")
        assert abs(pi_of(out) - math.pi) < 0.01
        assert [a["state"] for a in master_status(env, m2)["completedapps"]] == ["FINISHED"]
