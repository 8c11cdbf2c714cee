#!/bin/sh
# Install and configure the Docker engine on a Debian or Ubuntu host. Idempotent: a second run
# changes nothing and says so. The version below is part of the script's hash, which is what
# makes Pulumi re-run it: bump it whenever the script changes.
# Runs as root: the program pipes it to `sh -s` for a root SSH user and to `sudo -n sh -s`
# otherwise (a script read from stdin cannot re-exec itself under sudo: it has no file).
# bootstrap-version: 2
set -eu

DAEMON_JSON='{
  "live-restore": true,
  "log-driver": "json-file",
  "log-opts": {"max-size": "50m", "max-file": "5"}
}'
changed=0

if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap-docker: must run as root (pipe it to sudo -n sh -s)" >&2
  exit 2
fi

if [ ! -r /etc/os-release ] || ! grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release; then
  echo "bootstrap-docker: only Debian and Ubuntu hosts are supported" >&2
  exit 2
fi

if ! command -v dockerd >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io ca-certificates >/dev/null
  changed=1
fi

mkdir -p /etc/docker
if [ "$(cat /etc/docker/daemon.json 2>/dev/null)" != "$DAEMON_JSON" ]; then
  printf '%s\n' "$DAEMON_JSON" >/etc/docker/daemon.json.new
  mv /etc/docker/daemon.json.new /etc/docker/daemon.json
  # The file compares equal without its trailing newline, as $(cat) strips it.
  changed=1
fi

# The SSH user the platform logs in as drives the engine over ssh:// (the Docker provider runs
# `docker system dial-stdio` as that user), so it joins the group that owns the socket. That
# group is root-equivalent on the host, as Docker documents: this user is the platform's
# operator account. (sudo names the user that called it in SUDO_USER.)
user=${SUDO_USER:-}
if [ -n "$user" ] && [ "$user" != root ] && ! id -nG "$user" | tr ' ' '\n' | grep -qx docker; then
  getent group docker >/dev/null || groupadd --system docker
  usermod -aG docker "$user"
  changed=1
fi

# Start (or reload) the engine where systemd runs it; a container without systemd only installs.
if [ -d /run/systemd/system ]; then
  systemctl enable docker >/dev/null 2>&1 || true
  if [ "$changed" -eq 1 ]; then systemctl restart docker; else systemctl start docker; fi
fi

echo "bootstrap-docker: changed=$changed $(dockerd --version)"
