"""Webhook payloads shaped like GitHub's own (docs.github.com "Webhook events and payloads"),
and the headers GitHub sends with them, signed.

``body, headers = request(SECRET, "push", push("acme/addons", "main", SHA))`` gives what to POST.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid

ZERO = "0" * 40
HOOK_ID = 468_219_741
OWNER_ID = 583_231


def sha(n: int | str) -> str:
    """A stable fake 40-hex commit SHA: sha(1), sha("feature")."""
    return hashlib.sha1(str(n).encode()).hexdigest()


def _user(login: str) -> dict:
    return {"login": login, "id": OWNER_ID, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{OWNER_ID}?v=4",
            "url": f"https://api.github.com/users/{login}", "html_url": f"https://github.com/{login}",
            "type": "User", "site_admin": False}


def repository(full_name: str, repo_id: int = 186_853_002) -> dict:
    owner, name = full_name.split("/", 1)
    html = f"https://github.com/{full_name}"
    return {"id": repo_id, "node_id": "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=", "name": name, "full_name": full_name,
            "private": False, "owner": {**_user(owner), "name": owner, "email": None}, "html_url": html,
            "description": None, "fork": False, "url": f"https://api.github.com/repos/{full_name}",
            "git_url": f"git://github.com/{full_name}.git", "ssh_url": f"git@github.com:{full_name}.git",
            "clone_url": f"{html}.git", "svn_url": html, "homepage": None, "size": 0,
            "default_branch": "main", "master_branch": "main", "visibility": "public",
            "created_at": 1557933565, "updated_at": "2019-05-15T15:20:41Z", "pushed_at": 1557933657}


def _commit(full_name: str, commit_sha: str, message: str, author: str) -> dict:
    person = {"name": author.title(), "email": f"{author}@example.com", "username": author}
    return {"id": commit_sha, "tree_id": sha(f"tree-{commit_sha}"), "distinct": True, "message": message,
            "timestamp": "2026-11-26T12:00:00Z", "url": f"https://github.com/{full_name}/commit/{commit_sha}",
            "author": person, "committer": person, "added": [], "removed": [], "modified": ["README.md"]}


def push(repo: str, branch: str | None, after: str, before: str | None = None, deleted: bool = False,
         created: bool = False, forced: bool = False, tag: str | None = None, message: str = "Update README",
         pusher: str = "octocat") -> dict:
    """A push event. ``tag`` pushes refs/tags/TAG instead of a branch; ``deleted`` makes after zeros."""
    ref = f"refs/tags/{tag}" if tag else f"refs/heads/{branch}"
    after = ZERO if deleted else after
    before = ZERO if created else (before or sha(f"before-{after}"))
    head = None if deleted else _commit(repo, after, message, pusher)
    return {"ref": ref, "before": before, "after": after, "repository": repository(repo),
            "pusher": {"name": pusher, "email": f"{pusher}@example.com"}, "sender": _user(pusher),
            "created": created, "deleted": deleted, "forced": forced, "base_ref": None,
            "compare": f"https://github.com/{repo}/compare/{before[:12]}...{after[:12]}",
            "commits": [head] if head else [], "head_commit": head}


def pull_request(repo: str, action: str, number: int, head_sha: str, head_ref: str, merged: bool = False,
                 base_ref: str = "main", title: str = "Add CRM automation", author: str = "octocat",
                 head_repo: str | None = None) -> dict:
    """A pull_request event (opened, synchronize, reopened, closed, labeled, …). ``head_repo``: a fork."""
    closed = action == "closed"
    head_repo = head_repo or repo
    html = f"https://github.com/{repo}/pull/{number}"
    document = {
        "url": f"https://api.github.com/repos/{repo}/pulls/{number}", "id": 279_147_437 + number,
        "node_id": "MDExOlB1bGxSZXF1ZXN0Mjc5MTQ3NDM3", "html_url": html, "diff_url": f"{html}.diff",
        "number": number, "state": "closed" if closed else "open", "locked": False, "title": title,
        "user": _user(author), "body": "This is a pretty simple change.", "created_at": "2026-11-26T12:00:00Z",
        "updated_at": "2026-11-26T12:00:00Z", "closed_at": "2026-11-26T13:00:00Z" if closed else None,
        "merged_at": "2026-11-26T13:00:00Z" if merged else None,
        "merge_commit_sha": sha(f"merge-{number}") if merged else None, "draft": False,
        "head": {"label": f"{head_repo.split('/')[0]}:{head_ref}", "ref": head_ref, "sha": head_sha,
                 "user": _user(head_repo.split("/")[0]), "repo": repository(head_repo)},
        "base": {"label": f"{repo.split('/')[0]}:{base_ref}", "ref": base_ref, "sha": sha(f"base-{base_ref}"),
                 "user": _user(repo.split("/")[0]), "repo": repository(repo)},
        "merged": merged, "mergeable": None, "merged_by": _user(author) if merged else None,
        "comments": 0, "commits": 1, "additions": 1, "deletions": 1, "changed_files": 1}
    payload = {"action": action, "number": number, "pull_request": document, "repository": repository(repo),
               "sender": _user(author)}
    if action == "synchronize":
        payload.update(before=sha(f"before-{head_sha}"), after=head_sha)
    return payload


def delete(repo: str, ref: str, ref_type: str = "branch", sender: str = "octocat") -> dict:
    return {"ref": ref, "ref_type": ref_type, "pusher_type": "user", "repository": repository(repo),
            "sender": _user(sender)}


def ping(repo: str, url: str = "https://odooops.example.com/api/v1/webhooks/github") -> dict:
    return {"zen": "Keep it logically awesome.", "hook_id": HOOK_ID,
            "hook": {"type": "Repository", "id": HOOK_ID, "name": "web", "active": True,
                     "events": ["push", "pull_request", "delete"],
                     "config": {"content_type": "json", "insecure_ssl": "0", "url": url},
                     "updated_at": "2026-11-26T12:00:00Z", "created_at": "2026-11-26T12:00:00Z"},
            "repository": repository(repo), "sender": _user(repo.split("/")[0])}


def encode(payload) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def signed_headers(secret, body: bytes, event: str, guid: str | None = None) -> dict:
    """The headers of a GitHub delivery of ``body``, signed with ``secret`` (None: unsigned)."""
    headers = {"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/2f9d3a1",
               "X-GitHub-Event": event, "X-GitHub-Delivery": guid or str(uuid.uuid4()),
               "X-GitHub-Hook-ID": str(HOOK_ID), "X-GitHub-Hook-Installation-Target-Type": "repository",
               "X-GitHub-Hook-Installation-Target-ID": "186853002"}
    if secret is not None:
        key = secret.encode() if isinstance(secret, str) else secret
        headers["X-Hub-Signature"] = "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return headers


def request(secret, event: str, payload, guid: str | None = None) -> tuple[bytes, dict]:
    """(body, headers) ready to POST to /api/v1/webhooks/github."""
    body = encode(payload)
    return body, signed_headers(secret, body, event, guid)
