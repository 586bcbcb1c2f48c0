#!/usr/bin/env python3
"""A hostile target for the harness's memory benchmark (load/bench/memory.sh): an
authorization server whose JWKS is huge (100,000 RSA keys, ~8 MB) and whose access
tokens are 5 MB JWTs, with a resource that accepts the genuine token and refuses every other. Loopback only.

usage: [HOSTILE_JWKS=0] [HOSTILE_JWT=0] hostile.py PORT  (0 turns that part off, to tell their costs apart)
"""
import base64, json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
BASE = f"http://127.0.0.1:{PORT}"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# 100,000 keys in ~8 MB (just under the harness's 8 MiB answer limit): short moduli.
JWKS = json.dumps({"keys": [{"kty": "RSA", "kid": f"k{i}", "n": f"{i:032x}", "e": "AQAB"}
                            for i in range(100_000 if os.environ.get("HOSTILE_JWKS", "1") == "1" else 1)]}, separators=(",", ":")).encode()
HEADER = b64(json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": "k0"}).encode())
CLAIMS = b64(json.dumps({"iss": BASE, "sub": "client", "aud": BASE, "exp": 4102444800, "iat": 1700000000,
                         "padding": "p" * ((5 * 1024 * 1024 * 3 // 4) if os.environ.get("HOSTILE_JWT", "1") == "1" else 1)}).encode())
TOKEN = f"{HEADER}.{CLAIMS}.{b64(b'not-a-signature' * 16)}"
META = json.dumps({"issuer": BASE, "jwks_uri": f"{BASE}/jwks", "token_endpoint": f"{BASE}/token",
                   "grant_types_supported": ["client_credentials"],
                   "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                   "response_types_supported": ["code"]}).encode()
TOKENS = json.dumps({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}).encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the harness may stop reading a huge answer

    def api(self):
        # The genuine token is accepted (so forgeries of it are tried), anything else refused.
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            self.send(200, b'{"ok":true}')
        else:
            self.send(401, b'{"error":"invalid_token"}', extra=[("WWW-Authenticate", 'Bearer error="invalid_token"')])

    def do_GET(self):
        if self.path.startswith("/api"):
            self.api()
        elif self.path.startswith("/.well-known/"):
            self.send(200, META)
        elif self.path == "/jwks":
            self.send(200, JWKS, "application/jwk-set+json")
        else:
            self.send(401, b'{"error":"invalid_token"}', extra=[("WWW-Authenticate", 'Bearer error="invalid_token"')])

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/token":
            self.send(200, TOKENS)
        elif self.path.startswith("/api"):
            self.api()
        else:
            self.send(401, b'{"error":"invalid_token"}', extra=[("WWW-Authenticate", 'Bearer error="invalid_token"')])


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
