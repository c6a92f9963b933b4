"""The common part of the fake HTTP servers of the tests (FakeGitHub, HookReceiver): a real
ThreadingHTTPServer on 127.0.0.1 and a free port, in a daemon thread, as a context manager."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeServer:
    """Subclasses implement ``handle(handler, method, body) -> (status, headers, body bytes|dict|list|None)``."""

    def __init__(self):
        self.lock = threading.Lock()
        self._failures: list[tuple[int, dict, object]] = []
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # -- failures the test asks for ------------------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 502, headers: dict | None = None, body=None):
        """The next ``n`` requests answer ``status`` (with ``headers``) instead of being served."""
        with self.lock:
            self._failures.extend([(status, dict(headers or {}), body)] * n)

    def _take_failure(self):
        with self.lock:
            return self._failures.pop(0) if self._failures else None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):   # keep test output clean
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                failure = owner._take_failure()
                try:
                    status, headers, payload = failure or owner.handle(self, self.command, body)
                except Exception as exc:  # noqa: BLE001 — a bug in a fake must show as a 500, not hang
                    status, headers, payload = 500, {}, {"message": f"fake server error: {exc!r}"}
                if failure is not None:
                    owner.record_failure(self, body, status)
                if isinstance(payload, (dict, list)):
                    payload = json.dumps(payload).encode()
                    headers = {"Content-Type": "application/json; charset=utf-8", **headers}
                payload = payload or b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, str(value))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                         name=type(self).__name__).start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def record_failure(self, handler, body: bytes, status: int):
        """Called for a request answered by ``fail_next``; subclasses record it too."""

    def handle(self, handler, method: str, body: bytes):
        raise NotImplementedError

    @staticmethod
    def wait_until(predicate, timeout: float = 30, interval: float = 0.05):
        """Poll ``predicate`` until it is true (returns its value) or fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            time.sleep(interval)
