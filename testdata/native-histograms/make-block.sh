#!/usr/bin/env bash
# Makes a block with native histograms written by a real Prometheus 2.42 (Debian), plus the
# oracle: Prometheus's own HTTP API answer over the same data (gzipped JSON of
# `{__name__=~"nh.*"}[1h]` at the block's last millisecond: every raw sample).
#   ./make-block.sh OUT_DIR [SECONDS]
# Prometheus scrapes nh_target.py every second with --enable-feature=native-histograms and
# evaluates a recording rule over the histograms (its results are float histograms, chunk
# encoding 3); after SECONDS the head is turned into a block by the admin snapshot API.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"; secs="${2:-70}"
work="$(mktemp -d)"
trap 'kill $tpid $ppid 2>/dev/null || true; rm -rf "$work"' EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tport=$(port); pport=$(port)
protoc -I "$here" --python_out="$work" "$here/metrics.proto"
PYTHONPATH="$work" /usr/bin/python3 "$here/nh_target.py" "$tport" 1 & tpid=$!
cat > "$work/rules.yml" <<RULES
groups:
  - name: nh
    interval: 1s
    rules:
      - record: nh:request_duration_seconds:sum
        expr: sum without (handler) (nh_request_duration_seconds{handler!="b"})
RULES
cat > "$work/prometheus.yml" <<CFG
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$work/rules.yml"]
scrape_configs:
  - job_name: nh
    static_configs: [{targets: ["127.0.0.1:$tport"]}]
CFG
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$pport" --web.enable-admin-api \
  --enable-feature=native-histograms --log.level=warn & ppid=$!
sleep "$secs"
resp=$(curl -s -XPOST "http://127.0.0.1:$pport/api/v1/admin/tsdb/snapshot"); echo "snapshot: $resp" >&2
snap=$(echo "$resp" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["name"])')
mkdir -p "$out"
cp -r "$work/data/snapshots/$snap/"* "$out/"
block=$(ls "$out" | head -1)
maxt=$(/usr/bin/python3 -c "import json; print(json.load(open('$out/$block/meta.json'))['maxTime'])")
# Every raw sample of the block: a range selector at the block's end covering all of it.
t=$(/usr/bin/python3 -c "print(($maxt - 1) / 1000)")
curl -sf "http://127.0.0.1:$pport/api/v1/query" --data-urlencode 'query={__name__=~"nh.*"}[1h]' \
  --data-urlencode "time=$t" | gzip -9 > "$out/$block.api-raw.json.gz"
echo "$out/$block  (oracle: $out/$block.api-raw.json.gz, query time $t)"
