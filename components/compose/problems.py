"""Problems found in one Compose file, each named `<file>:<key path>`."""
from __future__ import annotations

from typing import Any, Callable

from ..problem import Problem
from .fields import FieldError


class Problems:
    """Collects the problems of one file: `add(path, message)` names a key inside it, and
    `parsed(path, parse)` returns what a field parser gives, or records why it failed."""

    def __init__(self, file: str):
        self.file, self.items = file, []

    def add(self, path: str, message: str) -> None:
        self.items.append(Problem(f"{self.file}:{path}" if path else self.file, message))

    def parsed(self, path: str, parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except FieldError as e:
            self.add(path, str(e))
            return None
