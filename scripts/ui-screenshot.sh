#!/usr/bin/env bash
# Checks the querier's web UI in headless Chromium (Debian `chromium`): a real Prometheus over
# testdata/prom-blocks (scraping itself and a missing target, with a recording and an alerting
# rule), a strata-sidecar, a strata-query; the UI runs a table query and a graph query and
# shows the stores, targets, rules and alerts pages; the rendered DOM must hold the results,
# and screenshots go to docs/.
# Usage: scripts/ui-screenshot.sh   (builds debug binaries if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "chromium missing: apt-get install -y chromium" >&2; exit 1; }
swift build --product strata-query >/dev/null
swift build --product strata-sidecar >/dev/null
BIN=$(swift build --show-bin-path)
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P=$(port); SG=$(port); SH=$(port); QH=$(port); QG=$(port)
mkdir -p "$W/prom" && cp -r testdata/prom-blocks/. "$W/prom/"
cat > "$W/rules.yml" <<'EOF2'
groups:
  - name: demo
    interval: 1s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: DemoAlwaysFiring
        expr: vector(1) > 0
        labels: {severity: page}
        annotations: {summary: "always firing, for the UI check"}
EOF2
cat > "$W/prom.yml" <<EOF2
global: {scrape_interval: 1h, evaluation_interval: 1s, external_labels: {cluster: demo, replica: a}}
rule_files: [$W/rules.yml]
scrape_configs:
  - {job_name: prometheus, scrape_interval: 1s, static_configs: [{targets: ['127.0.0.1:$P']}]}
  - {job_name: missing, scrape_interval: 1s, static_configs: [{targets: ['127.0.0.1:1']}]}
EOF2
prometheus --config.file="$W/prom.yml" --storage.tsdb.path="$W/prom" --web.listen-address="127.0.0.1:$P" \
  --storage.tsdb.retention.time=100y --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=2h --log.level=warn \
  >/dev/null 2>&1 & PIDS+=($!)
"$BIN/strata-sidecar" --tsdb.path "$W/prom" --prometheus.url "http://127.0.0.1:$P" --grpc-address "127.0.0.1:$SG" \
  --http-address "127.0.0.1:$SH" --log.level warn & PIDS+=($!)
"$BIN/strata-query" --endpoint "127.0.0.1:$SG" --query.replica-label replica --http-address "127.0.0.1:$QH" \
  --grpc-address "127.0.0.1:$QG" --store.sd-interval 1s --log.level warn & PIDS+=($!)
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$QH/api/v1/stores" | grep -q '"healthy":true' && break; sleep 0.2; done

Q='sum by (job) (rate(http_requests_total[5m]))'
ENC=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$Q")
URL="http://127.0.0.1:$QH/?q=$ENC&end=2023-11-15T03:00:00Z&range=6h"
chrome() { chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 --window-size=1280,720 "$@" 2>/dev/null; }
DOM=$(chrome --dump-dom "$URL")
echo "$DOM" | grep -q '2 result(s)' || { echo "table view did not render the 2 results" >&2; exit 1; }
chrome --screenshot="docs/ui-table.png" "$URL" >/dev/null
DOM=$(chrome --dump-dom "$URL&tab=graph")
echo "$DOM" | grep -q '<polyline' || { echo "graph view did not draw lines" >&2; exit 1; }
chrome --screenshot="docs/ui-graph.png" "$URL&tab=graph" >/dev/null
DOM=$(chrome --dump-dom "http://127.0.0.1:$QH/stores")
echo "$DOM" | grep -q '1 endpoint(s)' || { echo "stores page did not list the sidecar" >&2; exit 1; }
echo "$DOM" | grep -q 'replica=&quot;a&quot;\|replica="a"' || { echo "stores page lacks the sidecar's labels" >&2; exit 1; }
chrome --screenshot="docs/ui-stores.png" "http://127.0.0.1:$QH/stores" >/dev/null
sleep 3   # a few scrapes and rule evaluations
for page in targets rules alerts; do
  DOM=$(chrome --dump-dom "http://127.0.0.1:$QH/$page")
  case $page in
    targets) want='2 active, 0 dropped target(s)' ;;
    rules) want='2 rule(s) in 1 group(s)' ;;
    alerts) want='1 alert(s)' ;;
  esac
  echo "$DOM" | grep -q "$want" || { echo "$page page: no '$want'" >&2; echo "$DOM" | tail -5 >&2; exit 1; }
  chrome --screenshot="docs/ui-$page.png" "http://127.0.0.1:$QH/$page" >/dev/null
done
echo "$DOM" | grep -q 'firing' || { echo "alerts page: the alert is not shown firing" >&2; exit 1; }
echo "UI checked: table, graph, stores, targets, rules and alerts render; screenshots in docs/ui-*.png"
