"""Mesos and Marathon cannot run here: every flag rendered must be a documented flag of the
pinned version, checked against the lists (and their sources) in components/roles/flags/."""
import copy
from pathlib import Path

import pytest

from .harness import role_of, workloads

FLAGS = Path(__file__).resolve().parent.parent / "components" / "roles" / "flags"


def documented(*names: str) -> set[str]:
    flags = set()
    for name in names:
        for line in (FLAGS / name).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                flags.add(line.strip())
    return flags


ALLOWED = {
    "mesos-master": ("MESOS_", documented("mesos-1.7-master.txt", "mesos-1.7-shared.txt")),
    "mesos-agent": ("MESOS_", documented("mesos-1.7-agent.txt", "mesos-1.7-shared.txt")),
    "marathon": ("MARATHON_", documented("marathon-1.7.txt")),
}


def rendered_flags(deployment, role):
    prefix, _ = ALLOWED[role]
    for w in workloads(deployment):  # docker containers and EC2 cloud-init units
        if w.role == role:
            for key in w.env:
                if key.startswith(prefix):
                    yield w.name, key[len(prefix):].lower()


def undocumented(deployment, role):
    _, allowed = ALLOWED[role]
    flags = list(rendered_flags(deployment, role))
    assert flags, f"no {role} in this stack"
    return [(name, flag) for name, flag in flags if flag not in allowed]


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_every_rendered_flag_is_documented(deployment, role):
    assert undocumented(deployment, role) == []


def test_the_check_catches_an_undocumented_flag(stack):
    d = copy.deepcopy(stack("local"))
    agent = next(c for c in d.containers() if role_of(c) == "mesos-agent")
    agent.inputs["envs"].append("MESOS_CONTAINERIZER=docker")  # the real flag is plural
    assert undocumented(d, "mesos-agent") == [(agent.name, "containerizer")]
