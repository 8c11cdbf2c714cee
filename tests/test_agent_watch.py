"""Agents on AWS: a dead agent is replaced in every group, and an agent leaves drained
(components/aws/agent_watch.py)."""
import http.server
import os
import signal
import subprocess
import threading
import time

import pytest

from components.aws import agent_watch
from components.hosts import cloud_init

from .conftest import PLACEHOLDER_SECRETS
from .harness import cloud_config, evaluate, units
from .memo import remembered
from .realhelpers import DOCKER, STANDIN_IMAGE, docker, wait_for

@remembered
def prod():
    return evaluate("prod", secrets=PLACEHOLDER_SECRETS)


def agent_of(template) -> str:
    (agent,) = [u.name for u in units(prod()) if u.host == template.name and u.role == "mesos-agent"]
    return agent


def watch_of(template) -> str:
    files = {f["path"]: f for f in cloud_config(template)["write_files"]}
    unit = files[f"/etc/systemd/system/cp-{agent_watch.NAME}.service"]["content"]
    assert f"ExecStart=/bin/sh {cloud_init.ROOT}/{agent_watch.NAME}.sh" in unit and "Restart=always" in unit
    script = files[f"{cloud_init.ROOT}/{agent_watch.NAME}.sh"]
    assert script["permissions"] == "0700"
    return script["content"]


def test_every_agent_group_drains_on_termination_and_refreshes_without_losing_capacity():
    d = prod()
    for group in d.of_type("aws:autoscaling/group:Group"):
        (hook,) = group.inputs["initialLifecycleHooks"]
        assert hook == {"name": agent_watch.LIFECYCLE_HOOK, "lifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
                        "heartbeatTimeout": agent_watch.HOOK_TIMEOUT_S, "defaultResult": "CONTINUE"}
        assert hook["heartbeatTimeout"] > agent_watch.DRAIN_S
        preferences = group.inputs["instanceRefresh"]["preferences"]
        assert preferences["minHealthyPercentage"] == 100 and preferences["maxHealthyPercentage"] > 100
    for template in d.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        config = cloud_config(template)
        assert ["systemctl", "enable", "--now", f"cp-{agent_watch.NAME}.service"] == config["runcmd"][-1]
        assert "awscli" in config["packages"]
        script = watch_of(template)
        assert f"docker kill --signal USR1 {agent_of(template)} " in script and "--region eu-west-1" in script


class FakeImds(http.server.BaseHTTPRequestHandler):
    """IMDSv2 as an instance in an auto scaling group sees it: a token first, then the instance
    id and the target lifecycle state (InService, then Terminated once the group lets it go)."""

    state = "InService"

    def do_PUT(self):
        self._reply("token-1" if self.path == "/latest/api/token" else None)

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != "token-1":
            return self._reply(None, 401)
        self._reply({"/latest/meta-data/instance-id": "i-0abc",
                     "/latest/meta-data/autoscaling/target-lifecycle-state": FakeImds.state}.get(self.path))

    def _reply(self, body, code=200):
        code = code if body is not None or code != 200 else 404
        self.send_response(code)
        self.end_headers()
        if body is not None:
            self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.mark.real
def test_the_watch_reports_a_dead_agent_then_drains_it_when_the_group_lets_it_go(tmp_path):
    """The rendered watch, as systemd runs it, against a real container under the agent's name
    (its health check and its SIGUSR1 handling stood in for by a shell as PID 1, as the agent
    image's entrypoint is the bare mesos-slave binary: IMAGE-FACTS), IMDS and the AWS CLI stood
    in for on this machine."""
    (template,) = [t for t in prod().of_type("aws:ec2/launchTemplate:LaunchTemplate") if t.name == "agent-private"]
    script = tmp_path / "agent-watch.sh"
    script.write_text(watch_of(template))
    agent = agent_of(template)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "aws-calls"
    (bin_dir / "aws").write_text(
        "#!/bin/sh\n# stand-in for the AWS CLI: records each call; the group of this instance\n"
        f"echo \"$*\" >> {calls}\n"
        "case \"$2\" in describe-auto-scaling-instances) echo prod-agent-private-abc123 ;; esac\n")
    (bin_dir / "aws").chmod(0o755)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeImds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeImds.state = "InService"
    docker("run", "-d", "--name", agent, "--restart", "unless-stopped", "--health-cmd", "test ! -e /tmp/sick",
           "--health-interval", "1s", "--health-retries", "1", "--entrypoint", "sh", STANDIN_IMAGE, "-c",
           "trap 'echo drained; exit 0' USR1; while :; do sleep 1; done")
    env = {**os.environ, "IMDS": f"http://127.0.0.1:{server.server_address[1]}",
           "PATH": f"{bin_dir}:{os.path.dirname(DOCKER)}:{os.environ['PATH']}"}
    watch = subprocess.Popen(["/bin/sh", str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, start_new_session=True)
    said = lambda: calls.read_text() if calls.exists() else ""  # noqa: E731
    try:
        wait_for("the agent healthy", lambda: docker("inspect", "-f", "{{.State.Health.Status}}", agent).stdout.strip() == "healthy")
        time.sleep(agent_watch.POLL_S + 2)
        assert said() == "", "a healthy agent is left alone"
        docker("exec", agent, "touch", "/tmp/sick")
        wait_for("the instance reported unhealthy", lambda: "set-instance-health" in said(), timeout=3 * agent_watch.POLL_S)
        assert said().splitlines()[0] == "autoscaling set-instance-health --region eu-west-1 --instance-id i-0abc --health-status Unhealthy"

        FakeImds.state = "Terminated"
        wait_for("the lifecycle action completed", lambda: "complete-lifecycle-action" in said(), timeout=3 * agent_watch.POLL_S)
        assert said().splitlines()[-1] == (
            "autoscaling complete-lifecycle-action --region eu-west-1 --auto-scaling-group-name prod-agent-private-abc123 "
            f"--lifecycle-hook-name {agent_watch.LIFECYCLE_HOOK} --instance-id i-0abc --lifecycle-action-result CONTINUE")
        state = docker("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}", agent).stdout.split()
        assert state == ["false", "0", "no"], "drained by SIGUSR1 and not restarted by Docker"
        assert docker("logs", agent).stdout.strip() == "drained"
        time.sleep(3)
        assert docker("inspect", "-f", "{{.State.Running}}", agent).stdout.strip() == "false"
    finally:
        os.killpg(watch.pid, signal.SIGTERM)
        watch.wait(timeout=10)
        server.shutdown()
        docker("rm", "-f", agent, check=False)
