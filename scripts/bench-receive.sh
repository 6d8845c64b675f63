#!/usr/bin/env bash
# The receiver's ingestion against its peers (issue 22), release build. One load —
# `strata bench remote-write`: SERIES active series × ROUNDS scrapes (timestamps 15 s apart),
# real snappy remote-write requests pre-encoded before timing, SPR series per request, CONC
# keep-alive connections — sent to each server in turn:
#   strata-receive, --tsdb.wal-sync batch (Strata's default: fsync before the 204) and never
#     (Prometheus's behaviour), remote write 1.0 and, for batch, 2.0;
#   Prometheus 2.42 --web.enable-remote-write-receiver (TSDB defaults, no per-request fsync);
#   VictoriaMetrics 1.79 (/api/v1/write).
# Each server runs pinned to core 1 (`taskset -c 1`), the generator to core 0, so samples/s is
# per server core. Data dirs live under the current directory (a real disk: fsync on tmpfs would
# cost nothing) and are removed afterwards. After the load: the server's own count of appended
# samples (must equal SERIES × ROUNDS), its RSS (VmHWM, VmRSS) per active series, then it is
# stopped by PID. PERF=FILE records strata-receive (remote write 1.0, --tsdb.wal-sync PERF_SYNC:
# batch by default) with `perf record -g` into FILE.
# Usage: scripts/bench-receive.sh [series] [rounds] [series-per-request] [concurrency]
#        (defaults 100000 20 2000 8)
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-100000}; ROUNDS=${2:-20}; SPR=${3:-2000}; CONC=${4:-8}
PERF=${PERF:-}; PERF_SYNC=${PERF_SYNC:-batch}
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (server on core 1, generator on core 0)" >&2; exit 1; }
for p in strata strata-receive; do swift build -c release --product $p >/dev/null; done
B=.build/release
. scripts/lib.sh
D=$(mktemp -d -p "$PWD" .bench-receive.XXXXXX)
trap 'cleanup; rm -rf "$D"' EXIT
FS=$(df -T "$D" | awk 'NR==2 {print $2}')
[ "$FS" = tmpfs ] && echo "warning: $D is on tmpfs; fsync costs nothing there" >&2
EXPECTED=$((SERIES * ROUNDS))
kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$2/status"; }
# Sum of every sample of a metric in a Prometheus text exposition.
metric_sum() { curl -s "$1" | awk -v m="$2" '$1 == m || index($1, m "{") == 1 {s += $NF} END {printf "%.0f", s}'; }

