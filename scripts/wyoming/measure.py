#!/usr/bin/env python3
"""Times Wyoming services from the client's side: audio-stop → transcript for a speech-to-text
service, synthesize → first audio chunk (and → audio-stop) for a text-to-speech service.

    measure.py asr HOST PORT RUNS FILE.wav...   one line of JSON: per-run milliseconds and transcripts
    measure.py tts HOST PORT RUNS TEXT...
"""
import asyncio, json, sys, time, wave

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize


async def asr(host, port, runs, files):
    times, texts = [], []
    for _ in range(runs):
        for path in files:
            with wave.open(path, "rb") as w:
                rate, pcm = w.getframerate(), w.readframes(w.getnframes())
            async with AsyncTcpClient(host, port) as client:
                await client.write_event(Transcribe(language="en").event())
                await client.write_event(AudioStart(rate=rate, width=2, channels=1).event())
                for i in range(0, len(pcm), 2048):
                    await client.write_event(AudioChunk(rate=rate, width=2, channels=1, audio=pcm[i:i + 2048]).event())
                started = time.monotonic()
                await client.write_event(AudioStop().event())
                while True:
                    event = await client.read_event()
                    if event is None or Transcript.is_type(event.type):
                        break
                times.append((time.monotonic() - started) * 1000)
                texts.append(Transcript.from_event(event).text if event else None)
    return {"ms": times, "texts": texts}


async def tts(host, port, runs, texts):
    first, whole = [], []
    for _ in range(runs):
        for text in texts:
            async with AsyncTcpClient(host, port) as client:
                started = time.monotonic()
                await client.write_event(Synthesize(text=text).event())
                seen_first = None
                while True:
                    event = await client.read_event()
                    if event is None or event.type == "audio-stop":
                        break
                    if event.type == "audio-chunk" and seen_first is None:
                        seen_first = time.monotonic()
                first.append(((seen_first or time.monotonic()) - started) * 1000)
                whole.append((time.monotonic() - started) * 1000)
    return {"first_ms": first, "whole_ms": whole}


if __name__ == "__main__":
    kind, host, port, runs, *rest = sys.argv[1:]
    work = asr if kind == "asr" else tts
    print(json.dumps(asyncio.run(work(host, int(port), int(runs), rest))))
