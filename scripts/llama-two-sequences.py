#!/usr/bin/env python3
"""llama.cpp's cost of decoding two sequences together, measured as `realtime-daemon bench
reasoner` measures ours: the same prompt (BOS, then " hello" repeated), greedy continuation,
and the time of `--gen-tokens` steps of two sequences (one batch of two tokens, each sequence
with its own cache) over the time of as many steps of one; and the same for two sequences that
share the prompt's cache cells (`llama_memory_seq_cp`, which shares cells rather than copying
them), as ours share the conversation. Prints one JSON object.

Runs in the reference environment (llama-cpp-python), with its context defaults as
`llm_reference.py bench` uses them (flash attention off), through the library's C API, since
the Python wrapper decodes one sequence only.
"""
import argparse
import json
import time

import llama_cpp as L
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=256)
    ap.add_argument("--gen-tokens", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3, help="the best of these is reported")
    a = ap.parse_args()

    L.llama_backend_init()
    model = L.llama_model_load_from_file(a.model.encode(), L.llama_model_default_params())
    if not model:
        raise SystemExit(f"error: llama.cpp cannot load {a.model}")
    params = L.llama_context_default_params()
    params.n_ctx = 2 * (a.prompt_tokens + a.gen_tokens + 8)
    params.n_batch = params.n_ubatch = max(512, a.prompt_tokens)
    params.n_seq_max = 2
    params.n_threads = params.n_threads_batch = a.threads
    params.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_DISABLED
    ctx = L.llama_init_from_model(model, params)
    vocab = L.llama_model_get_vocab(model)
    n_vocab = L.llama_vocab_n_tokens(vocab)
    hello = (L.llama_token * 8)()
    L.llama_tokenize(vocab, b" hello", 6, hello, 8, False, False)
    prompt = [L.llama_vocab_bos(vocab)] + [hello[0]] * (a.prompt_tokens - 1)
    batch = L.llama_batch_init(max(a.prompt_tokens, 2), 0, 2)

    def decode(entries):
        """entries: (token, position, sequence, wants logits); returns nothing, raises on error."""
        batch.n_tokens = len(entries)
        for i, (tok, pos, seq, logits) in enumerate(entries):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = tok, pos, 1
            batch.seq_id[i][0], batch.logits[i] = seq, logits
        if L.llama_decode(ctx, batch) != 0:
            raise SystemExit("error: llama_decode failed")

    def argmax(i):
        return int(np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, i), shape=(n_vocab,)).argmax())

    def run(sequences, sharing=False):
        """Prefills each sequence with the prompt (or the first, the others sharing its cells),
        then times gen-tokens steps of all of them."""
        memory = L.llama_get_memory(ctx)
        L.llama_memory_clear(memory, True)
        last = []
        for s in range(sequences):
            if sharing and s > 0:
                L.llama_memory_seq_cp(memory, 0, s, -1, -1)
                last.append(last[0])
                continue
            decode([(t, p, s, p == len(prompt) - 1) for p, t in enumerate(prompt)])
            last.append(argmax(len(prompt) - 1))
        t0 = time.perf_counter()
        for step in range(a.gen_tokens):
            pos = len(prompt) + step
            decode([(last[s], pos, s, True) for s in range(sequences)])
            last = [argmax(s) for s in range(sequences)]
        return time.perf_counter() - t0

    one, two, shared = float("inf"), float("inf"), float("inf")
    for _ in range(a.repeats):
        one = min(one, run(1))
        two = min(two, run(2))
        shared = min(shared, run(2, sharing=True))
    L.llama_batch_free(batch)
    L.llama_free(ctx)
    L.llama_model_free(model)
    print(json.dumps({"decode_tokens_per_s": round(a.gen_tokens / one, 1),
                      "two_sequence_step_ratio": round(two / one, 3),
                      "two_sequence_shared_prompt_step_ratio": round(shared / one, 3),
                      "threads": a.threads, "prompt_tokens": a.prompt_tokens, "gen_tokens": a.gen_tokens}))


if __name__ == "__main__":
    main()
