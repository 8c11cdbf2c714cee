"""Config errors that name the key path, say what is wrong and what would be right."""
from __future__ import annotations

import difflib
from types import UnionType
from typing import Any, Iterable, Sequence, Union, get_args, get_origin

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
    key_next = False  # the part after a mapping field is one of its keys (a service name, ...)
    for part in loc[:-1]:
        if isinstance(part, int) or key_next:
            key_next = False
            continue
        field = current.model_fields.get(part) if isinstance(current, type) else None
        if field is None:
            return []
        key_next = _is_mapping(field.annotation)
        current = _model_in(field.annotation)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _is_mapping(annotation: Any) -> bool:
    """Whether an annotation such as `Optional[dict[str, StackService]]` is a mapping."""
    origin = get_origin(annotation)
    return origin is dict or (origin in (Union, UnionType) and any(_is_mapping(a) for a in get_args(annotation)))


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation such as `Optional[list[AgentPool]]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# What each pattern of the model expects, said in words (keyed by the pattern itself).
PATTERNS = {
    r"^[a-z][a-z0-9-]{0,39}$": "is not a valid name: use lower-case letters, digits and '-', starting with a "
                               "letter (at most 40 characters)",
    r"^[a-z_][a-z0-9_-]{0,31}$": "is not a user name: lower-case letters, digits, '_' and '-' (e.g. ops)",
    r"^[A-Za-z0-9_./-]{1,128}$": "cannot be a Mesos attribute or label: letters, digits and _ . / - only "
                                "(';' and ':' would split it)",
    r"^[A-Za-z0-9+.-]+:[^\s]+$": "is not a URL without spaces (e.g. file:/spark-events or s3a://bucket/events)",
    r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$": "is not an SSH public key: a type (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa) and its base64, "
        "as `ssh-keyscan` prints after the host name",
    r"^\d+(ms|secs|mins|hrs)$": "is not a Mesos duration: a number and ms, secs, mins or hrs (e.g. 5mins)",
    r"^\d+\.\d+\.\d+$": "is not a version: major.minor.patch (e.g. 3.5.7)",
    r"^\d+[kmgt]?$": "is not a size: a number with k, m, g or t (e.g. 2g)",
    r"^/[A-Za-z0-9_/-]+$": "is not an absolute ZooKeeper path (e.g. /spark)",
    r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$": "is not an IPv4 network in CIDR form (e.g. 10.40.0.0/16)",
    r"^ami-[0-9a-f]{8,17}$": "is not an AMI id (ami- and 8 to 17 hex digits)",
    r"^vpc-[0-9a-f]+$": "is not a VPC id (vpc-...)",
    r"^subnet-[0-9a-f]+$": "is not a subnet id (subnet-...)",
    r"^[A-Za-z][A-Za-z0-9_-]*$": "is not a config key name: a letter, then letters, digits, '_' or '-'",
    r"^[A-Za-z_][A-Za-z0-9_]*$": "is not a variable name: a letter or '_', then letters, digits or '_'",
}


# What a value of a union's member is (pydantic's tag for it), for the one problem a union's
# errors make: resources' int | float | str, a stack variable's str | SecretVariable.
MEMBER = {"int": "a whole number", "float": "a number", "str": "a string", "bool": "true or false",
          "SecretVariable": "{secret: <config key>}"}


def _unions(errors: list[dict]) -> tuple[list[dict], list[Problem]]:
    """pydantic reports a value no member of a union takes once per member, each under the
    member's tag (`resources.cpus.int`, `.float`, `.str`): one problem at the key instead."""
    by_key: dict[tuple, list[dict]] = {}
    for err in errors:
        if len(err["loc"]) > 1 and isinstance(err["loc"][-1], str):
            by_key.setdefault(tuple(err["loc"][:-1]), []).append(err)
    unions = {key: errs for key, errs in by_key.items()
              if len(errs) > 1 and all(e["loc"][-1] in MEMBER and e.get("input") is errs[0].get("input") for e in errs)}
    rest = [e for e in errors if tuple(e["loc"][:-1]) not in unions]
    problems = [Problem(key_path(key), (f"expected {' or '.join(dict.fromkeys(MEMBER.get(e['loc'][-1], e['loc'][-1]) for e in errs))}"
                                        f", got {errs[0].get('input')!r}"))
                for key, errs in unions.items()]
    return rest, problems


def from_validation_error(error: ValidationError, model: type) -> list[Problem]:
    """Turn pydantic's errors into Problems worded for a platform engineer."""
    errors, problems = _unions(error.errors(include_url=False))
    for err in errors:
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
        elif kind == "int_type":  # every whole number of the model is strict (no "3", 3.0 or true)
            message = f"expected a whole number, got {given!r}"
        elif kind in ("bool_parsing", "bool_type"):
            message = f"expected true or false, got {given!r}"
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            message = f"got {given!r}; expected one of {expected}"
        elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            message = f"{err['msg'].lower()}, got {given!r}"
        elif kind == "string_pattern_mismatch":
            message = f"{given!r} {PATTERNS.get(err.get('ctx', {}).get('pattern', ''), 'does not have the expected form')}"
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
