#!/usr/bin/env bash
# Store gateway benchmarks for docs/benchmarks.md (issue 5). Release build; filesystem bucket
# (moto is too slow for throughput figures; see docs/benchmarks.md for the moto start-up run).
# Usage: scripts/bench-store.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product strata >/dev/null
swift build -c release --product strata-store-bench >/dev/null
S=.build/release/strata
B=.build/release/strata-store-bench
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

echo "## machine: $(nproc) cores, $(uname -m), $(date -u +%F)"
echo
echo "### start-up: 501 blocks (50 series, 2h each), cold then warm data dir"
$S block gen --out "$W/b500" --series 50 --days 41.6667 --interval 60s --label cluster=bench --label replica=a >/dev/null 2>&1
$B --bucket "$W/b500" --data-dir "$W/d500"
$B --bucket "$W/b500" --data-dir "$W/d500"
echo
echo "### queries: 10k active series × 7 days at 60s (100.8 M samples, 85 blocks)"
# strata block gen writes chunks in generation order; rewriting lays them out in series
# order as Prometheus compaction does, which is what range coalescing relies on.
$S block gen --out "$W/gen" --series 10000 --days 7 --interval 60s --label cluster=bench --label replica=a >/dev/null 2>&1
mkdir -p "$W/b10k"
for d in "$W"/gen/*/; do $S block rewrite "$d" "$W/b10k" >/dev/null; done
$B --bucket "$W/b10k" --data-dir "$W/d10k" --selector '{__name__="http_requests_total"}' --rounds 3 --no-cache
$B --bucket "$W/b10k" --data-dir "$W/d10k" --selector '{__name__="http_requests_total"}' --rounds 2
$B --bucket "$W/b10k" --data-dir "$W/d10k" --selector '{__name__=~".+"}' --rounds 2 --no-cache
$B --bucket "$W/b10k" --data-dir "$W/d10k" --selector '{__name__="http_requests_total"}' --rounds 2 --grpc
