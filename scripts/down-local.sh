#!/usr/bin/env bash
# Tear the `local` stack down: every container, network and image pull it made, with the same
# file backend as up-local.sh. Named volumes that hold state (ZooKeeper's data, the Mesos
# replicated log) are kept by design; `docker volume rm` them (names start with the platform's
# name, `local-`) to start from nothing. Extra arguments go to `pulumi destroy`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pulumi >/dev/null 2>&1; then
  echo "The Pulumi CLI is not installed (https://www.pulumi.com/docs/install/): nothing was stood up with it here." >&2
  exit 127
fi
. scripts/local-env.sh
pulumi destroy --stack local "$@"
