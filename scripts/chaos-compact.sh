#!/usr/bin/env bash
# Soak of the compactor under kill -9 and S3 faults (docs/operations.md, "Crash and fault
# tolerance"): rounds of HA-replica uploads (`strata bucket upload`, killed too), compactors
# (compaction, vertical dedup, downsampling, retention, deletion with --delete-delay 0s, some
# rounds two at once) SIGKILLed at random until one completes a pass, a last pass, a killed
# `strata bucket cleanup`, then the invariants read back with promtool.
# Usage: scripts/chaos-compact.sh [trials=200] [fault rate=0.10] [seed]
exec "$(dirname "$0")/chaos-run.sh" ChaosCompactTests "${1:-200}" "${2:-0.10}" ${3:-}
