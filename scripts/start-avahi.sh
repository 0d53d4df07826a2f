#!/usr/bin/env bash
# Makes sure avahi-daemon runs, for the Zeroconf tests: under systemd it is started as a unit;
# in a container without systemd the system D-Bus and avahi-daemon are started directly (as root).
set -euo pipefail
avahi-daemon --check 2>/dev/null && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ -d /run/systemd/system ]; then
  $SUDO systemctl start avahi-daemon
else
  if [ ! -S /run/dbus/system_bus_socket ]; then
    $SUDO mkdir -p /run/dbus
    $SUDO dbus-daemon --system --fork
  fi
  $SUDO avahi-daemon --daemonize
fi
for _ in $(seq 1 50); do avahi-daemon --check 2>/dev/null && { echo "avahi-daemon: running"; exit 0; }; sleep 0.1; done
echo "error: avahi-daemon did not start (see the system log); the Zeroconf tests need it" >&2
exit 1
