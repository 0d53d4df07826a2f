#!/usr/bin/env python3
"""A realtime WebSocket server that breaks the protocol on purpose, for rtbench's failure tests
(the daemon never does this, so a scripted server stands in for a broken one), on the port
given as its argument.

The first connection, once the client has sent 20 audio frames, sends text that is not JSON,
an event without a type, a response whose audio is not base64, and then closes the connection
in the middle of the turn. Later connections answer each turn properly (100 ms of audio).
"""
import asyncio, base64, json, sys

from websockets.asyncio.server import serve

connections = 0


async def handler(ws):
    global connections
    connections += 1
    number = connections
    await ws.send(json.dumps({"type": "session.created", "session": {}}))
    frames = 0
    async for message in ws:
        if isinstance(message, bytes):
            continue
        if "session.update" in message:
            await ws.send(json.dumps({"type": "session.updated", "session": {}}))
        if "input_audio_buffer.append" not in message:
            continue
        frames += 1
        if frames != 20:   # the speech (0.3 s) has been sent
            continue
        if number == 1:
            await ws.send("this is not JSON")
            await ws.send(json.dumps({"no_type": True}))
            await ws.send(json.dumps({"type": "response.created", "response": {"id": "r1"}}))
            await ws.send(json.dumps({"type": "response.output_audio.delta", "response_id": "r1", "delta": "@@not base64@@"}))
            await ws.close(1011, "scripted failure")
            return
        rid = f"r{number}"
        await ws.send(json.dumps({"type": "response.created", "response": {"id": rid}}))
        await ws.send(json.dumps({"type": "response.output_audio.delta", "response_id": rid,
                                  "delta": base64.b64encode(bytes(4800)).decode()}))
        await ws.send(json.dumps({"type": "response.done", "response": {"id": rid, "status": "completed"}}))


async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1])):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
