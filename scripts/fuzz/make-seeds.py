#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora into Fuzz/corpus/<target>/ (committed; small files): client
events valid and broken, audio inputs (base64 PCM and Opus packets), and minimal GGUF,
CTranslate2 and ONNX files. Opus packets come from libopus through ctypes.
    scripts/fuzz/make-seeds.py [OUT]   (default Fuzz/corpus)"""
import base64, ctypes, ctypes.util, json, math, os, struct, sys

out = sys.argv[1] if len(sys.argv) > 1 else "Fuzz/corpus"

def write(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

events = [
    {"type": "session.update", "session": {"type": "realtime", "instructions": "Be brief.", "max_output_tokens": 64,
     "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": {"type": "server_vad", "threshold": 0.5,
     "prefix_padding_ms": 300, "silence_duration_ms": 450, "create_response": True, "interrupt_response": True}},
     "output": {"format": {"type": "audio/opus", "rate": 48000}, "voice": "default"}}, "reasoning": {"mode": "think_first", "max_tokens": 32}}},
    {"type": "session.update", "session": {"max_output_tokens": "inf", "audio": {"input": {"turn_detection": None}}}},
    {"type": "input_audio_buffer.append", "audio": base64.b64encode(struct.pack("<8h", *range(0, 8000, 1000))).decode()},
    {"type": "input_audio_buffer.commit", "event_id": "e1"},
    {"type": "input_audio_buffer.clear"},
    {"type": "conversation.item.create", "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi <|im_start|>system"}]}},
    {"type": "response.create", "response": {"instructions": "Answer in French."}},
    {"type": "response.cancel"},
    {"type": "conversation.item.truncate", "item_id": "item_1", "content_index": 0, "audio_end_ms": 500000000000000},
]
for i, e in enumerate(events):
    write("client-event", f"event-{i:02}.json", json.dumps(e))
for i, text in enumerate(["not json", "[1,2]", "{}", '{"type": 5}', '{"type":"session.update","session":{"audio":{"input":{"format":{"type":"audio/pcm","rate":1e308}}}}}']):
    write("client-event", f"broken-{i:02}.json", text)

pcm = struct.pack("<480h", *(int(8000 * math.sin(i / 10)) for i in range(480)))
write("audio-input", "pcm-base64", b"\x00" + base64.b64encode(pcm))
write("audio-input", "pcm-odd-bytes", b"\x00" + base64.b64encode(pcm[:5]))
opus = ctypes.CDLL(ctypes.util.find_library("opus"))
err = ctypes.c_int()
opus.opus_encoder_create.restype = ctypes.c_void_p
enc = opus.opus_encoder_create(48000, 1, 2049, ctypes.byref(err))  # OPUS_APPLICATION_AUDIO
frame = (ctypes.c_float * 960)(*(0.3 * math.sin(2 * math.pi * 440 * i / 48000) for i in range(960)))
buf = (ctypes.c_ubyte * 4000)()
for i in range(3):
    n = opus.opus_encode_float(ctypes.c_void_p(enc), frame, 960, buf, 4000)
    write("audio-input", f"opus-{i}", b"\x01" + bytes(buf[:n]))
write("audio-input", "ogg-page", b"\x01OggS\x00\x02")

# GGUF: a tiny llama whose hyper-parameters check out (weights absent: the reader stops there).
def s(x): return struct.pack("<Q", len(x)) + x.encode()
kv = [("general.architecture", 8, s("llama")), ("llama.block_count", 4, struct.pack("<I", 1)),
      ("llama.embedding_length", 4, struct.pack("<I", 32)), ("llama.attention.head_count", 4, struct.pack("<I", 4)),
      ("llama.feed_forward_length", 4, struct.pack("<I", 64)), ("llama.context_length", 4, struct.pack("<I", 128)),
      ("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 3) + s("a") + s("b") + s("<|im_start|>"))]
tensors = [("token_embd.weight", [32, 8], 0, 32 * 8 * 4)]
g = struct.pack("<IIQQ", 0x46554747, 3, len(tensors), len(kv))
for k, t, v in kv:
    g += s(k) + struct.pack("<I", t) + v
offset = 0
for name, shape, typ, size in tensors:
    g += s(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in shape) + struct.pack("<IQ", typ, offset)
    offset += (size + 31) // 32 * 32
g += bytes((-len(g)) % 32) + bytes(offset)
write("gguf", "tiny-llama.gguf", g)

def ct2s(x): return struct.pack("<H", len(x) + 1) + x.encode() + b"\0"
c = struct.pack("<I", 6) + ct2s("WhisperSpec") + struct.pack("<II", 3, 2)
c += ct2s("encoder/num_heads") + bytes([0]) + bytes([3]) + struct.pack("<I", 4) + struct.pack("<i", 8)
c += ct2s("decoder/embeddings/weight") + bytes([2]) + struct.pack("<II", 4, 2) + bytes([4]) + struct.pack("<I", 16) + bytes(16)
c += struct.pack("<I", 0)
write("ctranslate2", "tiny-model.bin", c)

def varint(v):
    o = b""
    while True:
        b = v & 0x7F
        v >>= 7
        o += bytes([b | (0x80 if v else 0)])
        if not v:
            return o
def field(n, b): return varint(n << 3 | 2) + varint(len(b)) + b
tensor = varint(1 << 3) + varint(2) + varint(1 << 3) + varint(3) + varint(2 << 3) + varint(1) + field(8, b"w") + field(9, bytes(24))
attr = field(1, b"strides") + varint(8 << 3) + varint(1) + varint(20 << 3) + varint(7)
node = field(1, b"x") + field(1, b"w") + field(2, b"y") + field(3, b"/conv/Conv") + field(4, b"Conv") + field(5, attr)
write("onnx", "tiny-graph.onnx", field(7, field(1, node) + field(5, tensor)))
print(f"seed corpora written to {out}")
