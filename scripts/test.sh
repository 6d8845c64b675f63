#!/usr/bin/env bash
# The one test command (see README.md): builds everything and runs every test target.
# Under CI=true a missing real component (promtool, prometheus, moto, ...) fails its test.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
# Suites run one at a time: many start real servers in-process and the cooperative pool has
# one thread per core (2 in CI), so parallel suites starve each other into timeouts.
swift test --skip-build --no-parallel
