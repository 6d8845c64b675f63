#!/usr/bin/env bash
# Soak of strata-store and strata-query through S3 faults (the rate as 500s, plus 30% of it
# as answers lost after forwarding: 0.10 → 10% + 3%): every answer exact or partial with a
# warning, no crash, no fd growth, the store SIGKILLed mid-sequence serving again within its
# cold-start time.
# Usage: scripts/chaos-store.sh [queries=300] [fault rate=0.10] [seed]
exec "$(dirname "$0")/chaos-run.sh" ChaosStoreTests "${1:-300}" "${2:-0.10}" ${3:-}
