"""FakeGitHub: a real HTTP server speaking the part of GitHub's REST API OdooOps uses.

Commit statuses, issue comments (paginated with Link headers as GitHub does), pull requests
(from ``.pulls``, which the test fills) and GitHub App installation tokens (the RS256 JWT is
verified with ``.app_public_key``). Bearer tokens must be in ``.tokens``. Every request is
recorded in ``.requests`` so tests can assert what was sent, in order.
"""
from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fake_http import FakeServer

TOKEN = "ghp_test_token_0123456789"
APP_ID = "424242"
INSTALLATION_ID = 777
STATES = ("error", "failure", "pending", "success")
_REPO = r"(?P<repo>[^/]+/[^/]+)"
ROUTES = [
    ("POST", re.compile(rf"^/repos/{_REPO}/statuses/(?P<sha>[0-9a-f]{{40}})$"), "_create_status"),
    ("POST", re.compile(rf"^/repos/{_REPO}/issues/(?P<n>\d+)/comments$"), "_create_comment"),
    ("GET", re.compile(rf"^/repos/{_REPO}/issues/(?P<n>\d+)/comments$"), "_list_comments"),
    ("PATCH", re.compile(rf"^/repos/{_REPO}/issues/comments/(?P<id>\d+)$"), "_update_comment"),
    ("GET", re.compile(rf"^/repos/{_REPO}/pulls/(?P<n>\d+)$"), "_get_pull"),
    ("POST", re.compile(r"^/app/installations/(?P<id>\d+)/access_tokens$"), "_installation_token"),
]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    json: object
    query: dict = field(default_factory=dict)
    status: int = 0


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_app_key() -> tuple[bytes, rsa.RSAPublicKey]:
    """A fresh RSA key: (private key PEM, public key) for a GitHub App in tests."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    return pem, key.public_key()


class FakeGitHub(FakeServer):
    def __init__(self, tokens=(TOKEN,), app_id: str = APP_ID, installation_id: int = INSTALLATION_ID):
        super().__init__()
        self.tokens = set(tokens)
        self.app_id = str(app_id)
        self.installation_id = int(installation_id)
        self.app_public_key: rsa.RSAPublicKey | None = None
        self.app_private_key_pem: bytes | None = None
        self.token_ttl = 3600               # lifetime of the installation tokens it issues
        self.pulls: dict = {}               # (repo, number) or number -> a pull request document
        self.requests: list[Recorded] = []
        self._statuses: list[dict] = []
        self._comments: dict[tuple[str, int], list[dict]] = {}
        self._ids = itertools.count(1_000_001)

    # -- what tests set up and look at -----------------------------------------------------------
    def make_app_key(self) -> bytes:
        """Generate the App's key pair; returns the private key PEM the client must use."""
        self.app_private_key_pem, self.app_public_key = generate_app_key()
        return self.app_private_key_pem

    def add_pull(self, repo: str, number: int, head_sha: str, head_ref: str, base_ref: str = "main",
                 state: str = "open", title: str = "A change", login: str = "octocat") -> dict:
        full = f"https://github.com/{repo}"
        self.pulls[(repo.lower(), number)] = document = {
            "id": 10_000 + number, "number": number, "state": state, "title": title, "merged": False,
            "html_url": f"{full}/pull/{number}", "user": {"login": login, "id": 1, "type": "User"},
            "head": {"ref": head_ref, "sha": head_sha, "label": f"{repo.split('/')[0]}:{head_ref}",
                     "repo": {"full_name": repo, "clone_url": f"{full}.git"}},
            "base": {"ref": base_ref, "sha": "0" * 39 + "1", "repo": {"full_name": repo}}}
        return document

    def add_comments(self, repo: str, number: int, bodies) -> list[int]:
        """Comments already on a pull request (to test pagination); returns their ids."""
        return [self._new_comment(repo, number, body, "someone")["id"] for body in bodies]

    def statuses(self, sha: str, repo: str | None = None) -> list[dict]:
        with self.lock:
            return [dict(s) for s in self._statuses if s["sha"] == sha and repo in (None, s["repo"])]

    def comments(self, repo: str, number: int) -> list[dict]:
        with self.lock:
            return [dict(c) for c in self._comments.get((repo.lower(), int(number)), [])]

    def calls(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if method in (None, r.method) and contains in r.path]

    # -- the server --------------------------------------------------------------------------------
    def _record(self, handler, body: bytes, status: int) -> Recorded:
        parts = urlsplit(handler.path)
        try:
            document = json.loads(body) if body else None
        except ValueError:
            document = body
        recorded = Recorded(handler.command, parts.path, dict(handler.headers.items()), document,
                            parse_qs(parts.query), status)
        with self.lock:
            self.requests.append(recorded)
        return recorded

    def record_failure(self, handler, body, status):
        self._record(handler, body, status)

    def handle(self, handler, method, body):
        recorded = self._record(handler, body, 0)
        answer = self._route(handler, recorded)
        recorded.status = answer[0]
        return answer

    def _route(self, handler, request: Recorded):
        for verb, pattern, name in ROUTES:
            match = pattern.match(request.path)
            if match and verb == request.method:
                if name != "_installation_token" and not self._authorized(request.headers):
                    return 401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com"}
                return getattr(self, name)(request, **match.groupdict())
        return 404, {}, {"message": "Not Found"}

    def _authorized(self, headers) -> bool:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        return scheme.lower() in ("bearer", "token") and token in self.tokens

    def _create_status(self, request, repo, sha):
        body = request.json if isinstance(request.json, dict) else {}
        if body.get("state") not in STATES:
            return 422, {}, {"message": "Validation Failed", "errors": [{"field": "state", "code": "invalid"}]}
        status = {"id": next(self._ids), "repo": repo.lower(), "sha": sha, "state": body["state"],
                  "context": body.get("context", "default"), "description": body.get("description"),
                  "target_url": body.get("target_url"), "created_at": _now()}
        with self.lock:
            self._statuses.append(status)
        return 201, {}, status

    def _new_comment(self, repo, number, text, login):
        comment = {"id": next(self._ids), "body": text, "user": {"login": login}, "created_at": _now(),
                   "updated_at": _now(), "html_url": f"https://github.com/{repo}/pull/{number}"}
        with self.lock:
            self._comments.setdefault((repo.lower(), int(number)), []).append(comment)
        return comment

    def _create_comment(self, request, repo, n):
        body = request.json if isinstance(request.json, dict) else {}
        if not isinstance(body.get("body"), str):
            return 422, {}, {"message": "Validation Failed"}
        return 201, {}, self._new_comment(repo, n, body["body"], "odooops[bot]")

    def _list_comments(self, request, repo, n):
        per_page = min(int((request.query.get("per_page") or ["30"])[0]), 100)
        page = max(int((request.query.get("page") or ["1"])[0]), 1)
        every = self.comments(repo, int(n))
        chunk = every[(page - 1) * per_page: page * per_page]
        last = max(1, -(-len(every) // per_page))
        base = f"{self.url}{request.path}?per_page={per_page}&page="
        links = [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"'] if page < last else []
        return 200, ({"Link": ", ".join(links)} if links else {}), chunk

    def _update_comment(self, request, repo, id):  # noqa: A002 — the route's name
        body = request.json if isinstance(request.json, dict) else {}
        with self.lock:
            for (owner_repo, _n), comments in self._comments.items():
                for comment in comments:
                    if comment["id"] == int(id) and owner_repo == repo.lower():
                        comment.update(body=body.get("body", comment["body"]), updated_at=_now())
                        return 200, {}, dict(comment)
        return 404, {}, {"message": "Not Found"}

    def _get_pull(self, request, repo, n):
        found = self.pulls.get((repo.lower(), int(n))) or self.pulls.get(int(n))
        return (200, {}, found) if found else (404, {}, {"message": "Not Found"})

    def _installation_token(self, request, id):  # noqa: A002
        problem = self._jwt_problem(request.headers)
        if problem:
            return 401, {}, {"message": problem}
        if int(id) != self.installation_id:
            return 404, {}, {"message": "Not Found"}
        token = "ghs_" + secrets.token_hex(16)
        with self.lock:
            self.tokens.add(token)
        expires = datetime.now(timezone.utc) + timedelta(seconds=self.token_ttl)
        return 201, {}, {"token": token, "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "permissions": {"statuses": "write", "issues": "write", "pull_requests": "read"}}

    def _jwt_problem(self, headers) -> str | None:
        """Why the App JWT is refused (None: it is good), checked as GitHub does."""
        scheme, _, jwt = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or jwt.count(".") != 2 or self.app_public_key is None:
            return "A JSON web token could not be decoded"
        head, claims, signature = jwt.split(".")
        try:
            self.app_public_key.verify(_b64decode(signature), f"{head}.{claims}".encode(), padding.PKCS1v15(),
                                       hashes.SHA256())
            header, claims = json.loads(_b64decode(head)), json.loads(_b64decode(claims))
        except (InvalidSignature, ValueError):
            return "A JSON web token could not be decoded"
        now = time.time()
        if header.get("alg") != "RS256":
            return "'alg' must be RS256"
        if str(claims.get("iss")) != self.app_id:
            return "'Issuer' claim ('iss') must be an Integer"
        if not (claims.get("iat", now + 1) <= now + 5 and now < claims.get("exp", 0) <= now + 600 + 5):
            return "'Expiration time' claim ('exp') is too far in the future"
        return None


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
