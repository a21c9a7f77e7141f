#!/usr/bin/env bash
# The whole test suite: unit, integration, property and doc tests of every crate, the shared
# conformance suite against axum, actix-web and rocket, HTTP tests of the three demo servers,
# and the browser test (headless Chromium against the three demo servers).
# Installs what the tests need (Debian's chromium, playwright-core from npm) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --all-features --no-fail-fast

# The browser test.
if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser test..."
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
cargo build -q -p sse-examples --bins
node tests/browser/run.mjs target/debug/demo-axum target/debug/demo-actix target/debug/demo-rocket
