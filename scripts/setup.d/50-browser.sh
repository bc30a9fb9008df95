#!/usr/bin/env bash
# Chromium for the web view's browser tests (tests/web), driven by Playwright. Debian's own
# package: Playwright's browser download does not work offline and is not used.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null || apt_install chromium fonts-dejavu-core
