#!/usr/bin/env bash
# Home Assistant's two usual Wyoming services and ours, on the same models and the same machine,
# in one invocation: wyoming-faster-whisper (faster-whisper on the same CTranslate2 Whisper
# weights, greedy, 2 threads) against our speech to text, wyoming-piper (piper-tts on the same
# voice) against our text to speech. Prints, per service, the median time from audio-stop to
# the transcript and from synthesize to the first audio chunk, and the ratios.
#   scripts/bench-wyoming.sh [--runs N]
# Installs the two reference services into ~/.cache/realtime-daemon/wyoming-ref (pip) the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
venv="${RTD_WYOMING_REF_VENV:-$HOME/.cache/realtime-daemon/wyoming-ref}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import wyoming_faster_whisper, wyoming_piper" 2>/dev/null \
  || "$venv/bin/pip" install --quiet --disable-pip-version-check "wyoming-faster-whisper==3.8.*" "wyoming-piper==2.5.*"
bin="$(scripts/build.sh)"
"$bin/realtime-daemon" models fetch --log-level warning >&2
whisper="$("$bin/realtime-daemon" models path recognizer)"
voice="$("$bin/realtime-daemon" models path voice)"
work="$(mktemp -d /tmp/rtd-wyoming.XXXXXX)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/voices"
cp "$voice" "$work/voices/"; cp "$voice.json" "$work/voices/"
voice_name="$(basename "$voice" .onnx)"
"$bin/rtbench" corpus --out "$work/corpus" --voices piper >/dev/null
files=("$work"/corpus/*.wav)
texts=("Sure, here you go." "The capital of France is Paris, a city of about two million people." \
       "It is sunny and twenty-one degrees, so you will not need an umbrella today.")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; echo "nothing listens on $1" >&2; exit 1; }

ours=$(free_port); fw=$(free_port); pp=$(free_port)
"$bin/realtime-daemon" serve --set server.port=0 --set audio.enabled=off --set wyoming.enabled=on --set wyoming.port="$ours" \
  --log-level warning 2>"$work/ours.log" &
"$venv/bin/python" -m wyoming_faster_whisper --uri "tcp://127.0.0.1:$fw" --model "$whisper" --data-dir "$work" --local-files-only \
  --stt-library faster-whisper --language en --beam-size 1 --cpu-threads 2 2>"$work/fw.log" &
"$venv/bin/python" -m wyoming_piper --uri "tcp://127.0.0.1:$pp" --voice "$voice_name" --data-dir "$work/voices" 2>"$work/piper.log" &
wait_port "$ours"; wait_port "$fw"; wait_port "$pp"
measure() { "$venv/bin/python" scripts/wyoming/measure.py "$@"; }
# One warm-up request each (model loading on first use), then the measured runs, alternating.
measure asr 127.0.0.1 "$fw" 1 "${files[0]}" >/dev/null; measure asr 127.0.0.1 "$ours" 1 "${files[0]}" >/dev/null
measure tts 127.0.0.1 "$pp" 1 "${texts[0]}" >/dev/null; measure tts 127.0.0.1 "$ours" 1 "${texts[0]}" >/dev/null
asr_ref=$(measure asr 127.0.0.1 "$fw" "$runs" "${files[@]}"); asr_ours=$(measure asr 127.0.0.1 "$ours" "$runs" "${files[@]}")
tts_ref=$(measure tts 127.0.0.1 "$pp" "$runs" "${texts[@]}"); tts_ours=$(measure tts 127.0.0.1 "$ours" "$runs" "${texts[@]}")
python3 - "$asr_ref" "$asr_ours" "$tts_ref" "$tts_ours" <<'PY'
import json, statistics, sys
asr_ref, asr_ours, tts_ref, tts_ours = map(json.loads, sys.argv[1:5])
med = statistics.median
print(f"{'':38} {'reference':>12} {'ours':>10} {'ratio':>8}")
a, b = med(asr_ref["ms"]), med(asr_ours["ms"])
print(f"{'audio-stop → transcript, median ms':38} {a:12.0f} {b:10.0f} {a / b:7.2f}×   (wyoming-faster-whisper, {len(asr_ref['ms'])} requests)")
a, b = med(tts_ref["first_ms"]), med(tts_ours["first_ms"])
print(f"{'synthesize → first audio, median ms':38} {a:12.0f} {b:10.0f} {a / b:7.2f}×   (wyoming-piper, {len(tts_ref['first_ms'])} requests)")
a, b = med(tts_ref["whole_ms"]), med(tts_ours["whole_ms"])
print(f"{'synthesize → audio-stop, median ms':38} {a:12.0f} {b:10.0f} {a / b:7.2f}×")
same = sum(x.strip().lower() == y.strip().lower() for x, y in zip(asr_ref["texts"], asr_ours["texts"]))
print(f"identical transcripts: {same} of {len(asr_ours['texts'])}")
PY
