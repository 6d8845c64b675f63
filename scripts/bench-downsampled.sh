#!/usr/bin/env bash
# Long-range queries and start-up for docs/benchmarks.md (issue: the whole system). Release build.
# DAYS days of `strata block gen` history (60s scrapes) served two ways on the same machine:
# Prometheus 2.42 over the raw 2h blocks, and strata-store + strata-query over a FILESYSTEM
# bucket after one strata-compact pass (14d blocks, 5m and 1h copies). Times a DAYS-day
# query at step 1h: Prometheus (raw), Strata raw (max_source_resolution=0s), Strata 1h
# (max_source_resolution=1h), medians of 3 after a warm-up; and each server's start-up to
# /-/ready with its resident memory (ps) right after.
# Usage: scripts/bench-downsampled.sh [series] [days]
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-300}
DAYS=${2:-90}
for p in strata strata-compact strata-store strata-query; do swift build -c release --product $p >/dev/null; done
B=.build/release
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ready() { # url → seconds until it answers 200
  local s=$(date +%s.%N)
  for _ in $(seq 3000); do curl -sf -o /dev/null "$1" && break; sleep 0.05; done
  python3 -c "print(round($(date +%s.%N) - $s, 2))"
}
rss() { echo $(( $(ps -o rss= -p "$1") / 1024 )); }
median3() { # url → median seconds of 3 after one warm-up
  curl -s -o /dev/null "$1"
  for _ in 1 2 3; do curl -s -o /dev/null -w '%{time_total}\n' "$1"; done | sort -n | sed -n 2p
}
END=2024-03-14T00:00:00Z
$B/strata block gen --out "$W/gen" --series "$SERIES" --days "$DAYS" --interval 60s --end $END --label cluster=bench >/dev/null 2>&1
NBLOCKS=$(ls "$W/gen" | wc -l)
SAMPLES=$(python3 -c "import json,glob; print(sum(json.load(open(f))['stats']['numSamples'] for f in glob.glob('$W/gen/*/meta.json')))")

# Prometheus over the raw blocks.
mkdir -p "$W/prom/data/wal" && cp -r "$W"/gen/* "$W/prom/data/"
printf 'global: {scrape_interval: 15s}\n' > "$W/prom/prom.yml"
PP=$(port)
prometheus --config.file="$W/prom/prom.yml" --storage.tsdb.path="$W/prom/data" --web.listen-address=127.0.0.1:$PP \
  --storage.tsdb.retention.time=100y --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=2h \
  --log.level=warn >/dev/null 2>&1 & PIDS+=($!); PROM_PID=$!
PROM_READY=$(ready "http://127.0.0.1:$PP/-/ready"); PROM_RSS=$(rss $PROM_PID)

# Strata: bucket, one compactor pass, store gateway (cold, then warm), querier.
FS=$'type: FILESYSTEM\nconfig:\n  directory: '"$W/bucket"
$B/strata bucket upload --objstore.config "$FS" "$W"/gen/* >/dev/null 2>&1
CS=$(date +%s.%N)
$B/strata-compact --objstore.config "$FS" --data-dir "$W/compact" --consistency-delay 0s --delete-delay 0s --http-address 127.0.0.1:0 2>"$W/compact.log"
COMPACT_S=$(python3 -c "print(round($(date +%s.%N) - $CS, 1))")
BUCKET_BLOCKS=$(find "$W/bucket" -maxdepth 2 -name meta.json | wc -l)
SG=$(port); SH=$(port); QH=$(port); QG=$(port)
store() { $B/strata-store --objstore.config "$FS" --data-dir "$W/store" --grpc-address 127.0.0.1:$SG --http-address 127.0.0.1:$SH >/dev/null 2>&1 & STORE_PID=$!; }
store; STORE_COLD=$(ready "http://127.0.0.1:$SH/-/ready"); kill $STORE_PID; wait $STORE_PID 2>/dev/null || true
store; PIDS+=($STORE_PID); STORE_WARM=$(ready "http://127.0.0.1:$SH/-/ready"); STORE_RSS=$(rss $STORE_PID)
$B/strata-query --endpoint 127.0.0.1:$SG --http-address 127.0.0.1:$QH --grpc-address 127.0.0.1:$QG --query.promql-compat 2.42 >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 600); do curl -s "http://127.0.0.1:$QH/api/v1/stores" | grep -q '"healthy":true' && break; sleep 0.1; done

Q=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("sum by (job) (rate(http_requests_total[1h]))"))')
ENDS=$(python3 -c "import datetime; print(int(datetime.datetime(2024,3,14,tzinfo=datetime.timezone.utc).timestamp()))")
P="query=$Q&start=$((ENDS - DAYS * 86400 + 3600))&end=$ENDS&step=3600"
T_PROM=$(median3 "http://127.0.0.1:$PP/api/v1/query_range?$P")
T_RAW=$(median3 "http://127.0.0.1:$QH/api/v1/query_range?$P&max_source_resolution=0s")
T_1H=$(median3 "http://127.0.0.1:$QH/api/v1/query_range?$P&max_source_resolution=1h")

echo "## machine: $(nproc) cores, $(date -u +%F); $SERIES series × $DAYS days at 60s: $NBLOCKS blocks, $SAMPLES samples; after compaction $BUCKET_BLOCKS blocks (${COMPACT_S}s pass)"
echo
echo "| what | Prometheus 2.42 (raw 2h blocks) | Strata raw | Strata 1h-downsampled |"
echo "|---|---|---|---|"
echo "| $DAYS-day \`sum by (job) (rate(http_requests_total[1h]))\` at step 1h | ${T_PROM} s | ${T_RAW} s ($(python3 -c "print(round($T_RAW / $T_PROM, 2))")×) | ${T_1H} s ($(python3 -c "print(round($T_1H / $T_PROM, 2))")×) |"
echo "| start-up to /-/ready | ${PROM_READY} s | store ${STORE_COLD} s cold, ${STORE_WARM} s warm | |"
echo "| resident memory after start-up | ${PROM_RSS} MB | store ${STORE_RSS} MB | |"
