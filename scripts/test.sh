#!/usr/bin/env bash
# The test command: all set-up on a fresh machine (system packages, venv, Docker engine,
# base image), then the whole suite. Extra arguments go to pytest (e.g. -k zookeeper).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
