#!/usr/bin/env bash
# First-packet latency through the remote engine's text path next to the embedded engine, on the
# same spoken questions: rtbench's built-in corpus against the daemon with the embedded SmolLM2,
# then against the daemon with reply.engine=remote pointing at llama.cpp's OpenAI-compatible
# server (llama-cpp-python[server]) serving the same SmolLM2 GGUF on one core of this machine (the
# other is left to the daemon: a real remote has its own hardware). Prints one
# rtbench table with both configurations.
#
#   scripts/latency/remote.sh [--mode speak_first] [--count N] [--out DIR]
#
# Needs a Python with llama-cpp-python[server] ($RTD_TEST_PYTHON; scripts/test.sh makes one).
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=speak_first
count=22
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
python="${RTD_TEST_PYTHON:-$HOME/.cache/realtime-daemon/test-venv/bin/python}"
"$python" -c "import llama_cpp.server" 2>/dev/null || { echo "needs llama-cpp-python[server] in $python (run scripts/test.sh, or set RTD_TEST_PYTHON)" >&2; exit 1; }
bin="$(scripts/build.sh)"
gguf="$("$bin/realtime-daemon" models path reasoner)"
[ -d "$gguf" ] && gguf="$(ls "$gguf"/*.gguf | head -1)"
work="${out:-$(mktemp -d /tmp/rtd-remote.XXXXXX)}"
mkdir -p "$work"
"$bin/rtbench" corpus --out "$work/corpus" --count "$count" >/dev/null

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
wait_for() { for _ in $(seq 150); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not up: $1" >&2; exit 1; }
daemon_port=$((20000 + RANDOM % 10000))
llama_port=$((30000 + RANDOM % 10000))

# 1. The embedded engine.
"$bin/realtime-daemon" serve --set server.port=$daemon_port --set audio.enabled=off --log-level warning &
pids+=($!)
wait_for "http://127.0.0.1:$daemon_port/healthz"
"$bin/rtbench" run "$work/corpus" --url "ws://127.0.0.1:$daemon_port/v1/realtime" --mode "$mode" --label embedded \
  --quiet --json "$work/embedded.json" >/dev/null
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

# 2. The remote engine, text mode, against llama.cpp's server with the same weights and threads.
"$python" -m llama_cpp.server --model "$gguf" --host 127.0.0.1 --port $llama_port --n_ctx 2048 --n_threads 1 \
  --chat_format chatml --model_alias smollm2 --interrupt_requests False >"$work/llama-server.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$llama_port/v1/models"
"$bin/realtime-daemon" serve --set server.port=$daemon_port --set audio.enabled=off --log-level warning \
  --set reply.engine=remote --set remote.url=http://127.0.0.1:$llama_port/v1 --set remote.model=smollm2 &
pids+=($!)
wait_for "http://127.0.0.1:$daemon_port/healthz"
"$bin/rtbench" run "$work/corpus" --url "ws://127.0.0.1:$daemon_port/v1/realtime" --mode "$mode" --label remote-text \
  --quiet --json "$work/remote.json" >/dev/null
echo "# remote metrics: $(curl -s "http://127.0.0.1:$daemon_port/metrics" | grep -E '^rtd_remote_(first_token_seconds_(sum|count)|errors_total)' | tr '\n' ' ')"

"$bin/rtbench" report "$work/embedded.json" "$work/remote.json" --svg "$work/remote-vs-embedded.svg"
echo "# reports and plot: $work"
