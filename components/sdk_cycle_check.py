"""The SDK's dependency-cycle check, answered from a topological order kept as edges arrive.

Each time an input Output carries a resource, pulumi 3.272 asks whether the new dependency would
close a cycle (`pulumi/runtime/resource_cycle_breaker.py`: `declare_dependency` -> `_reachable`).
`_reachable` walks everything the new dependency depends on, with nested `yield from`
generators, one per edge: every resource found at depth d is handed up through d generators, so a
walk down a chain of n resources costs n^2/2 steps and one stack frame per edge. A Compose stack
whose services each refer to the one before is such a chain; at 1,000 services the check was
cubic overall and past Python's recursion limit.

`reachable` is the same search with an explicit stack: linear per walk, same answers (tests
compare both on random graphs). `install()` goes further: `IncrementalOrder` keeps a number per
resource such that every resource's number is above those of all it depends on (Pearce and
Kelly's dynamic topological order, moving only the dependency's side). A new edge
"x depends on y" with y numbered below x cannot close a cycle and needs no walk; that is almost
every edge of a program that creates what it depends on first. Otherwise the walk visits only
resources numbered above x, and renumbers them below x when it finds no cycle.
"""
from __future__ import annotations

from typing import Any, Optional

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


class IncrementalOrder:
    """`reachable` for the SDK's `declare_dependency`, which adds the edge "to_resource depends on
    from_resource" exactly when this answers False. Sound only if it sees every edge: installed
    before the first resource. Where that fails (a resource with dependencies it never numbered)
    or floats run out of room between two numbers, it says so in `exact` and walks everything
    from then on, which is the SDK's own answer."""

    def __init__(self, attribute: str = "_container_platform_order") -> None:
        self.attribute = attribute
        self.top = 0.0  # above every number given so far
        self.bottom = 0.0  # below every number given so far
        self.exact = True  # the numbers are a topological order of every edge

    def _number(self, r: Any) -> Optional[float]:
        return getattr(r, self.attribute, None)

    def _give_up(self, from_resource: Any, to_resource: Any) -> bool:
        self.exact = False
        return reachable(from_resource, to_resource)

    def __call__(self, from_resource: Any, to_resource: Any) -> bool:
        dependency, dependent = from_resource, to_resource  # the edge asked for: dependent -> dependency
        if not self.exact:
            return reachable(dependency, dependent)
        if dependency == dependent:
            return True
        low, high = self._number(dependency), self._number(dependent)
        if (low is None and _sdk._deps(dependency)) or (high is None and _sdk._deps(dependent)):
            return self._give_up(dependency, dependent)  # edges made before install()
        if low is None or high is None:
            # An unnumbered resource is in no edge yet: a fresh dependency goes to the bottom, a
            # fresh dependent to the top, and the new edge closes no cycle.
            if low is None:
                self.bottom -= 1
                setattr(dependency, self.attribute, self.bottom)
            if high is None:
                self.top += 1
                setattr(dependent, self.attribute, self.top)
            return False
        if low < high:
            return False  # everything the dependency reaches is numbered below it, so below the dependent
        return self._walk(dependency, dependent, high)

    def _walk(self, dependency: Any, dependent: Any, high: float) -> bool:
        """Only resources numbered at or above the dependent can lead to it."""
        seen: set = set()
        pending = [dependency]
        region: list = []  # reached, numbered at or above the dependent
        floor = self.bottom - 1  # the highest number reached below the dependent
        while pending:
            r = pending.pop()
            if r == dependent:
                return True
            if r in seen:
                continue
            seen.add(r)
            number = self._number(r)
            if number is None:
                return self._give_up(dependency, dependent)
            if number < high:
                floor = max(floor, number)
                continue
            region.append(r)
            pending.extend(_sdk._deps(r))
        # No cycle: the region moves between what it depends on and the dependent, in its order.
        region.sort(key=self._number)
        step = (high - floor) / (len(region) + 1)
        numbers = [floor + step * (i + 1) for i in range(len(region))]
        if not all(a < b for a, b in zip([floor, *numbers], [*numbers, high])):
            self.exact = False  # out of float room: correct answers, by walks, from here on
            return False
        for r, number in zip(region, numbers):
            setattr(r, self.attribute, number)
        return False


def install() -> bool:
    """Use an `IncrementalOrder` for the SDK's check; False (and nothing changed) on an SDK
    without it. Call it before the program registers its first resource."""
    declare = getattr(_sdk, "declare_dependency", None)
    if _sdk_reachable is None or not hasattr(_sdk, "_deps") or declare is None \
            or "_reachable" not in declare.__code__.co_names:
        return False
    _sdk._reachable = IncrementalOrder()  # type: ignore[attr-defined]  # one per program: a fresh order
    return True
