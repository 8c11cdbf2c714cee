"""`.env` and `env_file` files, read as docker compose reads them.

The grammar follows compose-go's dotenv package (compose-spec/compose-go, dotenv/parser.go;
written here from its documented behaviour and its test vectors, which tests/test_compose_dotenv.py
runs): `KEY=value` or `KEY: value`, an optional `export ` prefix, spaces around the separator,
`#` comments (inline only after a space on unquoted lines), single quotes literal and multi-line,
double quotes with escapes (`\\n`, `\\t`, `\\"`, `\\\\`, `\\$`, octal `\\0NNN`) and `${VAR}`
interpolation, a bare `KEY` taken from the caller's variables, and a UTF-8 byte order mark.
"""
from __future__ import annotations

import re
from typing import Callable, Optional

from .interpolate import InterpolationError, substitute


class DotenvError(ValueError):
    pass


Lookup = Callable[[str], Optional[str]]
ESCAPE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-7]{0,3})")
SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "c": "\\c", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                  '"': '"', "\\": "\\", "$": "$$"}  # `\$` is a literal dollar: Compose's `$$`
SPACE = " \t\v\f\r\x85\xa0"  # not the newline


def parse(text: str, lookup: Lookup = lambda _: None) -> dict[str, str]:
    """Every variable in `text`, in order. `lookup` answers bare `KEY` lines and `${VAR}` in values
    before the file's own earlier variables do (as the shell's environment does for Compose)."""
    text = text.removeprefix("\ufeff")
    out: dict[str, str] = {}
    line = 1
    rest = text

    def resolve(name: str) -> Optional[str]:
        found = lookup(name)
        return found if found is not None else out.get(name)

    while True:
        rest, line = _statement_start(rest, line)
        if not rest:
            return out
        if re.match(r"export\s", rest):
            rest = rest[len("export"):].lstrip(SPACE)
        m = re.match(r"([^=:\n]*)([=:\n]|$)", rest)
        key = m.group(1).rstrip()
        bad = re.search(r"[^\w.\-\[\] ]", key)
        if bad:
            raise DotenvError(f"line {line}: unexpected character {bad.group(0)!r} in variable name {key!r}")
        if " " in key or not key:
            raise DotenvError(f"line {line}: {key!r} is not a variable name (no spaces, not empty)")
        rest = rest[m.end():]
        if m.group(2) in ("\n", ""):  # a bare name: inherited
            value = lookup(key)
            if value is not None:
                out[key] = value
            line += 1
            continue
        rest = rest.lstrip(SPACE)
        value, rest, line = _value(rest, line, resolve)
        out[key] = value


def _statement_start(rest: str, line: int) -> tuple[str, int]:
    while True:
        stripped = rest.lstrip()
        line += rest[: len(rest) - len(stripped)].count("\n")
        if not stripped.startswith("#"):
            return stripped, line
        _, newline, rest = stripped.partition("\n")
        if not newline:
            return "", line
        line += 1  # the comment's own newline


def _value(rest: str, line: int, resolve: Lookup) -> tuple[str, str, int]:
    if not rest or rest[0] not in "'\"":
        value, newline, rest = rest.partition("\n")
        value = value.split(" #", 1)[0].rstrip()
        return _expand(value, resolve, line), rest, line + 1
    quote, chars, escaped, start = rest[0], [], False, line
    for i in range(1, len(rest)):
        c = rest[i]
        if c == "\n":
            line += 1
        if c != quote:
            if c == "\\" and not escaped:
                escaped = True
                continue
            if escaped:
                escaped = False
                chars.append("\\")
            chars.append(c)
            continue
        if escaped:  # an escaped quote is part of the value
            escaped = False
            chars.append(c)
            continue
        value = "".join(chars)
        if quote == '"':
            value = _expand(ESCAPE.sub(_unescape, value), resolve, line)
        return value, rest[i + 1:], line
    # Named where the quote opens: the end of the file is where it was noticed, not the mistake.
    raise DotenvError(f"line {start}: unterminated quoted value {rest.partition(chr(10))[0]}")


def _unescape(m: re.Match) -> str:
    body = m.group(0)[1:]
    if body[0] == "0":
        return chr(int(body, 8)) if len(body) > 1 else "\0"
    return SIMPLE_ESCAPES[body]


def _expand(value: str, resolve: Lookup, line: int) -> str:
    try:
        return substitute(value, resolve, unset=lambda name: "")
    except InterpolationError as e:
        raise DotenvError(f"line {line}: {e}") from None
