"""Validators for the upstream contracts in ../shared/reference (data, read in place)."""
import functools
import json
from pathlib import Path

import jsonschema

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@functools.lru_cache(maxsize=None)
def marathon_app_validator() -> jsonschema.Draft4Validator:
    """Marathon's AppDefinition.json is a draft-4 schema (tuple-style `items`)."""
    schema = json.loads((REFERENCE / "marathon" / "AppDefinition.json").read_text())
    return jsonschema.Draft4Validator(schema)
