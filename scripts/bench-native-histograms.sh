#!/usr/bin/env bash
# Native histograms against classic ones on the same observations (issue 16), release build:
# histogram chunk decode next to XOR decode of the same block, and the store gateway's Series
# for 1,000 native histogram series vs their 10,000 classic `_bucket` series.
# Usage: scripts/bench-native-histograms.sh [series] [days]   (defaults 20000 1: 1,000 pods)
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES="${1:-20000}"; DAYS="${2:-1}"
swift build -c release --product strata >/dev/null
swift build -c release --product strata-store-bench >/dev/null
S=.build/release/strata
B=.build/release/strata-store-bench
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

echo "## machine: $(nproc) cores, $(uname -m), $(date -u +%F)"
$S block gen --out "$W/gen" --series "$SERIES" --days "$DAYS" --interval 60s --native-histograms \
  --end 2024-03-01T00:00:00Z --label cluster=bench --label replica=a >/dev/null 2>&1
mkdir -p "$W/bucket"
for d in "$W"/gen/*/; do $S block rewrite "$d" "$W/bucket" >/dev/null; done
echo
echo "### decode: the first 2h block ($SERIES series + $((SERIES / 20)) native histograms at 60s)"
$S bench histogram --block "$(ls -d "$W"/bucket/*/ | head -1)"
echo
echo "### store Series: native histogram series vs the classic _bucket series of the same pods"
$B --bucket "$W/bucket" --data-dir "$W/data" --selector '{__name__="http_request_duration_seconds"}' --rounds 3 --no-cache
$B --bucket "$W/bucket" --data-dir "$W/data" --selector '{__name__="http_request_duration_seconds_bucket"}' --rounds 3 --no-cache

echo
echo "### PromQL: histogram_quantile over 1,000 native histograms (Strata) vs the same over their classic buckets"
echo "Prometheus 2.42 serves the same blocks. Native answers are not expected to equal 2.42's: 3.x interpolates"
echo "exponentially inside native buckets where 2.42 interpolated linearly."
mkdir -p "$W/prom"
cp -r "$W/gen/." "$W/prom/"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'global: {scrape_interval: 1h}\n' > "$W/prom.yml"
prometheus --config.file="$W/prom.yml" --storage.tsdb.path="$W/prom" --web.listen-address="127.0.0.1:$PORT" \
  --storage.tsdb.retention.time=100y --enable-feature=native-histograms --log.level=warn >/dev/null 2>&1 &
PROM=$!
trap 'kill $PROM 2>/dev/null || true; rm -rf "$W"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null && break; sleep 0.2; done
$S bench promql --blocks "$W/gen" --prometheus "http://127.0.0.1:$PORT" --promql-compat 3.14 --range 6h --step 60s --rounds 3 \
  --query 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))' \
  --query 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds[5m])))'
