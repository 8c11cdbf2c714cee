"""The stack files' JSON schema (ops/schema.py, for editors) is the model's, and it holds for
every stack file."""
import json

import jsonschema
import pytest
import yaml

from ops.schema import KEY, stack_file_schema

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
