#!/usr/bin/env bash
# The whole test suite: unit, integration, property and doc tests of every crate, the shared
# conformance suite against axum, actix-web and rocket (on the in-memory hub and on Redis),
# the Redis tests, HTTP tests of the three demo servers, the browser test (headless
# Chromium against the three demo servers), and 20 s of coverage-guided fuzzing per fuzz
# target (scripts/fuzz.sh, on the stable toolchain).
# Installs what the tests need (Debian's redis-server and chromium, playwright-core from npm)
# when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# The Redis tests start their own redis-server processes on free loopback ports.
if ! command -v redis-server >/dev/null 2>&1; then
  echo "Installing Debian's redis-server for the Redis tests..."
  apt_install redis-server
  # The package starts a system instance on port 6379; the tests do not use it.
  $SUDO systemctl stop redis-server >/dev/null 2>&1 || $SUDO service redis-server stop >/dev/null 2>&1 || true
fi

# The TLS test makes a self-signed certificate with the openssl command.
command -v openssl >/dev/null 2>&1 || apt_install openssl

cargo test --workspace --all-features --no-fail-fast

# Short fuzzing runs of every target in fuzz/ (about 2 minutes with the build); a crash
# fails the suite and prints the input.
bash scripts/fuzz.sh 20

# The browser test.
if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser test..."
  apt_install chromium
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
cargo build -q -p sse-examples --bins
node tests/browser/run.mjs target/debug/demo-axum target/debug/demo-actix target/debug/demo-rocket

# A short soak of each demo server (debug builds, 15 s each; RELIABILITY.md has the long,
# release runs): reconnect storms without loss, slowloris and stalled bodies cut off, auth
# failures answered 401, and no subscriber, descriptor or memory left behind.
PROFILE=debug RSS_MARGIN_MIB=32 bash scripts/soak.sh 15
