"""The JSON schema of a stack file, from the platform's own model (components/spec/model.py),
for editors: each `stacks/Pulumi.<env>.yaml` names it on its first line
(`# yaml-language-server: $schema=../schema/stack.schema.json`), so keys complete and typos
underline while you type.

    .venv/bin/python -m ops.schema > schema/stack.schema.json

A test keeps the committed file equal to what this prints, and checks every stack file against it.
The program's own checks (ports, quorums, host names, ...) go further than a schema can.
"""
from __future__ import annotations

import json

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


def main() -> None:
    print(json.dumps(stack_file_schema(), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
