"""Real: what the Mesos agent's container needs to do what Mesos 1.7's Docker containerizer does
with cgroups (src/slave/containerizer/docker.cpp, `__update`: it finds the v1 hierarchy that has
the `cpu` subsystem in /proc/mounts, reads a task's cgroup from /proc/<pid>/cgroup, and writes
cpu.shares there; `cgroupsStatistics` reads the same paths).

Played with the agent spec's exact volumes and PID mode, unprivileged as rendered, against a
sibling container started through this engine, as a task would be. This machine is cgroup v1,
where the agent must see and write the host's hierarchy. On a cgroup v2 host there is no v1
(`cgroup` type) mount at all, and Mesos 1.7 then skips the update (a None hierarchy): the test
checks that branch where the machine is v2."""
import subprocess

import pytest

from components.roles import mesos as role
from components.spec import load

from .realhelpers import BASE_IMAGE, docker

pytestmark = pytest.mark.real


def agent_run_options() -> list[str]:
    env = load({})
    node = env.of("mesos-agent")[0]
    spec = role.mesos_agent(node, env.platform.mesos.agent_pools[0], "127.0.0.1", "zk:2181", env.platform.mesos, "t",
                            auth=role.AgentAuth("{}", "{}", "{}"))
    options = [f"--pid={spec.pid_mode}"]  # never --privileged: a ContainerSpec has no way to ask for it
    for v in spec.volumes:
        if v.host_path in ("/sys/fs/cgroup", "/var/run/docker.sock"):  # not the work dir: no host dirs made
            options += ["-v", f"{v.host_path}:{v.container_path}" + (":ro" if v.read_only else "")]
    return options


def cgroup_version() -> int:
    kind = subprocess.run(["stat", "-fc", "%T", "/sys/fs/cgroup"], capture_output=True, text=True).stdout.strip()
    return 2 if kind == "cgroup2fs" else 1


def test_the_unprivileged_agent_container_can_resize_a_task_cgroup_as_mesos_does():
    task = docker("run", "-d", "--rm", BASE_IMAGE, "sleep", "120").stdout.strip()
    try:
        pid = docker("inspect", "-f", "{{.State.Pid}}", task).stdout.strip()
        script = (
            "set -eu\n"
            # cgroups::hierarchy("cpu"): a mount of type cgroup whose options name cpu
            "h=$(awk '$3 == \"cgroup\" && $4 ~ /(^|,)cpu(,|$)/ {print $2; exit}' /proc/mounts)\n"
            "[ -n \"$h\" ] || { echo no-v1-hierarchy; exit 0; }\n"
            # cgroups::cpu::cgroup(pid): the task's cgroup in that hierarchy
            f"cg=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {{print $3; exit}}' /proc/{pid}/cgroup)\n"
            "echo 512 > \"$h$cg/cpu.shares\"\n"
            "cat \"$h$cg/cpu.shares\"\n")
        result = docker("run", "--rm", *agent_run_options(), BASE_IMAGE, "sh", "-c", script, check=False)
        assert result.returncode == 0, result.stderr
        if cgroup_version() == 1:
            assert result.stdout.strip() == "512"  # written where the host enforces it
            # Without the mount the same write fails: the agent's container shows only its own cgroup.
            bare = docker("run", "--rm", "--pid=host", BASE_IMAGE, "sh", "-c", script, check=False)
            assert bare.returncode != 0
        else:
            assert result.stdout.strip() == "no-v1-hierarchy"  # Mesos 1.7 skips the update
    finally:
        docker("rm", "-f", task, check=False)
