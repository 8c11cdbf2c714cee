# Sourced by up-local.sh and down-local.sh: the `local` stack's state lives in a file backend in
# ./.state (no Pulumi Cloud account), its secrets encrypted with PULUMI_CONFIG_PASSPHRASE (empty
# unless you set one). Source it in your own shell for `pulumi stack output` and friends:
#     . scripts/local-env.sh && pulumi stack output --show-secrets marathon_credentials
mkdir -p .state
export PULUMI_BACKEND_URL="file://$PWD/.state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
