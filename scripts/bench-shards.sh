#!/usr/bin/env bash
# Vertical query sharding (issue 18, item 5), release build. One data set (`strata block gen`:
# SERIES series × DAYS days at INTERVAL, compacted once) behind one strata-store and two
# strata-query processes; range queries (DAYS days, 10m step, no time splitting, results cache
# bypassed with dedup=false) timed straight at a querier, through strata-frontend without
# sharding, with 2 shards on one querier, and with 2 shards over both queriers.
# Usage: scripts/bench-shards.sh [series] [days] [interval]     (ROUNDS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-2580}
DAYS=${2:-7}
INTERVAL=${3:-30s}
ROUNDS=${ROUNDS:-5}
for p in strata strata-compact strata-store strata-query strata-frontend; do swift build -c release --product $p >/dev/null; done
B=.build/release
. scripts/lib.sh

$B/strata block gen --out "$W/gen" --series "$SERIES" --days "$DAYS" --interval "$INTERVAL" --end 2024-03-08T00:00:00Z --label cluster=bench >/dev/null 2>&1
FS=$'type: FILESYSTEM\nconfig:\n  directory: '"$W/bucket"
$B/strata bucket upload --objstore.config "$FS" "$W"/gen/* >/dev/null 2>&1
$B/strata-compact --objstore.config "$FS" --data-dir "$W/compact" --consistency-delay 0s --delete-delay 0s \
  --downsampling.disable --http-address 127.0.0.1:0 2>"$W/compact.log"
SG=$(port); SH=$(port); Q1=$(port); Q2=$(port); F1=$(port); F2=$(port); F3=$(port)
$B/strata-store --objstore.config "$FS" --data-dir "$W/store" --grpc-address 127.0.0.1:$SG --http-address 127.0.0.1:$SH \
  --log.level warn >/dev/null 2>&1 & PIDS+=($!)
for q in $Q1 $Q2; do
  $B/strata-query --endpoint 127.0.0.1:$SG --http-address 127.0.0.1:$q --grpc-address 127.0.0.1:$(port) \
    --query.max-samples 500000000 --log.level warn >/dev/null 2>&1 & PIDS+=($!)
done
fe() { $B/strata-frontend --http-address 127.0.0.1:$1 --query-frontend.downstream-url "$2" --query-frontend.vertical-shards "$3" \
  --query-range.split-interval 0 --data-dir "$W/fe$1" --log.level warn >/dev/null 2>&1 & PIDS+=($!); }
fe $F1 http://127.0.0.1:$Q1 1
fe $F2 http://127.0.0.1:$Q1 2
fe $F3 "http://127.0.0.1:$Q1,http://127.0.0.1:$Q2" 2
wait200 "http://127.0.0.1:$SH/-/ready"
for p in $Q1 $Q2 $F1 $F2 $F3; do wait200 "http://127.0.0.1:$p/-/ready"; done
for q in $Q1 $Q2; do for _ in $(seq 600); do curl -s "http://127.0.0.1:$q/api/v1/stores" | grep -q '"healthy":true' && break; sleep 0.05; done; done

echo "## machine: $(nproc) cores, $(date -u +%F); $SERIES series × $DAYS days at $INTERVAL; range $DAYS d at 10m; min and median of $ROUNDS (ms)"
echo
echo "| query | strata-query | frontend, 1 shard | 2 shards, one querier | 2 shards, two queriers |"
echo "|---|---|---|---|---|"
python3 - "$Q1" "$F1" "$F2" "$F3" "$ROUNDS" "$DAYS" <<'PY'
import http.client, sys, time, urllib.parse
ports, rounds, days = [int(p) for p in sys.argv[1:5]], int(sys.argv[5]), int(sys.argv[6])
end = 1709856000
queries = ["sum by (job) (rate(http_requests_total[5m]))",
           "histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))",
           "max by (job) (avg_over_time(container_memory_working_set_bytes[1h]))",
           "sum(rate(http_requests_total[5m]))"]
for q in queries:
    cells, answers = [], set()
    for port in ports:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        path = "/api/v1/query_range?" + urllib.parse.urlencode({"query": q, "start": end - days * 86400, "end": end, "step": 600, "dedup": "false"})
        lat = []
        for _ in range(rounds + 1):
            t = time.perf_counter(); c.request("GET", path); body = c.getresponse().read(); lat.append(time.perf_counter() - t)
        answers.add(body)
        lat = sorted(lat[1:])
        cells.append(f"{lat[0]*1000:.0f} / {lat[len(lat)//2]*1000:.0f}")
    same = "" if len(answers) == 1 else " (ANSWERS DIFFER)"
    print(f"| `{q}`{same} | " + " | ".join(cells) + " |")
PY
