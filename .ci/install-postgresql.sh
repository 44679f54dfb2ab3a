#!/usr/bin/env bash
# Install Debian's PostgreSQL server binaries for tests/test_dagster_postgres.py, which starts its
# own throwaway cluster on 127.0.0.1 (no service is started here). Idempotent: does nothing when
# initdb and pg_ctl are already there. Needs root and apt access.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "postgresql already installed: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
    exit 0
fi

fail() {
    echo "install-postgresql: $*" >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: install PostgreSQL's server binaries by hand"
[[ "$(id -u)" -eq 0 ]] || fail "must run as root (apt-get install)"

export DEBIAN_FRONTEND=noninteractive
echo "installing postgresql with apt-get..."
apt-get update -qq >/dev/null || fail "apt-get update failed (no access to the Debian mirrors?)"
# The package's own cluster is not needed: the tests run theirs. policy-rc.d keeps apt from
# starting the service.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
    || fail "apt-get install postgresql failed"
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || fail "apt-get finished but initdb is missing"
echo "postgresql installed: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
