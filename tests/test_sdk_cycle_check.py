"""The SDK's cycle check without recursion (components/sdk_cycle_check.py): the same answers as
pulumi's own `resource_cycle_breaker._reachable`, on graphs it cannot walk."""
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime import resource_cycle_breaker

from components import sdk_cycle_check


class Node:
    """Stands in for a Resource: the check reads only `_direct_computed_dependencies`."""

    def __init__(self, name: int):
        self.name = name

    def __repr__(self) -> str:
        return f"Node({self.name})"


def graph(size: int, edges: list[tuple[int, int]]) -> list[Node]:
    nodes = [Node(i) for i in range(size)]
    for a, b in edges:
        resource_cycle_breaker._add_dep(nodes[a % size], nodes[b % size])
    return nodes


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=40))
def test_same_answer_as_the_sdk_on_any_graph_cycles_included(size, edges):
    nodes = graph(size, edges)
    for a in nodes:
        for b in nodes:
            assert sdk_cycle_check.reachable(a, b) == sdk_cycle_check._sdk_reachable(a, b), (a, b)


def test_installed_the_sdk_still_refuses_a_dependency_that_closes_a_cycle():
    assert sdk_cycle_check.install()
    assert resource_cycle_breaker._reachable is sdk_cycle_check.reachable
    a, b, c = graph(3, [])
    assert resource_cycle_breaker.declare_dependency(a, b)
    assert resource_cycle_breaker.declare_dependency(b, c)
    assert not resource_cycle_breaker.declare_dependency(c, a), "c -> a would close a -> b -> c -> a"
    assert resource_cycle_breaker.declare_dependency(a, c)


def test_a_chain_past_the_recursion_limit_minimal_reproduction_of_the_sdk_walk():
    """A chain deeper than the recursion limit: the SDK's generator walk fails, the swap does not."""
    depth = sys.getrecursionlimit() * 3
    nodes = graph(depth, [(i + 1, i) for i in range(depth - 1)])
    with pytest.raises(RecursionError):
        sdk_cycle_check._sdk_reachable(nodes[-1], Node(-1))
    assert not sdk_cycle_check.reachable(nodes[-1], Node(-1))
    assert sdk_cycle_check.reachable(nodes[-1], nodes[0])
