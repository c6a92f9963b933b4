"""GitHub webhook payloads → small frozen dataclasses, every field checked.

A payload is attacker-shaped until its signature checks, and even then a branch name is
user input: branch names go through ``naming.validate_branch`` (InvalidBranchName, 422),
SHAs must be forty lowercase hex digits, and a wrong shape names the field that is wrong.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from .. import errors
from ..naming import validate_branch
from . import repository as repository_names

_SHA = re.compile(r"^[0-9a-f]{40}$")
ZERO_SHA = "0" * 40
TEXT_MAX = 2000             # commit messages and titles are kept for display only
REF_MAX = 1024            # longer refs are refused before any branch check
PR_NUMBER_MAX = 2 ** 31 - 1
REMEDIATION = ("Send the webhook as GitHub does (content type application/json); "
               "see details.field for the part of the payload that is wrong.")


@dataclass(frozen=True)
class Ping:
    repository: str | None
    hook_id: int | None
    zen: str | None


@dataclass(frozen=True)
class Push:
    repository: str
    ref: str
    branch: str | None          # None: a tag or another kind of ref
    sha: str | None             # the pushed commit ("after"); None when the push deleted the ref
    before: str | None
    created: bool
    deleted: bool
    forced: bool
    pusher: str | None
    message: str | None
    author: str | None


@dataclass(frozen=True)
class PullRequest:
    repository: str
    action: str
    number: int
    head_sha: str
    head_ref: str
    head_repository: str | None  # None: the fork was deleted
    base_ref: str
    merged: bool
    title: str | None
    author: str | None
    html_url: str | None


@dataclass(frozen=True)
class Delete:
    repository: str
    ref_type: str               # "branch" | "tag"
    ref: str


@dataclass(frozen=True)
class Unknown:
    event: str
    repository: str | None


def to_dict(parsed) -> dict:
    return {"type": type(parsed).__name__.lower(), **asdict(parsed)}


def _bad(field: str, problem: str) -> errors.ValidationFailed:
    return errors.ValidationFailed(f"webhook payload: {field} {problem}", code="WEBHOOK_PAYLOAD",
                                   details={"field": field}, remediation=REMEDIATION)


def _get(payload: dict, path: str, kind, required: bool = True):
    value = payload
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        if required:
            raise _bad(path, "is missing")
        return None
    # bool is an int in Python: a number field must not accept true/false
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _bad(path, f"must be {getattr(kind, '__name__', 'of another type')}, got {type(value).__name__}")
    return value


def _text(payload: dict, path: str) -> str | None:
    value = payload
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value[:TEXT_MAX] if isinstance(value, str) else None


def _sha(payload: dict, path: str, required: bool = True) -> str | None:
    value = _get(payload, path, str, required)
    if value is not None and not _SHA.match(value):
        raise _bad(path, "is not a 40-character hexadecimal commit SHA")
    return value


def _ref(payload: dict, path: str) -> str:
    value = _get(payload, path, str)
    if not value or len(value) > REF_MAX:
        raise _bad(path, f"must be 1 to {REF_MAX} characters")
    return value


def repository_of(payload) -> str | None:
    """The payload's ``repository.full_name``, lowercased; None when absent or not owner/name."""
    name = payload.get("repository", {}).get("full_name") if isinstance(payload, dict) and isinstance(
        payload.get("repository"), dict) else None
    try:
        return repository_names.validate(name) if name is not None else None
    except errors.ValidationFailed:
        return None


def _repository(payload: dict) -> str:
    name = _get(payload, "repository.full_name", str)
    found = repository_of(payload)
    if found is None:
        raise _bad("repository.full_name", f"is not owner/name: {name[:120]!r}")
    return found


def parse(event, payload) -> Ping | Push | PullRequest | Delete | Unknown:
    if not isinstance(event, str) or not event:
        raise errors.BadRequest("the X-GitHub-Event header is missing", code="WEBHOOK_EVENT_MISSING",
                                remediation="Send the X-GitHub-Event header (GitHub always does).")
    if not isinstance(payload, dict):
        raise _bad("(body)", "must be a JSON object")
    parser = _PARSERS.get(event)
    return parser(payload) if parser else Unknown(event=event[:100], repository=repository_of(payload))


def _ping(p: dict) -> Ping:
    return Ping(repository=repository_of(p), hook_id=_get(p, "hook_id", int, required=False), zen=_text(p, "zen"))


def _push(p: dict) -> Push:
    repository = _repository(p)
    ref = _ref(p, "ref")
    after = _sha(p, "after")
    before = _sha(p, "before", required=False)
    deleted = after == ZERO_SHA or bool(_get(p, "deleted", bool, required=False))
    branch = validate_branch(ref[len("refs/heads/"):]) if ref.startswith("refs/heads/") else None
    return Push(repository=repository, ref=ref, branch=branch, sha=None if deleted else after,
                before=None if before in (None, ZERO_SHA) else before,
                created=bool(_get(p, "created", bool, required=False)), deleted=deleted,
                forced=bool(_get(p, "forced", bool, required=False)),
                pusher=_text(p, "pusher.name"), message=_text(p, "head_commit.message"),
                author=_text(p, "head_commit.author.username") or _text(p, "head_commit.author.name"))


def _pull_request(p: dict) -> PullRequest:
    repository = _repository(p)
    action = _get(p, "action", str)
    number = _get(p, "number", int, required=False)
    number = _get(p, "pull_request.number", int) if number is None else number
    if not 1 <= number <= PR_NUMBER_MAX:
        raise _bad("number", f"must be between 1 and {PR_NUMBER_MAX}")
    head_repo = _get(p, "pull_request.head.repo.full_name", str, required=False)
    return PullRequest(repository=repository, action=action[:100], number=number,
                       head_sha=_sha(p, "pull_request.head.sha"),
                       head_ref=validate_branch(_get(p, "pull_request.head.ref", str)),
                       head_repository=repository_of({"repository": {"full_name": head_repo}}) if head_repo else None,
                       base_ref=_ref(p, "pull_request.base.ref"),
                       merged=bool(_get(p, "pull_request.merged", bool, required=False)),
                       title=_text(p, "pull_request.title"), author=_text(p, "pull_request.user.login"),
                       html_url=_text(p, "pull_request.html_url"))


def _delete(p: dict) -> Delete:
    repository = _repository(p)
    ref_type = _get(p, "ref_type", str)
    if ref_type not in ("branch", "tag"):
        raise _bad("ref_type", "must be 'branch' or 'tag'")
    ref = _ref(p, "ref")
    return Delete(repository=repository, ref_type=ref_type, ref=validate_branch(ref) if ref_type == "branch" else ref)


_PARSERS = {"ping": _ping, "push": _push, "pull_request": _pull_request, "delete": _delete}
