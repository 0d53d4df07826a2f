#!/usr/bin/env python3
"""Soak test driver: N realtime sessions against a running daemon for M minutes, at real-time
pace, mixing normal spoken turns, barge-ins, truncates (sane and absurd), abrupt disconnects,
clients that stop reading, and malformed or protocol-breaking frames. Samples the daemon's
resident memory, open files, threads and /metrics all along, and judges the run:

- every spoken turn ends in response.done or an error event (`overloaded` and the like);
  a turn with neither within the timeout is "lost" and fails the run;
- the daemon answers /healthz at the end and had no session left open;
- resident memory, open files and threads do not grow: compared between the first sample after
  the warm-up (a quarter of the run) and the end, after the clients are gone.

Prints a summary and writes a JSON report. Uses the `websockets` client (a client we did not
write) and raw sockets for the frames a well-behaved library will not send.

    driver.py --url ws://127.0.0.1:PORT/v1/realtime --pid PID --corpus DIR
              [--sessions 4] [--minutes 60] [--json report.json]
"""
import argparse
import asyncio
import base64
import json
import os
import random
import socket
import statistics
import struct
import sys
import time
import urllib.request
import wave

import numpy
import websockets


def read_wav_24k(path):
    """A mono 16-bit WAV as 16-bit PCM at 24 kHz, the protocol's rate (linear interpolation:
    good enough for speech a recogniser hears)."""
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        rate = w.getframerate()
        samples = numpy.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(numpy.float64)
    if rate != 24000:
        times = numpy.arange(int(len(samples) * 24000 / rate)) * rate / 24000
        samples = numpy.interp(times, numpy.arange(len(samples)), samples)
    return numpy.clip(samples, -32768, 32767).astype("<i2").tobytes()


SILENCE_20MS = bytes(960)


class Tally:
    def __init__(self):
        self.counts = {}
        self.lost = []

    def add(self, kind, outcome):
        self.counts.setdefault(kind, {}).setdefault(outcome, 0)
        self.counts[kind][outcome] += 1
        if outcome == "lost":
            self.lost.append(kind)


