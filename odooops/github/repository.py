"""GitHub repository names ("owner/name") and how to read one out of a git remote URL."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..errors import ValidationFailed

# GitHub: owner 1-39 of [A-Za-z0-9-]; repository 1-100 of [A-Za-z0-9._-], never "." or "..".
_FULL_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38})/[a-z0-9._-]{1,100}$")
_SCP = re.compile(r"^[A-Za-z0-9._-]+@(?P<host>[A-Za-z0-9.-]+):(?P<path>[^\s]+)$")


def validate(full_name) -> str:
    """``full_name`` lowercased, when it is a GitHub ``owner/name``; ValidationFailed otherwise."""
    if isinstance(full_name, str):
        name = full_name.strip().lower()
        if _FULL_NAME.match(name) and name.split("/")[1] not in (".", ".."):
            return name
    shown = full_name if not isinstance(full_name, str) or len(full_name) <= 120 else full_name[:117] + "..."
    raise ValidationFailed(f"not a GitHub repository name: {shown!r}", code="INVALID_REPOSITORY",
                           details={"repository": shown},
                           remediation="Give the repository as owner/name, e.g. acme/odoo-addons.")


def _from_path(path: str) -> str | None:
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    parts = path.split("/")
    if len(parts) != 2:
        return None
    try:
        return validate("/".join(parts))
    except ValidationFailed:
        return None


def from_remote(url) -> str | None:
    """owner/name of a GitHub (or GitHub Enterprise) remote: https://host/o/r(.git), ssh://git@host/o/r.git,
    git@host:o/r.git. None for local paths and anything else."""
    if not isinstance(url, str) or not url or url.startswith("/"):
        return None
    match = _SCP.match(url)
    if match and "://" not in url:
        return _from_path(match.group("path"))
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https", "ssh", "git") or not parts.hostname:
        return None
    return _from_path(parts.path)
