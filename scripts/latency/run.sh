#!/usr/bin/env bash
# The one-command latency benchmark: builds the daemon and rtbench if needed, writes the built-in
# spoken corpus (22 questions, Piper and espeak-ng voices), starts the daemon on a free loopback
# port, and runs rtbench against it: every reasoning mode one after another, then N sessions at
# once. Prints rtbench's table (p50/p90/p95/p99/max per metric, failures named) and the daemon's
# resident memory.
#
#   scripts/latency/run.sh [--modes "speak_first think_first think_before_speaking"] [--concurrent 4]
#                          [--voices piper,espeak:en-us,...] [--out DIR]
#
# DIR (default: a new directory under /tmp, printed at the end) keeps the corpus, the reports
# (modes.json, concurrent.json, CSV) and the plots (*.svg).
set -euo pipefail
cd "$(dirname "$0")/../.."
modes="speak_first think_first think_before_speaking"
concurrent=4
voices=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --modes) modes="$2"; shift 2 ;;
    --concurrent) concurrent="$2"; shift 2 ;;
    --voices) voices="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
bin="$(scripts/build.sh)"
"$bin/realtime-daemon" models fetch --log-level warning >&2

work="${out:-$(mktemp -d /tmp/rtd-latency.XXXXXX)}"
mkdir -p "$work"
"$bin/rtbench" corpus --out "$work/corpus" ${voices:+--voices "$voices"} >/dev/null

port=$((20000 + RANDOM % 20000))
"$bin/realtime-daemon" serve --set server.port=$port --set audio.enabled=off \
  --set server.max_sessions=$((concurrent > 4 ? concurrent : 4)) --log-level warning &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "the daemon did not start" >&2; exit 1; }
url="ws://127.0.0.1:$port/v1/realtime"

"$bin/rtbench" run "$work/corpus" --url "$url" --mode "$(echo $modes | tr ' ' ',')" \
  --json "$work/modes.json" --csv "$work/modes.csv" --svg "$work/modes.svg"
if [ "$concurrent" -gt 1 ]; then
  echo
  "$bin/rtbench" run "$work/corpus" --url "$url" --mode speak_first --sessions "$concurrent" \
    --label "speak_first x$concurrent" --json "$work/concurrent.json" --csv "$work/concurrent.csv" --svg "$work/concurrent.svg"
fi
echo
echo "# daemon memory: $(grep -E 'VmHWM|VmRSS' /proc/$daemon/status | tr -s ' \t' ' ' | tr '\n' ' ')"
echo "# corpus, reports and plots: $work"
