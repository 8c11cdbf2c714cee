"""The components as a package for other programs: pyproject.toml installs them with their
data files, and examples/zookeeper/ (a program of its own) runs an ensemble with two of them."""
import runpy
import shutil
import subprocess
import sys
import tomllib

from components.hosts import health_gate

from .harness import ROOT, evaluate, role_of, uploads


def test_the_example_program_runs_a_three_node_ensemble_on_this_machine():
    d = evaluate("example", config={},
                 program=lambda: runpy.run_path(str(ROOT / "examples" / "zookeeper" / "__main__.py"), run_name="__main__"))
    assert d.error is None, d.error
    nodes = [c for c in d.containers() if role_of(c) == "zookeeper"]
    assert [c.name for c in nodes] == ["zk-example-zookeeper-1", "zk-example-zookeeper-2", "zk-example-zookeeper-3"]
    assert d.outputs["connect_string"] == "127.0.0.1:12181,127.0.0.1:12182,127.0.0.1:12183"
    seed = uploads(nodes[2])["/conf/zoo.cfg.seed"]
    assert "server.3=127.0.0.1:12890:13890:participant;127.0.0.1:12183" in seed
    assert "server.1=127.0.0.1:12888:13888:participant;127.0.0.1:12181" in seed
    gates = {r.name: r.urn for r in d.resources if r.name.endswith(health_gate.GATE_SUFFIX)}
    assert gates[f"{nodes[0].name}{health_gate.GATE_SUFFIX}"] in nodes[1].dependencies  # quorum-safe here too
    assert {r.type for r in d.resources} <= {"container-platform:hosts:LocalHost", "pulumi:providers:docker",
                                              "container-platform:zookeeper:ZooKeeperEnsemble", "docker:index/remoteImage:RemoteImage",
                                              "docker:index/volume:Volume", "docker:index/container:Container",
                                              "command:local:Command", "random:index/randomPassword:RandomPassword"}


def test_the_package_installs_with_its_data_files_and_the_projects_pins(tmp_path):
    # Built from a copy of what the package is made of (pip builds in the source tree).
    source, target = tmp_path / "source", tmp_path / "site"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "components", source / "components", ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                            "--target", str(target), str(source)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import components.platform.zookeeper as z, "
             "components.hosts.physical as p, components.roles.mesos; from pathlib import Path; "
             "assert str(Path(z.__file__)).startswith(sys.argv[1]); assert p.BOOTSTRAP.is_file(); "
             "root = Path(z.__file__).parents[1]; "
             "assert (root / 'roles' / 'flags' / 'mesos-1.7-master.txt').is_file(); "
             "assert (root / 'compose' / 'compose-spec.json').is_file(); print('ok')")
    run = subprocess.run([sys.executable, "-c", probe, str(target)], cwd=tmp_path, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"}, timeout=120)
    assert run.stdout.strip() == "ok", run.stderr
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    required = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert sorted(pins) == sorted(required)
