#!/usr/bin/env bash
# Stand up the `local` stack on this machine's Docker engine, with state in a local file
# backend (no Pulumi Cloud account, no cloud credentials). Extra arguments go to `pulumi up`.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || "$(scripts/python.sh)" -m venv .venv
scripts/python.sh .venv/bin/python >/dev/null
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
if ! command -v pulumi >/dev/null 2>&1; then
  # Without the CLI: the offline plan of what `up` would create, and how to install the CLI (exit 127).
  exec .venv/bin/python -m ops.up local up
fi
if ! docker info >/dev/null 2>&1; then
  echo "No Docker engine answers on this machine: start it (e.g. 'sudo systemctl start docker') and retry." >&2
  exit 1
fi

. scripts/local-env.sh
pulumi stack select local 2>/dev/null || pulumi stack init local
# The example app stack's database password: a random one, kept as a Pulumi secret.
pulumi config get dbPassword --stack local >/dev/null 2>&1 \
  || pulumi config set --secret dbPassword "$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')" --stack local
pulumi up --stack local "$@"
