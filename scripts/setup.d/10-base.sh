#!/usr/bin/env bash
# openssl (CMS interoperability tests) and Node.js (the independent AMQP client rhea).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
