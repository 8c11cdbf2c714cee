#!/usr/bin/env bash
# The lines of components/ no fast test runs (coverage.py over the test command's fast tests):
# every mutant on them survives, so they are where a test is missing first, before a mutation
# run (scripts/mutation.sh) spends minutes finding the same. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m coverage run --data-file=.coverage --source=components \
    -m pytest -q -p no:cacheprovider -m "not real" "$@"
.venv/bin/python -m coverage report --data-file=.coverage -m --skip-covered
