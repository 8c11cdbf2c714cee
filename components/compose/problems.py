"""Problems found in one Compose file, each named `<file>:<key path>`."""
from __future__ import annotations

from typing import Any, Callable

from ..problem import Problem
from .fields import FieldError


class Problems:
    """Collects the problems of one file: `add(path, message)` names a key inside it, and
    `parsed(path, parse)` returns what a field parser gives, or records why it failed."""

    def __init__(self, file: str):
        self.file, self.items, self.warnings = file, [], []

    def _where(self, path: str) -> str:
        return f"{self.file}:{path}" if path else self.file

    def add(self, path: str, message: str) -> None:
        """The first problem at a key path is the one to fix (a value that failed interpolation
        would otherwise be reported again by every later reading of it)."""
        where = self._where(path)
        if not any(p.path == where for p in self.items):
            self.items.append(Problem(where, message))

    def warn(self, path: str, message: str) -> None:
        """Said, but the deploy goes on: a key without effect on the scheduler."""
        self.warnings.append(Problem(self._where(path), message))

    def parsed(self, path: str, parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except FieldError as e:
            self.add(path, str(e))
            return None
