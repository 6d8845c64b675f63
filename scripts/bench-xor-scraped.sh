#!/usr/bin/env bash
# XOR decode speed on chunks real Prometheus wrote from real scrapes (issue: foundation):
# Prometheus 2.42 scrapes its own /metrics (≈360 series: counters, gauges, histograms, with
# real scrape-time jitter) for SECONDS at INTERVAL, then a TSDB snapshot turns the head
# into a block, and `strata bench xor --block` decodes every chunk of it.
# Usage: scripts/bench-xor-scraped.sh [seconds=600] [interval=5s]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_SCRAPE=${1:-600}
INTERVAL=${2:-5s}
swift build -c release --product strata >/dev/null
S=.build/release/strata
W=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$W/prom.yml" <<YML
global: {scrape_interval: $INTERVAL}
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:$PORT']}]
YML
prometheus --config.file="$W/prom.yml" --storage.tsdb.path="$W/data" --web.listen-address="127.0.0.1:$PORT" \
  --web.enable-admin-api --log.level=warn >/dev/null 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null && break; sleep 0.2; done
sleep "$SECONDS_TO_SCRAPE"
curl -sf -XPOST "http://127.0.0.1:$PORT/api/v1/admin/tsdb/snapshot" >/dev/null
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
B=$(ls -d "$W"/data/snapshots/*/*/ | head -1)
echo "## machine: $(nproc) cores, $(uname -m), $(date -u +%F); Prometheus self-scrape, ${SECONDS_TO_SCRAPE}s at $INTERVAL"
$S block inspect "$B" | sed -n 2p
$S bench xor --block "$B"
