"""`remembered`: a test module's evaluations, made once and shared by its tests, that still
credit every test using them with the code they reached.

A whole-stack evaluation costs about a second, so tests share them. Mutation testing
(scripts/mutation_runner.py) runs, for each mutant, only the tests that reached its function
while the tests were mapped (MUTANT_UNDER_TEST=stats: each mutated function, when called, adds
its name to mutmut's set for the running test). With a plain cache only the first test to
evaluate a stack was credited, so a mutant ran that test alone and the others judging the same
resources never saw it (an AgentGroup mutant dropping the subnets "survived" a test asserting
them).

While mapping, a `remembered` function keeps, with each value, the names its evaluation
reached, and adds them to the running test's set on every later use: the same map as
evaluating again for each test, at the cost of evaluating once. In a mutant's process,
`forget_reaching` drops only the values that reached the mutated function.
"""
from __future__ import annotations

import functools
import os
import time
from typing import Callable, TypeVar

T = TypeVar("T")

# Every remembered function's (values, names reached by each value), for `forget_reaching`.
_EVERY: list[tuple[dict, dict]] = []
# Seconds of remembered values used, not made, since `reused_seconds` was last called.
_reused = 0.0


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
    seconds: dict = {}  # what making each value took, the nested values it reused included
    _EVERY.append((values, reached))

    def make(key, args, kwargs):
        global _reused
        t0, reused_before = time.perf_counter(), _reused
        values[key] = fn(*args, **kwargs)
        seconds[key] = time.perf_counter() - t0 + _reused - reused_before

    @functools.wraps(fn)
    def use(*args, **kwargs):
        global _reused
        key = (args, tuple(sorted(kwargs.items())))
        mapping = _mapping()
        if key not in values:
            if not mapping:
                make(key, args, kwargs)
                return values[key]
            # Collect this evaluation's names apart (a nested remembered call adds its own),
            # then hand them to the running test as well.
            state = _collected()
            running, state._stats = state._stats, set()
            try:
                make(key, args, kwargs)
            finally:
                reached[key], state._stats = state._stats, running | state._stats
        else:
            _reused += seconds.get(key, 0.0)
            if mapping:
                _collected()._stats.update(reached.get(key, ()))
        return values[key]

    def cache_clear() -> None:
        values.clear()
        reached.clear()

    use.cache_clear = cache_clear
    return use


def reused_seconds() -> float:
    """The seconds that remembered values used since the last call took to make: what the
    running test would take on top if nothing were remembered (scripts/mutation_runner.py
    gives each test of a mutant, which may have to make them again, that much more time)."""
    global _reused
    taken, _reused = _reused, 0.0
    return taken


def forget_reaching(name: str) -> None:
    """Forget every remembered value whose evaluation reached the function `name` (mutmut's
    mangled name), or that was made while nothing was mapped (what it reached is unknown); keep
    the rest, which a mutant of `name` cannot change. scripts/mutation_runner.py calls this in
    each mutant's process, forked from one that evaluated everything unmutated."""
    for values, reached in _EVERY:
        for key in [k for k in values if k not in reached or name in reached[k]]:
            del values[key]
            reached.pop(key, None)
