#!/usr/bin/env bash
# Object storage benchmark for docs/benchmarks.md (issue: object storage). Release build.
# One large 2h block from `strata block gen` (about 256 MB with the defaults), uploaded and
# downloaded with `strata bucket upload/download` to a FILESYSTEM bucket and to moto (S3),
# timed, with the peak RSS of each command (GNU time), and the download checked against meta.json.
# Usage: scripts/bench-objstore.sh [series] [interval]
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-28000}
INTERVAL=${2:-2s}
swift build -c release --product strata >/dev/null
S=.build/release/strata
W=$(mktemp -d)
MOTO_PID=
cleanup() { [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
$S block gen --out "$W/gen" --series "$SERIES" --days 0.0833 --interval "$INTERVAL" --end 2024-03-01T02:00:00Z --label cluster=bench >/dev/null 2>&1
BLOCK=$(ls -S "$W/gen" | head -1)
for b in $(ls "$W/gen"); do [ "$b" != "$BLOCK" ] && rm -rf "${W:?}/gen/$b"; done
MB=$(du -sm "$W/gen/$BLOCK" | cut -f1)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 & MOTO_PID=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.2; done
python3 - "$PORT" <<'PY'
import sys, boto3
boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", aws_access_key_id="k", aws_secret_access_key="s",
             region_name="us-east-1").create_bucket(Bucket="bench")
PY
FS=$'type: FILESYSTEM\nconfig:\n  directory: '"$W/fs-bucket"
S3=$'type: S3\nconfig:\n  bucket: bench\n  endpoint: 127.0.0.1:'"$PORT"$'\n  insecure: true\n  access_key: k\n  secret_key: s\n  region: us-east-1'
echo "## machine: $(nproc) cores, $(date -u +%F); block $BLOCK, ${MB} MB"
echo
echo "| bucket | upload MB/s | upload peak RSS | download MB/s | download peak RSS |"
echo "|---|---|---|---|---|"
run() { # prints "seconds maxrss_kb"
  /usr/bin/time -f '%e %M' -o "$W/time" "$@" >/dev/null 2>&1
  cat "$W/time"
}
for name in FILESYSTEM S3; do
  [ $name = FILESYSTEM ] && CFG=$FS || CFG=$S3
  read -r UT UR < <(run $S bucket upload --objstore.config "$CFG" "$W/gen/$BLOCK")
  rm -rf "$W/dl"; mkdir -p "$W/dl"
  read -r DT DR < <(run $S bucket download --objstore.config "$CFG" "$BLOCK" "$W/dl")
  cmp -s "$W/gen/$BLOCK/index" "$W/dl/$BLOCK/index" || { echo "downloaded index differs" >&2; exit 1; }
  echo "| $name | $(python3 -c "print(round($MB / $UT, 1))") | $((UR / 1024)) MB | $(python3 -c "print(round($MB / $DT, 1))") | $((DR / 1024)) MB |"
done
