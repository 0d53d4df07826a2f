#!/usr/bin/env bash
# The one build of every script (set-up, tests, benchmarks, latency, soak): optimised (the models
# are compute-heavy) and with -enable-testing, everything at once, products and tests. One
# configuration means no script rebuilds what another built (`swift build --product` and
# `swift test` each rebuild the other's objects); the tests then run with `swift test --skip-build`.
#   scripts/build.sh            builds everything; prints the directory holding the binaries
#   scripts/build.sh --flags    prints the flags, for `swift test $(scripts/build.sh --flags) --skip-build`
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-c release -Xswiftc -enable-testing)
if [ "${1:-}" = "--flags" ]; then echo "${flags[@]}"; exit 0; fi
swift build "${flags[@]}" --build-tests >&2
swift build "${flags[@]}" --show-bin-path
