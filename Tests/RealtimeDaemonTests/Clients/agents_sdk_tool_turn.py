#!/usr/bin/env python3
"""A spoken turn that calls a function, with the OpenAI Agents SDK's RealtimeRunner against the
daemon: the agent has one tool (get_weather), the session forces its call, and the SDK runs it
and asks for the answer, which the daemon speaks.

    agents_sdk_tool_turn.py WS_URL QUESTION.wav

QUESTION.wav: 24 kHz mono 16-bit. Prints one JSON object: the tool's calls, the responses'
statuses, the answer's transcript and audio length, the SDK's error events and its "Failed to
validate server event" log lines. Exits 1 unless the tool was called, a later response completed
with audio, and nothing failed (an `overloaded` notice from a busy machine aside).
"""
import asyncio, json, logging, sys, wave

from agents import function_tool
from agents.realtime import RealtimeAgent, RealtimeRunner

validation_failures = []


class FailedValidations(logging.Handler):
    def emit(self, record):
        if "Failed to validate" in record.getMessage():
            validation_failures.append(record.getMessage()[:400])


logging.getLogger("openai.agents").addHandler(FailedValidations())
calls = []


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city now."""
    calls.append(city)
    return f"It is sunny and 21 degrees in {city}."


async def main(url, path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 24000 and w.getnchannels() == 1 and w.getsampwidth() == 2, "need 24 kHz mono 16-bit"
        pcm = w.readframes(w.getnframes()) + b"\0\0" * 24000 * 2
    agent = RealtimeAgent(name="Assistant", instructions="You are a voice assistant. Answer in one short sentence.", tools=[get_weather])
    runner = RealtimeRunner(starting_agent=agent, config={"model_settings": {
        "model_name": "realtime-daemon", "max_output_tokens": 60,
        "tool_choice": {"type": "function", "name": "get_weather"},
        "turn_detection": {"type": "server_vad", "interrupt_response": True}}})
    result = {"calls": calls, "responses": [], "answer": "", "audio_bytes": 0, "errors": [], "tool_outputs": []}
    session = await runner.run(model_config={"url": url, "api_key": "unused"})
    async with session:
        async def speak():
            for i in range(0, len(pcm), 960):
                await session.send_audio(pcm[i:i + 960])
                await asyncio.sleep(0.005)
        sender = asyncio.create_task(speak())

        async def listen():
            answer_response = None
            async for event in session:
                if event.type == "tool_end":
                    result["tool_outputs"].append(str(event.output))
                elif event.type == "audio" and result["tool_outputs"]:
                    result["audio_bytes"] += len(event.audio.data)
                elif event.type == "error":
                    result["errors"].append(str(event.error)[:300])
                elif event.type == "raw_model_event" and event.data.type == "raw_server_event":
                    server_event = event.data.data
                    if server_event.get("type") == "response.done":
                        response = server_event["response"]
                        result["responses"].append(response["status"])
                        # The response that made the call may end after the SDK ran the tool.
                        if any(o["type"] == "function_call" for o in response["output"]):
                            continue
                        if result["tool_outputs"] and answer_response is None:
                            answer_response = response
                            message = next((o for o in response["output"] if o["type"] == "message"), None)
                            result["answer"] = (message or {}).get("content", [{}])[0].get("transcript") or ""
                            return
        try:
            await asyncio.wait_for(listen(), timeout=300)
        except asyncio.TimeoutError:
            result["errors"].append("timeout")
        sender.cancel()
    result["validation_failures"] = validation_failures
    print(json.dumps(result))
    # `overloaded` says a reply started late on a busy machine; it is not a failure of the turn.
    failures = [e for e in result["errors"] if "code='overloaded'" not in e]
    ok = calls and result["answer"] and result["audio_bytes"] > 0 and not failures and not validation_failures
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:3])))
