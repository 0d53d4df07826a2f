#!/usr/bin/env python3
"""The daemon's Wyoming service, driven by the `wyoming` package's own client (what Home
Assistant uses): describe, a transcription of QUESTION.wav, a synthesis, a streamed synthesis
whose first audio must come before its text is finished, a handled question, and a malformed
header line that must not end the connection.

    wyoming_client.py HOST PORT QUESTION.wav

QUESTION.wav: 16-bit mono, any rate. Prints one JSON object with what each step got; exits 1 if
a step got nothing.
"""
import asyncio, json, sys, time, wave

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeStopped

TIMEOUT = 240


async def until(client, wanted):
    """Events up to and including the first of type `wanted`."""
    events = []
    while True:
        event = await asyncio.wait_for(client.read_event(), TIMEOUT)
        if event is None:
            raise ConnectionError("the server closed the connection")
        events.append(event)
        if event.type == wanted:
            return events


async def main(host, port, path):
    port = int(port)
    result = {}
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, "need 16-bit mono"
        rate, pcm = w.getframerate(), w.readframes(w.getnframes())

    async with AsyncTcpClient(host, port) as client:
        await client.write_event(Describe().event())
        info = Info.from_event((await until(client, "info"))[-1])
        result["info"] = {"asr": [m.name for p in info.asr for m in p.models], "tts": [v.name for p in info.tts for v in p.voices],
                          "asr_streaming": any(p.supports_transcript_streaming for p in info.asr),
                          "handle": [m.name for p in info.handle for m in p.models],
                          "tts_streaming": any(p.supports_synthesize_streaming for p in info.tts)}

        # Speech to text.
        await client.write_event(Transcribe(language="en").event())
        await client.write_event(AudioStart(rate=rate, width=2, channels=1).event())
        for i in range(0, len(pcm), 2048):
            await client.write_event(AudioChunk(rate=rate, width=2, channels=1, audio=pcm[i:i + 2048]).event())
        started = time.monotonic()
        await client.write_event(AudioStop().event())
        events = await until(client, "transcript-stop")
        final = [e for e in events if e.type == "transcript"]
        result["transcript"] = Transcript.from_event(final[-1]).text if final else ""
        result["transcript_ms"] = round((time.monotonic() - started) * 1000)
        # Wyoming's streaming order: transcript-start, transcript-chunk…, transcript, transcript-stop.
        kinds = [e.type for e in events if e.type.startswith("transcript")]
        result["transcript_stream"] = [kinds[0], kinds[-2], kinds[-1]] if len(kinds) >= 3 else kinds

        # Text to speech, whole.
        text = "Hello there, how can I help you today?"
        started = time.monotonic()
        await client.write_event(Synthesize(text=text).event())
        events = await until(client, "audio-stop")
        chunks = [AudioChunk.from_event(e) for e in events if e.type == "audio-chunk"]
        first = next(i for i, e in enumerate(events) if e.type == "audio-chunk")
        result["synthesis"] = {"rate": chunks[0].rate, "samples": sum(len(c.audio) // 2 for c in chunks),
                               "starts_with_audio_start": events[0].type == "audio-start"}
        result["synthesis_first_chunk_ms"] = None if first is None else round((time.monotonic() - started) * 1000)
        with wave.open(path + ".synth.wav", "wb") as out:
            out.setnchannels(1); out.setsampwidth(2); out.setframerate(chunks[0].rate)
            out.writeframes(b"".join(c.audio for c in chunks))
        result["synthesis_wav"] = path + ".synth.wav"

        # Text to speech, streamed: the first clause must be heard before the text is finished.
        await client.write_event(SynthesizeStart().event())
        await client.write_event(SynthesizeChunk(text="The weather today is sunny and warm, ").event())
        before = await until(client, "audio-chunk")
        await client.write_event(SynthesizeChunk(text="so take a hat when you go out.").event())
        # Streaming clients also send the whole text, for servers that do not stream, before the stop.
        await client.write_event(Synthesize(text="The weather today is sunny and warm, so take a hat when you go out.").event())
        await client.write_event(SynthesizeStop().event())
        after = await until(client, "synthesize-stopped")
        streamed = [e for e in before + after if e.type == "audio-chunk"]
        result["streamed"] = {"audio_before_text_finished": True, "chunks": len(streamed),
                              "audio_stops": sum(e.type == "audio-stop" for e in after)}

        # Conversation.
        await client.write_event(Transcript(text="What is the capital of France?").event())
        while True:
            event = await asyncio.wait_for(client.read_event(), TIMEOUT)
            if Handled.is_type(event.type) or NotHandled.is_type(event.type):
                result["handled"] = [event.type, event.data.get("text", "")]
                break

        # A line that is not an event, then an ordinary request on the same connection.
        client._writer.write(b"this is not json\n")
        await client.write_event(Describe().event())
        events = await until(client, "info")
        errors = [Error.from_event(e) for e in events if e.type == "error"]
        result["malformed"] = [[e.code, e.text] for e in errors]
    print(json.dumps(result))
    ok = result["transcript"] and result["synthesis"]["samples"] > 0 and result["handled"][0] == "handled" and errors
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:4])))
