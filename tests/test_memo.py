"""tests/memo.py: a remembered evaluation is made once, and while mutmut maps tests to functions
every test using it is credited with what it reached (as mutmut's trampolines record a call:
the function's name added to the running test's set, which mutmut takes and clears after each
test, mutmut/runners/harness.py StatsCollector)."""
import time

import pytest
from mutmut.state import state

from .memo import forget_reaching, remembered, reused_seconds


@pytest.fixture
def mapping(monkeypatch):
    """mutmut's stats pass: its environment and an empty set for the running test."""
    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")
    saved, state()._stats = state()._stats, set()
    yield state()
    state()._stats = saved


def reaching(*names):
    calls = []

    @remembered
    def evaluation(key):
        calls.append(key)
        state()._stats.update(names)  # what the mutated functions' trampolines would record
        return f"deployment {key}"
    return evaluation, calls


def next_test(s):
    """What mutmut does between tests: takes the set and clears it."""
    taken = set(s._stats)
    s._stats.clear()
    return taken


def test_each_test_using_a_remembered_evaluation_is_credited_with_what_it_reached(mapping):
    evaluation, calls = reaching("components.a.x_f__mutmut_orig")
    mapping._stats.add("components.b.x_before__mutmut_orig")
    assert evaluation("prod") == "deployment prod"
    assert next_test(mapping) == {"components.a.x_f__mutmut_orig", "components.b.x_before__mutmut_orig"}
    assert evaluation("prod") == "deployment prod" and calls == ["prod"], "evaluated once"
    assert next_test(mapping) == {"components.a.x_f__mutmut_orig"}
    assert evaluation("dev") and calls == ["prod", "dev"], "another key is another evaluation"


def test_an_outer_evaluation_carries_what_a_nested_one_reached(mapping):
    inner, _ = reaching("components.inner")

    @remembered
    def outer(key):
        return inner(key) + "!"

    inner("k")
    next_test(mapping)
    outer("k")  # the inner one from its memory: its names still reach the outer one's
    assert next_test(mapping) == {"components.inner"}
    outer("k")
    assert next_test(mapping) == {"components.inner"}


def test_a_failed_evaluation_gives_the_running_test_its_set_back(mapping):
    @remembered
    def broken(key):
        state()._stats.add("components.reached_before_failing")
        raise ValueError(key)

    mapping._stats.add("components.earlier")
    with pytest.raises(ValueError):
        broken("k")
    assert next_test(mapping) == {"components.earlier", "components.reached_before_failing"}


def test_outside_mutmut_it_is_a_plain_cache(monkeypatch):
    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    evaluation, calls = reaching()
    evaluation("k")
    evaluation("k")
    assert calls == ["k"]
    evaluation.cache_clear()
    evaluation("k")
    assert calls == ["k", "k"]


def test_a_mutants_process_forgets_only_the_evaluations_that_reached_its_function(mapping, monkeypatch):
    """scripts/mutation_runner.py: what never called the mutated function is kept (the same code
    ran), what did is evaluated again under the mutant."""
    evaluation, calls = reaching("components.a.x_f__mutmut_orig")
    other, other_calls = reaching("components.b.x_g__mutmut_orig")
    evaluation("prod"), other("prod")
    monkeypatch.setenv("MUTANT_UNDER_TEST", "components.a.x_f__mutmut_3")
    forget_reaching("components.a.x_f__mutmut_orig")
    evaluation("prod"), other("prod")
    assert calls == ["prod", "prod"] and other_calls == ["prod"]


def test_a_value_made_while_nothing_mapped_is_always_forgotten(monkeypatch):
    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    evaluation, calls = reaching()
    evaluation("prod")
    forget_reaching("components.unrelated.x_h__mutmut_orig")
    evaluation("prod")
    assert calls == ["prod", "prod"], "what it reached is unknown: it may reach the mutant"


def test_a_test_is_charged_what_the_remembered_values_it_used_took_to_make(mapping):
    """scripts/mutation_runner.py's time limits: a mutant's test may have to make them again."""
    @remembered
    def slow(key):
        time.sleep(0.05)
        return key

    @remembered
    def outer(key):
        return slow(key) + "!"

    reused_seconds()
    slow("k")
    assert reused_seconds() == 0, "made by this test: already in its own time"
    outer("k")
    assert 0.05 <= reused_seconds() < 0.09, "the nested value it used, not made"
    outer("k")
    assert 0.05 <= reused_seconds() < 0.09, "the outer one took the nested one's making too"
