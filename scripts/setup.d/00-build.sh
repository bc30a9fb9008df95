#!/usr/bin/env bash
# What installing mockkpr itself needs on Debian: venv support and a C toolchain with the
# Python and OpenSSL headers (python-qpid-proton is published as a source distribution only).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
PYTHON=${PYTHON:-python3}
need=()
"$PYTHON" -c "import ensurepip" 2>/dev/null || need+=(python3-venv)
command -v gcc >/dev/null || need+=(build-essential)
"$PYTHON" -c "import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" \
  || need+=(python3-dev)
[ -e /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
