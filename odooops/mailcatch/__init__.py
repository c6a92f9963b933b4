"""The mail catcher: outgoing mail of non-production environments, kept on this host.

An SMTP sink (aiosmtpd, ``python -m odooops.mailcatch``) on 127.0.0.1. Each environment's
Odoo logs in as itself: user = its database name, password = an HMAC of that name under
the control plane's sealing key (no new stored secret). A message is stored under the
login's own folder, <state_dir>/mails/<database>/<timestamp>-<uuid>.eml (0600), and never
relayed: one environment can neither read nor place mail in another's folder.
"""
from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import os
import re
import time
import uuid
from email.utils import parsedate_to_datetime
from pathlib import Path

from ..errors import NotFound, ValidationFailed

HOST = "127.0.0.1"
_DATABASE = re.compile(r"^[a-z0-9][a-z0-9_]{0,62}$")
_FILE = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{32}\.eml$")
MAX_BYTES = 25 * 1024 * 1024


def password(key: str, database: str) -> str:
    """The SMTP password of the environment whose database is ``database``."""
    digest = hmac.new(key.encode(), f"odooops-mail:{database}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def check_login(key: str, user: str, given: str) -> bool:
    return bool(_DATABASE.fullmatch(user or "")) and hmac.compare_digest(password(key, user).encode(),
                                                                       (given or "").encode())


def root(state_dir) -> Path:
    return Path(state_dir) / "mails"


def _folder(state_dir, database: str) -> Path:
    if not _DATABASE.fullmatch(database or ""):
        raise ValidationFailed(f"not a database name: {database!r}")
    return root(state_dir) / database


def store(state_dir, database: str, content: bytes) -> Path:
    """Keep one caught message (0600); returns its file."""
    folder = _folder(state_dir, database)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 1_000_000_000)) + f"{now % 1_000_000_000 // 1000:06d}"
    path = folder / f"{stamp}-{uuid.uuid4().hex}.eml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return path


def mail_id(database: str, name: str) -> str:
    """The public id of a message: '<database>.<file name without .eml>' (URL-safe)."""
    return f"{database}.{name[:-4]}"


def parse_id(value: str) -> tuple[str, str]:
    """(database, file name) of an id; anything else (a path, '..') is refused."""
    database, _, stem = (value or "").partition(".")
    name = stem + ".eml"
    if not _DATABASE.fullmatch(database) or not _FILE.fullmatch(name):
        raise ValidationFailed(f"not a mail id: {value!r}",
                               remediation="Use an id as listed by GET /api/v1/environments/{id}/mails.")
    return database, name


def _parse(path: Path):
    with open(path, "rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)


def _date(message, path: Path) -> str:
    try:
        return parsedate_to_datetime(message["Date"]).isoformat()
    except (TypeError, ValueError):
        return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(path.stat().st_mtime))


def _summary(database: str, path: Path) -> dict:
    message = _parse(path)
    return {"id": mail_id(database, path.name), "from": str(message["From"] or ""), "to": str(message["To"] or ""),
            "subject": str(message["Subject"] or ""), "date": _date(message, path), "size": path.stat().st_size}


def list_mails(state_dir, database: str, *, offset: int = 0, limit: int = 50) -> tuple[int, list[dict]]:
    """(total, one page) of an environment's caught messages, newest first."""
    folder = _folder(state_dir, database)
    names = sorted((p.name for p in folder.glob("*.eml") if _FILE.fullmatch(p.name)), reverse=True) \
        if folder.is_dir() else []
    return len(names), [_summary(database, folder / name) for name in names[offset:offset + limit]]


def read_mail(state_dir, value: str) -> dict:
    """One caught message: headers, text and HTML bodies, attachments (name, type, size)."""
    database, name = parse_id(value)
    path = _folder(state_dir, database) / name
    if not path.is_file():
        raise NotFound(f"no caught mail {value}", remediation="List them with odooops mail list ENV.")
    message = _parse(path)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        attachments.append({"name": part.get_filename() or "", "content_type": part.get_content_type(),
                            "size": len(payload)})
    return {**_summary(database, path), "database": database,
            "headers": [[k, str(v)] for k, v in message.items()],
            "text": text.get_content() if text is not None else "",
            "html": html.get_content() if html is not None else "",
            "attachments": attachments}
