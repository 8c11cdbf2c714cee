"""Compose files are YAML 1.2 (the Compose reference implementation reads them with go-yaml v3);
PyYAML reads YAML 1.1, where `restart: no` is the boolean false, `DEBUG: yes` becomes "true",
`010` is octal 8 and `12:30` is a sexagesimal number.

`load` resolves plain scalars by the YAML 1.2 core schema: only true/false (any case form of
the spec) are booleans, only null/~/empty are null, integers are decimal, 0o octal or 0x hex,
and there are no timestamps. Numbers keep the text they were written as (`Number.text`), so a
string-valued field such as an environment variable gets `010` or `1.10`, not `10` or `1.1`.
"""
from __future__ import annotations

import re
from typing import Any

import yaml


class Int(int):
    text: str


class Float(float):
    text: str


def source_text(value: Any) -> str:
    """A scalar as written: what a string-valued Compose field (environment, labels) holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return getattr(value, "text", None) or str(value)


INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when present: ~10x faster
    """SafeLoader with the YAML 1.2 core schema's implicit types (merge keys `<<` still work,
    as they do in Compose)."""


Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag in ("tag:yaml.org,2002:merge",)]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", BOOL, list("tTfF"))
Loader.add_implicit_resolver("tag:yaml.org,2002:int", INT, list("-+0123456789"))
Loader.add_implicit_resolver("tag:yaml.org,2002:float", FLOAT, list("-+.0123456789"))
Loader.add_implicit_resolver("tag:yaml.org,2002:null", NULL, ["~", "n", "N", ""])


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Int:
    text = loader.construct_scalar(node)
    base = 8 if text.startswith("0o") else 16 if text.startswith("0x") else 10
    value = Int(int(text[2:] if base != 10 else text, base))
    value.text = text
    return value


def _float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Float:
    text = loader.construct_scalar(node)
    lower = text.lower().lstrip("+")
    value = Float(float("nan") if lower == ".nan" else float(lower.replace(".inf", "inf")))
    value.text = text
    return value


def _bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return loader.construct_scalar(node).lower() == "true"


Loader.add_constructor("tag:yaml.org,2002:int", _int)
Loader.add_constructor("tag:yaml.org,2002:float", _float)
Loader.add_constructor("tag:yaml.org,2002:bool", _bool)


def load(text: str) -> Any:
    return yaml.load(text, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)
