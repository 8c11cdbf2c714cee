"""The SDK's cycle check without recursion and mostly without walks (components/sdk_cycle_check.py):
the same answers as pulumi's own `resource_cycle_breaker._reachable`, on graphs it cannot walk."""
import sys

import pytest
from hypothesis import example, given, settings
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


def declare_both(size: int, edges: list[tuple[int, int]], order: sdk_cycle_check.IncrementalOrder) -> list[bool]:
    """Declare `edges` in turn as pulumi does (`declare_dependency`: the edge is added when the
    check finds no path back), once with the SDK's walk and once with `order`; the decisions of
    the second, after asserting they equal the first's."""
    sdk_nodes, our_nodes = [Node(i) for i in range(size)], [Node(i) for i in range(size)]
    decisions = []
    for a, b in edges:
        sdk_ok = not sdk_cycle_check._sdk_reachable(sdk_nodes[b % size], sdk_nodes[a % size])
        if sdk_ok:
            resource_cycle_breaker._add_dep(sdk_nodes[a % size], sdk_nodes[b % size])
        ours_ok = not order(our_nodes[b % size], our_nodes[a % size])
        if ours_ok:
            resource_cycle_breaker._add_dep(our_nodes[a % size], our_nodes[b % size])
        assert ours_ok == sdk_ok, (a, b)
        decisions.append(ours_ok)
    return decisions


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 12), st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=60))
# A renumbering that gives a resource the dependent's own number: it must still be walked (found
# by a search with `number <= high` in `_walk`, which loses the order here).
@example(7, [(6, 0), (4, 2), (3, 0), (4, 1), (1, 4), (4, 2), (6, 4), (2, 0), (0, 3), (7, 2), (0, 6), (3, 5), (1, 3),
             (6, 3), (7, 1), (6, 4), (7, 0), (5, 6), (4, 0), (2, 3), (5, 2)])
def test_the_kept_order_decides_every_declared_dependency_as_the_sdk_does(size, edges):
    """Any order of declarations: later ones against earlier ones, back edges, self edges."""
    order = sdk_cycle_check.IncrementalOrder()
    declare_both(size, edges, order)
    assert order.exact, "the order was lost (a walk of everything would then hide a wrong renumbering)"


def test_a_dependency_numbered_above_its_dependent_is_renumbered_below_it():
    """x is numbered first, then y -> z; x -> y puts y and z below x; z -> x then closes a cycle."""
    order = sdk_cycle_check.IncrementalOrder()
    assert declare_both(3, [(0, 1)], order) == [True]
    x, y, z = Node(0), Node(1), Node(2)
    for dependent, dependency in ((x, Node(9)), (y, z)):
        assert not order(dependency, dependent)
        resource_cycle_breaker._add_dep(dependent, dependency)
    assert order._number(y) > order._number(x)
    assert not order(y, x)  # x -> y: no cycle, y (and z, which y depends on) move below x
    resource_cycle_breaker._add_dep(x, y)
    assert order._number(z) < order._number(y) < order._number(x)
    assert order(x, z), "z -> x would close x -> y -> z -> x"
    assert order.exact


def test_a_chain_declared_in_creation_order_is_never_walked(monkeypatch):
    """A Compose chain of services: each new resource depends on the one before. The SDK walks the
    whole chain for each (n^2/2 steps); the kept order walks nothing."""
    walked = []
    deps = resource_cycle_breaker._deps
    monkeypatch.setattr(resource_cycle_breaker, "_deps", lambda r: walked.append(r) or deps(r))
    order = sdk_cycle_check.IncrementalOrder()
    nodes = [Node(i) for i in range(2000)]
    for before, after in zip(nodes, nodes[1:]):
        assert not order(before, after)
        resource_cycle_breaker._add_dep(after, before)
    assert len(walked) <= 2 * len(nodes), len(walked)
    assert order(nodes[0], nodes[-1]) is False and order(nodes[-1], nodes[0]) is True


def test_a_walk_reads_each_resource_once_however_many_paths_lead_to_it(monkeypatch):
    """x, numbered first, comes to depend on the top of a ladder of diamonds made after it: the
    walk covers the ladder, 2^k paths through 3k resources, and must read each resource once."""
    order = sdk_cycle_check.IncrementalOrder()
    x = Node(-1)
    assert not order(Node(-2), x)
    resource_cycle_breaker._add_dep(x, Node(-2))
    below, made = Node(0), []
    for level in range(1, 13):
        left, right, top = Node(3 * level), Node(3 * level + 1), Node(3 * level + 2)
        for dependency, dependent in ((below, left), (below, right), (left, top), (right, top)):
            assert not order(dependency, dependent)
            resource_cycle_breaker._add_dep(dependent, dependency)
        made += [left, right, top]
        below = top
    walked = []
    deps = resource_cycle_breaker._deps
    monkeypatch.setattr(resource_cycle_breaker, "_deps", lambda r: walked.append(r) or deps(r))
    assert order(below, x) is False, "x -> ladder closes no cycle"
    assert sorted(walked, key=lambda n: n.name) == made, "the ladder, every resource read once"
    assert all(order._number(n) < order._number(x) for n in made) and order.exact


def test_edges_made_before_install_fall_back_to_walking_everything():
    order = sdk_cycle_check.IncrementalOrder()
    a, b = graph(2, [(0, 1)])  # a -> b, never seen by the order
    assert order(a, b) is True, "b -> a would close a -> b -> a"
    assert not order.exact
    c = Node(2)
    assert order(c, a) is False and order(a, a) is True


def test_a_walk_that_meets_an_edge_made_before_install_walks_everything_from_the_dependency():
    """b and t are numbered (b above t); b -> u -> t were made outside the order, so the walk
    from b meets unnumbered u and falls back to the SDK's walk, which finds t through it."""
    order = sdk_cycle_check.IncrementalOrder()
    t, b, u = Node(0), Node(1), Node(2)
    assert order(t, b) is False  # numbers both: t at the bottom, b at the top; no edge added
    resource_cycle_breaker._add_dep(b, u)
    resource_cycle_breaker._add_dep(u, t)
    assert order(b, t) is True, "t -> b would close b -> u -> t -> b"
    assert not order.exact


def test_installed_the_sdk_still_refuses_a_dependency_that_closes_a_cycle():
    assert sdk_cycle_check.install()
    assert isinstance(resource_cycle_breaker._reachable, sdk_cycle_check.IncrementalOrder)
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


@pytest.mark.parametrize("missing", ["declare_dependency", "_deps"])
def test_on_an_sdk_without_the_pieces_it_replaces_install_changes_nothing(monkeypatch, missing):
    # Another pulumi release may have moved them: the program then keeps the SDK's own check.
    monkeypatch.delattr(resource_cycle_breaker, missing)
    before = resource_cycle_breaker._reachable
    assert sdk_cycle_check.install() is False
    assert resource_cycle_breaker._reachable is before
