"""Under a mutant, tests/conftest.py runs its tests cheapest first, as mutmut's map measured them
(mutants/mutmut-stats.json, `duration_by_test`); in every other pass the order is left alone."""
import json
from types import SimpleNamespace

import pytest

from . import conftest

MEASURED = {"tests/a.py::slow": 3.0, "tests/a.py::cheap": 0.01, "tests/b.py::middling": 0.5}


def ordered(tmp_path, monkeypatch, mutant):
    (tmp_path / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": MEASURED}))
    monkeypatch.chdir(tmp_path)  # mutmut runs the tests inside mutants/, beside the file
    monkeypatch.setenv("MUTANT_UNDER_TEST", mutant)
    items = [SimpleNamespace(nodeid=n) for n in ("tests/a.py::slow", "tests/b.py::middling", "tests/a.py::cheap")]
    conftest.pytest_collection_modifyitems(items)
    return [i.nodeid.split("::")[1] for i in items]


def test_a_mutants_tests_run_cheapest_first(tmp_path, monkeypatch):
    assert ordered(tmp_path, monkeypatch, "components.outputs.x_depending_on__mutmut_1") == ["cheap", "middling", "slow"]


@pytest.mark.parametrize("mutmut_pass", conftest.MUTMUT_PASSES)
def test_no_other_pass_is_reordered(tmp_path, monkeypatch, mutmut_pass):
    assert ordered(tmp_path, monkeypatch, mutmut_pass) == ["slow", "middling", "cheap"]
