#!/usr/bin/env python3
"""Speak WAV questions to a realtime server at real-time pace and measure each turn.

For every question: connect (or reuse the connection), stream the audio in 20 ms PCM frames
followed by silence, let the server's VAD end the turn, and record on the client's clock the
time from the last sample of speech sent to the first reply audio received, plus the server's
`timings_ms`. Prints one JSON line per turn and, at the end, p50/p95 per mode.

    realtime_turns.py --url ws://127.0.0.1:8765/v1/realtime --mode speak_first q1.wav q2.wav ...
"""
import argparse, asyncio, base64, json, statistics, sys, time, wave

import numpy as np
import websockets


def read_wav_24k(path):
    with wave.open(path, "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16 if width == 2 else np.uint8)
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.int16)
    if rate != 24000:
        t = np.arange(0, len(data) * 24000 // rate) * rate / 24000
        data = np.interp(t, np.arange(len(data)), data.astype(np.float64)).astype(np.int16)
    return data


def speech_end(samples, rate=24000):
    """Index just after the last sample louder than -40 dBFS (the end of the speech)."""
    loud = np.nonzero(np.abs(samples.astype(np.int32)) > 328)[0]
    return int(loud[-1]) + 1 if len(loud) else len(samples)


async def turn(ws, samples, trailing_s, jitter_ms=0):
    frame = 480  # 20 ms at 24 kHz
    end = speech_end(samples)
    audio = np.concatenate([samples, np.zeros(int(trailing_s * 24000), dtype=np.int16)])
    result = {"events": {}, "reply_audio_s": 0.0, "transcript": "", "reasoning": "", "answer": ""}
    first_audio = asyncio.get_running_loop().create_future()
    done = asyncio.get_running_loop().create_future()
    last_speech_sent = None
    reply = bytearray()

    async def receive():
        nonlocal reply
        async for message in ws:
            event = json.loads(message)
            t = time.monotonic()
            kind = event["type"]
            result["events"].setdefault(kind, t)
            if kind == "response.output_audio.delta":
                if not first_audio.done():
                    first_audio.set_result(t)
                reply += base64.b64decode(event["delta"])
            elif kind == "conversation.item.input_audio_transcription.completed":
                result["transcript"] = event["transcript"]
            elif kind == "response.reasoning_text.delta":
                result["reasoning"] += event["delta"]
            elif kind == "response.output_audio_transcript.delta":
                result["answer"] += event["delta"]
            elif kind == "error":
                result.setdefault("errors", []).append(event["error"])
            elif kind == "response.done":
                result["status"] = event["response"]["status"]
                result["timings_ms"] = event["response"].get("metadata", {}).get("timings_ms", {})
                result["speculative"] = event["response"].get("metadata", {}).get("speculative")
                if not done.done():
                    done.set_result(t)
                return

    receiver = asyncio.create_task(receive())
    start = time.monotonic()
    for i in range(0, len(audio), frame):
        chunk = audio[i:i + frame]
        await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk.tobytes()).decode()}))
        if i <= end <= i + frame:
            last_speech_sent = time.monotonic()
        target = start + (i + frame) / 24000
        await asyncio.sleep(max(0, target - time.monotonic()))
        if done.done():
            break
    try:
        await asyncio.wait_for(asyncio.shield(done), timeout=30)
    except asyncio.TimeoutError:
        result["status"] = "timeout"
    receiver.cancel()
    if last_speech_sent is None:
        last_speech_sent = start + end / 24000
    if first_audio.done():
        result["first_packet_ms"] = round((first_audio.result() - last_speech_sent) * 1000, 1)
    result["reply_audio_s"] = round(len(reply) / 2 / 24000, 2)
    result["reply_pcm"] = bytes(reply)
    del result["events"]
    return result


async def run(args):
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    rows = []
    async with websockets.connect(args.url, additional_headers=headers, max_size=1 << 24) as ws:
        created = json.loads(await ws.recv())
        assert created["type"] == "session.created", created
        await ws.send(json.dumps({"type": "session.update", "session": {"type": "realtime", "reasoning": {"mode": args.mode}}}))
        while json.loads(await ws.recv())["type"] != "session.updated":
            pass
        for path in args.questions:
            r = await turn(ws, read_wav_24k(path), args.trailing)
            r["question"] = path
            r["mode"] = args.mode
            pcm = r.pop("reply_pcm")
            if args.save_replies:
                with wave.open(f"{args.save_replies}/{len(rows):03d}.wav", "wb") as w:
                    w.setnchannels(1); w.setsampwidth(2); w.setframerate(24000); w.writeframes(pcm)
            rows.append(r)
            print(json.dumps(r), flush=True)
            await asyncio.sleep(0.3)
    latencies = [r["first_packet_ms"] for r in rows if "first_packet_ms" in r]
    if latencies:
        q = statistics.quantiles(latencies, n=20, method="inclusive") if len(latencies) > 1 else latencies * 19
        print(f"# mode={args.mode} turns={len(rows)} answered={len(latencies)} "
              f"first_packet_ms p50={statistics.median(latencies):.0f} p95={q[18]:.0f} max={max(latencies):.0f}", flush=True)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("questions", nargs="+", help="WAV files, one spoken question each")
    p.add_argument("--url", default="ws://127.0.0.1:8765/v1/realtime")
    p.add_argument("--token", default="")
    p.add_argument("--mode", default="speak_first", choices=["speak_first", "think_first", "think_before_speaking"])
    p.add_argument("--trailing", type=float, default=2.0, help="seconds of silence sent after each question")
    p.add_argument("--save-replies", default="", help="directory to write each reply as WAV")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
