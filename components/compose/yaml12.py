"""Compose files are YAML 1.2 (the Compose reference implementation reads them with go-yaml v3);
PyYAML reads YAML 1.1, where `restart: no` is the boolean false, `DEBUG: yes` becomes "true",
`010` is octal 8 and `12:30` is a sexagesimal number.

`load` resolves plain scalars by the YAML 1.2 core schema: only true/false (any case form of
the spec) are booleans, only null/~/empty are null, integers are decimal, 0o octal or 0x hex,
and there are no timestamps. Numbers keep the text they were written as (`Number.text`), so a
string-valued field such as an environment variable gets `010` or `1.10`, not `10` or `1.1`.

Compose's own tags (13-merge.md) are read too: `!reset` clears what a base file set for that
key, `!override` replaces it instead of merging. `without_tags` takes them out of the document
and says where they were, for the merge (merge.py) to apply to the base.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

KeyPath = tuple[str, ...]  # keys from the top of a document: ("services", "app", "ports")


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


class Reset:
    """What `!reset <anything>` reads as: the value is ignored (the specification's Reset value)."""


class Override:
    """What `!override <value>` reads as: `value`, replacing the base's rather than merged into it."""

    def __init__(self, value: Any):
        self.value = value


def _untagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """`node` read as if it had no tag (a plain scalar by the core schema, a list, a mapping)."""
    if isinstance(node, yaml.ScalarNode):
        tag = loader.resolve(yaml.ScalarNode, node.value, (not node.style, False))  # plain: None or ""
        plain = yaml.ScalarNode(tag, node.value, node.start_mark, node.end_mark, node.style)
    else:
        tag = "tag:yaml.org,2002:seq" if isinstance(node, yaml.SequenceNode) else "tag:yaml.org,2002:map"
        plain = type(node)(tag, node.value, node.start_mark, node.end_mark, node.flow_style)
    return loader.construct_object(plain, deep=True)


Loader.add_constructor("!reset", lambda loader, node: Reset())
Loader.add_constructor("!override", lambda loader, node: Override(_untagged(loader, node)))


def load(text: str) -> Any:
    """The document in `text`; `!reset` and `!override` values are left as `Reset` and `Override`."""
    return yaml.load(text, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)


def without_tags(doc: Any, at: KeyPath = ()) -> tuple[Any, set[KeyPath]]:
    """`doc` with `!reset` keys taken out and `!override` values unwrapped, and the key path of
    each: what a merge clears in the base before laying this file over it. Tagged list items are
    dropped or unwrapped but name no path (compose-go's reset.go does not remove from a base list)."""
    paths: set[KeyPath] = set()
    if isinstance(doc, dict):
        out = {}
        for k, v in doc.items():
            here = at + (str(k),)
            if isinstance(v, (Reset, Override)):
                paths.add(here)
                if isinstance(v, Reset):
                    continue
                v = v.value
            out[k], inner = without_tags(v, here)
            paths |= inner
        return out, paths
    if isinstance(doc, list):
        items = []
        for v in doc:
            if isinstance(v, Reset):
                continue
            item, inner = without_tags(v.value if isinstance(v, Override) else v, at)
            items.append(item)
            paths |= inner
        return items, paths
    return doc, paths
