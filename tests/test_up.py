"""The operator's entry point (ops/up.py): the offline plan, and what happens without the CLI."""
import os
import subprocess
import sys

from ops import up

from .harness import ROOT


def test_the_local_plan_lists_each_component_and_the_outputs_with_secrets_masked():
    text, ok = up.plan("local")
    assert ok
    lines = text.splitlines()
    assert lines[0].startswith("Offline plan for stack `local`")
    zk = next(line for line in lines if line.strip().startswith("ZooKeeperEnsemble zookeeper:"))
    # the node, its health gate and the change of members; its superuser's password
    assert "1 docker:Container" in zk and "2 command:Command" in zk and "1 random:RandomPassword" in zk
    total = next(line for line in lines if line.strip().endswith("resources in all"))
    components = lines[:lines.index("Stack outputs:")]
    parts = [int(line.split(":")[1].split()[0]) for line in components if line.startswith("  ") and ": " in line
             and "(" in line]
    assert int(total.split()[0]) == sum(parts)
    assert "  mesos_ui = http://127.0.0.1:5050" in lines
    assert "  marathon_credentials = [secret]" in lines and "placeholder-" not in text
    # Then what to open, as full URLs: the UIs and what the Compose stacks publish.
    doors = lines[lines.index("Then open:") + 1:]
    assert "  Mesos: http://127.0.0.1:5050" in doors and "  Marathon: http://127.0.0.1:8080" in doors
    assert "  app/web: http://127.0.0.1:8000" in doors and any("marathon_credentials" in l for l in doors)


def test_values_only_a_deployment_knows_are_said_to_be_known_after_up():
    text, ok = up.plan("prod")
    assert ok
    hosts = next(line for line in text.splitlines() if line.startswith("  hosts = "))
    assert "(known after up)" in hosts and "zk-a-id" not in hosts and "10.50." in hosts  # addresses are planned


def test_without_the_cli_up_prints_the_plan_and_how_to_install_it():
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if not os.path.exists(os.path.join(p, "pulumi")))
    run = subprocess.run([sys.executable, "-m", "ops.up", "local", "up"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PATH": path, "PYTHONPATH": ""}, timeout=300)
    assert run.returncode == 127
    assert run.stdout.startswith("Offline plan for stack `local`") and "mesos_ui = " in run.stdout
    assert "The Pulumi CLI is not installed, and `pulumi up` needs it" in run.stderr
    assert "https://www.pulumi.com/docs/install/" in run.stderr


def test_an_unknown_stack_is_named_with_the_ones_there_are(capsys):
    assert up.main(["nosuch", "plan"]) == 2
    err = capsys.readouterr().err
    assert "stacks/Pulumi.nosuch.yaml" in err and "local" in err and "prod" in err
