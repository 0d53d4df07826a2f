#!/usr/bin/env python3
"""Can the embedded reasoner (SmolLM2-135M-Instruct, the same GGUF) call functions reliably?

Runs the model with llama.cpp (llama-cpp-python) on prompts that need one of two tools
(get_weather, set_timer) and prompts that need none, in SmolLM2's own tool-calling format
(a <tools> system prompt; calls as <tool_call>[…]</tool_call>, an empty list when none is
needed), greedy. Then once more with the call forced and its arguments constrained by a
grammar made from the tools' JSON Schema (what `tool_choice` forcing a function gives).
Prints, for each way, how often the decision (call or not), the function and the arguments
were right.

    scripts/measure/embedded-tool-calls.py [--model PATH]   (default: `realtime-daemon models path reasoner`)

Needs llama-cpp-python (the test environment of scripts/test.sh has it).
"""
import argparse, json, re, subprocess, sys

from llama_cpp import Llama, LlamaGrammar

TOOLS = [
    {"name": "get_weather", "description": "Get the current weather in a city.",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    {"name": "set_timer", "description": "Start a countdown timer.",
     "parameters": {"type": "object", "properties": {"minutes": {"type": "integer"}}, "required": ["minutes"]}},
]
CASES = [  # (question, expected function or None, expected arguments)
    ("What is the weather like in Tokyo?", "get_weather", {"city": "Tokyo"}),
    ("Is it raining in London right now?", "get_weather", {"city": "London"}),
    ("How warm is it in Madrid today?", "get_weather", {"city": "Madrid"}),
    ("Tell me the weather in Berlin.", "get_weather", {"city": "Berlin"}),
    ("Do I need an umbrella in Seattle?", "get_weather", {"city": "Seattle"}),
    ("What's the temperature in Cairo?", "get_weather", {"city": "Cairo"}),
    ("Set a timer for five minutes.", "set_timer", {"minutes": 5}),
    ("Start a ten minute timer please.", "set_timer", {"minutes": 10}),
    ("Remind me in 3 minutes with a timer.", "set_timer", {"minutes": 3}),
    ("Timer for twenty minutes.", "set_timer", {"minutes": 20}),
    ("Tell me a joke.", None, None),
    ("What is two plus two?", None, None),
    ("Who wrote Romeo and Juliet?", None, None),
    ("Say hello to my friend Anna.", None, None),
    ("What is the capital of France?", None, None),
    ("How many legs does a spider have?", None, None),
    ("Translate good morning into Spanish.", None, None),
    ("Why is the sky blue?", None, None),
    ("Give me a word that rhymes with cat.", None, None),
    ("What colour is a banana?", None, None),
]
SYSTEM = (
    "You are an expert in composing functions. You are given a question and a set of possible functions.\n"
    "Based on the question, you will need to make one or more function/tool calls to achieve the purpose.\n"
    "If none of the functions can be used, point it out and refuse to answer.\n\n"
    "You have access to the following tools:\n<tools>" + json.dumps(TOOLS) + "</tools>\n\n"
    "The output MUST strictly adhere to the following format, and NO other text MUST be included.\n"
    "If no function call is needed, please make the tool calls an empty list '[]'.\n"
    '<tool_call>[\n{"name": "func_name1", "arguments": {"argument1": "value1"}}\n]</tool_call>'
)


def prompt(question, opening=""):
    return (f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
            f"<|im_start|>assistant\n{opening}")


def free_form(llm, question):
    """The model's own choice: a list of calls (maybe empty), or None when the format was not kept."""
    text = llm.create_completion(prompt(question), max_tokens=80, temperature=0, stop=["<|im_end|>"])["choices"][0]["text"]
    found = re.search(r"<tool_call>(.*?)</tool_call>", text, re.S)
    try:
        calls = json.loads(found.group(1)) if found else None
        return calls if isinstance(calls, list) else None, text
    except json.JSONDecodeError:
        return None, text


def forced(llm, question, tool):
    """The call forced and its arguments constrained to the tool's schema (tool_choice)."""
    grammar = LlamaGrammar.from_json_schema(json.dumps(tool["parameters"]), verbose=False)
    opening = f'<tool_call>[{{"name": "{tool["name"]}", "arguments": '
    text = llm.create_completion(prompt(question, opening), max_tokens=40, temperature=0, grammar=grammar)["choices"][0]["text"]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model")
    args = parser.parse_args()
    model = args.model or subprocess.run(["realtime-daemon", "models", "path", "reasoner"], capture_output=True, text=True, check=True).stdout.strip()
    llm = Llama(model_path=model, n_ctx=2048, n_threads=2, verbose=False)
    kept = decided = named = argued = 0
    for question, name, expected in CASES:
        calls, text = free_form(llm, question)
        kept += calls is not None
        wants = bool(calls)
        decided += wants == (name is not None)
        if name and calls and isinstance(calls[0], dict):
            named += calls[0].get("name") == name
            argued += calls[0].get("name") == name and calls[0].get("arguments") == expected
        print(f"  {question!r:48} → {text.strip()[:90]!r}", file=sys.stderr)
    needing = [c for c in CASES if c[1]]
    forced_right = sum(forced(llm, q, next(t for t in TOOLS if t["name"] == n)) == a for q, n, a in needing)
    print(f"SmolLM2's tool format, free choice, {len(CASES)} questions ({len(needing)} need a tool):")
    print(f"  format kept {kept}/{len(CASES)}; call-or-not right {decided}/{len(CASES)}; "
          f"right function {named}/{len(needing)}; right function and arguments {argued}/{len(needing)}")
    print(f"Call forced, arguments constrained to the schema: right arguments {forced_right}/{len(needing)}")


if __name__ == "__main__":
    main()
