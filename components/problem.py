"""A problem found in the user's input, named by where it is and what would fix it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: str  # a config key path (`platform.mesos.masters.count`) or `<file>:<key path>`
    message: str  # what is wrong and how to fix it

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"
