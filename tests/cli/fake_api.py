"""A tiny stand-in for the control plane's /api/v1, speaking the API contract, for CLI tests
that need no Odoo: routes answer canned envelopes (or stream), every request is recorded."""
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "f" * 40


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    body: object = None


@dataclass
class Reply:
    status: int = 200
    data: object = None
    error: dict | None = None
    headers: dict = field(default_factory=dict)


def ok(data, status=200):
    return Reply(status, data)


def fail(status, code, message, remediation=None, details=None):
    return Reply(status, error={"error": code, "message": message, "details": details or {},
                                "remediation": remediation, "docs": f"https://docs.odooops.io/errors/{code}"})


class FakeApi:
    """routes: (method, path) → a Reply, a list of Replies (served in turn, the last one repeated),
    or a function(request, handler) returning a Reply, or None when it wrote the answer itself."""

    def __init__(self, host="127.0.0.1"):
        self.routes = {}
        self.requests = []
        self.server = ThreadingHTTPServer((host, 0), _Handler)
        self.server.daemon_threads = True
        self.server.api = self
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def on(self, method, path, reply):
        self.routes[(method, "/api/v1" + path)] = reply
        return self

    def calls(self, method=None, path=None):
        return [r for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == "/api/v1" + path)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def _reply_for(self, request, handler):
        route = self.routes.get((request.method, request.path))
        if route is None:
            return fail(404, "NOT_FOUND", f"no endpoint {request.path}")
        if isinstance(route, list):
            return route.pop(0) if len(route) > 1 else route[0]
        if callable(route):
            return route(request, handler)
        return route


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _handle(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        request = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                          {k.lower(): v for k, v in self.headers.items()}, json.loads(raw) if raw else None)
        api = self.server.api
        api.requests.append(request)
        reply = api._reply_for(request, self)
        if reply is None:
            return
        envelope = {"data": reply.data, "meta": {"request_id": "req-1", "timestamp": "2026-01-01T00:00:00Z"},
                    "errors": [reply.error] if reply.error else []}
        payload = json.dumps(envelope).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle
