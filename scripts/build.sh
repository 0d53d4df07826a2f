#!/usr/bin/env bash
# The one build configuration of every script (set-up, tests, benchmarks, latency), so that each
# reuses what another built instead of compiling everything again: optimised (the models are
# compute-heavy), with -enable-testing so that the test targets can @testable-import.
#   scripts/build.sh [PRODUCT...]   builds the products (default: realtime-daemon rtbench) and
#                                    prints the directory holding the binaries
#   scripts/build.sh --flags        prints the flags, for `swift test $(scripts/build.sh --flags)`
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-c release -Xswiftc -enable-testing)
if [ "${1:-}" = "--flags" ]; then echo "${flags[@]}"; exit 0; fi
[ $# -gt 0 ] || set -- realtime-daemon rtbench
for product in "$@"; do
  swift build "${flags[@]}" --product "$product" >&2
done
swift build "${flags[@]}" --show-bin-path
