import copy
import os
import sys

import pytest

from . import said
from .harness import Deployment, evaluate, stack_config, stack_names
from .memo import remembered

UPDATING = os.environ.get("UPDATE_RENDERED") == "1"  # write tests/rendered/ again (tests/test_rendered.py)


# The secrets a user sets with `pulumi config set --secret` before `pulumi up`.
# A host's SSH public key, as physical hosts pin them (platform.hosts[i].host_key).
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdjXuDiVBAgUq9tRo36lAQepRaSxY2L8JY2j+uYJRMD"
PLACEHOLDER_SECRETS = {"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nplaceholder\n", "marathonPassword": "placeholder-password",
                      "dbPassword": "placeholder-db-password"}


@remembered
def _deployment(stack: str) -> Deployment:
    return evaluate(stack, secrets=PLACEHOLDER_SECRETS)


@pytest.fixture(params=stack_names())
def deployment(request) -> Deployment:
    """Every stack in stacks/, evaluated once under the mock runtime."""
    d = _deployment(request.param)
    assert d.error is None, f"stack {request.param} failed: {d.error}"
    return d


@pytest.fixture
def stack():
    """A named stack, evaluated once."""
    return _deployment


@pytest.fixture(scope="session")
def key_table_dirs(tmp_path_factory):
    """A directory per scheduler for tests/test_key_table.py's Compose file (its evaluation is
    shared with tests/test_rendered.py, which pins it whole)."""
    return {s: tmp_path_factory.mktemp(f"key-table-{s}") for s in ("local", "swarm", "marathon")}


def evaluate_changed(stack, change, config=None, secrets=None) -> Deployment:
    """`stack` (or `config`) evaluated with a copy of its platform config changed by
    `change(platform)`, and the placeholder secrets set (and `secrets`)."""
    cfg = config or stack_config(stack)
    platform = copy.deepcopy(cfg["container-platform:platform"])
    change(platform)
    return evaluate(stack, config={**cfg, "container-platform:platform": platform},
                    secrets={**PLACEHOLDER_SECRETS, **(secrets or {})})


def pytest_collection_finish(session):
    """Under mutation testing (scripts/mutation.sh), give mutmut's copy of each method of a
    provider class back its module. `pickled_by_value` moves every method of those classes to
    `__main__` so that dill pickles them by value; mutmut's trampolines name what a test reaches
    by the copy's module, so without this no test would reach the providers (MarathonApp's,
    the masters' quorum, ...) and their mutants would count as untested survivors."""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("components."):
            continue
        for cls in [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == "__main__"]:
            for name, member in vars(cls).items():
                if "__mutmut_" in name and callable(member):
                    member.__module__ = module_name


def pytest_sessionstart(session):
    said.install(session.config._tmp_path_factory.getbasetemp())


@pytest.fixture(autouse=True)
def _what_is_said_is_pinned(request):
    """Every problem a test makes the program state is one of tests/rendered/said.txt (tests/said.py).
    Not for property tests: hypothesis makes up their inputs, so their messages too."""
    said.take()
    yield
    made_up = getattr(request.function, "is_hypothesis_test", False)
    texts = said.take(keep=not made_up)
    if made_up or UPDATING:
        return
    new = [t for t in texts if t not in said.pinned()]
    if new:
        pytest.fail("the program said what is not pinned in tests/rendered/said.txt:\n"
                    + "\n".join(f"  {t}" for t in new[:10])
                    + "\nIf the text is meant, add it: UPDATE_RENDERED=1 .venv/bin/python -m pytest <these tests>",
                    pytrace=False)


def pytest_sessionfinish(session):
    if UPDATING:
        said.write()
