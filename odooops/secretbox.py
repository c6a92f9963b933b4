"""Secrets at rest (environment database passwords): Fernet (AES-128-CBC + HMAC)."""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from .errors import SecretError


def new_key() -> str:
    return Fernet.generate_key().decode()


def seal(key: str, plaintext: str) -> str:
    return Fernet(key.encode()).encrypt(plaintext.encode()).decode()


def open_(key: str, sealed: str) -> str:
    try:
        return Fernet(key.encode()).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretError("cannot decrypt a stored secret") from None
