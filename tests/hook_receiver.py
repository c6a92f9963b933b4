"""HookReceiver: a real HTTP server that receives OdooOps event hook deliveries.

Each POST is recorded with its headers, exact body, parsed JSON and whether its
X-OdooOps-Signature-256 verifies under ``secret`` (set it once the hook's secret is known).
``fail_next`` answers errors, ``delay`` makes it slow (timeouts), ``redirect_to`` answers 302.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from fake_http import FakeServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    json: object
    signature_ok: bool
    status: int             # what the receiver answered

    @property
    def event(self) -> str | None:
        return self.headers.get("X-OdooOps-Event")


def signature_ok(secret, body: bytes, header) -> bool:
    """Verify as a receiver should (independent of the engine's code)."""
    if not secret or not header:
        return False
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.compare_digest("sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(), header)


class HookReceiver(FakeServer):
    def __init__(self, secret=None, status: int = 200):
        super().__init__()
        self.secret = secret
        self.status = status                # the normal answer
        self.delay = 0.0                    # seconds to wait before answering
        self.redirect_to: str | None = None
        self.received: list[Received] = []

    @property
    def deliveries(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def events(self) -> list[str]:
        return [r.event for r in self.deliveries]

    def wait_for(self, count: int = 1, timeout: float = 30) -> list[Received]:
        """Wait until ``count`` deliveries arrived (any answer) and return them all."""
        return self.wait_until(lambda: len(self.deliveries) >= count and self.deliveries, timeout)

    def _record(self, handler, body: bytes, status: int):
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        headers = dict(handler.headers.items())
        with self.lock:
            self.received.append(Received(handler.path, headers, body, document,
                                          signature_ok(self.secret, body, headers.get("X-OdooOps-Signature-256")),
                                          status))

    def record_failure(self, handler, body, status):
        self._record(handler, body, status)

    def handle(self, handler, method, body):
        status = 302 if self.redirect_to else self.status
        self._record(handler, body, status)     # before the delay: a timed-out delivery still counts
        if self.delay:
            time.sleep(self.delay)
        if self.redirect_to:
            return 302, {"Location": self.redirect_to}, b""
        return self.status, {}, {"ok": 200 <= self.status < 300}
