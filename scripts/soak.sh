#!/usr/bin/env bash
# The soak: each demo server under every kind of trouble at once for SECONDS (publishing,
# reconnect storms with Last-Event-ID, connection churn, stalled clients, slowloris, stalled
# bodies, auth failures), then checks that no resuming client lost an event, the hub has no
# subscribers left, no descriptor leaked and resident memory came back (sse-soak's docs).
#
#   bash scripts/soak.sh [SECONDS] [axum actix rocket]
#
# PROFILE=debug uses the debug builds (CI's short run); the default is release, the figures
# in RELIABILITY.md. RSS_MARGIN_MIB (default 16) is how much more resident memory than at
# the start is tolerated at the end. Reports go to target/soak/<framework>.json.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
frameworks=("$@")
[ ${#frameworks[@]} -gt 0 ] || frameworks=(axum actix rocket)
profile="${PROFILE:-release}"
if [ "$profile" = release ]; then flag=--release; else flag=; fi

cargo build -q $flag -p sse-examples --bins
cargo build -q $flag -p sse-load --bin sse-soak
bin="target/$profile"
mkdir -p target/soak
# The demos check JSON Web Tokens: the soak's clients carry one, and its forged ones must
# be 401s. Header and body timeouts are the demos' defaults (10 s), so SECONDS must be more.
secret="soak-secret-$$-at-least-32-bytes-long"   # HS256 needs 32 bytes or more
token=$("$bin/mint-token" --secret "$secret" --subscribe '*' --publish '*' --ttl-secs 86400)

failed=()
for framework in "${frameworks[@]}"; do
  log="target/soak/$framework.log"
  "$bin/demo-$framework" --addr 127.0.0.1:0 --auth-secret "$secret" >"$log" 2>&1 &
  pid=$!
  addr=""
  for _ in $(seq 1 100); do
    addr=$(grep -o 'listening on http://[0-9.:]*' "$log" | sed 's#.*http://##' || true)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  if [ -z "$addr" ]; then
    echo "demo-$framework did not start:"; cat "$log"; kill -9 $pid 2>/dev/null || true
    failed+=("$framework"); continue
  fi
  echo "== demo-$framework ($profile) on $addr, ${seconds}s"
  if ! "$bin/sse-soak" --server "$addr" --pid "$pid" --duration "$seconds" --token "$token" \
      --rss-margin-mib "${RSS_MARGIN_MIB:-16}" --json "target/soak/$framework.json"; then
    failed+=("$framework")
  fi
  kill -TERM $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "soak failed on: ${failed[*]}"
  exit 1
fi
