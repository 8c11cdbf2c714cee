"""References inside Compose values: `${db.host}:${db.port}`, `${secret.dbPassword}`.

Variables (`${TAG:-1.27}`) are already interpolated when these are read (project.py keeps the
references and `$$` in environment and command values); what is left is parsed here into a
template whose references the scheduler fills in with real addresses.
"""
from __future__ import annotations

import re
from typing import Callable, Optional, Union

from .model import Ref, Secret, Template

TOKEN = re.compile(r"\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)?")
REFERENCE = re.compile(r"^([a-zA-Z0-9._-]+?)\.(host|port)(?:\.(\d+))?$")
SECRET = re.compile(r"^secret\.([A-Za-z][A-Za-z0-9_-]*)$")
SYNTAX = "${service.host}, ${service.port}, ${service.port.<container port>} or ${secret.<name>}"


def matcher(services: set[str]) -> Callable[[str], bool]:
    """Whether the inside of a `${...}` is a reference to one of `services` or to a secret."""
    def is_reference(inner: str) -> bool:
        ref = REFERENCE.match(inner)
        return bool(SECRET.match(inner)) or (ref is not None and ref.group(1) in services)
    return is_reference


def parse(text: str) -> tuple[Template, Optional[str]]:
    """The template for `text`, or a message saying what is wrong with it."""
    parts: list[Union[str, Ref, Secret]] = []
    literal, pos = "", 0
    for m in TOKEN.finditer(text):
        literal += text[pos:m.start()]
        pos = m.end()
        if m.group(0) == "$$":
            literal += "$"
            continue
        inner = m.group(1)
        if inner is None:  # `$NAME` or a lone `$`: interpolation has already judged it (project.py)
            literal += m.group(0)
            continue
        secret, ref = SECRET.match(inner), REFERENCE.match(inner)
        if literal and (secret or ref):
            parts.append(literal)
            literal = ""
        if secret:
            parts.append(Secret(secret.group(1)))
            continue
        if ref is None:
            return (), (f"'${{{inner}}}' is not a service reference; use {SYNTAX} "
                        f"(environment interpolation is not supported: it would depend on the "
                        f"shell that runs the deploy), or '$$' for a literal '$'")
        parts.append(Ref(ref.group(1), ref.group(2), int(ref.group(3)) if ref.group(3) else None))
    literal += text[pos:]
    if literal or not parts:
        parts.append(literal)
    return tuple(parts), None
