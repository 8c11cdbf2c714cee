"""The stack files' JSON schema (ops/schema.py, for editors) is the model's, and it holds for
every stack file."""
import json

import jsonschema
import pytest
import yaml

from ops.schema import KEY, config_reference, stack_file_schema

from .harness import ROOT

SCHEMA_FILE = ROOT / "schema" / "stack.schema.json"
STACKS = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))


def validator():
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def test_the_committed_schema_is_the_models():
    assert json.loads(SCHEMA_FILE.read_text()) == json.loads(json.dumps(stack_file_schema())), \
        "run: .venv/bin/python -m ops.schema > schema/stack.schema.json"


@pytest.mark.parametrize("path", STACKS, ids=lambda p: p.name)
def test_every_stack_file_names_the_schema_and_satisfies_it(path):
    assert path.read_text().splitlines()[0] == "# yaml-language-server: $schema=../schema/stack.schema.json"
    errors = list(validator().iter_errors(yaml.safe_load(path.read_text())))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("platform, where", [
    ({"zookeper": {"count": 3}}, ["config", KEY]),  # a typo: additionalProperties false
    ({"zookeeper": {"count": "three"}}, ["config", KEY, "zookeeper", "count"]),
    ({"stacks": [{"name": "a", "file": "x.yaml", "allow": ["root"]}]}, ["config", KEY, "stacks", 0, "allow", 0]),
    ({"hosts": [{"name": "h", "host_key": "not a key"}]}, ["config", KEY, "hosts", 0, "host_key"]),
])
def test_an_editor_underlines_what_the_program_would_refuse(platform, where):
    errors = list(validator().iter_errors({"config": {KEY: platform}}))
    assert [list(e.absolute_path) for e in errors] == [where], [e.message for e in errors]


def test_the_config_reference_is_the_models_and_describes_every_key():
    reference = (ROOT / "schema" / "config-reference.md").read_text()
    assert reference == config_reference(), "run: .venv/bin/python -m ops.schema --reference > schema/config-reference.md"
    rows = [line for line in reference.splitlines() if line.startswith("| `platform.")]
    assert all(not row.rstrip().endswith("|  |") for row in rows), "every key has a description (a field's docstring)"
    keys = {row.split("`")[1] for row in rows}
    assert {"platform.zookeeper.count", "platform.mesos.masters.log_generation", "platform.tls.authority.certificate",
            "platform.stacks[].services.<name>.instances", "platform.mesos.agent_pools[].public"} <= keys


def test_the_schema_carries_each_keys_description_for_editors():
    schema = json.loads(SCHEMA_FILE.read_text())
    zookeeper = schema["$defs"]["ZooKeeper"]["properties"]["count"]
    assert "in place" in zookeeper["description"]


def test_pulumi_yaml_declares_config_every_stack_satisfies():
    """Pulumi's rules for project config (pkg/workspace/config.go, mergeConfig and
    validateStackConfigValues): a declared key of the project's namespace without a default is
    required of every stack; one with a `type` is type-checked and, if `secret`, must be
    encrypted in every stack file. So each declared key is set by every stack, and none is typed
    (Pulumi has no object type for the platform); the optional secrets are template config only."""
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    declared = project["config"]
    assert set(declared) == {"platform"} and all("type" not in d and "default" not in d for d in declared.values())
    for path in STACKS:
        config = yaml.safe_load(path.read_text())["config"]
        assert all(f"{project['name']}:{key}" in config for key in declared), path.name
    assert all(v["secret"] is True for v in project["template"]["config"].values())
