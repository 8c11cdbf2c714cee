"""Mesos and Marathon cannot run here: every flag rendered must be a documented flag of the
pinned version, checked against the lists (and their sources) in components/roles/flags/."""
from pathlib import Path

import pytest

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
    for c in deployment.containers():
        labels = {l["label"]: l["value"] for l in c.inputs["labels"]}
        if labels["container-platform/role"] == role:
            for entry in c.inputs.get("envs", []):
                key = entry.split("=", 1)[0]
                if key.startswith(prefix):
                    yield c.name, key[len(prefix):].lower()


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_every_rendered_flag_is_documented(deployment, role):
    _, allowed = ALLOWED[role]
    flags = list(rendered_flags(deployment, role))
    assert flags, f"no {role} in this stack"
    undocumented = [(name, flag) for name, flag in flags if flag not in allowed]
    assert not undocumented


def test_the_check_catches_an_undocumented_flag():
    _, allowed = ALLOWED["mesos-agent"]
    assert "containerizers" in allowed and "containerizer" not in allowed
