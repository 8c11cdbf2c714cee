#!/usr/bin/env bash
# Idempotent set-up of everything the tests need on a fresh Debian 12 machine (run as root):
# system packages, the Python virtualenv, a running Docker engine and the locally built base
# image (no registry is reachable from CI, so images are debootstrapped, never pulled).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(docker.io debootstrap openjdk-17-jre-headless zookeeper netcat-openbsd cloud-init openssh-client)
BASE_IMAGE=local/debian:bookworm
STANDIN_IMAGE=local/standin:1
# Stand-ins and twins for the real tests (tests/images/<dir>): image name -> build directory.
TEST_IMAGES=(
  "local/zookeeper-standin:1=tests/images/zookeeper"
  "local/awshost-twin:1=tests/images/awshost"
  "local/sshhost-twin:1=tests/images/sshhost"
  "local/marathonlb-standin:1=tests/images/marathonlb"
  "local/curl-standin:1=tests/images/curl"
)
VENV=.venv
TOOLS=.tools

log() { printf '[setup] %s\n' "$*"; }

install_system_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python_packages() {
  [ -x "$VENV/bin/python" ] || "$(scripts/python.sh)" -m venv "$VENV"
  scripts/python.sh "$VENV/bin/python" >/dev/null
  # Reinstall only when the pinned requirements change.
  local stamp="$VENV/.requirements.sha"
  local want
  want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "pip install -r requirements.txt -r requirements-dev.txt"
    # (pip warns about unreachable local indexes on some machines: noise, filtered.)
    "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt \
      2> >(grep -v "is ignored: it is neither" >&2)
    echo "$want" >"$stamp"
  fi
}

engine_pid() {
  # The pid in an engine's pid file when that process is alive (not a zombie) and is the engine:
  # a machine restored from a snapshot keeps pid files of engines that no longer run, and may
  # have given the pid to something else.
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  grep -q '^State:[[:space:]]*[^Z]' "/proc/${pid:-0}/status" 2>/dev/null || return 1
  case "$(cat "/proc/$pid/comm" 2>/dev/null)" in dockerd|containerd) echo "$pid" ;; *) return 1 ;; esac
}

start_docker_engine() {
  # Debian's 20.10 client matches Debian's 20.10 engine; a newer client may also be on PATH.
  /usr/bin/docker info >/dev/null 2>&1 && return 0
  # An engine still starting or still exiting: give it 30 s to settle either way.
  for _ in $(seq 1 60); do
    engine_pid /var/run/docker.pid >/dev/null || break
    /usr/bin/docker info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  # dockerd refuses to start over a pid file ("pid file found, ensure docker is not running").
  local file
  for file in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    if [ -f "$file" ] && ! engine_pid "$file" >/dev/null; then
      log "removing stale $file"
      rm -f "$file"
    fi
  done
  log "starting dockerd"
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do /usr/bin/docker info >/dev/null 2>&1 && break; sleep 0.5; done
  /usr/bin/docker info >/dev/null 2>&1 || { cat /tmp/dockerd.log; echo "dockerd did not start" >&2; exit 1; }
}

build_base_image() {
  /usr/bin/docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
  local mirror rootfs
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs=$(mktemp -d)
  log "debootstrap bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/tmp/debootstrap.log 2>&1 \
    || { tail -20 /tmp/debootstrap.log; exit 1; }
  tar -C "$rootfs" -c . | /usr/bin/docker import -c 'CMD ["/bin/bash"]' -c 'ENV LANG=C.UTF-8' - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

install_node_tools() {
  # action-validator checks the GitHub workflows against their schema (tests/test_workflows.py).
  command -v npm >/dev/null 2>&1 || {
    log "apt-get install nodejs npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  }
  [ -x "$TOOLS/node_modules/.bin/action-validator" ] && return 0
  log "npm install @action-validator/cli"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" @action-validator/cli@0.6.0 @action-validator/core@0.6.0 >/dev/null
}

build_standin_images() {
  # Stand-in service for the real Swarm and cloud-init tests, the stand-in images and host
  # twins; the layer cache makes reruns ~1 s each (a first build of ZooKeeper's ~40 s).
  DOCKER_BUILDKIT=0 /usr/bin/docker build -q -t "$STANDIN_IMAGE" tests/images/standin >/dev/null
  local entry
  for entry in "${TEST_IMAGES[@]}"; do
    log "docker build ${entry%%=*}"
    DOCKER_BUILDKIT=0 /usr/bin/docker build -q -t "${entry%%=*}" "${entry#*=}" >/dev/null
  done
}

install_system_packages
install_python_packages
install_node_tools
start_docker_engine
build_base_image
build_standin_images
log "ready"
