"""GitHubClient against FakeGitHub: statuses, comments (paginated), pull requests, and errors."""
import time

import github_payloads as gh
import pytest
from github_server import TOKEN, FakeGitHub

from odooops.github import client as github_client
from odooops.github.client import GitHubClient, GitHubError

REPO, SHA = "acme/addons", gh.sha(3)


@pytest.fixture
def fake():
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def api(fake):
    return GitHubClient(fake.url, lambda: TOKEN, timeout=5)


def test_create_status_sends_githubs_headers_and_a_capped_description(fake, api):
    api.create_status("Acme/Addons", SHA, "pending", "odooops/main", "d" * 300, "https://ops.example.com/x")
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", f"/repos/acme/addons/statuses/{SHA}")
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}" and request.headers["User-Agent"] == "OdooOps"
    (status,) = fake.statuses(SHA)
    assert (status["state"], status["context"], len(status["description"]), status["target_url"]) == (
        "pending", "odooops/main", 140, "https://ops.example.com/x")


def test_bad_status_arguments_never_reach_github(fake, api):
    for state, sha in (("done", SHA), ("success", "HEAD"), ("success", SHA + "/../x")):
        with pytest.raises(ValueError):
            api.create_status(REPO, sha, state, "ctx")
    with pytest.raises(Exception, match="not a GitHub repository name"):
        api.create_status("../../etc", SHA, "success", "ctx")
    assert fake.requests == []


def test_a_comment_is_created_then_found_and_updated(fake, api):
    comment_id = api.create_comment(REPO, 5, "<!-- odooops:preview:acme:5 -->\nbuilding")
    assert api.find_comment(REPO, 5, "<!-- odooops:preview:acme:5 -->") == comment_id
    api.update_comment(REPO, comment_id, "<!-- odooops:preview:acme:5 -->\nready")
    api.update_comment(REPO, comment_id, "<!-- odooops:preview:acme:5 -->\nready again")
    (comment,) = fake.comments(REPO, 5)
    assert comment["id"] == comment_id and comment["body"].endswith("ready again")
    assert [(r.method, r.path.rsplit("/", 2)[-2:]) for r in fake.requests] == [
        ("POST", ["5", "comments"]), ("GET", ["5", "comments"]), ("PATCH", ["comments", str(comment_id)]),
        ("PATCH", ["comments", str(comment_id)])]


def test_find_comment_follows_link_pagination(fake, api):
    ids = fake.add_comments(REPO, 9, [f"comment {i}" for i in range(250)] + ["<!-- marker -->"])
    assert api.find_comment(REPO, 9, "<!-- marker -->") == ids[-1]
    pages = [r.query.get("page", ["1"])[0] for r in fake.calls("GET", "/comments")]
    assert pages == ["1", "2", "3"]
    assert api.find_comment(REPO, 9, "<!-- absent -->") is None
    assert api.find_comment(REPO, 404, "<!-- marker -->") is None


def test_pagination_never_sends_the_token_to_another_host(fake, api, monkeypatch):
    fake.add_comments(REPO, 9, ["x"] * 150)
    original = fake._list_comments

    def elsewhere(request, repo, n):
        status, headers, body = original(request, repo, n)
        return status, {"Link": '<http://evil.example.com/steal?page=2>; rel="next"'}, body
    monkeypatch.setattr(fake, "_list_comments", elsewhere)
    assert api.find_comment(REPO, 9, "nothing") is None
    assert len(fake.calls("GET")) == 1


def test_pull_request(fake, api):
    fake.add_pull(REPO, 8, SHA, "feature/x")
    assert api.pull_request("ACME/addons", 8)["head"]["sha"] == SHA
    with pytest.raises(GitHubError) as caught:
        api.pull_request(REPO, 9)
    assert caught.value.status == 404 and caught.value.retry_after is None
    assert "--repository owner/name" in caught.value.remediation


def _error(api, fake, status, headers=None, body=None) -> GitHubError:
    fake.fail_next(1, status, headers, body)
    with pytest.raises(GitHubError) as caught:
        api.create_status(REPO, SHA, "success", "ctx")
    return caught.value


def test_server_errors_and_unreachable_github_are_retried_in_30_s(fake, api):
    for status in (500, 502, 503):
        error = _error(api, fake, status, body={"message": "Server Error"})
        assert (error.status, error.retry_after, error.http_status) == (status, 30, 502)
    unreachable = GitHubClient("http://127.0.0.1:9", lambda: TOKEN, timeout=2)
    with pytest.raises(GitHubError) as caught:
        unreachable.create_status(REPO, SHA, "success", "ctx")
    assert caught.value.retry_after == 30 and caught.value.status is None and TOKEN not in str(caught.value.to_dict())


def test_rate_limits_wait_as_github_says(fake, api):
    assert _error(api, fake, 429, {"Retry-After": "17"}).retry_after == 17
    assert _error(api, fake, 403, {"Retry-After": "5"}).retry_after == 5
    reset = int(time.time()) + 120
    limited = _error(api, fake, 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
                     {"message": "API rate limit exceeded"})
    assert 110 <= limited.retry_after <= 121 and limited.status == 403
    far = _error(api, fake, 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset + 99_999)})
    assert far.retry_after == 3600
    assert _error(api, fake, 429).retry_after == github_client.RETRY_RATE_DEFAULT


def test_refusals_are_not_retried_and_say_what_to_fix(fake):
    bad_token = GitHubClient(fake.url, lambda: "wrong-token")
    with pytest.raises(GitHubError) as caught:
        bad_token.create_status(REPO, SHA, "success", "ctx")
    assert (caught.value.status, caught.value.retry_after) == (401, None)
    assert "--token-stdin" in caught.value.remediation and "wrong-token" not in str(caught.value.to_dict())
    api = GitHubClient(fake.url, lambda: TOKEN)
    forbidden = _error(api, fake, 403, body={"message": "Resource not accessible by integration"})
    assert forbidden.retry_after is None and "Commit statuses: write" in forbidden.remediation
    assert "Resource not accessible" in forbidden.details["response"]
    unprocessable = _error(api, fake, 422, body={"message": "No commit found for SHA"})
    assert unprocessable.retry_after is None and unprocessable.status == 422


def test_retry_after_of_is_pure():
    assert github_client.retry_after_of(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000"}, now=990) == 10
    assert github_client.retry_after_of(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "900"}, now=990) == 1
    assert github_client.retry_after_of(403, {"X-RateLimit-Remaining": "12"}) is None
    assert github_client.retry_after_of(404, {"Retry-After": "3"}) is None
    assert github_client.retry_after_of(429, {"Retry-After": "nonsense"}) == 60
