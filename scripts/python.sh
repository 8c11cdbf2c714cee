#!/usr/bin/env bash
# The Python the project runs on, pinned (.python-version; pyproject.toml's requires-python):
# Pulumi keeps the program's dynamic providers (MarathonApp, the health gates, ...) in the stack's
# state pickled by the program's Python, and unpickles them with the virtualenv's, so a virtualenv
# on another minor version cannot run them. Prints the interpreter to make the virtualenv with;
# given one (an existing virtualenv's), checks it instead. Exits 1, saying what to do, otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(cat .python-version)
is_wanted() { "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; }
if [ $# -gt 0 ]; then
  is_wanted "$1" && { echo "$1"; exit 0; }
  echo "$1 is not Python $want, which this project is pinned to (.python-version): remove the virtualenv (rm -rf .venv) and run this again" >&2
  exit 1
fi
for candidate in "python$want" python3; do
  if command -v "$candidate" >/dev/null 2>&1 && is_wanted "$candidate"; then
    command -v "$candidate"
    exit 0
  fi
done
echo "Python $want is needed (.python-version): install it (e.g. apt-get install python$want, or pyenv install $want)" >&2
exit 1
