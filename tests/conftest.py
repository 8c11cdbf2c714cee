import copy
import os
import sys

import pytest

from .harness import Deployment, evaluate, stack_config, stack_names
from .memo import remembered


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
