#!/usr/bin/env bash
# End-to-end latency of the daemon, measured as a client sees it: 22 spoken questions sent at
# real-time pace over the WebSocket protocol, for each reasoning mode, then 4 sessions at once.
# Prints, per mode, p50/p95 of the time from the last sample of speech sent to the first reply
# audio received, and the daemon's resident memory.
#
#   scripts/latency/run.sh [--modes "speak_first think_first think_before_speaking"] [--concurrent 4] [--out DIR]
#
# Every turn (transcript, reasoning, answer, timings) is kept as JSON lines in DIR (default: a
# new directory under /tmp, printed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."
modes="speak_first think_first think_before_speaking"
concurrent=4
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --modes) modes="$2"; shift 2 ;;
    --concurrent) concurrent="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bin="$(swift build -c release --show-bin-path)/realtime-daemon"
[ -x "$bin" ] || { echo "build first: swift build -c release" >&2; exit 1; }
python="${RTD_PYTHON:-$HOME/.cache/rt-reference/venv/bin/python}"
"$python" -c "import websockets, numpy" 2>/dev/null || { echo "needs a Python with websockets and numpy (RTD_PYTHON)" >&2; exit 1; }

work="${out:-$(mktemp -d /tmp/rtd-latency.XXXXXX)}"
mkdir -p "$work"
daemon=""
trap '[ -n "$daemon" ] && kill $daemon 2>/dev/null || true' EXIT
echo "# corpus: $(wc -l < scripts/latency/questions.txt) questions spoken by the Piper voice" >&2
n=0
while IFS= read -r question; do
  n=$((n + 1))
  "$bin" speak "$question" --out "$work/q$(printf %02d $n).wav" --rate 24000 --log-level error
done < scripts/latency/questions.txt

port=$((20000 + RANDOM % 20000))
"$bin" serve --set server.port=$port --set audio.enabled=off --set server.max_sessions=$concurrent --log-level warning &
daemon=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
url="ws://127.0.0.1:$port/v1/realtime"

for mode in $modes; do
  "$python" scripts/latency/realtime_turns.py --url "$url" --mode "$mode" "$work"/q*.wav > "$work/$mode.jsonl"
  tail -1 "$work/$mode.jsonl"
done

if [ "$concurrent" -gt 1 ]; then
  for i in $(seq "$concurrent"); do
    "$python" scripts/latency/realtime_turns.py --url "$url" --mode speak_first $(ls "$work"/q*.wav | sed -n "$i~$concurrent p") > "$work/concurrent-$i.jsonl" &
  done
  for job in $(jobs -p); do [ "$job" = "$daemon" ] || wait "$job" || true; done
  cat "$work"/concurrent-*.jsonl | "$python" -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.startswith("{")]
lat = sorted(r["first_packet_ms"] for r in rows if "first_packet_ms" in r)
errors = [e.get("code", "") for r in rows for e in r.get("errors", [])]
q = statistics.quantiles(lat, n=20, method="inclusive") if len(lat) > 1 else lat * 19
print(f"# concurrent={sys.argv[1]} turns={len(rows)} answered={len(lat)} first_packet_ms p50={statistics.median(lat):.0f} p95={q[18]:.0f} errors={errors}")
' "$concurrent"
fi
echo "# daemon memory: $(grep -E 'VmHWM|VmRSS' /proc/$daemon/status | tr -s ' \t' ' ' | tr '\n' ' ')"
echo "# every turn: $work/*.jsonl"
