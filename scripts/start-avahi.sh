#!/usr/bin/env bash
# Makes sure avahi-daemon runs, for the Zeroconf tests: under systemd it is started as a unit;
# in a container without systemd the system D-Bus and avahi-daemon are started directly (as root).
# A container restored from a snapshot can hold the socket and pid files of a bus that no longer
# runs: the bus is judged by answering, not by its files.
set -euo pipefail
avahi-daemon --check 2>/dev/null && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
  echo "error: avahi-daemon is not running, and starting it needs root (no sudo here); the Zeroconf tests need it" >&2
  exit 1
fi

bus_answers() {
  dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId >/dev/null 2>&1
}

if [ -d /run/systemd/system ]; then
  $SUDO systemctl start avahi-daemon
else
  if ! bus_answers; then
    $SUDO rm -f /run/dbus/pid /run/dbus/system_bus_socket
    $SUDO mkdir -p /run/dbus
    $SUDO dbus-daemon --system --fork
  fi
  $SUDO rm -f /run/avahi-daemon/pid
  log="$(mktemp)"
  if ! $SUDO avahi-daemon --daemonize 2>"$log"; then
    echo "error: avahi-daemon did not start: $(tr '\n' ' ' <"$log")" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
fi
for _ in $(seq 1 50); do avahi-daemon --check 2>/dev/null && { echo "avahi-daemon: running"; exit 0; }; sleep 0.1; done
echo "error: avahi-daemon did not start (see the system log); the Zeroconf tests need it" >&2
exit 1
