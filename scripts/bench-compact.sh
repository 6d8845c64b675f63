#!/usr/bin/env bash
# Compactor benchmark for docs/benchmarks.md (issue: compactor). Release build.
# `strata block gen` writes SERIES series × DAYS days of 2h blocks (15s scrapes), uploaded to a
# FILESYSTEM bucket; one `strata-compact` job compacts them (2h → 8h → 2d → 14d, downsampling
# off), timed with its peak RSS (GNU time); then a second job makes the 5m and 1h copies.
# Samples/s counts every sample written into a compacted block (a sample is rewritten once
# per level), over the job's wall time, which includes download, full verification of every
# input, merge and upload; the job is single-threaded (--compact.concurrency=1, one group).
# Usage: scripts/bench-compact.sh [series] [days]
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-1000}
DAYS=${2:-14}
swift build -c release --product strata >/dev/null
swift build -c release --product strata-compact >/dev/null
S=.build/release/strata
C=.build/release/strata-compact
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
END=2024-03-14T00:00:00Z   # a multiple of 14 days since the epoch: the 14d window is whole
$S block gen --out "$W/gen" --series "$SERIES" --days "$DAYS" --interval 15s --end $END --label cluster=bench >/dev/null 2>&1
FS=$'type: FILESYSTEM\nconfig:\n  directory: '"$W/bucket"
$S bucket upload --objstore.config "$FS" "$W"/gen/* >/dev/null 2>&1
BLOCKS=$(ls "$W/gen" | wc -l)
INPUT=$(python3 -c "import json,glob; print(sum(json.load(open(f))['stats']['numSamples'] for f in glob.glob('$W/gen/*/meta.json')))")
run() { # prints "seconds maxrss_kb", the job's log in $W/log
  /usr/bin/time -f '%e %M' -o "$W/time" "$@" --objstore.config "$FS" --data-dir "$W/data" --consistency-delay 0s \
    --http-address 127.0.0.1:0 2>"$W/log" >/dev/null || { cat "$W/log" >&2; exit 1; }
  cat "$W/time"
}
read -r CT CR < <(run $C --downsampling.disable)
SAMPLES=$(grep -o 'samples_compacted=[0-9]*' "$W/log" | tail -1 | cut -d= -f2)
COMPACTIONS=$(grep -o 'compactions=[0-9]*' "$W/log" | tail -1 | cut -d= -f2)
read -r DT DR < <(run $C)
DOWNS=$(grep -o 'downsamplings=[0-9]*' "$W/log" | tail -1 | cut -d= -f2)
echo "## machine: $(nproc) cores, $(date -u +%F); $SERIES series × $DAYS days at 15s: $BLOCKS blocks, $INPUT samples"
echo
echo "| job | wall time | work | samples/s | peak RSS |"
echo "|---|---|---|---|---|"
echo "| compaction | ${CT} s | $COMPACTIONS compactions, $SAMPLES samples written | $(python3 -c "print(f'{$SAMPLES / $CT / 1e6:.1f} M')") | $((CR / 1024)) MB |"
echo "| downsampling | ${DT} s | $DOWNS blocks (5m, then 1h) | $(python3 -c "print(f'{$INPUT / $DT / 1e6:.1f} M')") raw samples/s | $((DR / 1024)) MB |"
