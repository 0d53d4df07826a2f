#!/usr/bin/env bash
# Command 2 of the README, and what CI runs (.ci/run): system packages, models, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || { echo "error: Swift 6 toolchain not found on PATH (see README, Requirements)" >&2; exit 1; }
scripts/install-system-packages.sh --with-browser
scripts/start-avahi.sh
# Clients and servers we did not write, for the live tests: the openai SDK's realtime client and
# its Realtime types, the OpenAI Agents SDK, the wyoming client (Home Assistant's protocol) and
# python-zeroconf (how Home Assistant discovers services), Playwright to drive Debian's Chromium
# (its own browser downloads are not used), and llama.cpp's OpenAI-compatible server for the
# remote engine (built from source by pip the first time).
venv="${RTD_TEST_VENV:-$HOME/.cache/realtime-daemon/test-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "openai>=2.0" "websockets>=13" numpy "playwright>=1.50" \
  "llama-cpp-python[server]==0.3.36" "openai-agents>=0.24,<0.25" "wyoming>=1.10,<1.11" "zeroconf>=0.130"
export RTD_TEST_PYTHON="$venv/bin/python"
# The same optimised build as command 1 (scripts/build.sh), so a machine set up with it
# compiles only the test targets here.
read -r -a flags <<< "$(scripts/build.sh --flags)"
bin="$(scripts/build.sh)/realtime-daemon"
"$bin" models fetch
# The tests' own process runs models too: give it the kernels the daemon would choose (the
# daemon's processes choose for themselves; a value set by the user wins).
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  core="$("$bin" doctor --json --no-benchmark --set audio.enabled=off 2>/dev/null | python3 -c 'import json,sys; b=json.load(sys.stdin)["blas"]; print(b["core"] if b["source"]=="chosen" else "")' || true)"
  [ -n "$core" ] && export OPENBLAS_CORETYPE="$core" && echo "tests run OpenBLAS's $core kernels (chosen for this processor)"
fi
# One test at a time: most tests run the real models, daemons, a browser or llama.cpp's server on
# two cores, and run side by side they starved each other (and the test process's two
# cooperative threads) for tens of seconds, which made live timings meaningless. Serially the
# whole run takes about as long (~4 min here).
swift test "${flags[@]}" --skip-build --no-parallel
# Fuzzing (libFuzzer) of client input and model files, a minute or less per target, and a short
# soak of the real daemon; the long versions are `scripts/fuzz.sh --seconds 3600` and
# `scripts/soak.sh --sessions 4 --minutes 60`.
scripts/fuzz.sh --seconds "${RTD_FUZZ_SECONDS:-45}"
scripts/soak.sh --sessions 2 --minutes 2
