#!/usr/bin/env bash
# Mutation testing of components/: mutmut makes the mutants, scripts/mutation_runner.py judges
# them against the fast tests from one warm process (scripts/mutation.py says how), and the last
# line is `mutation score: N%`, with a score per package above it. Not part of the test command.
# Extra arguments go to scripts/mutation.py (--sample N, --seed S, --all).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
rm -rf mutants  # from scratch: mutants of code since changed would otherwise stay
exec .venv/bin/python scripts/mutation.py "$@"