ROWS=()
# run NAME URL PID METRICS_URL METRIC VERSION
run() {
  local name=$1 url=$2 pid=$3 murl=$4 metric=$5 version=$6
  local idle; idle=$(kib VmRSS "$pid")
  local perf_pid=""
  if [ -n "$PERF" ] && [ "$name" = "strata-receive ($PERF_SYNC)" ] && [ "$version" = 1 ]; then
    perf record -g -o "$PERF" -p "$pid" >/dev/null 2>&1 & perf_pid=$!
  fi
  echo
  echo "### $name, remote write $version.0"
  local out="$W/$(echo "$name" | tr -c 'a-z0-9' _)-$version.out" rc=0
  taskset -c 0 $B/strata bench remote-write --url "$url" --series "$SERIES" --rounds "$ROUNDS" \
    --series-per-request "$SPR" --concurrency "$CONC" --version "$version" >"$out" 2>&1 || rc=$?
  cat "$out"
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  [ "$name" = victoria-metrics ] && curl -s "http://127.0.0.1:$VP/internal/force_flush" >/dev/null
  local appended; appended=$(metric_sum "$murl" "$metric")
  local hwm rss; hwm=$(kib VmHWM "$pid"); rss=$(kib VmRSS "$pid")
  local res; res=$(grep '^result:' "$out" || echo "result: samples_per_s=0 p50_ms=0 p99_ms=0 errors=failed(rc=$rc)")
  get() { echo "$res" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
  local check="ok"; [ "$appended" = "$EXPECTED" ] || check="MISMATCH: $appended of $EXPECTED"
  echo "server: idle RSS $((idle / 1024)) MiB, after the load VmHWM $((hwm / 1024)) MiB, VmRSS $((rss / 1024)) MiB;" \
    "$metric = $appended ($check)"
  ROWS+=("$name|$version.0|$(get samples_per_s)|$(get steady_samples_per_s)|$(get p50_ms)|$(get p99_ms)|$((hwm * 1024 / SERIES))|$((rss * 1024 / SERIES))|$(get errors)|$check")
}
stop() { kill "$1"; for _ in $(seq 600); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -9 "$1" 2>/dev/null || true; }

echo "## machine: $(nproc) cores, $(uname -m), $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(date -u +%F); disk: $FS"
echo "## load: $SERIES series × $ROUNDS rounds = $EXPECTED samples, 8 labels/series, $SPR series/request, $CONC connections"

# strata-receive: no bucket, no querier; its /metrics counts appended samples.
start_strata() {
  RP=$(port); GP=$(port); HP=$(port)
  taskset -c 1 $B/strata-receive --label 'receive_replica="r0"' --tsdb.path "$D/strata-$1-$2" --tsdb.wal-sync "$1" \
    --remote-write.address 127.0.0.1:$RP --grpc-address 127.0.0.1:$GP --http-address 127.0.0.1:$HP \
    --log.level warn >"$W/strata-$1-$2.log" 2>&1 & SP=$!; PIDS+=($SP)
  wait200 "http://127.0.0.1:$HP/-/ready"
}
for cfg in "batch 1" "never 1" "batch 2"; do
  set -- $cfg
  start_strata "$1" "$2"
  run "strata-receive ($1)" "http://127.0.0.1:$RP/api/v1/receive" $SP "http://127.0.0.1:$HP/metrics" \
    strata_receive_samples_appended_total "$2"
  stop $SP
done

# Prometheus 2.42: no scrape jobs, so every appended sample came by remote write.
printf 'global: {scrape_interval: 15s}\n' >"$W/prom.yml"
PP=$(port)
taskset -c 1 prometheus --config.file="$W/prom.yml" --storage.tsdb.path="$D/prom" --web.listen-address=127.0.0.1:$PP \
  --web.enable-remote-write-receiver --log.level=warn >"$W/prom.log" 2>&1 & PROM=$!; PIDS+=($PROM)
wait200 "http://127.0.0.1:$PP/-/ready"
run "prometheus 2.42" "http://127.0.0.1:$PP/api/v1/write" $PROM "http://127.0.0.1:$PP/metrics" \
  prometheus_tsdb_head_samples_appended_total 1
stop $PROM

# VictoriaMetrics 1.79: rows stored (after a forced flush), and the series count through its query API.
VP=$(port)
taskset -c 1 victoria-metrics -storageDataPath "$D/vm" -httpListenAddr 127.0.0.1:$VP -retentionPeriod 100y \
  -search.latencyOffset=0s -loggerLevel ERROR >"$W/vm.log" 2>&1 & VM=$!; PIDS+=($VM)
wait200 "http://127.0.0.1:$VP/health"
run victoria-metrics "http://127.0.0.1:$VP/api/v1/write" $VM "http://127.0.0.1:$VP/metrics" \
  vm_rows_added_to_storage_total 1
VM_SERIES=$(curl -s "http://127.0.0.1:$VP/api/v1/query" --data-urlencode 'query=count({series_id=~".+"})' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])' 2>/dev/null || echo "?")
echo "victoria-metrics: count({series_id=~\".+\"}) = $VM_SERIES (expected $SERIES)"
stop $VM

echo
echo "## summary (samples/s on one server core; ratio = server / strata-receive (batch, 1.0); RSS per active series in bytes)"
echo "| server | protocol | samples/s | later rounds samples/s | ratio vs strata | p50 ms | p99 ms | VmHWM/series | VmRSS/series | errors | samples arrived |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
REF=$(echo "${ROWS[0]}" | cut -d'|' -f3)
for r in "${ROWS[@]}"; do
  IFS='|' read -r n v sps steady p50 p99 hwm rss errs check <<<"$r"
  ratio=$(awk -v a="$REF" -v b="$sps" 'BEGIN {if (a > 0) printf "%.2f", b / a; else print "-"}')
  echo "| $n | $v | $sps | $steady | $ratio | $p50 | $p99 | $hwm | $rss | $errs | $check |"
done
