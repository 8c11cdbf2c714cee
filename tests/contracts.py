"""Validators for the upstream contracts in ../shared/reference (data, read in place)."""
import functools
import json
from pathlib import Path

import jsonschema

def _reference() -> Path:
    """`shared/reference` beside the checkout (../shared); from a copy of the checkout inside it
    (mutation testing runs the tests in mutants/), the nearest one further up."""
    here = Path(__file__).resolve()
    return next((p / "shared" / "reference" for p in here.parents[1:] if (p / "shared" / "reference").is_dir()),
                here.parents[2] / "shared" / "reference")


REFERENCE = _reference()


@functools.lru_cache(maxsize=None)
def marathon_app_validator() -> jsonschema.Draft4Validator:
    """Marathon's AppDefinition.json is a draft-4 schema (tuple-style `items`)."""
    schema = json.loads((REFERENCE / "marathon" / "AppDefinition.json").read_text())
    return jsonschema.Draft4Validator(schema)
