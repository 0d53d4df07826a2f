#!/usr/bin/env bash
# Command 2 of the README, and what CI runs (.ci/run): system packages, models, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || { echo "error: Swift 6 toolchain not found on PATH (see README, Requirements)" >&2; exit 1; }
scripts/install-system-packages.sh
# Optimised build (the models are compute-heavy; DESIGN.md): the tests run against it, with
# -enable-testing so that test targets may use @testable imports.
flags=(-c release -Xswiftc -enable-testing)
swift build "${flags[@]}" --product realtime-daemon
"$(swift build "${flags[@]}" --show-bin-path)/realtime-daemon" models fetch
swift test "${flags[@]}"
