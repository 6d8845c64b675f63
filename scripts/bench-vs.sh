#!/usr/bin/env bash
# Side by side for docs/benchmarks.md (issue: query path at VictoriaMetrics speed). Release build.
# One data set (`strata block gen`: SERIES series × DAYS days at INTERVAL) served three ways on the
# same machine, each peer started the way its docs say:
#   Prometheus 2.42 over the raw 2h blocks;
#   VictoriaMetrics 1.79 with the same samples imported by vmctl, its caches off
#     (-search.disableCache, so repeated runs measure work);
#   strata-store + strata-query over a FILESYSTEM bucket after one strata-compact pass (query
#     pushdown on, as by default; the dashboards again through a querier with it off).
# Times the dashboard set (`strata bench promql --set dashboard`, median of ROUNDS after a warm-up)
# at 1h/15s, 24h/60s, 7d/10m and instant, strata-query's answers compared with Prometheus's (but for
# the bucket's external label `cluster`, which Prometheus does not have); then
# every series of the data set over DAYS days (the heavy answer): time and each server's peak RSS;
# then the time from starting strata-store + strata-query to the first correct answer.
# Usage: scripts/bench-vs.sh [series] [days] [interval]
#   ROUNDS=3 by default for the 24 h and 7 d windows; the 1 h window takes 3 × ROUNDS and the
#   instants 7 × ROUNDS: answers of a few ms move by as much again with this machine's noise,
#   and a median of 3 let one hiccup decide a ratio.
#   ENCODING=gzip by default: every request asks for gzip, as Grafana does, and all three servers
#   compress their answers; ENCODING=identity times the same without compression.
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-2580}
DAYS=${2:-7}
INTERVAL=${3:-30s}
ROUNDS=${ROUNDS:-3}
SHORT=$((ROUNDS * 3)); INSTANT=$((ROUNDS * 7))
ENCODING=${ENCODING:-gzip}
case "$ENCODING" in gzip) COMPRESSED=(--compressed) ;; identity) COMPRESSED=() ;; *) echo "ENCODING: gzip or identity" >&2; exit 2 ;; esac
for p in strata strata-compact strata-store strata-query; do swift build -c release --product $p >/dev/null; done
B=.build/release
. scripts/lib.sh
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }

END=2024-03-08T00:00:00Z
END_S=$(python3 -c "import datetime; print(int(datetime.datetime(2024,3,8,tzinfo=datetime.timezone.utc).timestamp()))")
$B/strata block gen --out "$W/gen" --series "$SERIES" --days "$DAYS" --interval "$INTERVAL" --end $END --label cluster=bench >/dev/null 2>&1
SAMPLES=$(python3 -c "import json,glob; print(sum(json.load(open(f))['stats']['numSamples'] for f in glob.glob('$W/gen/*/meta.json')))")

