#!/usr/bin/env bash
# How often the daemon's replies are right, per reasoning mode, next to their first-packet
# latency: `rtbench accuracy` (spoken questions with checkable answers, after Big Bench Audio's
# speech-to-speech format) against the daemon with the embedded engine, in one invocation with
# the same model answering the text on its own (the bar) and every mode answering the truth
# transcripts. With --remote, then against the daemon with reply.engine=remote pointing at
# llama.cpp's OpenAI-compatible server (llama-cpp-python[server]) serving the same GGUF.
#
#   scripts/bench-accuracy.sh [--split held_out|tuning|all] [--speeds 1,1.25] [--modes LIST]
#                             [--count N] [--text-only] [--before] [--remote] [--out DIR]
#
# --before first runs the same questions against the configuration the daemon had before its
# accuracy work (the short-answer system prompt, repetition penalty 1.2, an answer that reads
# 64 tokens of thoughts), so that accuracy and first-packet latency are compared in one run.
#
# The held-out split (the default) is what the README reports; the tuning split is for changing
# prompts and settings. Needs a Python with llama-cpp-python[server] for --remote
# ($RTD_TEST_PYTHON; scripts/test.sh makes one). About 40 minutes on 2 cores for the default run
# (138 spoken turns), 3 with --text-only.
set -euo pipefail
cd "$(dirname "$0")/.."
split=held_out
speeds=1,1.25
modes=speak_first,think_first,think_before_speaking
text_only=""
before=""
count=()
remote=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --split) split="$2"; shift 2 ;;
    --speeds) speeds="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --text-only) text_only="--text-only"; shift ;;
    --before) before=1; shift ;;
    --count) count=(--count "$2"); shift 2 ;;
    --remote) remote=1; shift ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
bin="$(scripts/build.sh)"
work="${out:-$(mktemp -d /tmp/rtd-accuracy.XXXXXX)}"
mkdir -p "$work"
echo "# $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p'), $(nproc) cores"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
wait_for() { for _ in $(seq 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not up: $1" >&2; exit 1; }
daemon_port=$((20000 + RANDOM % 10000))
llama_port=$((30000 + RANDOM % 10000))

# 0. With --before: the embedded engine as it was configured before the accuracy work.
if [ -n "$before" ]; then
  "$bin/realtime-daemon" serve --set server.port=$daemon_port --set audio.enabled=off --log-level warning \
    --set reply.repetition_penalty=1.2 --set reply.answer_reads_thoughts=on --set reply.max_reasoning_tokens=64 &
  pids+=($!)
  wait_for "http://127.0.0.1:$daemon_port/healthz"
  "$bin/rtbench" accuracy --url "ws://127.0.0.1:$daemon_port/v1/realtime" --split "$split" --speeds "$speeds" --mode "$modes" \
    "${count[@]}" $text_only --no-bare-model --label embedded-before --json "$work/embedded-before.json" \
    --instructions "You are a friendly voice assistant. Answer in one or two short, plain sentences."
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
fi

# 1. The embedded engine, with the bare model's answers to the text.
"$bin/realtime-daemon" serve --set server.port=$daemon_port --set audio.enabled=off --log-level warning &
pids+=($!)
wait_for "http://127.0.0.1:$daemon_port/healthz"
"$bin/rtbench" accuracy --url "ws://127.0.0.1:$daemon_port/v1/realtime" --split "$split" --speeds "$speeds" --mode "$modes" \
  "${count[@]}" $text_only --label embedded --json "$work/embedded.json"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

[ -z "$remote" ] && { echo "# report: $work/embedded.json"; exit 0; }

# 2. The remote engine (its text path) against llama.cpp's server with the same weights and its
#    own chat template, greedy, on one core (the other is left to the daemon). Its KV cache is
#    kept in 32-bit floats, as the embedded engine keeps it: llama.cpp's default (16-bit) changes
#    SmolLM2-135M's answers wherever its top two tokens are close (docs/accuracy.md).
python="${RTD_TEST_PYTHON:-$HOME/.cache/realtime-daemon/test-venv/bin/python}"
"$python" -c "import llama_cpp.server" 2>/dev/null || { echo "--remote needs llama-cpp-python[server] in $python (run scripts/test.sh, or set RTD_TEST_PYTHON)" >&2; exit 1; }
gguf="$("$bin/realtime-daemon" models path reasoner)"
[ -d "$gguf" ] && gguf="$(ls "$gguf"/*.gguf | head -1)"
"$python" -m llama_cpp.server --model "$gguf" --host 127.0.0.1 --port $llama_port --n_ctx 2048 --n_threads 1 --type_k 0 --type_v 0 \
  --model_alias smollm2 --interrupt_requests False >"$work/llama-server.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$llama_port/v1/models"
"$bin/realtime-daemon" serve --set server.port=$daemon_port --set audio.enabled=off --log-level warning \
  --set reply.engine=remote --set remote.url=http://127.0.0.1:$llama_port/v1 --set remote.model=smollm2 --set remote.temperature=0 &
pids+=($!)
wait_for "http://127.0.0.1:$daemon_port/healthz"
"$bin/rtbench" accuracy --url "ws://127.0.0.1:$daemon_port/v1/realtime" --split "$split" --speeds "$speeds" --mode speak_first \
  "${count[@]}" $text_only --no-bare-model --label remote-llama.cpp --json "$work/remote.json"
echo "# reports: $work/embedded.json $work/remote.json"
