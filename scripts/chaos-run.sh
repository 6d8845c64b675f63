#!/usr/bin/env bash
# Shared by scripts/chaos-*.sh: runs one chaos system test in soak mode and prints its
# summary line. The tests are the same ones CI runs in short mode
# (Tests/StrataSystemTests/Chaos*Tests.swift); here CHAOS_TRIALS, CHAOS_FAULTS and
# CHAOS_SEED make them long. Needs moto_server and promtool (and prometheus for the shipper).
# Usage: scripts/chaos-run.sh <TestSuite> <trials> <fault rate, e.g. 0.10> [seed]
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE=$1 TRIALS=$2 FAULTS=$3 SEED=${4:-$RANDOM$RANDOM}
export PATH=/opt/swift/usr/bin:$PATH
swift build --build-tests >/dev/null
SUMMARY=$(mktemp)
LOG=$(mktemp --suffix=.log)
trap 'rm -f "$SUMMARY"' EXIT
set +e
CI=true CHAOS_TRIALS=$TRIALS CHAOS_FAULTS=$FAULTS CHAOS_SEED=$SEED CHAOS_SUMMARY=$SUMMARY \
  swift test --skip-build --no-parallel --filter "$SUITE" >"$LOG" 2>&1
STATUS=$?
set -e
cat "$SUMMARY"
if [ $STATUS -ne 0 ]; then
  echo "FAILED (exit $STATUS); invariant violations and logs in $LOG" >&2
  grep -E "Expectation failed|recorded an issue" -A12 "$LOG" | head -80 >&2
fi
exit $STATUS
