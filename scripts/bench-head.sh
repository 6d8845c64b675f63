#!/usr/bin/env bash
# The head with its WAL (issue 21, item 1), release build: append throughput with the WAL on
# (fsync per commit, Strata's default, and Prometheus's write-without-fsync) and memory per
# active series, on scrape-like data (every series one sample per 15 s "scrape", appended by
# ref after the first scrape). The data dir is created under the current directory (a real
# disk: fsync on tmpfs would cost nothing) and removed afterwards.
# Usage: scripts/bench-head.sh [series] [scrapes] [batch]   (defaults 100000 120 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES="${1:-100000}"; SCRAPES="${2:-120}"; BATCH="${3:-10000}"
swift build -c release --product strata >/dev/null
S=.build/release/strata

echo "## machine: $(nproc) cores, $(uname -m), $(date -u +%F); disk: $(df -T . | awk 'NR==2 {print $2}')"
for sync in batch never; do
  echo
  echo "### --sync $sync, commits of $BATCH samples"
  $S bench head --series "$SERIES" --scrapes "$SCRAPES" --batch "$BATCH" --sync "$sync"
done
echo
echo "### --sync batch, commits of 1000 samples (a small remote-write request or rule group)"
$S bench head --series "$SERIES" --scrapes 20 --batch 1000 --sync batch
