#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, with AddressSanitizer) of what clients and files feed the
# daemon: client events, audio input (base64 PCM, Opus), and the GGUF, CTranslate2 and ONNX
# readers. Each target starts from the committed seeds in Fuzz/corpus/<target>; inputs that find
# new paths go to a scratch corpus, crashes to Fuzz/crashes/<target>/ (replay one with
# `rtd-fuzz TARGET FILE` in an ordinary build). Prints executions and crashes per target.
#   scripts/fuzz.sh [--seconds 60] [TARGET...]    (targets: client-event audio-input gguf ctranslate2 onnx)
# CI runs each target for a minute; a longer hunt is e.g. `scripts/fuzz.sh --seconds 3600 gguf`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(client-event audio-input gguf ctranslate2 onnx)
flags=(-c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DRTD_FUZZING)
echo "building the fuzzer (instrumented; a few minutes the first time)..." >&2
swift build "${flags[@]}" --product rtd-fuzz >&2
fuzzer="$(swift build "${flags[@]}" --show-bin-path)/rtd-fuzz"
status=0
printf '%-14s %12s %10s %8s %s\n' target executions "exec/s" crashes corpus
for target in "${targets[@]}"; do
  [ -d "Fuzz/corpus/$target" ] || { echo "unknown target $target" >&2; exit 2; }
  work="$(mktemp -d /tmp/rtd-fuzz-$target.XXXXXX)"
  mkdir -p "Fuzz/crashes/$target"
  log="$work/fuzz.log"
  RTD_FUZZ_TARGET="$target" "$fuzzer" "$work" "Fuzz/corpus/$target" -max_total_time="$seconds" -rss_limit_mb=4096 \
    -max_len=1048576 -timeout=10 -artifact_prefix="Fuzz/crashes/$target/" -print_final_stats=1 > "$log" 2>&1 || true
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)"
  rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)"
  crashes="$(find "Fuzz/crashes/$target" -type f | wc -l)"
  printf '%-14s %12s %10s %8s %s\n' "$target" "$runs" "$rate" "$crashes" "$(ls "$work" | wc -l) inputs"
  if [ "$crashes" -gt 0 ] || grep -q "ERROR: libFuzzer\|ERROR: AddressSanitizer\|Fatal error" "$log"; then
    status=1
    grep -m 5 -A 20 "ERROR\|Fatal error" "$log" >&2 || true
  fi
done
exit $status
