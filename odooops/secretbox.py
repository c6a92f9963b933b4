"""Secrets at rest (environment passwords): Fernet (AES-128-CBC + HMAC).

The key lives in a 0600 file outside the control plane's database, so that a dump
of that database alone reveals no secret."""
from __future__ import annotations

import os
from pathlib import Path

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


def load_key(path, *, create: bool = False, initial: str | None = None) -> str:
    """The sealing key in ``path``; with ``create``, made (0600, never overwritten) when
    absent, from ``initial`` if given (a key moved out of the database) or new."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise SecretError(f"the sealing key {path} is missing",
                              remediation="Restore it from your backup of the control plane's secrets folder; "
                                          "without it sealed secrets cannot be read.")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_key(path)               # made meanwhile by another worker
        with os.fdopen(fd, "w") as handle:
            handle.write(initial or new_key())
    return path.read_text().strip()
