#!/usr/bin/env bash
# Reasoner speed: our engine and llama.cpp (llama-cpp-python) on the same GGUF, the same thread
# count and the same prompt lengths, in one invocation; prints tokens/s and the ratios, and each
# engine's time for a step of two sequences decoded together over one (scripts/llama-two-sequences.py):
# with caches of their own, and sharing the prompt's keys and values (as a reply's two streams do).
#   scripts/bench-reasoner.sh [--threads N] [--prompt-tokens "64 256"] [--gen-tokens N]
# Needs the reference environment: ../shared/reference/setup.sh --with-llama
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2; prompts="64 256"; gen=128
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --prompt-tokens) prompts="$2"; shift 2 ;;
    --gen-tokens) gen="$2"; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PY="${RT_REF_VENV:-$HOME/.cache/rt-reference/venv}/bin/python"
REF=../shared/reference/llm_reference.py
[ -x "$PY" ] || { echo "error: reference venv missing; run ../shared/reference/setup.sh --with-llama" >&2; exit 1; }
bin="$(scripts/build.sh 2>/dev/null)/realtime-daemon"
model="$("$bin" models path reasoner)"
printf '%-8s %-8s %12s %12s %12s %12s %9s %9s %10s %10s %12s %12s\n' threads prompt "ours pre/s" "llama pre/s" "ours dec/s" "llama dec/s" "pre ×" "dec ×" "2-seq ×" "llama 2-seq ×" "shared 2-seq ×" "llama shared ×"
for p in $prompts; do
  ref=$("$PY" "$REF" bench --model "$model" --threads "$threads" --prompt-tokens "$p" --gen-tokens "$gen" 2>/dev/null | tail -1)
  ref2=$("$PY" scripts/llama-two-sequences.py --model "$model" --threads "$threads" --prompt-tokens "$p" --gen-tokens "$gen" 2>/dev/null | tail -1)
  ours=$("$bin" bench reasoner --model "$model" --threads "$threads" --prompt-tokens "$p" --gen-tokens "$gen" --json)
  python3 - "$threads" "$p" "$ref" "$ours" "$ref2" <<'PY'
import json, sys
t, p, ref, ours, ref2 = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), json.loads(sys.argv[5])
rp, rd = ref["prefill_tokens_per_s"], ref["decode_tokens_per_s"]
op, od = ours["prefill_tokens_per_s"], ours["decode_tokens_per_s"]
print(f"{t:<8} {p:<8} {op:12.1f} {rp:12.1f} {od:12.1f} {rd:12.1f} {op/rp:9.2f} {od/rd:9.2f} {ours['two_sequence_step_ratio']:10.2f} {ref2['two_sequence_step_ratio']:10.2f}"
      f" {ours['two_sequence_shared_prompt_step_ratio']:12.2f} {ref2['two_sequence_shared_prompt_step_ratio']:12.2f}")
for key, what in [("two_sequence_step_ratio", "own caches"), ("two_sequence_shared_prompt_step_ratio", "sharing the prompt")]:
    q = ours[key + "_quartiles"]
    print(f"         two sequences ({what}), ours: median {ours[key]} (quartiles {q[0]}–{q[1]}) of one step at the same position", file=sys.stderr)
print(f"         resident memory with the model loaded (ours): {ours['resident_mb']} MB", file=sys.stderr)
PY
done
