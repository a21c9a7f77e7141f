#!/usr/bin/env bash
# The end-to-end comparison behind BENCHMARKS.md, in one command:
#   bash scripts/compare.sh            # the standard scenarios (about 15 minutes)
#   QUICK=1 bash scripts/compare.sh    # a short subset (about 4 minutes)
#   ONLY=fanout-5000 SUSTAIN=0 SERVERS="axum nchan" bash scripts/compare.sh   # a part
#   SERVERS="axum axum-redis axum-redis2" bash scripts/compare.sh   # in memory against Redis
# axum-redis is demo-axum on Redis; axum-redis2 is two demo-axum instances on one Redis,
# subscribers split between them and publishes sent to the first. redis-server shares core
# 0 with the server(s): the machine has two cores, and the load tool needs the other.
# Each server runs pinned to core 0 (taskset), the load tool on core 1; connections are
# ramped up in batches of 100 (and every server listens with a backlog >= 1024) so bursts of
# connects do not wait for SYN retries. Results: target/compare/*.json, the tables in
# target/compare/tables.md, and the chart docs/benchmarks.png.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-target/compare}
mkdir -p "$OUT"
for server in ${SERVERS:-axum actix rocket nchan axum-broadcast}; do rm -f "$OUT/$server--${ONLY:-}"*.json; done

if ! command -v redis-server >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
if ! dpkg -s nginx libnginx-mod-nchan >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-nchan >/dev/null
fi
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null
cargo build --release -q -p sse-examples -p sse-load -p sse-bench --bins
ulimit -n 20000

NCHAN_DIR=$(mktemp -d)
mkdir -p "$NCHAN_DIR/body"
PORT=3900
sed -e "s|@PORT@|$PORT|" -e "s|@DIR@|$NCHAN_DIR|" benches/nchan/nginx.conf > "$NCHAN_DIR/nginx.conf"

REDIS_PORT=6390
PORT2=3901
ALSO=()
start_redis() { # -> sets RPID
  taskset -c 0 redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --loglevel warning > /dev/null 2>&1 &
  RPID=$!
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break; sleep 0.1; done
}
start() { # name -> sets PID, KIND (and RPID, PID2, ALSO for the Redis setups)
  ALSO=(); RPID=""; PID2=""; FIRST=""
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "port $PORT is already taken: stop what listens there first" >&2; exit 1
  fi
  case "$1" in
    axum|actix|rocket) taskset -c 0 "target/release/demo-$1" --addr "127.0.0.1:$PORT" > /dev/null 2>&1 & KIND=hub ;;
    axum-redis|axum-redis2)
      start_redis
      taskset -c 0 target/release/demo-axum --addr "127.0.0.1:$PORT" --redis "redis://127.0.0.1:$REDIS_PORT" > /dev/null 2>&1 &
      KIND=hub
      FIRST=$!
      if [ "$1" = axum-redis2 ]; then
        taskset -c 0 target/release/demo-axum --addr "127.0.0.1:$PORT2" --redis "redis://127.0.0.1:$REDIS_PORT" --no-periodic > /dev/null 2>&1 &
        PID2=$!
        ALSO=(--also "127.0.0.1:$PORT2")
        for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT2") 2>/dev/null && break; sleep 0.1; done
      fi ;;
    nchan) taskset -c 0 nginx -c "$NCHAN_DIR/nginx.conf" -p "$NCHAN_DIR" 2>/dev/null & KIND=nchan ;;
    axum-broadcast) taskset -c 0 target/release/axum-broadcast "127.0.0.1:$PORT" > /dev/null 2>&1 & KIND=broadcast ;;
  esac
  PID=$!
  case "$1" in axum-redis|axum-redis2) PID=$FIRST ;; esac
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  if [ "$1" = nchan ]; then PID=$(pgrep -f "nginx: worker process" | head -1); fi
}

