"""A small GitHub REST client: commit statuses, pull request comments, pull requests.

Every failure is a ``GitHubError`` whose ``retry_after`` says when trying again makes sense
(seconds) or that it does not (None): the job that called decides on that alone.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from ..errors import OdooOpsError
from . import repository as repository_names

STATES = ("error", "failure", "pending", "success")
RETRY_SERVER = 30           # 5xx and network failures
RETRY_RATE_DEFAULT = 60     # rate limited without a reset time
RETRY_MAX = 3600
MAX_PAGES = 50              # 5000 comments: beyond that the marker is not worth finding
DESCRIPTION_MAX = 140       # GitHub's limit for a status description
_SHA = re.compile(r"^[0-9a-f]{40}$")

_REMEDIATION = {
    401: "The GitHub token or App credentials were refused: set new ones with "
         "odooops project github P --token-stdin (or --app-id/--installation-id/--private-key-file).",
    403: "The token lacks a permission: it needs 'Commit statuses: write', 'Pull requests: read' and "
         "'Issues: write' (comments) on the repository.",
    404: "GitHub does not know the repository, commit or pull request, or the token cannot see it: check "
         "odooops project github P --repository owner/name and the token's repository access.",
    422: "GitHub refused the request's content (see details.response); a status needs a commit that exists "
         "on GitHub.",
}


class GitHubError(OdooOpsError):
    code = "GITHUB_ERROR"
    http_status = 502
    remediation = "GitHub's API failed; the call is retried later."

    def __init__(self, message: str, *, status: int | None = None, retry_after: int | None = None, **kw):
        super().__init__(message, **kw)
        self.status = status
        self.retry_after = retry_after


def _int(value) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def retry_after_of(status: int, headers, now: float | None = None) -> int | None:
    """Seconds until the call may succeed, or None: retrying will not help."""
    if status >= 500:
        return RETRY_SERVER
    if status not in (403, 429):
        return None
    given = _int(headers.get("Retry-After"))
    if given is not None:
        return max(1, min(given, RETRY_MAX))
    if headers.get("X-RateLimit-Remaining") == "0":
        reset = _int(headers.get("X-RateLimit-Reset"))
        wait = reset - int(now if now is not None else time.time()) if reset is not None else RETRY_RATE_DEFAULT
        return max(1, min(wait, RETRY_MAX))
    return RETRY_RATE_DEFAULT if status == 429 else None


class GitHubClient:
    def __init__(self, api_url: str, token_provider: Callable[[], str], timeout: float = 10):
        self.api_url = api_url.rstrip("/")
        self._host = urlsplit(self.api_url).netloc
        self.token_provider = token_provider
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or .netrc credentials from the environment

    # -- the calls -----------------------------------------------------------------------------
    def create_status(self, repo: str, sha: str, state: str, context: str, description: str = "",
                      target_url: str | None = None) -> dict:
        if state not in STATES or not _SHA.match(sha or ""):
            raise ValueError(f"bad status {state!r} for {sha!r}")
        body = {"state": state, "context": context[:255], "description": (description or "")[:DESCRIPTION_MAX]}
        if target_url:
            body["target_url"] = target_url
        return self._call("POST", f"/repos/{self._repo(repo)}/statuses/{sha}", json=body).json()

    def create_comment(self, repo: str, number: int, body: str) -> int:
        answer = self._call("POST", f"/repos/{self._repo(repo)}/issues/{int(number)}/comments", json={"body": body})
        return int(answer.json()["id"])

    def update_comment(self, repo: str, comment_id: int, body: str) -> dict:
        return self._call("PATCH", f"/repos/{self._repo(repo)}/issues/comments/{int(comment_id)}",
                          json={"body": body}).json()

    def find_comment(self, repo: str, number: int, marker: str) -> int | None:
        """The id of the first comment on the pull request containing ``marker``, following Link pages."""
        url = f"{self.api_url}/repos/{self._repo(repo)}/issues/{int(number)}/comments?per_page=100"
        for _page in range(MAX_PAGES):
            answer = self._call("GET", url)
            for comment in answer.json():
                if isinstance(comment, dict) and marker in (comment.get("body") or ""):
                    return int(comment["id"])
            url = answer.links.get("next", {}).get("url")
            # the token goes to the API's own host only, whatever a Link header says
            if not url or urlsplit(url).netloc != self._host:
                return None
        return None

    def pull_request(self, repo: str, number: int) -> dict:
        return self._call("GET", f"/repos/{self._repo(repo)}/pulls/{int(number)}").json()

    # -- plumbing ------------------------------------------------------------------------------
    @staticmethod
    def _repo(repo: str) -> str:
        return repository_names.validate(repo)

    def headers(self) -> dict:
        return {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                "Authorization": f"Bearer {self.token_provider()}", "User-Agent": "OdooOps"}

    def _call(self, method: str, path_or_url: str, json=None) -> requests.Response:
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.api_url + path_or_url
        shown = f"{method} {urlsplit(url).path}"
        try:
            answer = self.session.request(method, url, json=json, headers=self.headers(), timeout=self.timeout,
                                          allow_redirects=False)
        except requests.RequestException as exc:
            raise GitHubError(f"{shown}: {type(exc).__name__}", retry_after=RETRY_SERVER,
                              details={"request": shown},
                              remediation="GitHub's API could not be reached; the call is retried. Check the "
                                          "control plane's network and the project's api_url.") from None
        if 200 <= answer.status_code < 300:
            return answer
        raise self._error(shown, answer)

    @staticmethod
    def _error(shown: str, answer: requests.Response) -> GitHubError:
        status = answer.status_code
        retry = retry_after_of(status, answer.headers)
        try:
            data = answer.json()
        except ValueError:
            data = None
        message = str(data.get("message", "")) if isinstance(data, dict) else answer.text
        message = message[:300]
        if retry is not None:
            remediation = f"GitHub answered {status}; the call is retried in {retry} s."
        else:
            remediation = _REMEDIATION.get(status, f"GitHub answered {status}: see details.response.")
        return GitHubError(f"{shown}: GitHub answered {status} {message}".strip(), status=status, retry_after=retry,
                           details={"request": shown, "status": status, "response": message},
                           remediation=remediation)
