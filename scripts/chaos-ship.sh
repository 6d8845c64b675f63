#!/usr/bin/env bash
# Soak of the sidecar shipper under kill -9 and S3 faults: a real Prometheus whose data dir
# gains blocks while strata-sidecar ships them and is SIGKILLed among its uploads; then one
# undisturbed sidecar must ship everything, each sample exactly once, no partial block.
# Usage: scripts/chaos-ship.sh [trials=200] [fault rate=0.10] [seed]
exec "$(dirname "$0")/chaos-run.sh" ChaosShipTests "${1:-200}" "${2:-0.10}" ${3:-}
