#!/usr/bin/env bash
# Turn-taking, both sides, in one invocation: the daemon's two turn detectors (server_vad's fixed
# 450 ms of silence, and semantic_vad, which ends a finished sentence sooner and waits longer
# for an unfinished one) on the turn-taking corpus (`rtbench corpus --turn-taking`: complete
# questions and statements, and unfinished utterances with pauses of 400, 700 and 1000 ms
# inside, spoken by Piper and espeak-ng at several speeds). Every utterance gets a fresh session
# (no history), speak_first, Opus on the wire.
#
# Then interruptions: rtbench's spoken questions in one session, asking for long stories, each
# spoken over the story before 0.5 s after its first audio (barge_in_noticed_ms: from the first sample of
# the interrupting speech sent to speech_started received, when a client stops playing;
# barge_in_stop_ms: to the last reply audio received; barge_in_cancel_ms: to the reply's
# response.done, cancelled once the words are known).
#
#   scripts/bench-turns.sh [--detectors server_vad,semantic_vad] [--eagerness auto] [--no-barge-in] [--out DIR]
#
# Prints rtbench's table (first packet and the other latencies per detector), the turns cut
# early (ended at a pause inside, before the last word) for each kind of utterance, and the
# first packet on the complete ones; then the barge-in table. DIR (default: a new directory
# under /tmp) keeps the corpora and the reports. About 30 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
detectors=server_vad,semantic_vad
eagerness=()
barge_in=1
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --detectors) detectors="$2"; shift 2 ;;
    --eagerness) eagerness=(--eagerness "$2"); shift 2 ;;
    --no-barge-in) barge_in=0; shift ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
bin="$(scripts/build.sh)"
"$bin/realtime-daemon" models fetch --log-level warning >&2
work="${out:-$(mktemp -d /tmp/rtd-turns.XXXXXX)}"
mkdir -p "$work"
echo "# $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p'), $(nproc) cores"
[ -d "$work/corpus" ] || "$bin/rtbench" corpus --turn-taking --out "$work/corpus" >/dev/null

port=$((20000 + RANDOM % 20000))
"$bin/realtime-daemon" serve --set server.port=$port --set audio.enabled=off --log-level warning &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "the daemon did not start" >&2; exit 1; }

"$bin/rtbench" run "$work/corpus" --url "ws://127.0.0.1:$port/v1/realtime" --format opus --mode speak_first \
  --turn-detection "$detectors" "${eagerness[@]}" --session-per-utterance \
  --json "$work/turns.json" --csv "$work/turns.csv" --svg "$work/turns.svg"
if [ "$barge_in" = 1 ]; then
  [ -d "$work/questions" ] || "$bin/rtbench" corpus --out "$work/questions" >/dev/null
  "$bin/rtbench" run "$work/questions" --url "ws://127.0.0.1:$port/v1/realtime" --format opus --mode speak_first \
    --barge-in-after 0.5 --instructions "You are a storyteller. Answer every question with a long story of many sentences." \
    --label barge-in --json "$work/barge-in.json" --csv "$work/barge-in.csv"
fi
echo "# corpus and reports: $work"
