#!/usr/bin/env bash
# Install Debian's headless-capable Chromium for the browser tests (tests/test_ui_browser.py).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root and apt access.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
    echo "chromium already installed: $CHROMIUM"
    exit 0
fi

fail() {
    echo "install-chromium: $*" >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: install Chromium by hand (expected at $CHROMIUM)"
[[ "$(id -u)" -eq 0 ]] || fail "must run as root (apt-get install)"

export DEBIAN_FRONTEND=noninteractive
echo "installing chromium with apt-get (about a minute)..."
apt-get update -qq >/dev/null || fail "apt-get update failed (no access to the Debian mirrors?)"
apt-get install -y -qq --no-install-recommends chromium >/dev/null \
    || fail "apt-get install chromium failed"
[[ -x "$CHROMIUM" ]] || fail "apt-get finished but $CHROMIUM is missing"
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
