#!/usr/bin/env bash
# PostgreSQL server binaries (initdb, pg_ctl) for the journal's and broker mode's tests on a
# shared database. The tests start a throw-away cluster of their own on a Unix socket
# (tests/services/postgres.py), so nothing is started here.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi
