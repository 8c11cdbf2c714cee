#!/usr/bin/env bash
# Mutation testing of components/ with mutmut: how many plausible bugs the fast tests notice,
# per package, ending with the line `mutation score: N%` (scripts/mutation.py says how). Not
# part of the test command: over 30 minutes here on two cores for the default sample (about 30 s
# a mutant after an 8-minute map of tests to functions). Extra arguments go to
# scripts/mutation.py (--sample N, --all).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
rm -rf mutants  # from scratch: mutmut would otherwise keep results of code since changed
exec .venv/bin/python scripts/mutation.py "$@"
