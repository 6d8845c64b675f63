#!/usr/bin/env bash
# TSDB benchmarks for docs/benchmarks.md (issue: foundation). Release build; promtool from
# Debian's prometheus package. Usage: scripts/bench-tsdb.sh [series-for-dump-block]
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-20000}
swift build -c release --product strata >/dev/null
S=.build/release/strata
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

echo "## machine: $(nproc) cores, $(uname -m), $(date -u +%F)"
echo
echo "### XOR chunks (synthetic: 64 series, 120-sample chunks, best of 5)"
$S bench xor
echo
echo "### strata block gen: 30 days × 1000 series at 15s"
/usr/bin/time -f "wall %es, max RSS %MKB" $S block gen --out "$W/gen30" --series 1000 --days 30 --end 2024-03-01T00:00:00Z 2>&1 | tail -2
echo
echo "### XOR decode over a generated block"
$S bench xor --block "$W/gen30/$(ls "$W/gen30" | head -1)"
echo
echo "### postings"
$S bench postings
echo
echo "### strata block dump vs promtool tsdb dump: one 2h block, $SERIES series at 15s"
$S block gen --out "$W/dump" --series "$SERIES" --days 0.08 --end 2024-03-01T02:00:00Z >/dev/null 2>&1
B=$(ls "$W/dump" | head -1)
mkdir -p "$W/prom" && cp -r "$W/dump/$B" "$W/prom/" && mkdir -p "$W/prom/wal"
best() { # best wall time of 3 runs of "$@" with stdout discarded
  local b=999999
  for _ in 1 2 3; do
    local s=$(date +%s.%N); "$@" >/dev/null 2>&1; local e=$(date +%s.%N)
    b=$(python3 -c "print(min($b, $e - $s))")
  done
  printf '%.3f' "$b"
}
OURS=$(best $S block dump "$W/dump/$B")
THEIRS=$(best promtool tsdb dump "$W/prom")
LINES=$($S block dump "$W/dump/$B" | wc -l)
cmp <($S block dump "$W/dump/$B") <(promtool tsdb dump "$W/prom") >/dev/null && SAME=identical || SAME=DIFFERENT
echo "samples: $LINES; strata: ${OURS}s; promtool: ${THEIRS}s; ratio strata/promtool: $(python3 -c "print(round($OURS/$THEIRS, 2))"); outputs $SAME"
