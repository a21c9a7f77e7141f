#!/usr/bin/env bash
# What an app that only streams pays: the same one-route axum app (GET /clock, an endless
# event stream) on axum's own `axum::response::sse` and on `sse-axum`, with and without
# default features. Prints, for each, the crates `cargo tree -e normal` lists and the time of
# a release build from a cold target directory (run it on a quiet machine; README's table
# is from this script). Each app is its own workspace, resolved from the repository's
# Cargo.lock so that every app builds the same versions.
set -euo pipefail
cd "$(dirname "$0")"
runs=${RUNS:-2}
printf '%-14s %7s  %s\n' app crates "release build, cold (s)"
for app in axum-own axum-own-min sse-default sse-minimal; do
  cp ../../Cargo.lock "$app/Cargo.lock"
  crates=$(cd "$app" && cargo tree -e normal --prefix none | sed 's/ (\*)//; s/ (proc-macro)//' | sort -u | wc -l)
  times=()
  for _ in $(seq "$runs"); do
    target=$(mktemp -d)
    start=$(date +%s.%N)
    (cd "$app" && CARGO_TARGET_DIR="$target" cargo build -q --release)
    times+=("$(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.1f')")
    rm -rf "$target"
  done
  rm -f "$app/Cargo.lock"
  printf '%-14s %7s  %s\n' "$app" "$crates" "${times[*]}"
done
