"""Problems found in one Compose file, each named `<file>:<key path>`."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from ..problem import Problem
from .fields import FieldError
from .interpolate import Unresolved


class Problems:
    """Collects the problems of one file: `add(path, message)` names a key inside it, and
    `parsed(path, parse)` returns what a field parser gives, or records why it failed."""

    def __init__(self, file: str, root: Optional[Path] = None):
        self.file, self.root, self.items, self.warnings = file, root, [], []
        self.written_in: dict[str, str] = {}  # a service of the merged file -> its file's name

    def _name(self, path: Path) -> str:
        return str(path) if Path(self.file).is_absolute() else os.path.relpath(path, self.root)

    def of(self, path: Path) -> "Problems":
        """The problems of another file of the project (an include, an extends base), named by its
        path from the root (so `base.yaml:services.b.image`, not the file that pulled it in), kept
        in the same lists."""
        if self.root is None or path == self.root / self.file:
            return self
        other = Problems(self._name(path), self.root)
        other.items, other.warnings = self.items, self.warnings
        return other

    def services_written_in(self, files: dict[str, Path]) -> None:
        """Name what is found in the merged file's `services.<name>` by the file that wrote it
        (`files`: every service of the merged file; nothing to do when all are this file's)."""
        if self.root is not None and any(path != self.root / self.file for path in files.values()):
            self.written_in = {name: self._name(path) for name, path in files.items()}

    def _file_of(self, path: str) -> str:
        if not (self.written_in and path.startswith("services.")):
            return self.file
        rest = path[len("services."):]
        # A service name may hold dots: the longest that ends where a key or an index starts.
        for end in [len(rest), *sorted((i for i, c in enumerate(rest) if c in ".["), reverse=True)]:
            if rest[:end] in self.written_in:
                return self.written_in[rest[:end]]
        return self.file

    def _where(self, path: str) -> str:
        file = self._file_of(path)
        return f"{file}:{path}" if path else file

    def add(self, path: str, message: str) -> None:
        """The first problem at a key path is the one to fix (a value that failed interpolation
        would otherwise be reported again by every later reading of it)."""
        where = self._where(path)
        if not any(p.path == where for p in self.items):
            self.items.append(Problem(where, message))

    def warn(self, path: str, message: str) -> None:
        """Said, but the deploy goes on: a key without effect on the scheduler."""
        self.warnings.append(Problem(self._where(path), message))

    def extension(self, path: str, value: Any, allowed: Iterable[str]) -> dict:
        """An `x-platform` block (the Compose schema leaves extensions' shape to us): its
        mapping, every unknown key and any other shape named."""
        allowed = sorted(allowed)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(path, f"expected a mapping with {', '.join(allowed)}; got {value!r}")
            return {}
        for key in sorted(set(value) - set(allowed), key=str):
            self.add(f"{path}.{key}", f"unknown key; {path.rsplit('.', 1)[-1]} here takes: {', '.join(allowed)}")
        return value

    def parsed(self, path: str, parse: Callable[[], Any], value: Any = None) -> Any:
        """`value`: what `parse` reads, when it may be a value left unresolved (already said)."""
        if isinstance(value, Unresolved):
            return None
        try:
            return parse()
        except FieldError as e:
            self.add(path, str(e))
            return None


class Unsaid(Problems):
    """Problems of a reading that only looks (project.py finds the service names first): found
    again, and said, by the reading that counts."""

    def __init__(self) -> None:
        super().__init__("")

    def of(self, path: Path) -> "Problems":
        return self

    def add(self, path: str, message: str) -> None:
        pass

    def warn(self, path: str, message: str) -> None:
        pass
