"""An OpenAI-compatible /v1/embeddings endpoint over https on 127.0.0.1, for the test of
cxone_embed with a private CA (tests/e2e/tests/secrets.rs). Arguments: port, certificate,
private key, the API key it accepts. Answers 401 like OpenAI for another key."""
import http.server
import json
import ssl
import sys

port, cert, key, api_key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Authorization") != f"Bearer {api_key}":
            return self.answer(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
        inputs = json.loads(body)["input"]
        data = [{"object": "embedding", "index": i, "embedding": [1.0] + [0.0] * 383} for i, _ in enumerate(inputs)]
        self.answer(200, {"object": "list", "data": data, "model": "all-MiniLM-L6-v2"})

    def answer(self, status, obj):
        out = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
