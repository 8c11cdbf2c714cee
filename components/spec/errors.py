"""Config errors that name the key path, say what is wrong and what would be right."""
from __future__ import annotations

import difflib
from typing import Any, Iterable, Sequence, get_args

from pydantic import BaseModel, ValidationError

from ..problem import Problem

ROOT = "platform"


def key_path(loc: Sequence[str | int], root: str = ROOT) -> str:
    """('mesos', 'agent_pools', 0, 'count') -> 'platform.mesos.agent_pools[0].count'."""
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class SpecError(Exception):
    """One or more problems in the environment config; raised before any resource exists."""

    def __init__(self, problems: Iterable[Problem], source: str = ""):
        self.problems = sorted(set(problems), key=lambda p: (p.path, p.message))
        self.source = source
        where = f" ({source})" if source else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid platform config{where}:\n{lines}")


def _allowed_keys(model: Any, loc: Sequence[str | int]) -> list[str]:
    """The field names of the model found by walking ``loc`` (without its last part)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if isinstance(current, type) else None
        if field is None:
            return []
        current = _model_in(field.annotation)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation such as `Optional[list[AgentPool]]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def from_validation_error(error: ValidationError, model: type) -> list[Problem]:
    """Turn pydantic's errors into Problems worded for a platform engineer."""
    problems = []
    for err in error.errors(include_url=False):
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        path = key_path(loc)
        kind, given = err["type"], err.get("input")
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc)
            hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            fix = f"did you mean '{hint[0]}'?" if hint else f"allowed keys: {', '.join(allowed)}"
            message = f"unknown key '{loc[-1]}'; {fix}"
        elif kind == "missing":
            message = "is required but missing; add it"
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            message = f"expected a whole number, got {given!r}"
        elif kind in ("float_parsing", "float_type"):
            message = f"expected a number, got {given!r}"
        elif kind in ("bool_parsing", "bool_type"):
            message = f"expected true or false, got {given!r}"
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            message = f"got {given!r}; expected one of {expected}"
        elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            message = f"{err['msg'].lower()}, got {given!r}"
        elif kind == "string_pattern_mismatch":
            message = (
                f"{given!r} is not a valid name: use lower-case letters, digits and '-', "
                "starting with a letter (at most 40 characters)"
            )
        elif kind in ("model_type", "dict_type"):
            message = f"expected a mapping of keys, got {type(given).__name__} {given!r}"
        elif kind == "list_type":
            message = f"expected a list, got {type(given).__name__} {given!r}"
        elif kind == "value_error":
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            message = f"{err['msg']} (got {given!r})"
        problems.append(Problem(path, message))
    return problems
