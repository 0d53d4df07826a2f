#!/usr/bin/env bash
# Soak test: the real daemon under N sessions at real-time pace for M minutes, with normal turns,
# barge-ins, truncates, abrupt disconnects, clients that stop reading and malformed frames mixed
# in (scripts/soak/driver.py). Samples resident memory, open files, threads and /metrics, and
# fails on growth, on a session left open, or on a turn lost without response.done or an error.
#   scripts/soak.sh [--sessions 4] [--minutes 60] [--out DIR]
# CI runs `scripts/soak.sh --sessions 2 --minutes 2`.
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=4; minutes=60; out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sessions) sessions="$2"; shift 2 ;;
    --minutes) minutes="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
venv="${RTD_TEST_VENV:-$HOME/.cache/realtime-daemon/test-venv}"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; }
"$venv/bin/python" -c "import websockets, numpy" 2>/dev/null || "$venv/bin/python" -m pip install --quiet "websockets>=13" numpy
bin="$(scripts/build.sh)"
"$bin/realtime-daemon" models fetch --log-level warning >&2
work="${out:-$(mktemp -d /tmp/rtd-soak.XXXXXX)}"
mkdir -p "$work"
[ -d "$work/corpus" ] || "$bin/rtbench" corpus --out "$work/corpus" --count 6 >/dev/null
"$bin/realtime-daemon" serve --set server.port=0 --set audio.enabled=off --set server.max_sessions=$((sessions + 2)) \
  --log-level info 2> "$work/daemon.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
port=""
for _ in $(seq 300); do
  port="$(grep -o 'ws://127.0.0.1:[0-9]*' "$work/daemon.log" | head -1 | cut -d: -f3 || true)"
  [ -n "$port" ] && break
  kill -0 $daemon 2>/dev/null || { cat "$work/daemon.log" >&2; echo "the daemon exited" >&2; exit 1; }
  sleep 0.2
done
[ -n "$port" ] || { echo "the daemon did not start" >&2; exit 1; }
status=0
"$venv/bin/python" scripts/soak/driver.py --url "ws://127.0.0.1:$port/v1/realtime" --pid $daemon --corpus "$work/corpus" \
  --sessions "$sessions" --minutes "$minutes" --json "$work/soak.json" || status=$?
kill -0 $daemon 2>/dev/null || { echo "FAIL: the daemon exited during the soak" >&2; status=1; }
echo "report: $work/soak.json; daemon log: $work/daemon.log"
exit $status