stop() { # SIGKILL and wait: the demos shut down gracefully on SIGTERM, holding the port
  kill -9 "$1" ${PID2:+"$PID2"} ${RPID:+"$RPID"} 2>/dev/null || true
  for pid in "$1" ${PID2:+"$PID2"} ${RPID:+"$RPID"}; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  done
  [ -f "$NCHAN_DIR/nginx.pid" ] && kill "$(cat "$NCHAN_DIR/nginx.pid")" 2>/dev/null; rm -f "$NCHAN_DIR/nginx.pid"; sleep 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

load() { # server scenario args...
  local server=$1 scenario=$2; shift 2
  echo "== $server: $scenario"
  local before=""; [ -n "$RPID" ] && before=$(cpu_ticks "$RPID")
  taskset -c 1 target/release/sse-load --server "127.0.0.1:$PORT" "${ALSO[@]}" --kind "$KIND" --quiet --sources 8 \
    --label "$server" --pid "$PID" --json "$OUT/$server--$scenario.json" "$@" | sed 's/^/   /'
  if [ -n "$RPID" ]; then
    python3 -c '
import json, sys
path, ticks = sys.argv[1], int(sys.argv[2])
r = json.load(open(path)); r["redis_cpu_seconds"] = ticks / 100.0
json.dump(r, open(path, "w"))
print("   redis-server: %.2f CPU s, %.1f us per event published" % (ticks / 100.0, ticks * 1e4 / max(r.get("published", 0), 1)))' \
      "$OUT/$server--$scenario.json" "$(( $(cpu_ticks "$RPID") - before ))"
  fi
}

if [ -n "${QUICK:-}" ]; then
  SCENARIOS=("idle-1000|--connections 1000 --rate 0 --duration 2"
             "fanout-2000x20|--connections 2000 --rate 20 --duration 6"
             "fanout-2000x200|--connections 2000 --rate 200 --duration 6"
             "slow-2000x200|--connections 2000 --rate 200 --duration 6 --slow 20")
else
  SCENARIOS=("idle-1000|--connections 1000 --rate 0 --duration 3"
             "idle-5000|--connections 5000 --rate 0 --duration 3"
             "idle-15000|--connections 15000 --rate 0 --duration 3"
             "fanout-2000x20|--connections 2000 --rate 20 --duration 8"
             "fanout-2000x200|--connections 2000 --rate 200 --duration 8"
             "fanout-2000x200-1k|--connections 2000 --rate 200 --duration 8 --payload 1024"
             "fanout-2000x400|--connections 2000 --rate 400 --duration 8"
             "fanout-5000x20|--connections 5000 --rate 20 --duration 8"
             "fanout-10000x20|--connections 10000 --rate 20 --duration 8"
             "fanout-10000x20-1k|--connections 10000 --rate 20 --duration 8 --payload 1024"
             "fanout-10000x200|--connections 10000 --rate 200 --duration 8"
             "slow-2000x200|--connections 2000 --rate 200 --duration 8 --slow 20"
             "slow-200x200-8k|--connections 200 --rate 200 --duration 20 --slow 20 --payload 8192"
             "reconnect-2000x100|--connections 2000 --rate 100 --duration 8 --reconnect 0.25")
fi

for server in ${SERVERS:-axum actix rocket nchan axum-broadcast}; do
  for entry in "${SCENARIOS[@]}"; do
    case "${entry%%|*}" in "${ONLY:-}"*) ;; *) continue ;; esac
    start "$server"
    # shellcheck disable=SC2086
    load "$server" "${entry%%|*}" ${entry#*|} || echo "   (failed)"
    stop "$PID"
  done
done
# The highest rate each server sustains to 2,000 subscribers: rising rates until one fails
# (p99 >= 100 ms, anything lost, or under 95% of the rate published).
SUSTAIN_RATES=${SUSTAIN_RATES:-50 100 200 300 400 500 600 800 1000 1200 1600 2000}
[ -n "${QUICK:-}" ] && SUSTAIN_RATES="200 400"
mkdir -p "$OUT/sustain"
[ "${SUSTAIN:-1}" = 0 ] && SUSTAIN_RATES=""
for server in ${SERVERS:-axum actix rocket nchan axum-broadcast}; do
  [ -n "$SUSTAIN_RATES" ] || break
  rm -f "$OUT/sustain/$server--"*.json
  for rate in $SUSTAIN_RATES; do
    start "$server"
    echo "== $server: sustain 2000 x $rate"
    taskset -c 1 target/release/sse-load --server "127.0.0.1:$PORT" "${ALSO[@]}" --kind "$KIND" --quiet --sources 8 \
      --label "$server" --pid "$PID" --json "$OUT/sustain/$server--$rate.json" \
      --connections 2000 --rate "$rate" --duration 6 | sed 's/^/   /' || echo "   (failed)"
    stop "$PID"
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); rate = float(sys.argv[2])
ok = r["latency"]["p99_ms"] < 100 and r["gaps"] == 0 and r["delivered"] == r["expected"] and r["achieved_rate"] >= 0.95 * rate
sys.exit(0 if ok else 1)' "$OUT/sustain/$server--$rate.json" "$rate" || break
  done
done
rm -rf "$NCHAN_DIR"
python3 scripts/compare_table.py "$OUT" > "$OUT/tables.md"
target/release/sse-chart "$OUT" "${CHART:-docs/benchmarks.png}"
echo "tables: $OUT/tables.md, chart: ${CHART:-docs/benchmarks.png}"
