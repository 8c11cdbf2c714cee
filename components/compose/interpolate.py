"""Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
`${VAR:?error}`, `${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}`, nested in
defaults, and `$$` for a literal `$` (the Compose Specification's interpolation section, with
compose-go's template/template.go as the reference implementation).

The platform's own references (`${db.host}`, `${alluxio-master.port.19998}`,
`${secret.dbPassword}`) are told apart by `is_reference`, which knows the project's services: a
variable name never contains a dot, but `${alluxio-master.host}` would otherwise read as the
variable `alluxio` with the default `master.host`. In `template` mode references are kept, with
`$$`, for `references.parse` to read; substituted values are escaped so they stay literal.
"""
from __future__ import annotations

import re
from typing import Callable, Optional

NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
DOTTED = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+")  # what a reference looks like
BRACED = re.compile(r"([_a-zA-Z][_a-zA-Z0-9]*)(?:(:-|-|:\?|\?|:\+|\+)(.*))?", re.DOTALL)


class InterpolationError(ValueError):
    pass


class Verbatim(str):
    """A looked-up value that is already a template (a `${secret.x}` reference): not escaped."""


class Unresolved(str):
    """A value left as written because a variable in it has no value: that problem is said where
    the variable is, so no later reading of the value says it again under another key (a service
    that `extends` it, a field parser)."""


Lookup = Callable[[str], Optional[str]]


def _unset_error(name: str) -> str:
    raise InterpolationError(f"variable {name} is not set")


def substitute(text: str, lookup: Lookup, unset: Callable[[str], str] = _unset_error,
               template: bool = False, is_reference: Callable[[str], bool] = lambda _: False) -> str:
    """`text` with its variables replaced. `unset(name)` gives the value of `$VAR`/`${VAR}` when
    `VAR` is not set (or raises). `template`: keep `$$` and the `${...}` that `is_reference`."""
    out, i = [], 0
    while True:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        nxt = text[j + 1: j + 2]
        if nxt == "$":
            out.append("$$" if template else "$")
            i = j + 2
            continue
        if nxt == "{":
            end = _closing_brace(text, j + 1)
            if end < 0:
                raise InterpolationError(f"{text[j:]!r} has no closing brace")
            inner = text[j + 2:end]
            if template and is_reference(inner):
                out.append("${" + inner + "}")
            else:
                out.append(_braced(inner, lookup, unset, template, is_reference))
            i = end + 1
            continue
        m = NAME.match(text, j + 1)
        if m:
            out.append(_value(m.group(0), lookup, unset, template))
            i = m.end()
            continue
        out.append("$")  # a lone `$`, left as written
        i = j + 1


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    for k in range(start, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return -1


def _value(name: str, lookup: Lookup, unset: Callable[[str], str], template: bool) -> str:
    value = lookup(name)
    if value is None:
        return unset(name)
    return _literal(value, template)


def _literal(value: str, template: bool) -> str:
    return value if not template or isinstance(value, Verbatim) else value.replace("$", "$$")


def _braced(inner: str, lookup: Lookup, unset: Callable[[str], str], template: bool,
            is_reference: Callable[[str], bool]) -> str:
    m = BRACED.fullmatch(inner)
    if m is None:
        if DOTTED.fullmatch(inner):
            raise InterpolationError(
                f"'${{{inner}}}' is not a service reference: write ${{<service>.host}}, ${{<service>.port}}, "
                "${<service>.port.<container port>} naming a service of the project (this file or one it "
                "includes), or ${secret.<name>}")
        raise InterpolationError(f"'${{{inner}}}' is not a variable (a name of letters, digits and _, "
                                 "then optionally :-default, -default, :?error, ?error, :+value or +value)")
    name, op, arg = m.groups()
    if template and op == "-" and DOTTED.fullmatch(inner):  # `${alluxio-master.host}`, no such service
        raise InterpolationError(
            f"'${{{inner}}}' reads as the variable {name} with the default {arg!r}, but looks like a service "
            f"reference: no service of the project is named {inner.split('.')[0]!r}")
    if op is None:
        return _value(name, lookup, unset, template)
    value = lookup(name)
    is_set, non_empty = value is not None, bool(value)
    if op in (":-", "-"):
        if non_empty or (op == "-" and is_set):
            return _literal(value, template)
        return substitute(arg, lookup, unset, template, is_reference)
    if op in (":+", "+"):
        if non_empty or (op == "+" and is_set):
            return substitute(arg, lookup, unset, template, is_reference)
        return ""
    if non_empty or (op == "?" and is_set):  # ":?" and "?"
        return _literal(value, template)
    reason = substitute(arg, lookup, lambda _: "", False)
    raise InterpolationError(f"required variable {name} is missing a value" + (f": {reason}" if reason else ""))
