#!/usr/bin/env bash
# Stand up the `local` stack on this machine's Docker engine, with state in a local file
# backend (no Pulumi Cloud account, no cloud credentials). Extra arguments go to `pulumi up`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pulumi >/dev/null 2>&1; then
  cat >&2 <<'MSG'
The Pulumi CLI is not installed, and `pulumi up` needs it.
Install it (https://www.pulumi.com/docs/install/), for example:
    curl -fsSL https://get.pulumi.com | sh      # then open a new shell
and run this command again. (The tests do not need it: ./scripts/test.sh)
MSG
  exit 127
fi
if ! docker info >/dev/null 2>&1; then
  echo "No Docker engine answers on this machine: start it (e.g. 'sudo systemctl start docker') and retry." >&2
  exit 1
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt

. scripts/local-env.sh
pulumi stack select local 2>/dev/null || pulumi stack init local
# The example app stack's database password: a random one, kept as a Pulumi secret.
pulumi config get dbPassword --stack local >/dev/null 2>&1 \
  || pulumi config set --secret dbPassword "$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')" --stack local
pulumi up --stack local "$@"
