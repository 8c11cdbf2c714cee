"""The GitHub workflows are valid against the workflow schema (action-validator, from npm)."""
import subprocess
from pathlib import Path

import pytest

from .harness import ROOT

VALIDATOR = ROOT / ".tools" / "node_modules" / ".bin" / "action-validator"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid(workflow: Path):
    run = subprocess.run([str(VALIDATOR), str(workflow)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_validator_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text().replace("runs-on:", "runs-onn:", 1))
    assert subprocess.run([str(VALIDATOR), str(broken)], capture_output=True).returncode != 0
