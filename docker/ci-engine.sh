#!/usr/bin/env bash
# A container engine for machines without Docker: podman behind a Docker-compatible API socket.
#
# CI runs this (through scripts/setup.d/40-container.sh) only when `docker info` fails; where a
# Docker engine answers, nothing here is needed. Idempotent: every step is skipped when done.
#   1. installs podman, runc, debootstrap and curl when missing (apt), and podman-compose 1.x
#      from PyPI in its own virtual environment (Debian 12's 1.0.3 knows no compose profiles);
#   2. writes /etc/containers/containers.conf.d/50-mockkpr.conf: runc instead of crun, and
#      explicit ulimits (crun cannot set the defaults in an unprivileged build container);
#   3. builds the base image localhost/debian-min:bookworm with debootstrap when no registry
#      can be reached (Debian's packages can): functionally debian:bookworm-slim (minbase,
#      without documentation and translations);
#   4. starts `podman system service` on a Unix socket unless it already answers there;
#   5. prints the environment the tests need (and writes it to --env-file FILE).
#
# Usage: docker/ci-engine.sh [--env-file FILE]
# Environment: MOCKKPR_PODMAN_SOCKET (default /tmp/mockkpr-podman.sock), DEBIAN_MIRROR (default:
# the machine's own Debian mirror from its apt sources, else debootstrap's default).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../scripts/setup.d/lib.sh"

env_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --env-file) env_file="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "ci-engine.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

BASE_IMAGE=localhost/debian-min:bookworm
SOCKET=${MOCKKPR_PODMAN_SOCKET:-/tmp/mockkpr-podman.sock}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# 1. the tools
need=()
for tool in podman runc debootstrap curl; do
  command -v "$tool" >/dev/null || need+=("$tool")
done
python3 -c "import ensurepip" 2>/dev/null || need+=(python3-venv)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
# compose profiles (docker/compose.yaml's broker profile) need podman-compose >= 1.1
COMPOSE_VENV=/opt/mockkpr-podman-compose
if ! "$COMPOSE_VENV/bin/podman-compose" version >/dev/null 2>&1; then
  $sudo python3 -m venv "$COMPOSE_VENV"
  $sudo "$COMPOSE_VENV/bin/pip" install --quiet --disable-pip-version-check \
    "podman-compose>=1.1,<2"
fi
$sudo ln -sf "$COMPOSE_VENV/bin/podman-compose" /usr/local/bin/podman-compose

# 2. engine configuration (a drop-in, so the distribution's containers.conf stays untouched)
conf=/etc/containers/containers.conf.d/50-mockkpr.conf
wanted='# written by mockkpr docker/ci-engine.sh
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"'
if [ "$(cat "$conf" 2>/dev/null)" != "$wanted" ]; then
  echo "== writing $conf"
  $sudo mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$wanted" | $sudo tee "$conf" >/dev/null
fi

# 3. the base image
if ! $sudo podman image exists "$BASE_IMAGE"; then
  mirror=${DEBIAN_MIRROR:-$(grep -hoE '(URIs:|^deb) +https?://[^ ]+/debian/?( |$)' \
    /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | awk '{print $2}' | head -n1 || true)}
  root="$(mktemp -d /tmp/mockkpr-debootstrap.XXXXXX)"
  echo "== debootstrap bookworm ${mirror:-(default mirror)} -> $BASE_IMAGE"
  $sudo debootstrap --variant=minbase bookworm "$root" ${mirror:+"$mirror"} >/dev/null
  # slim as debian:bookworm-slim: no documentation, manual pages or translations, now or later
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/lintian/*' \
    | $sudo tee "$root/etc/dpkg/dpkg.cfg.d/90-slim" >/dev/null
  $sudo find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  $sudo rm -rf "$root"/usr/share/{man,info,locale,lintian}/* \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  $sudo tar -C "$root" -c . | $sudo podman import --quiet - "$BASE_IMAGE" >/dev/null
  $sudo rm -rf "$root"
fi

# 4. the Docker-compatible API
answers() { curl -sf --max-time 2 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }
# A service left by an earlier run whose working directory has since been deleted (a CI
# clone) answers pings but cannot start containers ("write child: broken pipe"): replace it.
pidfile="${SOCKET%.sock}.pid"
if [ -f "$pidfile" ] && old=$(cat "$pidfile") && [ -e "/proc/$old" ] \
    && readlink "/proc/$old/cwd" | grep -q '(deleted)$'; then
  echo "== replacing the podman API service $old (its working directory is gone)"
  $sudo kill "$old" || true
  for _ in $(seq 50); do [ -e "/proc/$old" ] || break; sleep 0.1; done
fi
if ! answers; then
  $sudo rm -f "$SOCKET"
  log="${SOCKET%.sock}.log"
  # Detached for good: its own session, working directory /, no descriptor of ours left
  # open (an inherited pipe would keep whoever reads this script's output waiting forever).
  python3 - "$log" "$pidfile" $sudo podman system service --time=0 "unix://$SOCKET" <<'PY'
import subprocess, sys
log, pidfile, *command = sys.argv[1:]
with open(log, "ab") as out:
    service = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                               stderr=subprocess.STDOUT, close_fds=True,
                               start_new_session=True, cwd="/")
with open(pidfile, "w") as handle:
    handle.write(f"{service.pid}\n")
PY
  for _ in $(seq 100); do answers && break; sleep 0.1; done
  answers || { echo "podman system service did not answer on $SOCKET; see $log" >&2; exit 1; }
  echo "== podman API on $SOCKET (pid $(cat "${SOCKET%.sock}.pid"); stop it with kill PID)"
fi

# 5. the environment for the tests (testcontainers, docker/build.sh)
environment="DOCKER_HOST=unix://$SOCKET
TESTCONTAINERS_RYUK_DISABLED=true
TESTCONTAINERS_CONNECTION_MODE=docker_host
CONTAINER_ENGINE=podman
CONTAINER_BASE_IMAGE=$BASE_IMAGE"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  # pip inside the build trusts what this machine trusts (e.g. a proxy's CA)
  environment+="
CONTAINER_BUILD_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt"
fi
if [ -n "$env_file" ]; then
  printf '%s\n' "$environment" >"$env_file"
fi
printf 'export %s\n' $environment
