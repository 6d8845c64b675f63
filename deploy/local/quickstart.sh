#!/usr/bin/env bash
# Strata on one machine, with 30 days of history to query:
#   ./deploy/local/quickstart.sh          installs what is missing (Debian), builds release,
#                                         writes the history, starts everything, prints URLs
#   ./deploy/local/quickstart.sh stop     stops everything it started
# Everything lives in $STRATA_QUICKSTART_DIR (default ./.quickstart): the filesystem bucket,
# both Prometheus data dirs, logs and pid files. Environment knobs: QUICKSTART_SERIES (1000),
# QUICKSTART_DAYS (30), QUICKSTART_BUILD (release | debug: reuse the test build).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DIR=${STRATA_QUICKSTART_DIR:-$ROOT/.quickstart}
SERIES=${QUICKSTART_SERIES:-1000}
DAYS=${QUICKSTART_DAYS:-30}
BUILD=${QUICKSTART_BUILD:-release}
# Ports: Prometheus 9091/9092, sidecars 10911-10912 (gRPC) and 10921-10922 (HTTP),
# store 10905/10906, querier 10907/10908, frontend 10909, compactor 10910.
PROM_PORTS=(9091 9092)

stop() {
  [ -d "$DIR/pids" ] || { echo "nothing running (no $DIR/pids)"; return 0; }
  for f in "$DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      echo "stopped $(basename "$f" .pid)"
    fi
    rm -f "$f"
  done
}

if [ "${1:-}" = "stop" ]; then stop; exit 0; fi
if [ -n "${1:-}" ]; then echo "usage: $0 [stop]" >&2; exit 2; fi

# 1. What a fresh Debian machine lacks.
need=()
for pkg in prometheus libre2-dev libsnappy-dev libsqlite3-dev curl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "Swift 6 not found (expected at /opt/swift; see swift.org/install)" >&2; exit 1; }
PROMETHEUS=$(command -v prometheus || echo /usr/bin/prometheus)

# 2. Build.
if [ "$BUILD" = release ]; then
  echo "building release (a few minutes the first time)"
  swift build -c release >/dev/null
  BIN=$ROOT/.build/release
else
  BIN=$ROOT/.build/debug
fi

stop >/dev/null 2>&1 || true
rm -rf "$DIR"
mkdir -p "$DIR"/{bucket,logs,pids,gen}
OBJSTORE=$DIR/objstore.yml
printf 'type: FILESYSTEM\nconfig:\n  directory: %s\n' "$DIR/bucket" > "$OBJSTORE"

start() { # name, command...: runs in the background, logs to logs/<name>.log
  local name=$1; shift
  nohup "$@" >"$DIR/logs/$name.log" 2>&1 &
  echo $! > "$DIR/pids/$name.pid"
}
wait_http() { # url, what
  for _ in $(seq 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "$2 did not come up; see $DIR/logs" >&2; exit 1
}

# 3. History: what replica a's sidecar would have shipped over the last $DAYS days.
echo "writing $DAYS days of history for $SERIES series"
"$BIN/strata" block gen --out "$DIR/gen" --series "$SERIES" --days "$DAYS" --label cluster=demo --label replica=a >/dev/null
"$BIN/strata" bucket upload --objstore.config-file "$OBJSTORE" "$DIR"/gen/* >/dev/null 2>&1
rm -rf "$DIR/gen"

# 4. The compactor, once, as its scheduled job would run (consistency delay 0: the history
#    was written a moment ago, not uploaded by a sidecar that might still be busy).
echo "compacting and downsampling the history (strata-compact, one pass)"
"$BIN/strata-compact" --objstore.config-file "$OBJSTORE" --data-dir "$DIR/compact" --http-address 127.0.0.1:10910 \
  --consistency-delay 0s --deduplication.replica-label replica --delete-delay 0s 2>"$DIR/logs/strata-compact.log" \
  || { echo "strata-compact failed; see $DIR/logs/strata-compact.log" >&2; exit 1; }

# 5. Two Prometheus replicas scraping the same targets (each other and every Strata service),
#    each with a sidecar.
TARGETS="'127.0.0.1:9091','127.0.0.1:9092','127.0.0.1:10921','127.0.0.1:10922','127.0.0.1:10906','127.0.0.1:10908','127.0.0.1:10909'"
SIDECARS=()
for i in 0 1; do
  r=$([ $i = 0 ] && echo a || echo b)
  port=${PROM_PORTS[$i]}
  mkdir -p "$DIR/prom-$r/data"
  cat > "$DIR/prom-$r/prometheus.yml" <<EOF
global: {scrape_interval: 15s, external_labels: {cluster: demo, replica: $r}}
scrape_configs:
  - job_name: strata-demo
    static_configs: [{targets: [$TARGETS]}]
EOF
  start "prometheus-$r" "$PROMETHEUS" --config.file="$DIR/prom-$r/prometheus.yml" --storage.tsdb.path="$DIR/prom-$r/data" \
    --web.listen-address=127.0.0.1:$port --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=2h \
    --storage.tsdb.retention.time=2d
  wait_http "http://127.0.0.1:$port/-/ready" "prometheus-$r"
  start "sidecar-$r" "$BIN/strata-sidecar" --prometheus.url "http://127.0.0.1:$port" --tsdb.path "$DIR/prom-$r/data" \
    --objstore.config-file "$OBJSTORE" --grpc-address 127.0.0.1:$((10911 + i)) --http-address 127.0.0.1:$((10921 + i))
  SIDECARS+=(--endpoint "127.0.0.1:$((10911 + i))")
done

# 6. Store gateway, querier (deduplicating replica a/b), frontend with its SQLite cache.
start strata-store "$BIN/strata-store" --objstore.config-file "$OBJSTORE" --data-dir "$DIR/store" \
  --grpc-address 127.0.0.1:10905 --http-address 127.0.0.1:10906
wait_http http://127.0.0.1:10906/-/ready strata-store
start strata-query "$BIN/strata-query" "${SIDECARS[@]}" --endpoint 127.0.0.1:10905 --query.replica-label replica \
  --grpc-address 127.0.0.1:10907 --http-address 127.0.0.1:10908
wait_http http://127.0.0.1:10908/-/ready strata-query
start strata-frontend "$BIN/strata-frontend" --query-frontend.downstream-url http://127.0.0.1:10908 \
  --data-dir "$DIR/frontend" --http-address 127.0.0.1:10909
wait_http http://127.0.0.1:10909/-/ready strata-frontend

cat <<EOF

Strata is running ($DIR):
  query frontend (Grafana data source)  http://127.0.0.1:10909
  querier web UI                        http://127.0.0.1:10908
  store gateway metrics                 http://127.0.0.1:10906/metrics
  Prometheus replicas a, b              http://127.0.0.1:9091  http://127.0.0.1:9092
  bucket (filesystem)                   $DIR/bucket   (inspect: $BIN/strata bucket inspect --objstore.config-file $OBJSTORE)

Try $DAYS days of history, deduplicated and served from 1h-downsampled blocks:
  curl -s 'http://127.0.0.1:10909/api/v1/query_range' \\
    --data-urlencode 'query=sum by (namespace) (rate(http_requests_total[1h]))' \\
    --data-urlencode "start=\$(date -d '-$DAYS days' +%s)" --data-urlencode "end=\$(date +%s)" \\
    --data-urlencode 'step=1h' --data-urlencode 'max_source_resolution=auto'

Stop everything: $0 stop
EOF
