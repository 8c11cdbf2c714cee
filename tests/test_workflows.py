"""The GitHub workflows are valid against the workflow schema (action-validator, from npm)."""
import subprocess
from pathlib import Path

import pytest
import yaml

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


def jobs(workflow: Path) -> dict:
    return yaml.safe_load(workflow.read_text())["jobs"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_is_spliced_into_a_shell_line(workflow: Path):
    """`${{ }}` in `run:` is pasted into the script before the shell parses it, so a value a pull
    request controls (a branch name, a job output it computed) could run as code: env only."""
    for name, job in jobs(workflow).items():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), f"{workflow.name}: {name}: {step['run']}"


def test_the_preview_with_credentials_waits_for_a_reviewer_and_never_runs_for_forks():
    preview = jobs(ROOT / ".github" / "workflows" / "pull-request.yml")["preview"]
    assert preview["environment"] == "pulumi-preview"
    assert "github.event.pull_request.head.repo.full_name == github.repository" in preview["if"]
    steps = preview["steps"]
    secrets = [i for i, s in enumerate(steps) if "secrets." in str(s.get("env", {})) or "vars." in str(s.get("with", {}))]
    checked = next(i for i, s in enumerate(steps) if "STACK" in s.get("env", {}))
    assert "stacks/Pulumi.$STACK.yaml" in steps[checked]["run"]
    assert checked < max(secrets), "the stack name is checked before the preview uses the credentials"


def test_the_preview_runs_the_platforms_policy_pack():
    preview = jobs(ROOT / ".github" / "workflows" / "pull-request.yml")["preview"]
    (step,) = [s for s in preview["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")]
    assert step["with"]["command"] == "preview" and step["with"]["policyPacks"] == "policy"
    assert (ROOT / step["with"]["policyPacks"] / "PulumiPolicy.yaml").is_file()


def test_the_preview_installs_once_takes_the_stacks_region_and_checks_its_committed_secrets():
    preview = jobs(ROOT / ".github" / "workflows" / "pull-request.yml")["preview"]
    runs = [s.get("run", "") for s in preview["steps"]]
    assert sum("pip install" in r for r in runs) == 1 and any(".venv/bin/pip install -r requirements.txt" in r for r in runs)
    (stack,) = [s for s in preview["steps"] if s.get("id") == "stack"]
    assert "ops.aws committed-secrets" in stack["run"] and "ops.aws region" in stack["run"]
    (aws,) = [s for s in preview["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")]
    assert aws["with"]["aws-region"] == "${{ steps.stack.outputs.region }}"
    (pulumi,) = [s for s in preview["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")]
    assert pulumi["with"]["upsert"] is True and pulumi["with"]["always-include-summary"] is True
