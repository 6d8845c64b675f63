#!/usr/bin/env bash
# The ruler (issue 21) side by side with Prometheus 2.42, release build: 1,000 recording rules in
# 10 groups over one data set (`strata block gen`: SERIES series over the last DAYS days at
# INTERVAL, ending now so the rules see data). Prometheus evaluates the rule file over the raw
# blocks itself (`rule_files`); strata-rule evaluates the same file through strata-query over
# strata-store over a FILESYSTEM bucket holding the same blocks. Both at --eval-interval /
# evaluation_interval INTERVAL_EVAL; after ROUNDS evaluations each side's
# `prometheus_rule_group_last_duration_seconds` per group is read from /metrics.
# Usage: scripts/bench-rule.sh [series] [days] [interval]     (ROUNDS=3, INTERVAL_EVAL=30s)
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-2580}
DAYS=${2:-1}
INTERVAL=${3:-30s}
ROUNDS=${ROUNDS:-3}
EVAL=${INTERVAL_EVAL:-30s}
EVAL_S=${EVAL%s}
for p in strata strata-store strata-query strata-rule; do swift build -c release --product $p >/dev/null; done
B=.build/release
. scripts/lib.sh

$B/strata block gen --out "$W/gen" --series "$SERIES" --days "$DAYS" --interval "$INTERVAL" --label cluster=bench >/dev/null 2>&1

# 1,000 rules: ten kinds of dashboard aggregation, each group a mix.
python3 - "$W/rules.yml" <<'EOF'
import sys
kinds = [
    'sum by (job, namespace) (rate(http_requests_total[5m]))',
    'histogram_quantile(0.9, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))',
    'avg by (node) (container_memory_working_set_bytes)',
    'sum by (namespace) (rate(process_cpu_seconds_total[5m]))',
    'max by (job) (go_goroutines)',
    'count by (job) (up == 1)',
    'sum by (job) (rate(http_request_duration_seconds_sum[5m])) / sum by (job) (rate(http_request_duration_seconds_count[5m]))',
    'topk(3, sum by (pod) (rate(http_requests_total[5m])))',
    'avg by (namespace) (avg_over_time(go_goroutines[10m]))',
    'sum by (node) (increase(http_requests_total[10m]))',
]
with open(sys.argv[1], "w") as f:
    f.write("groups:\n")
    for g in range(10):
        f.write(f"  - name: bench{g}\n    rules:\n")
        for i in range(100):
            f.write(f"      - record: bench:g{g}:r{i}\n        expr: '{kinds[(g + i) % len(kinds)]}'\n")
EOF

# Prometheus over the raw blocks, evaluating the rules itself.
mkdir -p "$W/prom" && cp -r "$W"/gen/* "$W/prom/"
printf 'global: {scrape_interval: 1h, evaluation_interval: %s}\nrule_files: ["%s"]\n' "$EVAL" "$W/rules.yml" > "$W/prom.yml"
PP=$(port)
prometheus --config.file="$W/prom.yml" --storage.tsdb.path="$W/prom" --web.listen-address=127.0.0.1:$PP \
  --storage.tsdb.retention.time=100y --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=2h \
  --log.level=warn >/dev/null 2>&1 & PIDS+=($!)

# Strata: the same blocks in a bucket, store gateway, querier, ruler.
FS=$'type: FILESYSTEM\nconfig:\n  directory: '"$W/bucket"
$B/strata bucket upload --objstore.config "$FS" "$W"/gen/* >/dev/null 2>&1
SG=$(port); SH=$(port); QH=$(port); QG=$(port); RG=$(port); RH=$(port)
$B/strata-store --objstore.config "$FS" --data-dir "$W/store" --grpc-address 127.0.0.1:$SG --http-address 127.0.0.1:$SH \
  --log.level warn >/dev/null 2>&1 & PIDS+=($!)
$B/strata-query --endpoint 127.0.0.1:$SG --http-address 127.0.0.1:$QH --grpc-address 127.0.0.1:$QG --log.level warn \
  >/dev/null 2>&1 & PIDS+=($!)
wait200 "http://127.0.0.1:$SH/-/ready"
for _ in $(seq 600); do curl -s "http://127.0.0.1:$QH/api/v1/stores" | grep -q '"healthy":true' && break; sleep 0.05; done
$B/strata-rule --rule-file "$W/rules.yml" --eval-interval "$EVAL" --query 127.0.0.1:$QH --label 'ruler="bench"' \
  --data-dir "$W/rule" --grpc-address 127.0.0.1:$RG --http-address 127.0.0.1:$RH --log.level warn >/dev/null 2>&1 & PIDS+=($!)
wait200 "http://127.0.0.1:$PP/-/ready"
wait200 "http://127.0.0.1:$RH/-/ready"

sleep $(( EVAL_S * (ROUNDS + 1) ))

durations() { curl -s "$1/metrics" | python3 -c '
import sys, re
for line in sys.stdin:
    m = re.match(r"prometheus_rule_group_last_duration_seconds\{rule_group=\"[^\"]*;(bench\d+)\"\} (\S+)", line)
    if m: print(m.group(1), m.group(2))'; }
durations "http://127.0.0.1:$PP" | sort > "$W/prom.d"
durations "http://127.0.0.1:$RH" | sort > "$W/rule.d"
RULES_OK=$(curl -s "http://127.0.0.1:$RH/api/v1/rules" | python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]["groups"]; print(sum(1 for g in d for r in g["rules"] if r["health"]=="ok"))')
SAMPLES=$(curl -s "http://127.0.0.1:$RH/metrics" | awk '/^prometheus_rule_group_last_evaluation_samples/ {s += $2} END {print s}')

echo "## machine: $(nproc) cores, $(date -u +%F); $SERIES series × $DAYS days at $INTERVAL; 1,000 recording rules in 10 groups, interval $EVAL"
echo "strata-rule: $RULES_OK rules healthy, $SAMPLES samples written per round"
echo
echo "| group | Prometheus 2.42 (s) | strata-rule → strata-query → strata-store (s) | ratio |"
echo "|---|---|---|---|"
join "$W/prom.d" "$W/rule.d" | awk '{printf "| %s | %.3f | %.3f | %.2f |\n", $1, $2, $3, ($2 > 0 ? $3 / $2 : 0)}'
join "$W/prom.d" "$W/rule.d" | awk '{print ($2 > 0 ? $3 / $2 : 0)}' | sort -n | awk '{a[NR]=$1} END {printf "\nmedian ratio strata ÷ Prometheus: %.2f\n", (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'
