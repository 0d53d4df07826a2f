#!/usr/bin/env bash
# Recogniser speed and accuracy: our transcriber and faster-whisper (CTranslate2, 30 s windows,
# greedy, 2 threads) on the same files in one invocation; prints per-file times, the ratio, the
# word error rate of each, and for streaming the time from the last sample to the final
# transcript (p50, p95).
#   scripts/bench-transcriber.sh [FILE...]      (default: the 32-clip test set)
# Needs the reference environment (../shared/reference/setup.sh) with jiwer installed in it.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) sed -n '2,7p' "$0"; exit 0 ;; esac
PY="${RT_REF_VENV:-$HOME/.cache/rt-reference/venv}/bin/python"
REF=../shared/reference/whisper_reference.py
[ -x "$PY" ] || { echo "error: reference venv missing; run ../shared/reference/setup.sh" >&2; exit 1; }
"$PY" -c "import jiwer" 2>/dev/null || "$PY" -m pip install -q jiwer
FIX=Tests/EngineTests/Fixtures/whisper
if [ $# -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(python3 -c "import json;[print('$FIX/audio/'+c['file']) for c in json.load(open('$FIX/corpus.json'))]")
fi
bin="$(scripts/build.sh 2>/dev/null)/realtime-daemon"
model="$("$bin" models path recognizer)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "faster-whisper (30 s windows) ..." >&2
"$PY" "$REF" transcribe --model "$model" "${files[@]}" > "$tmp/ref.jsonl"
echo "ours (windows sized to the audio) ..." >&2
"$bin" transcribe --json --threads 2 "${files[@]}" > "$tmp/ours.jsonl"
echo "ours, streaming at real-time pace ..." >&2
"$bin" transcribe --json --stream --threads 2 "${files[@]}" > "$tmp/stream.jsonl"
"$PY" - "$tmp" "$FIX/corpus.json" <<'PY'
import json, re, statistics, sys
import jiwer
tmp, corpus_path = sys.argv[1], sys.argv[2]
load = lambda name: [json.loads(l) for l in open(f"{tmp}/{name}.jsonl")]
ref, ours, stream = load("ref"), load("ours"), load("stream")
truth = {c["file"]: c["text"] for c in json.load(open(corpus_path))}
# The same normalisation as WordErrorRate.swift: case, punctuation, small numbers, spellings.
NUM = dict(zip("0 1 2 3 4 5 6 7 8 9 10 11 12 20 100".split(),
               "zero one two three four five six seven eight nine ten eleven twelve twenty hundred".split()))
SP = {"favourite": "favorite", "colour": "color", "centre": "center", "metre": "meter", "grey": "gray"}
def norm(t):
    words = re.sub(r"[^\w']+", " ", t.lower()).split()
    return " ".join(SP.get(NUM.get(w, w), NUM.get(w, w)) for w in words)
print(f"{'file':24} {'audio s':>8} {'fw s':>7} {'ours s':>7} {'ratio':>6} {'final ms':>9}")
ratios, short_ratios = [], []
for r, o, s in zip(ref, ours, stream):
    name = r["file"].split("/")[-1]
    ratio = r["seconds"] / max(o["seconds"], 1e-9)
    ratios.append(ratio)
    if r["audio_s"] <= 5: short_ratios.append(ratio)
    print(f"{name:24} {r['audio_s']:8.2f} {r['seconds']:7.3f} {o['seconds']:7.3f} {ratio:6.2f} {s['final_latency_s']*1000:9.0f}")
fw_total = sum(r["seconds"] for r in ref); our_total = sum(o["seconds"] for o in ours)
print(f"\ntotal: faster-whisper {fw_total:.2f} s, ours {our_total:.2f} s, ratio {fw_total/our_total:.2f}×; "
      f"median per-file ratio {statistics.median(ratios):.2f}× (utterances ≤ 5 s: {statistics.median(short_ratios) if short_ratios else float('nan'):.2f}×)")
names = [r["file"].split("/")[-1] for r in ref]
if all(n in truth for n in names):
    refs = [norm(truth[n]) for n in names]
    fw = jiwer.wer(refs, [norm(r["text"]) for r in ref]); wo = jiwer.wer(refs, [norm(o["text"]) for o in ours])
    ws = jiwer.wer(refs, [norm(s["text"]) for s in stream])
    print(f"WER (jiwer, normalised): faster-whisper {fw*100:.2f}%, ours {wo*100:.2f}% ({(wo-fw)*100:+.2f} points), ours streaming {ws*100:.2f}%")
lat = sorted(s["final_latency_s"] * 1000 for s in stream)
p = lambda q: lat[min(len(lat) - 1, int(round(q * (len(lat) - 1))))]
print(f"streaming: last sample → final transcript p50 {statistics.median(lat):.0f} ms, p95 {p(0.95):.0f} ms, max {lat[-1]:.0f} ms; "
      f"skipped cadence steps {sum(s['skipped_steps'] for s in stream)}")
PY
