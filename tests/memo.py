"""`remembered`: a test module's evaluations, made once and shared by its tests, that still
credit every test using them with the code they reached.

A whole-stack evaluation costs about a second, so tests share them. Mutation testing
(scripts/mutation.sh) runs, for each mutant, only the tests that reached its function while
mutmut mapped them (its `stats` pass: each mutated function, when called, adds its name to the
set mutmut collects for the running test). With a plain cache only the first test to evaluate
a stack was credited, so a mutant ran that test alone and the others judging the same resources
never saw it (an AgentGroup mutant dropping the subnets "survived" a test asserting them).

While mutmut maps, a `remembered` function keeps, with each value, the names its evaluation
reached, and adds them to the running test's set on every later use: the same map as
evaluating again for each test, at the cost of evaluating once.
"""
from __future__ import annotations

import functools
import os
from typing import Callable, TypeVar

T = TypeVar("T")


def _mapping() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


def _collected():
    """mutmut's state, holding `_stats`: the names reached by the running test."""
    from mutmut.state import state  # only while mutmut maps: it is not installed for the suite
    return state()


def remembered(fn: Callable[..., T]) -> Callable[..., T]:
    """`functools.cache` for evaluations (hashable arguments), crediting each use while mutmut maps."""
    values: dict = {}
    reached: dict = {}

    @functools.wraps(fn)
    def use(*args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        mapping = _mapping()
        if key not in values:
            if not mapping:
                values[key] = fn(*args, **kwargs)
                return values[key]
            # Collect this evaluation's names apart (a nested remembered call adds its own),
            # then hand them to the running test as well.
            state = _collected()
            running, state._stats = state._stats, set()
            try:
                values[key] = fn(*args, **kwargs)
            finally:
                reached[key], state._stats = state._stats, running | state._stats
        elif mapping:
            _collected()._stats.update(reached.get(key, ()))
        return values[key]

    def cache_clear() -> None:
        values.clear()
        reached.clear()

    use.cache_clear = cache_clear
    return use
