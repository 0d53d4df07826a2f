#!/usr/bin/env python3
"""Discovers the daemon's Wyoming service as Home Assistant does: python-zeroconf browses
`_wyoming._tcp.local.` on the network, and the `wyoming` client connects to the address and port
it found and asks for `describe`.

    zeroconf_discovery.py NAME present   # waits up to 20 s for the service called NAME
    zeroconf_discovery.py NAME absent    # browses for 5 s; NAME must not be there

Prints one JSON object: found, and for a found service its port, addresses and the names of the
programs its `info` lists.
"""
import asyncio, json, sys, time

from wyoming.client import AsyncTcpClient
from wyoming.info import Describe, Info
from zeroconf import ServiceBrowser, ServiceListener, Zeroconf

SERVICE_TYPE = "_wyoming._tcp.local."


class Seen(ServiceListener):
    def __init__(self):
        self.names = set()

    def add_service(self, zc, type_, name):
        self.names.add(name)

    def update_service(self, zc, type_, name):
        self.names.add(name)

    def remove_service(self, zc, type_, name):
        self.names.discard(name)


async def describe(host, port):
    async with AsyncTcpClient(host, port) as client:
        await client.write_event(Describe().event())
        while True:
            event = await asyncio.wait_for(client.read_event(), 30)
            if event is None:
                raise ConnectionError("the service closed the connection")
            if Info.is_type(event.type):
                info = Info.from_event(event)
                return {"asr": [p.name for p in info.asr], "tts": [p.name for p in info.tts], "handle": [p.name for p in info.handle]}


def main(name, mode):
    full = f"{name}.{SERVICE_TYPE}"
    zc = Zeroconf()
    seen = Seen()
    ServiceBrowser(zc, SERVICE_TYPE, seen)
    deadline = time.monotonic() + (20 if mode == "present" else 5)
    while time.monotonic() < deadline and not (mode == "present" and full in seen.names):
        time.sleep(0.2)
    result = {"found": full in seen.names, "seen": sorted(seen.names)}
    if result["found"]:
        info = zc.get_service_info(SERVICE_TYPE, full, timeout=5000)
        if info is not None:
            addresses = info.parsed_addresses()
            result.update(port=info.port, addresses=addresses)
            # The network's address if it came, else loopback (answers on lo can come first).
            ipv4 = sorted((a for a in addresses if ":" not in a), key=lambda a: a.startswith("127."))
            if ipv4:
                result["info"] = asyncio.run(describe(ipv4[0], info.port))
    zc.close()
    print(json.dumps(result))
    return 0 if result["found"] == (mode == "present") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
