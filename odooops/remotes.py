"""Validation of git remote addresses given by users."""
from __future__ import annotations

import re

from .errors import ValidationFailed

_URL = re.compile(r"^(https?|ssh|git|file)://[^\s'\"`$;|&<>\\]+$")
_SCP = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._/~-]+$")
_LOCAL = re.compile(r"^/[A-Za-z0-9._/ -]*$")


def validate_git_remote(remote) -> str:
    if isinstance(remote, str) and not remote.startswith("-") and (
            _URL.match(remote) or _SCP.match(remote) or _LOCAL.match(remote)) and len(remote) <= 500:
        return remote
    raise ValidationFailed(
        f"invalid git remote {remote!r}", details={"git_remote": remote},
        remediation="Use https://host/owner/repo.git, ssh://…, git@host:owner/repo.git or an absolute local path.")
