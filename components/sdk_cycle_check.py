"""The SDK's dependency-cycle check, walked without recursion.

Each time an input Output carries a resource, pulumi 3.272 asks whether the new dependency would
close a cycle (`pulumi/runtime/resource_cycle_breaker.py`: `declare_dependency` -> `_reachable`).
`_reachable` walks the graph with nested `yield from` generators, one per edge, so every resource
found at depth d is handed up through d generators: a walk down a chain of n resources costs
n^2/2 steps and one stack frame per edge. A Compose stack whose services each refer to the one
before is such a chain; at 1,000 services the check is cubic overall (it was most of the
program's time in benchmarks/floor.py) and past Python's recursion limit.

`install()` swaps in the same search with an explicit stack: same answer (tests compare both on
random graphs), linear per walk. It changes nothing if the SDK no longer has the function.
"""
from __future__ import annotations

from pulumi.runtime import resource_cycle_breaker as _sdk

_sdk_reachable = getattr(_sdk, "_reachable", None)


def reachable(from_resource: object, to_resource: object) -> bool:
    """True if `to_resource` is `from_resource` or one of its transitive dependencies."""
    seen: set = set()
    pending = [from_resource]
    while pending:
        r = pending.pop()
        if r == to_resource:
            return True
        if r in seen:
            continue
        seen.add(r)
        pending.extend(_sdk._deps(r))  # type: ignore[arg-type]
    return False


def install() -> bool:
    """Use `reachable` for the SDK's check; False (and nothing changed) on an SDK without it."""
    declare = getattr(_sdk, "declare_dependency", None)
    if _sdk_reachable is None or not hasattr(_sdk, "_deps") or declare is None \
            or "_reachable" not in declare.__code__.co_names:
        return False
    _sdk._reachable = reachable  # type: ignore[attr-defined]
    return True