class Session:
    """One scripted client over `websockets`."""

    def __init__(self, url, timeout):
        self.url, self.timeout = url, timeout
        self.events = []
        self.ws = None
        self.reader = None

    async def __aenter__(self):
        self.ws = await websockets.connect(self.url, max_size=1 << 24, open_timeout=20, close_timeout=5)
        self.reader = asyncio.create_task(self._read())
        await self.wait_for("session.created")
        return self

    async def __aexit__(self, *exc):
        self.reader.cancel()
        try:
            await self.ws.close()
        except Exception:
            pass

    async def _read(self):
        try:
            async for message in self.ws:
                if isinstance(message, str):
                    self.events.append(json.loads(message))
        except Exception:
            pass

    async def send(self, event):
        await self.ws.send(json.dumps(event))

    async def stream(self, pcm, pace=1.0, stop=None):
        """Sends 16-bit PCM at real-time pace in 20 ms appends."""
        start = time.monotonic()
        for i, offset in enumerate(range(0, len(pcm), 960)):
            if stop is not None and stop():
                return
            chunk = pcm[offset:offset + 960]
            await self.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()})
            due = start + (i + 1) * 0.02 / pace
            await asyncio.sleep(max(0, due - time.monotonic()))

    async def speak(self, pcm, silence_s=1.2, until=None, most_s=4.0):
        """Speaks `pcm`, then stays on the line as a microphone does: `silence_s` of silence, and
        more (up to `most_s`) until `until` says the server has answered (semantic_vad may want
        more than a second of silence after an utterance that sounds unfinished)."""
        await self.stream(pcm + SILENCE_20MS * int(silence_s / 0.02))
        if until is not None:
            await self.stream(SILENCE_20MS * int((most_s - silence_s) / 0.02), stop=until)

    def find(self, kind, count=1, where=lambda e: True):
        matches = [e for e in self.events if e.get("type") == kind and where(e)]
        return matches[count - 1] if len(matches) >= count else None

    async def wait_for(self, kind, count=1, where=lambda e: True, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            found = self.find(kind, count, where)
            if found is not None:
                return found
            await asyncio.sleep(0.02)
        return None

    def errors_since(self, index):
        return [e.get("error", {}).get("code") for e in self.events[index:] if e.get("type") == "error"]


async def normal_turn(url, utterance, tally, timeout):
    async with Session(url, timeout) as s:
        mark = len(s.events)
        await s.speak(utterance, until=lambda: s.find("response.created") is not None)
        done = await s.wait_for("response.done")
        if done is not None:
            tally.add("turn", done["response"]["status"])
            # Truncate the reply: sometimes sanely, sometimes with numbers out of any range.
            item = (done["response"].get("output") or [{}])[0].get("id")
            if item:
                for end in random.sample([0, 500, 10**12, 5 * 10**14, -1, 2**63 - 1], 2):
                    await s.send({"type": "conversation.item.truncate", "item_id": item, "content_index": 0, "audio_end_ms": end})
                ok = await s.wait_for("conversation.item.truncated", timeout=10) or await s.wait_for("error", timeout=1)
                tally.add("truncate", "answered" if ok else "lost")
        else:
            errors = s.errors_since(mark)
            tally.add("turn", "error:" + errors[-1] if errors else "lost")


async def barge_in(url, utterance, interruption, tally, timeout):
    async with Session(url, timeout) as s:
        mark = len(s.events)
        await s.speak(utterance, silence_s=1.0, until=lambda: s.find("response.output_audio.delta") is not None)
        first = await s.wait_for("response.output_audio.delta")
        if first is None:
            errors = s.errors_since(mark)
            tally.add("barge-in", "error:" + errors[-1] if errors else "lost")
            return
        await asyncio.sleep(0.5)
        await s.speak(interruption, until=lambda: s.find("response.created", count=2) is not None)
        done = await s.wait_for("response.done", where=lambda e: e["response"]["id"] == first["response_id"])
        second = await s.wait_for("response.done", count=2)
        if done is None:
            tally.add("barge-in", "lost")
        else:
            tally.add("barge-in", done["response"]["status"])
            tally.add("turn", second["response"]["status"] if second else ("error:" + s.errors_since(mark)[-1] if s.errors_since(mark) else "lost"))


async def abrupt_disconnect(url, utterance, tally, timeout):
    """Mid-turn, the TCP connection is dropped without a close frame."""
    async with Session(url, timeout) as s:
        cut = random.uniform(0.3, 1.0)
        await s.stream(utterance[: int(len(utterance) * cut) // 2 * 2])
        s.ws.transport.abort()
    tally.add("abrupt-disconnect", "done")


async def slow_reader(host, port, seconds):
    """A client that asks for a reply and never reads it: the server must drop it, not buffer."""
    reader, writer = await asyncio.open_connection(host, port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /v1/realtime HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    await writer.drain()
    for text in ["Tell me a very long story about a lighthouse keeper, with many details.", "Another long story, please."]:
        writer.write(frame(0x1, json.dumps({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                                                                                          "content": [{"type": "input_text", "text": text}]}}).encode()))
        writer.write(frame(0x1, json.dumps({"type": "response.create"}).encode()))
    await writer.drain()
    await asyncio.sleep(seconds)  # never reads
    writer.close()


def frame(opcode, payload, fin=True):
    """A masked client frame (RFC 6455)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def malformed(url, host, port, tally, timeout):
    """Bad events get errors and the session goes on; a framing violation closes the connection."""
    async with Session(url, timeout) as s:
        bad = ["not json", "[1,2]", "{}", json.dumps({"type": "x" * 5000}), json.dumps({"type": "session.update", "session": {"max_output_tokens": "inf"}}),
               json.dumps({"type": "input_audio_buffer.append", "audio": "%%%"}), json.dumps({"type": "session.update", "session": {"instructions": "y" * 20000}}),
               json.dumps({"type": "conversation.item.create", "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "z" * 20000}]}})]
        mark = len(s.events)
        for text in bad:
            await s.ws.send(text)
        await s.ws.send(b"\x01\x02\x03")
        answered = await s.wait_for("error", count=len(bad), where=lambda e: True, timeout=15)
        tally.add("malformed", "answered" if answered is not None or len(s.errors_since(mark)) >= len(bad) - 1 else "lost")
    # A continuation frame with no message open: the server closes with 1002.
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /v1/realtime HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    writer.write(frame(0x0, b""))
    await writer.drain()
    try:
        data = await asyncio.wait_for(reader.read(1 << 16), 10)
        while data and b"\x88" not in data:
            more = await asyncio.wait_for(reader.read(1 << 16), 10)
            if not more:
                break
            data += more
        tally.add("protocol-violation", "closed" if b"\x88" in data else "not-closed")
    except asyncio.TimeoutError:
        tally.add("protocol-violation", "not-closed")
    writer.close()


async def client(index, args, corpus, tally, stop_at):
    rng = random.Random(index)
    host, port = args.url.split("//")[1].split("/")[0].split(":")
    actions = [("turn", 5), ("barge", 2), ("disconnect", 1), ("slow", 1), ("malformed", 1)]
    while time.monotonic() < stop_at:
        action = rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
        utterance = rng.choice(corpus)
        try:
            if action == "turn":
                await normal_turn(args.url, utterance, tally, args.turn_timeout)
            elif action == "barge":
                await barge_in(args.url, utterance, rng.choice(corpus), tally, args.turn_timeout)
            elif action == "disconnect":
                await abrupt_disconnect(args.url, utterance, tally, args.turn_timeout)
            elif action == "slow":
                await slow_reader(host, int(port), 20)
                tally.add("slow-reader", "done")
            else:
                await malformed(args.url, host, int(port), tally, args.turn_timeout)
        except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError) as error:
            # Refused (all sessions busy) or closed by the server: counted, not a loss of a turn.
            tally.add(action, "connection:" + type(error).__name__)
            await asyncio.sleep(1)


def sample(pid, base):
    status = open(f"/proc/{pid}/status").read()
    field = lambda name: int(next(l for l in status.splitlines() if l.startswith(name)).split()[1])
    metrics = ""
    try:
        metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    except Exception:
        pass
    sessions = next((float(l.split()[-1]) for l in metrics.splitlines() if l.startswith("rtd_sessions_active")), None)
    return {"t": time.monotonic(), "rss_mb": field("VmRSS") / 1024, "threads": field("Threads"),
            "fds": len(os.listdir(f"/proc/{pid}/fd")), "sessions": sessions}


async def sampler(args, base, samples, stop):
    while not stop.is_set():
        samples.append(sample(args.pid, base))
        try:
            await asyncio.wait_for(stop.wait(), 5)
        except asyncio.TimeoutError:
            pass


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--corpus", required=True)
    p.add_argument("--sessions", type=int, default=4)
    p.add_argument("--minutes", type=float, default=60)
    p.add_argument("--turn-timeout", type=float, default=90)
    p.add_argument("--json")
    args = p.parse_args()
    corpus = [read_wav_24k(os.path.join(args.corpus, f)) for f in sorted(os.listdir(args.corpus)) if f.endswith(".wav")]
    if not corpus:
        raise SystemExit(f"no .wav files in {args.corpus}")
    base = "http://" + args.url.split("//")[1].split("/")[0]
    tally, samples, stop = Tally(), [], asyncio.Event()
    started = time.monotonic()
    sampling = asyncio.create_task(sampler(args, base, samples, stop))
    stop_at = started + args.minutes * 60
    await asyncio.gather(*(client(i, args, corpus, tally, stop_at) for i in range(args.sessions)))
    await asyncio.sleep(8)  # sessions close, the last replies are cancelled
    stop.set()
    await sampling
    final = sample(args.pid, base)
    # Warm-up: a quarter of the run, but at least a minute. The allocator's high-water mark
    # settles only once every kind of turn has run with long replies; 30 s of a 2-minute run
    # (two turns a session) was too soon (547 -> 635 MB, then flat, on a run with no leak).
    warm_after = max(args.minutes * 15, min(60, args.minutes * 30))
    warm = next((s for s in samples if s["t"] - started >= warm_after), samples[len(samples) // 4])
    healthy = False
    try:
        healthy = urllib.request.urlopen(base + "/healthz", timeout=5).status == 200
    except Exception:
        pass
    growth = {"rss_mb": final["rss_mb"] - warm["rss_mb"], "fds": final["fds"] - warm["fds"], "threads": final["threads"] - warm["threads"]}
    problems = []
    if tally.lost:
        problems.append(f"{len(tally.lost)} turns lost without response.done or an error: {sorted(set(tally.lost))}")
    if not healthy:
        problems.append("the daemon did not answer /healthz at the end")
    if final["sessions"] not in (0, 0.0, None):
        problems.append(f"{final['sessions']} sessions still open after every client left")
    if growth["rss_mb"] > max(64, 0.15 * warm["rss_mb"]):
        problems.append(f"resident memory grew by {growth['rss_mb']:.0f} MB after the warm-up")
    if growth["fds"] > 8:
        problems.append(f"open files grew by {growth['fds']}")
    if growth["threads"] > 8:
        problems.append(f"threads grew by {growth['threads']}")
    if tally.counts.get("protocol-violation", {}).get("not-closed"):
        problems.append("a stray continuation frame did not close the connection")
    report = {"sessions": args.sessions, "minutes": args.minutes, "outcomes": tally.counts, "warm": warm, "final": final,
              "peak_rss_mb": max(s["rss_mb"] for s in samples + [final]), "growth": growth, "problems": problems}
    turns = tally.counts.get("turn", {})
    answered = sum(n for k, n in turns.items() if k in ("completed", "cancelled"))
    print(f"soak: {args.sessions} sessions, {args.minutes:g} min")
    for kind, outcomes in sorted(tally.counts.items()):
        print(f"  {kind:20} " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"  turns answered       {answered} of {sum(turns.values())}")
    print(f"  resident memory      {warm['rss_mb']:.0f} MB after warm-up, {final['rss_mb']:.0f} MB at the end, peak {report['peak_rss_mb']:.0f} MB")
    print(f"  open files           {warm['fds']} -> {final['fds']}; threads {warm['threads']} -> {final['threads']}")
    for problem in problems:
        print("  FAIL: " + problem)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
