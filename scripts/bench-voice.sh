#!/usr/bin/env bash
# Voice speed: our Swift VITS and piper-tts/onnxruntime (2 threads) on the same text and voice in
# one invocation, both with noise scales 0 so they produce the same audio; prints real-time
# factors (compute seconds per second of speech, lower is faster) and the ratio, and the time
# from a short clause's text to our first audio chunk.
#   scripts/bench-voice.sh [--runs N]
# Needs the reference environment (../shared/reference/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PY="${RT_REF_VENV:-$HOME/.cache/rt-reference/venv}/bin/python"
REF=../shared/reference/piper_reference.py
[ -x "$PY" ] || { echo "error: reference venv missing; run ../shared/reference/setup.sh" >&2; exit 1; }
bin="$(scripts/build.sh 2>/dev/null)/realtime-daemon"
voice="$("$bin" models path voice)"
text="Hello there, how can I help you today? The weather in Paris is sunny and warm, with a light breeze from the west. \
I think the answer is forty two, but let me check that for you. Turn left at the second traffic light, then keep going \
for about two hundred metres. Water boils at one hundred degrees Celsius at sea level."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '%-5s %12s %12s %8s %16s\n' run "ours RTF" "onnx RTF" "ratio" "first chunk ms"
for r in $(seq "$runs"); do
  ref=$("$PY" "$REF" synth --voice "$voice" --out "$tmp/ref.wav" --noise-scale 0 --noise-w 0 "$text" | tail -1)
  ours=$("$bin" speak --json --deterministic --threads 2 --voice "$voice" --out "$tmp/ours.wav" "$text")
  short=$("$bin" speak --json --deterministic --threads 2 --voice "$voice" --out "$tmp/short.wav" "Sure, here you go.")
  python3 - "$r" "$ref" "$ours" "$short" <<'PY'
import json, sys
r, ref, ours, short = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
print(f"{r:<5} {ours['real_time_factor']:12.4f} {ref['rtf']:12.4f} {ref['rtf'] / ours['real_time_factor']:7.2f}× {short['first_chunk_ms']:16.1f}")
PY
done
echo "(ratio > 1: ours is faster; RTF includes phonemisation on both sides; first chunk: the clause \"Sure, here you go.\")"
