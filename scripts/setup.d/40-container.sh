#!/usr/bin/env bash
# A container engine for tests/container: nothing when Docker answers; otherwise podman behind
# a Docker API socket (docker/ci-engine.sh), whose environment scripts/test then reads from
# .container-engine.env.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
env_file="$root/.container-engine.env"
if docker info >/dev/null 2>&1; then
  rm -f "$env_file"
  exit 0
fi
bash "$root/docker/ci-engine.sh" --env-file "$env_file" >/dev/null
echo "== container engine: podman ($(grep '^DOCKER_HOST=' "$env_file"))"
