"""The JSON schema of a stack file, and the config reference, from the platform's own model
(components/spec/model.py: each field's docstring is its description).

The schema is for editors: each `stacks/Pulumi.<env>.yaml` names it on its first line
(`# yaml-language-server: $schema=../schema/stack.schema.json`), so keys complete, typos
underline and each key's description shows while you type. The reference is for reading.

    .venv/bin/python -m ops.schema > schema/stack.schema.json
    .venv/bin/python -m ops.schema --reference > schema/config-reference.md

A test keeps both committed files equal to what this prints, and checks every stack file against
the schema. The program's own checks (ports, quorums, host names, ...) go further than a schema can.
"""
from __future__ import annotations

import json
import sys

from components.spec.model import Platform

KEY = "container-platform:platform"


def stack_file_schema() -> dict:
    platform = Platform.model_json_schema()
    definitions = platform.pop("$defs")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "container-platform stack file (stacks/Pulumi.<env>.yaml)",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": {KEY: {**platform, "description": "The platform: hosts, roles, Compose stacks."}},
                # Other keys: the providers' own (aws:region, ...) and the stack's secrets.
                "additionalProperties": True,
            },
            "encryptionsalt": {"type": "string"},
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
        },
        "$defs": definitions,
    }


def _type(node: dict, defs: dict) -> tuple[str, dict]:
    """A property's type in words, and the object schema to descend into (empty if none)."""
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[1]]
        return ("mapping" if target.get("type") == "object" else target.get("type", "value")), target
    if "anyOf" in node:
        kinds = [_type(n, defs) for n in node["anyOf"] if n.get("type") != "null"]
        return " or ".join(k for k, _ in kinds), next((o for _, o in kinds if o), {})
    if "enum" in node:
        return ", ".join(f"`{v}`" for v in node["enum"]), {}
    if "const" in node:
        return f"`{node['const']}`", {}
    kind = node.get("type", "value")
    if kind == "array":
        item, inner = _type(node.get("items", {}), defs)
        return f"list of {item}", inner
    if kind == "object" and isinstance(node.get("additionalProperties"), dict) and node["additionalProperties"]:
        value, inner = _type(node["additionalProperties"], defs)
        return f"mapping of {value}", inner
    return {"integer": "whole number", "number": "number", "string": "text", "boolean": "true/false",
            "object": "mapping"}.get(kind, kind), {}


def _rows(schema: dict, defs: dict, path: str) -> list[str]:
    rows = []
    for name, node in schema.get("properties", {}).items():
        kind, inner = _type(node, defs)
        default = node.get("default")
        # Scalars only: a list or mapping default is described by its own keys below.
        shown = f"`{json.dumps(default)}`" if default is not None and not isinstance(default, (dict, list)) else ""
        key = f"{path}.{name}"
        description = (node.get("description") or inner.get("description") or "").replace("\n", " ").replace("|", "\\|")
        rows.append(f"| `{key}` | {kind} | {shown} | {description} |")
        if inner.get("properties"):
            suffix = "[]" if "list of" in kind else (".<name>" if "mapping of" in kind else "")
            rows += _rows(inner, defs, key + suffix)
    return rows


def config_reference() -> str:
    """Every key of `container-platform:platform`: its type, default and description."""
    platform = Platform.model_json_schema()
    lines = ["# Config reference: `container-platform:platform`", "",
             "Generated from `components/spec/model.py` by `python -m ops.schema --reference`; do not edit.",
             "Unknown keys are errors. Secrets are not here: they are Pulumi secrets",
             "(`pulumi config set --secret <name>`), named where a key needs one.", "",
             "| key | type | default | description |", "| --- | --- | --- | --- |"]
    return "\n".join(lines + _rows(platform, platform["$defs"], "platform")) + "\n"


def main() -> None:
    if sys.argv[1:] == ["--reference"]:
        sys.stdout.write(config_reference())
        return
    print(json.dumps(stack_file_schema(), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
