#!/usr/bin/env bash
# Frontend benchmark for docs/benchmarks.md (issue: caching query frontend). Release build.
# 30 days of `strata block gen` data in a FILESYSTEM bucket behind strata-store and
# strata-query; strata-frontend in front with each results-cache backend in turn (IN-MEMORY,
# SQLITE, REDIS, MEMCACHED — redis-server and memcached are started here); a 30-day range
# query at 1h step, cold (empty cache) and warm (median of 5), checked to be byte-identical
# to the querier's own answer.
# Usage: scripts/bench-frontend.sh [series] [days]
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-300}
DAYS=${2:-30}
for p in strata strata-store strata-query strata-frontend; do swift build -c release --product $p >/dev/null; done
B=.build/release
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not ready: $1" >&2; exit 1; }

$B/strata block gen --out "$W/bucket" --series "$SERIES" --days "$DAYS" --end 2024-03-01T00:00:00Z >/dev/null 2>&1
SG=$(free); SH=$(free); QH=$(free); QG=$(free); RP=$(free); MP=$(free)
$B/strata-store --objstore.config "type: FILESYSTEM
config:
  directory: $W/bucket" --data-dir "$W/store" --grpc-address "127.0.0.1:$SG" --http-address "127.0.0.1:$SH" --log.level warn & PIDS+=($!)
wait_http "http://127.0.0.1:$SH/-/ready"
$B/strata-query --endpoint "127.0.0.1:$SG" --http-address "127.0.0.1:$QH" --grpc-address "127.0.0.1:$QG" \
  --store.sd-interval 1s --log.level warn & PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$QH/api/v1/stores" | grep -q '"healthy":true' && break; sleep 0.2; done
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no >/dev/null & PIDS+=($!)
memcached -l 127.0.0.1 -p "$MP" -u nobody -I 64m -m 1024 & PIDS+=($!)

END=1709251200   # 2024-03-01T00:00:00Z
START=$((END - DAYS * 86400))
Q='sum by (job) (rate(http_requests_total[1h]))'
ENC=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$Q")
PATHQ="/api/v1/query_range?query=$ENC&start=$START&end=$END&step=3600"
curl -s "http://127.0.0.1:$QH$PATHQ" > "$W/direct.json"
t() { curl -s -o "$2" -w '%{time_total}' "$1"; }

echo "## machine: $(nproc) cores, $(date -u +%F); $DAYS days, $(ls "$W/bucket" | wc -l) blocks, --series $SERIES"
echo "query: $Q, $DAYS days at step 1h"
echo
echo "| backend | cold s | warm s (median of 5) | cold / warm | same as querier |"
echo "|---|---|---|---|---|"
for backend in IN-MEMORY SQLITE REDIS MEMCACHED; do
  case $backend in
    IN-MEMORY) CFG=$'type: IN-MEMORY\nconfig:\n  max_size: 512MB' ;;
    SQLITE) CFG=$"type: SQLITE"$'\n'"config:"$'\n'"  path: $W/fe-cache.sqlite" ;;
    REDIS) CFG=$"type: REDIS"$'\n'"config:"$'\n'"  addr: 127.0.0.1:$RP"$'\n'"  max_item_size: 64MB" ;;
    MEMCACHED) CFG=$"type: MEMCACHED"$'\n'"config:"$'\n'"  addresses: [127.0.0.1:$MP]"$'\n'"  max_item_size: 64MB" ;;
  esac
  FH=$(free)
  $B/strata-frontend --http-address "127.0.0.1:$FH" --query-frontend.downstream-url "http://127.0.0.1:$QH" \
    --query-range.response-cache-config "$CFG" --data-dir "$W/fe-$backend" --log.level warn & FPID=$!
  wait_http "http://127.0.0.1:$FH/-/ready"
  COLD=$(t "http://127.0.0.1:$FH$PATHQ" "$W/cold.json")
  WARMS=()
  for _ in 1 2 3 4 5; do WARMS+=("$(t "http://127.0.0.1:$FH$PATHQ" "$W/warm.json")"); done
  WARM=$(printf '%s\n' "${WARMS[@]}" | sort -n | sed -n 3p)
  SAME=no
  cmp -s "$W/cold.json" "$W/direct.json" && cmp -s "$W/warm.json" "$W/direct.json" && SAME=yes
  echo "| $backend | $COLD | $WARM | $(python3 -c "print(round($COLD / $WARM, 1))")× | $SAME |"
  kill "$FPID"; wait "$FPID" 2>/dev/null || true
done
