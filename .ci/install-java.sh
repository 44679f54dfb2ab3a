#!/usr/bin/env bash
# Install Debian's Java 17 runtime for the Spark target's parity test (tests/test_spark_parity.py):
# PySpark starts a JVM. Idempotent: does nothing when `java` is already on PATH. Needs root and apt.
set -euo pipefail

if command -v java >/dev/null 2>&1; then
    echo "java already installed: $(command -v java)"
    exit 0
fi

fail() {
    echo "install-java: $*" >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: install a Java 17 runtime by hand"
[[ "$(id -u)" -eq 0 ]] || fail "must run as root (apt-get install)"

export DEBIAN_FRONTEND=noninteractive
echo "installing openjdk-17-jre-headless with apt-get..."
apt-get update -qq >/dev/null || fail "apt-get update failed (no access to the Debian mirrors?)"
apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null \
    || fail "apt-get install openjdk-17-jre-headless failed"
command -v java >/dev/null 2>&1 || fail "apt-get finished but java is not on PATH"
echo "java installed: $(java -version 2>&1 | head -1)"
