"""References inside Compose values: `${db.host}:${db.port}`, `${secret.dbPassword}`.

Compose itself would interpolate `${NAME}` from the shell that runs the deploy, which makes an
environment depend on whoever typed the command; here only references to services of the stack
are allowed, and `$$` stays Compose's escape for a literal `$`.
"""
from __future__ import annotations

import re
from typing import Optional, Union

from .model import Ref, Secret, Template

TOKEN = re.compile(r"\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)?")
REFERENCE = re.compile(r"^([a-zA-Z0-9._-]+?)\.(host|port)(?:\.(\d+))?$")
SECRET = re.compile(r"^secret\.([A-Za-z][A-Za-z0-9_-]*)$")
SYNTAX = "${service.host}, ${service.port}, ${service.port.<container port>} or ${secret.<name>}"


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
        if inner is None:
            name = m.group(2)
            if name is None:  # a lone `$`, as Compose leaves it
                literal += "$"
                continue
            return (), (f"'${name}' would be taken from the shell that runs the deploy, which is not "
                        f"reproducible; write the value, refer to a service with {SYNTAX}, "
                        f"or write '$${name}' for a literal '${name}'")
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
