#!/usr/bin/env bash
# Build the mockkpr image from this repository with whichever engine answers.
#
# Usage: docker/build.sh [--print-tag] [extra build arguments...]
# Tags the image mockkpr:src-DIGEST (DIGEST: the first 12 hex digits of a SHA-256 over every
# file the build reads) and mockkpr:latest. When mockkpr:src-DIGEST already exists nothing is
# built (mockkpr:latest is pointed at it); after a build, older mockkpr:src-* tags are removed.
# The last line on standard output is the image.
#   --print-tag   only print the reference the current sources would get; build nothing.
#
# Environment (docker/ci-engine.sh writes the first three for machines without Docker):
#   CONTAINER_ENGINE           docker or podman (default: docker when `docker info` works,
#                              else podman)
#   CONTAINER_BASE_IMAGE       the BASE_IMAGE build argument (default: the Dockerfile's)
#   CONTAINER_BUILD_CA_BUNDLE  a CA bundle pip trusts inside the build (given as a secret)
#   MOCKKPR_IMAGE              the repository name to tag (default mockkpr)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
name=${MOCKKPR_IMAGE:-mockkpr}

# What the build reads (.dockerignore lets only these through); Python caches excluded.
digest=$( { printf '%s\n' "${CONTAINER_BASE_IMAGE:-default}"
           find pyproject.toml README.md LICENSE setup.py .dockerignore docker docs mockkpr \
             -type f \
             ! -path '*/__pycache__/*' ! -name '*.py[cod]' -print0 \
             | LC_ALL=C sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-12)
tag="$name:src-$digest"
if [ "${1:-}" = "--print-tag" ]; then
  echo "$tag"
  exit 0
fi

engine=${CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
  if docker info >/dev/null 2>&1; then engine=docker
  elif command -v podman >/dev/null; then engine=podman
  else
    echo "build.sh: no container engine: docker info fails and podman is not installed" >&2
    exit 1
  fi
fi

if "$engine" image inspect "$tag" >/dev/null 2>&1; then
  echo "build.sh: $tag is up to date" >&2
  "$engine" tag "$tag" "$name:latest"
else
  args=(build -f docker/Dockerfile -t "$tag" -t "$name:latest")
  [ -z "${CONTAINER_BASE_IMAGE:-}" ] || args+=(--build-arg "BASE_IMAGE=$CONTAINER_BASE_IMAGE")
  [ -z "${CONTAINER_BUILD_CA_BUNDLE:-}" ] \
    || args+=(--secret "id=ca-bundle,src=$CONTAINER_BUILD_CA_BUNDLE")
  if [ "$engine" = podman ]; then
    # docker format keeps the HEALTHCHECK (OCI images have none); host network for apt/pip
    args+=(--format docker --network host)
  fi
  echo "build.sh: $engine ${args[*]} $* ." >&2
  "$engine" "${args[@]}" "$@" . >&2
  # images of earlier sources are never used again (their layers stay as build cache)
  "$engine" images --format '{{.Repository}}:{{.Tag}}' \
    | grep -E "(^|/)$name:src-[0-9a-f]{12}\$" | grep -v ":src-$digest\$" \
    | xargs -r "$engine" rmi >/dev/null 2>&1 || true
fi
echo "$tag"
