"""HMAC-SHA256 signatures of webhook bodies, GitHub's X-Hub-Signature-256 format ("sha256=<hex>")."""
from __future__ import annotations

import hashlib
import hmac
import re

PREFIX = "sha256="
_HEADER = re.compile(r"^sha256=[0-9a-f]{64}$")


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def sign(secret: str | bytes, body: bytes) -> str:
    return PREFIX + hmac.new(_key(secret), body, hashlib.sha256).hexdigest()


def verify(secret: str | bytes | None, body: bytes, header: str | None) -> bool:
    """True only when ``header`` is the signature of ``body`` under ``secret`` (constant-time compare)."""
    if not secret or not isinstance(header, str):
        return False
    header = header.strip().lower()
    if not _HEADER.match(header):
        return False
    return hmac.compare_digest(sign(secret, body), header)
