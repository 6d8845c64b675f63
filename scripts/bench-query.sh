#!/usr/bin/env bash
# PromQL benchmarks for docs/benchmarks.md (issues: PromQL engine, querier). Release build;
# prometheus 2.42 from Debian. Generates blocks with `strata block gen` into a FILESYSTEM
# bucket, starts Prometheus over copies of them and strata-store + strata-query over the
# bucket, and times the standard query set (`strata bench promql`) on Strata's engine alone,
# on strata-query → strata-store, and on Prometheus, in the same run.
# Usage: scripts/bench-query.sh [series] [days]
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-1000}
DAYS=${2:-1}
for p in strata strata-store strata-query; do swift build -c release --product $p >/dev/null; done
S=.build/release/strata
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

$S block gen --out "$W/blocks" --series "$SERIES" --days "$DAYS" --end 2024-03-01T00:00:00Z >/dev/null 2>&1
mkdir -p "$W/prom"
cp -r "$W/blocks/." "$W/prom/"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'global: {scrape_interval: 1h}\n' > "$W/prom.yml"
prometheus --config.file="$W/prom.yml" --storage.tsdb.path="$W/prom" --web.listen-address="127.0.0.1:$PORT" \
  --storage.tsdb.retention.time=100y --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=2h \
  --log.level=warn >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null && break; sleep 0.2; done
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SG=$(free); SH=$(free); QH=$(free); QG=$(free)
.build/release/strata-store --objstore.config "type: FILESYSTEM
config:
  directory: $W/blocks" --data-dir "$W/store-data" --grpc-address "127.0.0.1:$SG" --http-address "127.0.0.1:$SH" \
  --log.level warn & PIDS+=($!)
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$SH/-/ready" >/dev/null && break; sleep 0.2; done
.build/release/strata-query --endpoint "127.0.0.1:$SG" --http-address "127.0.0.1:$QH" --grpc-address "127.0.0.1:$QG" \
  --store.sd-interval 1s --query.promql-compat 2.42 --log.level warn & PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$QH/api/v1/stores" | grep -q '"healthy":true' && break; sleep 0.2; done

echo "## machine: $(nproc) cores, $(uname -m), $(date -u +%F); $($S block inspect "$W/blocks/$(ls "$W/blocks" | tail -1)" | grep -i series | head -1)"
echo "blocks: $(ls "$W/blocks" | wc -l) × 2h, $SERIES series requested, $DAYS day(s)"
echo
$S bench promql --blocks "$W/blocks" --prometheus "http://127.0.0.1:$PORT" --strata-url "http://127.0.0.1:$QH" \
  --end 2024-03-01T00:00:00Z "${@:3}"
