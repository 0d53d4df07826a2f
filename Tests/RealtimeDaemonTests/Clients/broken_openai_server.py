#!/usr/bin/env python3
"""An OpenAI-compatible endpoint that misbehaves on purpose, for the remote engine's failure
tests (a real server cannot be made to fail this way on demand). Serves, on PORT,
POST /v1/chat/completions, and GET /ready (200) for the test to know it is up:

    broken_openai_server.py slow PORT      # accepts, sends headers, then nothing for 60 s
    broken_openai_server.py garbage PORT   # a 200 event stream whose events are not JSON
    broken_openai_server.py error500 PORT  # HTTP 500 with a message, every time
    broken_openai_server.py cutshort PORT  # two words, then [DONE] without a finish_reason
                                           # (what llama-cpp-python does to a stream it interrupts)
"""
import http.server, sys, time


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200 if self.path == "/ready" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        mode = self.server.mode
        if mode == "error500":
            body = b'{"error":{"message":"the GPU fell over"}}'
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.flush()
        if mode == "slow":
            time.sleep(60)
            return
        if mode == "cutshort":
            for word in ["The", " capital"]:
                chunk = '{"choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":null}]}' % word
                self.wfile.write(b"data: " + chunk.encode() + b"\n\n")
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            return
        self.wfile.write(b"data: <html>not json</html>\n\n")
        self.wfile.flush()


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
    server.daemon_threads = True
    server.mode = sys.argv[1]
    server.serve_forever()


if __name__ == "__main__":
    main()
