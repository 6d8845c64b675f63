#!/usr/bin/env bash
# The one test command (see README.md): builds everything and runs every test target.
# Under CI=true a missing real component (promtool, prometheus, moto, ...) fails its test.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build
