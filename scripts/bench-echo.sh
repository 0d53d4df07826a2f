#!/usr/bin/env bash
# The echo canceller's figures, as the README reports them:
#  - the simulated room offline (EchoCancellerTests, EchoAlignmentTests): ERLE after 2 s, time to
#    25 dB, the user's voice through the echo, a delay change mid-reply, a delay the device does
#    not report (measured from the signals), the user talking over the reply;
#  - live devices without models (LiveRoomEchoTests): the echo path measured and cancelled;
#  - the live room (EchoRoomTests): the local voice loop (`audio.echo=cancel`) with its speaker and
#    microphone joined through ALSA's file plugin and the simulated room, replies alone (does a
#    reply ever interrupt itself?) and a user talking over the reply 10 and 20 dB below its echo.
#
#   scripts/bench-echo.sh [TRIALS] [speex|webrtc]   trials per live condition (default 20; the
#                                                   test suite runs 4) and the live loop's canceller
#                                                   (the offline tests measure both)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] && { sed -n '2,14p' "$0"; exit 0; }
export RTD_ECHO_TRIALS="${1:-20}" RTD_ECHO_ROOM=1 RTD_ECHO_CANCELLER="${2:-speex}"
echo "# $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p'), $(nproc) cores"
read -r -a flags <<< "$(scripts/build.sh --flags)"
scripts/build.sh >/dev/null
swift build "${flags[@]}" --build-tests >/dev/null
swift test "${flags[@]}" --skip-build --no-parallel --filter 'EchoCancellerTests|EchoAlignmentTests|LiveRoomEchoTests|EchoRoomTests' 2>&1 |
  grep -E "^echo |^live room|✘|Test run with|recorded an issue"
