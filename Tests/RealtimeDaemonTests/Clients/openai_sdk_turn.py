#!/usr/bin/env python3
"""One spoken turn against the daemon with the `openai` SDK's realtime client (PCM mode).

    openai_sdk_turn.py BASE_URL TOKEN QUESTION.wav

Prints one JSON object: the event types seen, the transcript, the spoken answer, the reply's
audio length, and the response status. Exits non-zero if the turn did not complete.
"""
import asyncio, base64, json, sys, wave

from openai import AsyncOpenAI


async def main(base_url, token, path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 24000 and w.getnchannels() == 1 and w.getsampwidth() == 2, "need 24 kHz mono 16-bit"
        pcm = w.readframes(w.getnframes())
    pcm += b"\0\0" * 24000 * 2  # two seconds of silence: the server's VAD ends the turn
    client = AsyncOpenAI(base_url=base_url, api_key=token or "unused")
    seen, result = [], {"transcript": "", "answer": "", "audio_bytes": 0}
    async with client.realtime.connect(model="realtime-daemon") as connection:
        await connection.session.update(session={"type": "realtime", "instructions": "Answer briefly.",
                                                 "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}}})
        frame = 960  # 20 ms of 16-bit samples
        for i in range(0, len(pcm), frame):
            await connection.input_audio_buffer.append(audio=base64.b64encode(pcm[i:i + frame]).decode())
            await asyncio.sleep(0.005)
        async for event in connection:
            seen.append(event.type)
            if event.type == "conversation.item.input_audio_transcription.completed":
                result["transcript"] = event.transcript
            elif event.type == "response.output_audio_transcript.delta":
                result["answer"] += event.delta
            elif event.type == "response.output_audio.delta":
                result["audio_bytes"] += len(base64.b64decode(event.delta))
            elif event.type == "error":
                result.setdefault("errors", []).append(event.error.message)
            elif event.type == "response.done":
                result["status"] = event.response.status
                break
    result["events"] = sorted(set(seen))
    print(json.dumps(result))
    return 0 if result.get("status") == "completed" else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:4])))
