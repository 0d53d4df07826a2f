#!/usr/bin/env bash
# Installs the release binary and the systemd unit, creates the service user, fetches the
# models into the service's state directory and starts the daemon. Run after command 1 of the
# README has built the release binary. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (sudo $0)" >&2; exit 1; }
read -r -a flags <<< "$(scripts/build.sh --flags)"
bin="$(swift build "${flags[@]}" --show-bin-path)/realtime-daemon"
[ -x "$bin" ] || { echo "error: $bin not built; run scripts/setup-and-run.sh (or scripts/build.sh) first" >&2; exit 1; }
install -m 0755 "$bin" /usr/local/bin/realtime-daemon
install -m 0644 systemd/realtime-daemon.service /etc/systemd/system/realtime-daemon.service
install -m 0644 systemd/realtime-daemon.sysusers.conf /usr/lib/sysusers.d/realtime-daemon.conf
systemd-sysusers /usr/lib/sysusers.d/realtime-daemon.conf
install -d -m 0755 /etc/realtime-daemon
# The configuration may hold a token: readable by root and the service's group only. The
# token itself is better kept in /etc/realtime-daemon/token (mode 0600, root), which the unit
# passes to the daemon as a systemd credential.
[ -f /etc/realtime-daemon/config.yaml ] || install -m 0640 -g realtime-daemon systemd/config.example.yaml /etc/realtime-daemon/config.yaml
chgrp realtime-daemon /etc/realtime-daemon/config.yaml && chmod 0640 /etc/realtime-daemon/config.yaml
[ -f /etc/realtime-daemon/token ] || install -m 0600 /dev/null /etc/realtime-daemon/token
install -d -o realtime-daemon -g realtime-daemon /var/lib/realtime-daemon
runuser -u realtime-daemon -- env HOME=/var/lib/realtime-daemon \
  /usr/local/bin/realtime-daemon models fetch --models-dir /var/lib/realtime-daemon/models
systemctl daemon-reload
systemctl enable --now realtime-daemon
systemctl --no-pager status realtime-daemon || true
