#!/usr/bin/env python3
"""Sessions against the daemon, every server event validated with the `openai` package's own
Realtime types (the models its SDKs and the Agents SDK parse events into).

    validate_events.py URL conversation QUESTION.wav   spoken turn, retrieve, text reply, out-of-band
                                                       reply, barge-in and truncate, delete, an error
    validate_events.py URL transcription QUESTION.wav  a transcription session
    validate_events.py URL function                    a forced function call and the answer to its result

QUESTION.wav: 24 kHz mono 16-bit. Prints one JSON object: event counts by type, the events that
failed validation (with the reason), and what each step saw. Exits 1 if any event failed
validation or a step did not happen.
"""
import asyncio, base64, json, sys, wave
from typing import Annotated

import pydantic
import websockets
from openai.types.realtime import RealtimeServerEvent

ADAPTER = pydantic.TypeAdapter(Annotated[RealtimeServerEvent, pydantic.Field(discriminator="type")])


class Session:
    def __init__(self, ws):
        self.ws, self.events, self.invalid = ws, [], []
        self.changed = asyncio.Condition()

    async def read(self):
        async for message in self.ws:
            if isinstance(message, bytes):
                continue
            event = json.loads(message)
            try:
                ADAPTER.validate_python(event)
            except pydantic.ValidationError as e:
                errors = [f"{'.'.join(map(str, x['loc'][1:]))}: {x['msg']}" for x in e.errors()][:4]
                self.invalid.append({"type": event.get("type"), "errors": errors})
            async with self.changed:
                self.events.append(event)
                self.changed.notify_all()

    async def send(self, event):
        await self.ws.send(json.dumps(event))

    def of(self, type_):
        return [e for e in self.events if e.get("type") == type_]

    async def wait(self, type_, count=1, timeout=240, where=lambda e: True):
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(
                lambda: len([e for e in self.of(type_) if where(e)]) >= count), timeout)
        return [e for e in self.of(type_) if where(e)][count - 1]

    async def speak(self, pcm, silence_s=1.5):
        pcm = pcm + b"\0\0" * int(24000 * silence_s)
        for i in range(0, len(pcm), 960):  # 20 ms
            await self.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm[i:i + 960]).decode()})
            await asyncio.sleep(0.004)


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 24000 and w.getnchannels() == 1 and w.getsampwidth() == 2, "need 24 kHz mono 16-bit"
        return w.readframes(w.getnframes())


async def conversation(s, pcm, seen):
    await s.send({"type": "session.update", "session": {
        "type": "realtime", "instructions": "Answer in one short sentence.", "max_output_tokens": 24,
        "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}}}})
    await s.wait("session.updated")
    # A spoken turn.
    await s.speak(pcm)
    done = await s.wait("response.done")
    seen["spoken"] = done["response"]["status"]
    user_item = (await s.wait("conversation.item.input_audio_transcription.completed"))["item_id"]
    await s.send({"type": "conversation.item.retrieve", "item_id": user_item})
    seen["retrieved"] = (await s.wait("conversation.item.retrieved"))["item"]["content"][0].get("transcript")
    # A typed question, answered in text.
    await s.send({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                                                               "content": [{"type": "input_text", "text": "Name a colour."}]}})
    typed = (await s.wait("conversation.item.done", where=lambda e: e["item"].get("role") == "user"
                          and e["item"]["content"][0]["type"] == "input_text"))["item"]["id"]
    await s.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
    done = await s.wait("response.done", 2)
    seen["text"] = [done["response"]["status"], "".join(e["delta"] for e in s.of("response.output_text.delta"))]
    # Out of band: a title for the conversation, kept out of it.
    await s.send({"type": "response.create", "response": {"conversation": "none", "output_modalities": ["text"],
                                                          "metadata": {"purpose": "title"}, "instructions": "Give this chat a title."}})
    done = await s.wait("response.done", 3)
    seen["out_of_band"] = done["response"].get("metadata")
    # Barge-in: speech over a long reply, then the client truncates what it played.
    await s.send({"type": "session.update", "session": {"max_output_tokens": 200}})
    await s.wait("session.updated", 2)
    await s.send({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                                                               "content": [{"type": "input_text", "text": "Tell me a long story about a cat."}]}})
    await s.send({"type": "response.create"})
    first = await s.wait("response.output_audio.delta", where=lambda e: e["response_id"] not in
                         {d["response"]["id"] for d in s.of("response.done")})
    await s.speak(pcm)
    cancelled = await s.wait("response.done", where=lambda e: e["response"]["id"] == first["response_id"])
    seen["barge_in"] = [cancelled["response"]["status"], (cancelled["response"].get("status_details") or {}).get("reason")]
    await s.send({"type": "conversation.item.truncate", "item_id": first["item_id"], "content_index": 0, "audio_end_ms": 300})
    seen["truncated"] = (await s.wait("conversation.item.truncated"))["audio_end_ms"]
    await s.wait("response.done", 5)  # the answer to the interrupting turn
    await s.send({"type": "conversation.item.delete", "item_id": typed})
    seen["deleted"] = (await s.wait("conversation.item.deleted"))["item_id"] == typed
    await s.send({"type": "conversation.item.retrieve", "item_id": "item_missing", "event_id": "evt_check"})
    seen["error_event_id"] = (await s.wait("error", where=lambda e: e["error"].get("event_id") == "evt_check"))["error"]["code"]


async def transcription(s, pcm, seen):
    await s.send({"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
        "format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": {"type": "server_vad"}}}}})
    await s.wait("session.updated")
    await s.speak(pcm)
    seen["transcript"] = (await s.wait("conversation.item.input_audio_transcription.completed"))["transcript"]
    await asyncio.sleep(1.5)
    seen["responses"] = len(s.of("response.created"))


async def function(s, pcm, seen):
    tool = {"type": "function", "name": "get_weather", "description": "The weather in a city now.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    await s.send({"type": "session.update", "session": {"tools": [tool], "tool_choice": {"type": "function", "name": "get_weather"},
                                                        "max_output_tokens": 60}})
    await s.wait("session.updated")
    await s.send({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                                                               "content": [{"type": "input_text", "text": "What is the weather in Paris?"}]}})
    await s.send({"type": "response.create"})
    done = await s.wait("response.done")
    calls = [o for o in done["response"]["output"] if o["type"] == "function_call"]
    seen["call"] = [calls[0]["name"], calls[0]["arguments"], calls[0]["status"]] if calls else None
    seen["argument_deltas"] = len(s.of("response.function_call_arguments.delta"))
    if not calls:
        return
    await s.send({"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": calls[0]["call_id"],
                                                               "output": "It is sunny and 21 degrees in Paris."}})
    await s.send({"type": "response.create"})
    done = await s.wait("response.done", 2)
    seen["answer"] = [done["response"]["status"], done["response"]["output"][0]["content"][0].get("transcript")]


async def main(url, scenario, wav=None):
    pcm = read_wav(wav) if wav else b""
    seen = {}
    async with websockets.connect(url, max_size=None) as ws:
        s = Session(ws)
        reader = asyncio.create_task(s.read())
        await s.wait("session.created")
        try:
            await {"conversation": conversation, "transcription": transcription, "function": function}[scenario](s, pcm, seen)
        except asyncio.TimeoutError:
            seen["timeout"] = True
        reader.cancel()
    counts = {}
    for e in s.events:
        counts[e["type"]] = counts.get(e["type"], 0) + 1
    print(json.dumps({"seen": seen, "invalid": s.invalid, "counts": counts}))
    return 1 if s.invalid or seen.get("timeout") else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:4])))