# Prometheus over the raw blocks.
mkdir -p "$W/prom/wal" && cp -r "$W"/gen/* "$W/prom/"
printf 'global: {scrape_interval: 1h}\n' > "$W/prom.yml"
PP=$(port)
prometheus --config.file="$W/prom.yml" --storage.tsdb.path="$W/prom" --web.listen-address=127.0.0.1:$PP \
  --storage.tsdb.retention.time=100y --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=2h \
  --query.max-samples=500000000 --log.level=warn >/dev/null 2>&1 & PIDS+=($!); PROM_PID=$!

# VictoriaMetrics: vmctl wants a terminal, and drops the last few series still queued when it
# exits, so a padding block (days after the data, outside every query here) goes last.
VP=$(port)
victoria-metrics -storageDataPath "$W/vm" -httpListenAddr 127.0.0.1:$VP -retentionPeriod 100y \
  -search.latencyOffset=0s -search.disableCache -search.maxSamplesPerQuery=2000000000 -loggerLevel ERROR \
  >/dev/null 2>&1 & PIDS+=($!); VM_PID=$!
wait200 "http://127.0.0.1:$VP/health"
$B/strata block gen --out "$W/pad" --series 40 --days 1 --interval 60s --end 2024-03-20T00:00:00Z --label cluster=pad >/dev/null 2>&1
mkdir -p "$W/vmimport" && cp -r "$W"/gen/* "$W"/pad/* "$W/vmimport/"
script -qec "vmctl prometheus --prom-snapshot=$W/vmimport --vm-addr=http://127.0.0.1:$VP -s" /dev/null >"$W/vmctl.log" 2>&1
curl -s "http://127.0.0.1:$VP/internal/force_flush" >/dev/null

# Strata: bucket, one compactor pass, store gateway, querier (started together later on too).
FS=$'type: FILESYSTEM\nconfig:\n  directory: '"$W/bucket"
$B/strata bucket upload --objstore.config "$FS" "$W"/gen/* >/dev/null 2>&1
$B/strata-compact --objstore.config "$FS" --data-dir "$W/compact" --consistency-delay 0s --delete-delay 0s \
  --downsampling.disable --http-address 127.0.0.1:0 2>"$W/compact.log"
BUCKET_BLOCKS=$(find "$W/bucket" -maxdepth 2 -name meta.json | wc -l)
SG=$(port); SH=$(port); QH=$(port); QG=$(port); QH2=$(port); QG2=$(port)
start_strata() {
  $B/strata-store --objstore.config "$FS" --data-dir "$W/store" --grpc-address 127.0.0.1:$SG --http-address 127.0.0.1:$SH \
    --log.level warn >/dev/null 2>&1 & STORE_PID=$!
  $B/strata-query --endpoint 127.0.0.1:$SG --http-address 127.0.0.1:$QH --grpc-address 127.0.0.1:$QG \
    --query.promql-compat 2.42 --query.max-samples 500000000 --log.level warn >/dev/null 2>&1 & QUERY_PID=$!
}
# A second querier over the same store that never pushes down (--query.pushdown=false): the
# same dashboards timed through it, and the bytes each querier received from the store.
$B/strata-query --endpoint 127.0.0.1:$SG --http-address 127.0.0.1:$QH2 --grpc-address 127.0.0.1:$QG2 --query.pushdown=false \
  --query.promql-compat 2.42 --query.max-samples 500000000 --log.level warn >/dev/null 2>&1 & PIDS+=($!)
start_strata; PIDS+=($STORE_PID $QUERY_PID)
wait200 "http://127.0.0.1:$PP/-/ready"
wait200 "http://127.0.0.1:$SH/-/ready"
for _ in $(seq 600); do curl -s "http://127.0.0.1:$QH/api/v1/stores" | grep -q '"healthy":true' && break; sleep 0.05; done

# The import is checked, not assumed: every sample of the data set, on both sides.
# (by name: count_over_time drops names, and series of different metrics would then collide)
NAMES=$(curl -s "http://127.0.0.1:$PP/api/v1/label/__name__/values" | python3 -c 'import json,sys; print(" or ".join("label_replace(sum(count_over_time(%s[%dd])), \"n\", \"%s\", \"\", \"\")" % (n, '"$((DAYS + 1))"', n) for n in json.load(sys.stdin)["data"]))')
COUNT_Q="query=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote("sum(" + sys.argv[1] + ")"))' "$NAMES")&time=$END_S"
scalar() { curl -s "$1" | python3 -c 'import json,sys
b=sys.stdin.read()
try: print(json.loads(b)["data"]["result"][0]["value"][1])
except Exception: print("error: " + b[:300].replace("\n", " "))'; }
PROM_N=$(scalar "http://127.0.0.1:$PP/api/v1/query?$COUNT_Q")
VM_N=$(scalar "http://127.0.0.1:$VP/api/v1/query?$COUNT_Q")

echo "## machine: $(nproc) cores, $(date -u +%F); Accept-Encoding: $ENCODING; $SERIES series × $DAYS days at $INTERVAL: $SAMPLES samples (Prometheus counts $PROM_N, VictoriaMetrics $VM_N); strata bucket after compaction: $BUCKET_BLOCKS blocks"
echo
BENCH=($B/strata bench promql --prometheus "http://127.0.0.1:$PP" --strata-url "http://127.0.0.1:$QH"
  --victoria-metrics "http://127.0.0.1:$VP" --end $END --set dashboard --ignore-label cluster --accept-encoding "$ENCODING")
"${BENCH[@]}" --rounds "$SHORT" --range 1h --step 15s; echo
"${BENCH[@]}" --rounds "$ROUNDS" --range 24h --step 60s; echo
"${BENCH[@]}" --rounds "$ROUNDS" --range "$((DAYS * 24))h" --step 10m; echo
"${BENCH[@]}" --rounds "$INSTANT" --instant; echo

# The same without pushdown (Prometheus again as the reference for the answers).
received() { curl -s "http://127.0.0.1:$1/metrics" | awk '/^strata_query_(series|pushdown)_received_bytes_total/ {s += $2} END {printf "%.1f", s / 1048576}'; }
PUSHED_MIB=$(received $QH)
echo "### the same through a querier with --query.pushdown=false"
echo
PLAIN=($B/strata bench promql --prometheus "http://127.0.0.1:$PP" --strata-url "http://127.0.0.1:$QH2"
  --end $END --set dashboard --ignore-label cluster --accept-encoding "$ENCODING")
"${PLAIN[@]}" --rounds "$SHORT" --range 1h --step 15s; echo
"${PLAIN[@]}" --rounds "$ROUNDS" --range 24h --step 60s; echo
"${PLAIN[@]}" --rounds "$ROUNDS" --range "$((DAYS * 24))h" --step 10m; echo
"${PLAIN[@]}" --rounds "$INSTANT" --instant; echo
echo "series data received from strata-store for the four windows above (each query rounds + 1 times: $((SHORT + 1)), $((ROUNDS + 1)), $((ROUNDS + 1)), $((INSTANT + 1))): with pushdown $PUSHED_MIB MiB, without $(received $QH2) MiB"
echo

# The heavy answer: every series over DAYS days at a 10m step, each server's peak RSS after it.
HEAVY="query=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("{__name__=~\".+\"}"))')&start=$((END_S - DAYS * 86400))&end=$END_S&step=600"
t() { curl -s "${COMPRESSED[@]}" -o "$W/heavy.json" -w '%{time_total}' "$1"; }
echo "| heavy answer: every series, $DAYS d at 10m | Prometheus 2.42 | VictoriaMetrics | strata-query (+ strata-store) |"
echo "|---|---|---|---|"
TP=$(t "http://127.0.0.1:$PP/api/v1/query_range?$HEAVY"); SZ=$(stat -c %s "$W/heavy.json")
TV=$(t "http://127.0.0.1:$VP/api/v1/query_range?$HEAVY")
TS=$(t "http://127.0.0.1:$QH/api/v1/query_range?$HEAVY")
echo "| time (answer $((SZ / 1048576)) MiB) | ${TP} s | ${TV} s | ${TS} s |"
echo "| peak RSS (VmHWM) after | $(hwm $PROM_PID) MiB | $(hwm $VM_PID) MiB | $(hwm $QUERY_PID) MiB (+ $(hwm $STORE_PID) MiB) |"
echo

# From start to the first correct answer: strata-store and strata-query started together.
kill $STORE_PID $QUERY_PID; wait $STORE_PID $QUERY_PID 2>/dev/null || true
UP="query=up&time=$END_S"
WANT=$(curl -s "http://127.0.0.1:$PP/api/v1/query?$UP" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["result"]))')
S0=$(date +%s.%N)
start_strata; PIDS+=($STORE_PID $QUERY_PID)
# Polled every 5 ms with curl and grep alone (a Python start per poll took ~40 ms and made
# the figure jitter by as much); the answer counts when it has all of Prometheus's series.
for _ in $(seq 6000); do
  GOT=$( (curl -s "http://127.0.0.1:$QH/api/v1/query?$UP" 2>/dev/null || true) | { grep -o '"__name__":"up"' || true; } | wc -l)
  [ "$GOT" = "$WANT" ] && break; sleep 0.005
done
echo "first correct answer to \`up\` ($WANT series) after starting strata-store and strata-query: $(python3 -c "print(round($(date +%s.%N) - $S0, 2))") s"
