#!/usr/bin/env bash
# Every benchmark side by side with Prometheus 2.42, measured in this run (release builds):
# the PromQL query set, block dump vs promtool, frontend cold/warm, a 90-day query from 1h
# blocks vs raw, compaction, store start-up and memory. Prints one table and writes it, with
# the full output of each script, into docs/benchmarks.md (section "Side by side").
# Takes about 15 minutes on 2 cores. Usage: scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# Only the products the scripts run (a plain `swift build -c release` also builds
# swift-protobuf's C++ protoc, which takes longer than all the benchmarks).
for p in strata strata-store strata-query strata-frontend strata-compact; do swift build -c release --product $p >/dev/null 2>&1; done
run() { local name=$1; shift; echo "running $name" >&2; "$@" >"$W/$name.out" 2>"$W/$name.err" || { cat "$W/$name.err" >&2; exit 1; }; }
run query scripts/bench-query.sh 1000 1
run tsdb scripts/bench-tsdb.sh
run frontend scripts/bench-frontend.sh 300 30
run downsampled scripts/bench-downsampled.sh 300 90
run compact scripts/bench-compact.sh 1000 14

field() { grep -m1 "$2" "$W/$1.out" || echo "(missing: $2)"; }
ENGINE=$(field query "median ratio Strata engine" | awk '{print $NF}')
QUERIER=$(field query "median ratio strata-query" | awk '{print $NF}')
DUMP=$(field tsdb "ratio strata/promtool" | sed 's/.*ratio strata\/promtool: \([0-9.]*\).*/\1/')
SQLITE=$(field frontend "| SQLITE" | awk -F'|' '{gsub(/ /,""); print $3 " s cold, " $4 " s warm (" $5 " faster)"}')
DS=$(field downsampled "day \`sum" | awk -F'|' '{print "Prometheus" $3 "; Strata raw" $4 "; Strata 1h" $5}')
START=$(field downsampled "start-up" | awk -F'|' '{print "Prometheus" $3 "; Strata" $4}')
MEM=$(field downsampled "resident memory" | awk -F'|' '{print "Prometheus" $3 "; Strata" $4}')
COMPACT=$(field compact "| compaction" | awk -F'|' '{print $5 "samples/s, peak RSS" $6}')

TABLE=$(cat <<T
| what | result (Strata vs Prometheus 2.42, same run) |
|---|---|
| PromQL query set, median time ratio, engine alone | $ENGINE |
| PromQL query set, median time ratio, strata-query + strata-store over a bucket | $QUERIER |
| \`strata block dump\` / \`promtool tsdb dump\`, one 2h block, identical output | $DUMP |
| frontend, 30-day range query, SQLite cache | $SQLITE |
| 90-day range query at step 1h | $DS |
| start-up to /-/ready (90 days of blocks) | $START |
| resident memory after start-up | $MEM |
| compaction, 1,000 series × 14 days | $COMPACT |
T
)
echo "$TABLE"

{
  echo "## Side by side (scripts/bench.sh)"
  echo
  echo "Command: \`scripts/bench.sh\` — measured $(date -u +%F) on $(nproc) cores; every ratio is from this one run."
  echo
  echo "$TABLE"
  echo
  cat <<'TXT'
Reading the table: the 90-day query is 300 series of `strata block gen` data at 60s; Prometheus
serves the 1,080 raw 2h blocks as they were written, Strata the same data after one
compactor pass (14d blocks plus 5m and 1h copies), so "Strata raw" already profits from
compaction and "Strata 1h" from downsampling (same answer shape, 1h aggregates). Start-up and
memory compare Prometheus opening its TSDB with strata-store loading the compacted bucket.
TXT
  echo
  echo "<details><summary>full output of each script</summary>"
  echo
  for n in query tsdb frontend downsampled compact; do echo "### $n"; echo; cat "$W/$n.out"; echo; done
  echo "</details>"
} > "$W/section.md"
python3 - "$W/section.md" <<'PY'
import re, sys
section = open(sys.argv[1]).read()
path = "docs/benchmarks.md"
doc = open(path).read()
start = doc.find("## Side by side (scripts/bench.sh)")
if start >= 0:
    nxt = doc.find("\n## ", start + 3)
    doc = doc[:start] + section + (doc[nxt + 1:] if nxt >= 0 else "")
else:
    doc = doc.rstrip() + "\n\n" + section
open(path, "w").write(doc)
PY
echo "written to docs/benchmarks.md" >&2
