"""One attempt to deliver an event hook, and when to try again."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import requests

from ..github.signature import sign

USER_AGENT = "OdooOps-Hookshot/1"
MAX_ATTEMPTS = 8
BACKOFF = (10, 30, 60, 300, 900, 1800, 3600)
EXCERPT_MAX = 500
RETRYABLE_STATUS = (408, 429)


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    seconds: float
    error: str | None
    ok: bool
    retryable: bool
    response_excerpt: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def backoff(attempt: int) -> int:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    return BACKOFF[min(max(attempt, 1), len(BACKOFF)) - 1]


def headers(secret, event: str, delivery_id: str, body: bytes) -> dict:
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-OdooOps-Event": event,
            "X-OdooOps-Delivery": delivery_id, "X-OdooOps-Signature-256": sign(secret, body)}


def _excerpt(answer) -> str:
    """The start of the receiver's answer, for the delivery log; the status counts even if it cannot be read."""
    try:
        chunk = next(answer.iter_content(EXCERPT_MAX), b"")
    except (requests.RequestException, OSError):
        chunk = b""
    finally:
        answer.close()
    return chunk[:EXCERPT_MAX].decode("utf-8", "replace")


def deliver(url: str, secret, event: str, delivery_id: str, body: bytes, timeout: float = 10) -> Attempt:
    """POST ``body`` once. Never raises for what the receiver does; redirects are not followed
    (a redirect could lead a checked URL to a private address)."""
    started = time.monotonic()
    session = requests.Session()
    session.trust_env = False
    try:
        answer = session.post(url, data=body, headers=headers(secret, event, delivery_id, body), timeout=timeout,
                              allow_redirects=False, stream=True)
        excerpt = _excerpt(answer)
    except requests.RequestException as exc:
        kind = "timeout" if isinstance(exc, requests.Timeout) else "connection failed"
        return Attempt(None, round(time.monotonic() - started, 3), f"{kind}: {type(exc).__name__}",
                       ok=False, retryable=True)
    finally:
        session.close()
    status = answer.status_code
    ok = 200 <= status < 300
    retryable = not ok and (status in RETRYABLE_STATUS or status >= 500)
    error = None if ok else f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    return Attempt(status, round(time.monotonic() - started, 3), error, ok=ok, retryable=retryable,
                   response_excerpt=excerpt)
