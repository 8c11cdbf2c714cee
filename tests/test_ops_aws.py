"""ops.aws's offline commands, which a pipeline runs before it has any AWS credentials: the
stack's region, and whether every secret the stack needs is committed in its file."""
import yaml

from ops import aws

from .harness import ROOT


def test_region_comes_from_the_stack_file(capsys):
    assert aws.main(["region", "--stack", "prod"]) == 0
    assert capsys.readouterr().out.strip() == "eu-west-1"


def test_a_stack_whose_secrets_are_not_committed_is_refused_naming_the_command(capsys):
    assert aws.main(["committed-secrets", "--stack", "prod"]) == 2
    err = capsys.readouterr().err
    assert "pulumi config set --secret dbPassword" in err and "commit the file" in err


def test_a_stack_with_its_secrets_committed_as_ciphertext_passes(tmp_path, monkeypatch, capsys):
    stack = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    stack["config"]["container-platform:dbPassword"] = {"secure": "v1:c2VjcmV0"}  # as `pulumi config set --secret` writes
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack))
    monkeypatch.setattr(aws, "ROOT", tmp_path)
    assert aws.committed_secrets("prod") == {"dbPassword"}
    assert aws.main(["committed-secrets", "--stack", "prod"]) == 0
    assert "every secret stack prod needs is in its stack file" in capsys.readouterr().out
