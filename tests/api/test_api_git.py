"""The git integration's API on a live control plane, without real deployments: the GitHub
webhook refuses every bad input with the right status and records nothing (wrong or missing
signature, another project's secret, a replay, truncated, huge or non-JSON bodies, branch
names built to break paths, DNS or SQL), the GitHub settings show a secret once and a token
never, event hooks are managed and delivered signed, deploy bodies take the spec's spellings,
and previews are listed and opened from GitHub's pull request head."""
import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import github_payloads as gh
import pytest
import requests
from apicalls import call, error_of
from dataplane_fixtures import GitRepo
from github_server import TOKEN, FakeGitHub
from hook_receiver import HookReceiver
from lifecycle_helpers import destroy, wait

pytestmark = pytest.mark.odoo

REPO = "acme-corp/git-hooks"
OTHER_REPO = "acme-corp/git-other"
POLICY = """version: 1
branch_mappings:
  - pattern: main
    tier: production
    auto_deploy: false
  - pattern: "feature/*"
    tier: dev
    auto_deploy: false
github_integration:
  update_commit_status: true
  comment_on_pr: true
  api_url: {api_url}
"""
WEBHOOK = "/api/v1/webhooks/github"
HOSTILE_BRANCHES = [
    "../../../etc/passwd", "feature/../../root", "feature/$(reboot)", "x;DROP TABLE odooops_environment;--",
    "x' OR '1'='1", "`id`", "-rf", "a" * 300, "main\nHost: evil.example.com", "evil.example.com.",
    "feature/a b", "pr|nc -e sh", "feature/x.lock", "feature//x", "${IFS}", "@",
]


def post_webhook(cp, body: bytes, headers: dict, project=None):
    params = {"project": project} if project else None
    return requests.post(cp.url + WEBHOOK, data=body, headers=headers, params=params, timeout=60)


def deliver(cp, secret, event, payload, guid=None, project=None):
    body, headers = gh.request(secret, event, payload, guid)
    return post_webhook(cp, body, headers, project)


def configure(cp, slug, key=None, **body):
    return call(cp, "PUT", f"/projects/{slug}/github", key or cp.keys["admin"], json=body)


def delivery_count(cp, slug):
    r = call(cp, "GET", f"/projects/{slug}/webhook-deliveries", cp.keys["admin"], params={"per_page": 1})
    assert r.status_code == 200, r.text
    return r.json()["meta"]["pagination"]["total"]


def branches_of(cp, slug, status=None):
    params = {"project": slug, "per_page": 200, **({"status": status} if status else {})}
    return sorted(e["branch"] for e in call(cp, "GET", "/environments", cp.keys["admin"], params=params).json()["data"])


@pytest.fixture(scope="module")
def github():
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture(scope="module")
def hooked(control_plane, github, tmp_path_factory):
    """Two projects: git-hooks follows REPO (its policy never deploys on its own), git-other OTHER_REPO.
    Returns {slug: webhook secret}."""
    cp, admin = control_plane, control_plane.keys["admin"]
    secrets = {}
    made = []
    try:
        for name, repository in (("Git Hooks", REPO), ("Git Other", OTHER_REPO)):
            repo = GitRepo(tmp_path_factory.mktemp(name.replace(" ", "-").lower()))
            sha = repo.commit({"README": name, ".odooops/policies.yaml": POLICY.format(api_url=github.url)})
            r = call(cp, "POST", "/projects", admin, json={"name": name, "git_remote": str(repo.path)})
            assert r.status_code == 201, r.text
            slug = r.json()["data"]["slug"]
            made.append(slug)
            r = call(cp, "POST", f"/projects/{slug}/policy", admin, json={"sha": sha})
            assert r.status_code == 201, r.text
            r = configure(cp, slug, repository=repository)
            assert r.status_code == 200, r.text
            secrets[slug] = r.json()["data"]["webhook_secret"]
        yield secrets
    finally:
        for slug in made:
            for env in call(cp, "GET", "/environments", admin, params={"project": slug}).json()["data"]:
                destroy(cp, admin, env["id"])
            call(cp, "DELETE", f"/projects/{slug}", admin)


# -- GitHub settings ------------------------------------------------------------------------------------

def test_the_webhook_secret_is_shown_once_and_a_token_never(control_plane, hooked):
    cp, admin = control_plane, control_plane.keys["admin"]
    secret = hooked["git-hooks"]
    assert len(secret) >= 40
    shown = call(cp, "GET", "/projects/git-hooks/github", cp.keys["viewer"])
    assert shown.status_code == 200, shown.text
    data = shown.json()["data"]
    assert data["repository"] == REPO and data["webhook_secret_set"] is True and data["credentials"] is None
    assert data["webhook_url"].endswith("/api/v1/webhooks/github") and "webhook_secret" not in data
    assert secret not in shown.text

    r = configure(cp, "git-hooks", token=TOKEN)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["credentials"] == "token" and "webhook_secret" not in r.json()["data"]
    assert TOKEN not in r.text and secret not in r.text
    again = call(cp, "GET", "/projects/git-hooks/github", admin)
    assert again.json()["data"]["credentials"] == "token" and TOKEN not in again.text and secret not in again.text
    audit = call(cp, "GET", "/audit-logs", admin, params={"since": "1h", "per_page": 200})
    assert audit.status_code == 200 and TOKEN not in audit.text and secret not in audit.text

    # Changing the integration is an admin's: viewers and developers get 403, and nothing changes.
    for role in ("viewer", "developer"):
        refused = configure(cp, "git-hooks", cp.keys[role], rotate_webhook_secret=True)
        assert refused.status_code == 403, refused.text
        assert error_of(refused)["details"]["required_scope"] == "projects:write"
    assert call(cp, "GET", "/projects/git-hooks/github", cp.keys["outsider"]).status_code == 403
    # A project the caller does not see is not found, its settings neither.
    assert call(cp, "GET", "/projects/secret/github", cp.keys["viewer"]).status_code == 404

    bad = configure(cp, "git-hooks", repository="not a repository")
    assert bad.status_code == 422, bad.text
    both = configure(cp, "git-hooks", token=TOKEN, app_id=1, app_installation_id=2, app_private_key="x")
    assert both.status_code == 422, both.text


def test_rotating_the_secret_shows_the_new_one_once_and_the_old_one_stops_working(control_plane, hooked):
    cp = control_plane
    old = hooked["git-other"]
    r = configure(cp, "git-other", rotate_webhook_secret=True)
    assert r.status_code == 200, r.text
    new = r.json()["data"]["webhook_secret"]
    assert new != old and "Settings → Webhooks" in r.json()["data"]["message"]
    assert deliver(cp, old, "ping", gh.ping(OTHER_REPO)).status_code == 401
    assert deliver(cp, new, "ping", gh.ping(OTHER_REPO)).status_code == 200
    hooked["git-other"] = new


# -- the webhook: what it accepts -----------------------------------------------------------------------

def test_ping_answers_200_and_names_the_project(control_plane, hooked):
    r = deliver(control_plane, hooked["git-hooks"], "ping", gh.ping(REPO))
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["event"] == "ping" and data["projects"] == ["git-hooks"] and data["zen"]


def test_a_form_encoded_delivery_github_s_default_content_type_is_verified_over_its_bytes(control_plane, hooked):
    body = urlencode({"payload": json.dumps(gh.ping(REPO))}).encode()
    headers = {**gh.signed_headers(hooked["git-hooks"], body, "ping"),
               "Content-Type": "application/x-www-form-urlencoded"}
    r = post_webhook(control_plane, body, headers)
    assert r.status_code == 200, r.text
    wrong = {**headers, "X-Hub-Signature-256": gh.signed_headers("nope", body, "ping")["X-Hub-Signature-256"]}
    assert post_webhook(control_plane, body, wrong).status_code == 401


def test_a_push_is_decided_recorded_once_and_a_replay_is_a_duplicate(control_plane, hooked):
    cp, secret = control_plane, hooked["git-hooks"]
    before = delivery_count(cp, "git-hooks")
    guid = "7a5c0e20-1d7f-11f0-8d5b-3c2f9e0a1b2c"
    sha = gh.sha("replay")
    r = deliver(cp, secret, "push", gh.push(REPO, "feature/replay", sha), guid=guid)
    assert r.status_code == 202, r.text
    data = r.json()["data"]
    assert data["event"] == "push" and data["delivery"] == guid and data["duplicate"] is False
    (decision,) = data["decisions"]
    assert decision["project"] == "git-hooks" and decision["action"] == "ignore"
    assert decision["branch"] == "feature/replay" and decision["sha"] == sha
    assert "auto_deploy is off" in decision["reason"] and f"odooops deploy feature-replay --sha {sha}" in decision["reason"]
    assert delivery_count(cp, "git-hooks") == before + 1

    again = deliver(cp, secret, "push", gh.push(REPO, "feature/replay", sha), guid=guid)
    assert again.status_code == 200, again.text
    assert again.json()["data"]["duplicate"] is True
    assert again.json()["data"]["decisions"][0]["delivery_id"] == decision["delivery_id"]
    assert delivery_count(cp, "git-hooks") == before + 1
    assert "feature/replay" not in branches_of(cp, "git-hooks")

    listed = call(cp, "GET", "/projects/git-hooks/webhook-deliveries", cp.keys["viewer"],
                  params={"event": "push"}).json()["data"]
    mine = next(d for d in listed if d["guid"] == guid)
    assert mine["decision"] == "ignore" and mine["status"] == "ignored" and mine["repository"] == REPO
    audit = call(cp, "GET", "/audit-logs", cp.keys["admin"], params={"action": "webhook.github", "since": "1h",
                                                                     "per_page": 200}).json()["data"]
    entries = {e["status_code"]: e for e in audit if e["details"].get("delivery") == guid}
    assert sorted(entries) == [200, 202] and entries[200]["details"]["duplicate"] is True
    assert entries[202]["target"] == "project:git-hooks" and entries[202]["details"]["duplicate"] is False
    assert entries[202]["details"]["decisions"][0]["action"] == "ignore"


def test_two_copies_of_a_delivery_at_the_same_moment_are_recorded_once(control_plane, hooked):
    cp, secret = control_plane, hooked["git-hooks"]
    before = delivery_count(cp, "git-hooks")
    body, headers = gh.request(secret, "push", gh.push(REPO, "feature/race", gh.sha("race")),
                               guid="0b6f3a52-1d80-11f0-9f1e-3c2f9e0a1b2c")
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: post_webhook(cp, body, headers), range(4)))
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 202], [r.text for r in answers]
    assert len({r.json()["data"]["decisions"][0]["delivery_id"] for r in answers}) == 1
    assert delivery_count(cp, "git-hooks") == before + 1


def test_the_openapi_document_describes_the_webhook_as_unauthenticated(control_plane):
    doc = requests.get(control_plane.url + "/api/v1/openapi.json", timeout=30).json()
    webhook = doc["paths"][WEBHOOK]["post"]
    assert webhook["security"] == [] and {"200", "202", "400", "401", "413", "422"} <= set(webhook["responses"])
    assert "403" not in webhook["responses"]
    for path, method in (("/api/v1/projects/{ref}/github", "put"), ("/api/v1/projects/{ref}/hooks", "post"),
                         ("/api/v1/hook-deliveries/{ref}/redeliver", "post"), ("/api/v1/projects/{ref}/previews", "post"),
                         ("/api/v1/projects/{ref}/webhook-deliveries", "get")):
        assert doc["paths"][path][method]["security"] == [{"bearer": []}], path
    deploy = doc["paths"]["/api/v1/deployments"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"environment_id", "commit_sha"} <= set(deploy["properties"])


def test_pushes_deletes_and_closed_prs_that_change_nothing_say_why(control_plane, hooked):
    cp, secret = control_plane, hooked["git-hooks"]
    r = deliver(cp, secret, "push", gh.push(REPO, "hotfix/x", gh.sha(1)))
    assert r.status_code == 202 and "no branch_mappings entry matches hotfix/x" in r.json()["data"]["decisions"][0]["reason"]
    r = deliver(cp, secret, "push", gh.push(REPO, None, gh.sha(2), tag="v1.0"))
    assert r.status_code == 202 and r.json()["data"]["decisions"][0]["action"] == "ignore"
    r = deliver(cp, secret, "delete", gh.delete(REPO, "feature/gone"))
    assert r.status_code == 202 and "no live environment" in r.json()["data"]["decisions"][0]["reason"]
    r = deliver(cp, secret, "pull_request", gh.pull_request(REPO, "closed", 41, gh.sha(3), "feature/y"))
    assert r.status_code == 202 and "has no preview" in r.json()["data"]["decisions"][0]["reason"]
    assert branches_of(cp, "git-hooks") == []


def test_an_unknown_event_is_accepted_and_ignored(control_plane, hooked):
    before = delivery_count(control_plane, "git-hooks")
    for event in ("issues", "star", "workflow_run"):
        r = deliver(control_plane, hooked["git-hooks"], event, {"action": "created", "repository": gh.repository(REPO)})
        assert r.status_code == 202, r.text
        assert r.json()["data"]["ignored"] is True and r.json()["data"]["decisions"] == []
    assert delivery_count(control_plane, "git-hooks") == before


# -- the webhook: what it refuses, changing nothing -----------------------------------------------------

def test_bad_signatures_are_401_audited_and_record_nothing(control_plane, hooked):
    cp = control_plane
    before = delivery_count(cp, "git-hooks")
    payload = gh.push(REPO, "feature/sig", gh.sha("sig"))
    body = gh.encode(payload)
    good = gh.signed_headers(hooked["git-hooks"], body, "push")
    cases = {
        "wrong secret": gh.signed_headers("not-the-secret", body, "push"),
        "another project's secret": gh.signed_headers(hooked["git-other"], body, "push"),
        "no signature": gh.signed_headers(None, body, "push"),
        "sha1 only": {k: v for k, v in good.items() if k != "X-Hub-Signature-256"},
        "malformed": {**good, "X-Hub-Signature-256": "sha256=xyz"},
        "signature of another body": {**good, "X-Hub-Signature-256": gh.signed_headers(
            hooked["git-hooks"], body + b" ", "push")["X-Hub-Signature-256"]},
    }
    for name, headers in cases.items():
        r = post_webhook(cp, body, headers)
        assert r.status_code == 401, (name, r.text)
        err = error_of(r)
        assert err["error"] == "SIGNATURE_INVALID" and "--rotate-secret" in err["remediation"], name
    # Another project's secret, even naming that project: its repository is not this payload's.
    r = post_webhook(cp, body, cases["another project's secret"], project="git-other")
    assert r.status_code == 422 and error_of(r)["error"] == "WEBHOOK_REPOSITORY_MISMATCH", r.text
    # A project without the secret named explicitly.
    assert post_webhook(cp, body, cases["wrong secret"], project="git-hooks").status_code == 401
    assert delivery_count(cp, "git-hooks") == before
    assert "feature/sig" not in branches_of(cp, "git-hooks")
    failed = call(cp, "GET", "/audit-logs", cp.keys["admin"], params={"action": "auth.failed", "since": "1h",
                                                                      "per_page": 200}).json()["data"]
    assert any(e["path"] == WEBHOOK and e["details"].get("error") == "SIGNATURE_INVALID" for e in failed)


def test_bodies_that_are_not_a_delivery_are_refused(control_plane, hooked):
    cp, secret = control_plane, hooked["git-hooks"]
    before = delivery_count(cp, "git-hooks")
    body = gh.encode(gh.push(REPO, "feature/body", gh.sha("body")))

    truncated = body[: len(body) // 2]
    for signed_over in (body, truncated):
        r = post_webhook(cp, truncated, gh.signed_headers(secret, signed_over, "push"))
        assert r.status_code == 400 and error_of(r)["error"] == "INVALID_JSON", r.text

    for junk in (b"not json at all", b"<xml/>", b"[1, 2, 3]", b'"a string"', b"", b"\xff\xfe\x00"):
        r = post_webhook(cp, junk, gh.signed_headers(secret, junk, "push"))
        assert r.status_code == 400, (junk, r.text)
        assert error_of(r)["error"] == "INVALID_JSON"

    headers = gh.signed_headers(secret, body, "push")
    del headers["X-GitHub-Event"]
    r = post_webhook(cp, body, headers)
    assert r.status_code == 400 and error_of(r)["details"]["header"] == "X-GitHub-Event", r.text

    shapeless = gh.push(REPO, "feature/shape", gh.sha("shape"))
    del shapeless["after"]
    r = deliver(cp, secret, "push", shapeless)
    assert r.status_code == 422 and error_of(r)["error"] == "WEBHOOK_PAYLOAD" and "after" in r.text, r.text
    bad_sha = gh.push(REPO, "feature/shape", "g" * 40)
    assert deliver(cp, secret, "push", bad_sha).status_code == 422
    assert delivery_count(cp, "git-hooks") == before


def test_a_body_over_the_limit_is_413_before_it_is_read(control_plane, hooked):
    cp, secret = control_plane, hooked["git-hooks"]
    before = delivery_count(cp, "git-hooks")
    payload = gh.push(REPO, "feature/big", gh.sha("big"))
    payload["padding"] = "x" * (10 * 1024 * 1024)
    body = gh.encode(payload)
    r = post_webhook(cp, body, gh.signed_headers(secret, body, "push"))
    assert r.status_code == 413, r.text[:500]
    assert error_of(r)["error"] == "PAYLOAD_TOO_LARGE"

    # Without a Content-Length (chunked), at most the limit + 1 bytes are read.
    def chunks():
        for start in range(0, len(body), 1024 * 1024):
            yield body[start:start + 1024 * 1024]
    r = requests.post(cp.url + WEBHOOK, data=chunks(), headers=gh.signed_headers(secret, body, "push"), timeout=60)
    assert r.status_code == 413, r.text[:500]
    assert delivery_count(cp, "git-hooks") == before
    assert "feature/big" not in branches_of(cp, "git-hooks")


def test_hostile_branch_names_are_422_and_leave_nothing_behind(control_plane, hooked):
    cp, secret = control_plane, hooked["git-hooks"]
    before = delivery_count(cp, "git-hooks")
    envs_before = branches_of(cp, "git-hooks", status="destroyed") + branches_of(cp, "git-hooks")
    for branch in HOSTILE_BRANCHES:
        for event, payload in (("push", gh.push(REPO, branch, gh.sha(branch))),
                               ("pull_request", gh.pull_request(REPO, "opened", 7, gh.sha(branch), branch)),
                               ("delete", gh.delete(REPO, branch))):
            r = deliver(cp, secret, event, payload)
            assert r.status_code == 422, (event, branch, r.text)
            # A ref longer than GitHub's is refused as a payload field before it is a branch name.
            expected = {"INVALID_BRANCH_NAME", "WEBHOOK_PAYLOAD"} if len(branch) > 200 else {"INVALID_BRANCH_NAME"}
            assert error_of(r)["error"] in expected, (event, branch, r.text)
    assert delivery_count(cp, "git-hooks") == before
    assert branches_of(cp, "git-hooks", status="destroyed") + branches_of(cp, "git-hooks") == envs_before
    assert call(cp, "GET", "/projects/git-hooks/previews", cp.keys["admin"]).json()["data"] == []


# -- event hooks --------------------------------------------------------------------------------------

def test_event_hooks_crud_ping_deliveries_and_redelivery(control_plane, hooked):
    cp, admin = control_plane, control_plane.keys["admin"]
    with HookReceiver() as receiver:
        url = receiver.url + "/hooks/odooops?token=s3cr3t"
        assert call(cp, "POST", "/projects/git-hooks/hooks", cp.keys["developer"], json={"url": url}).status_code == 403
        r = call(cp, "POST", "/projects/git-hooks/hooks", admin,
                 json={"url": url, "events": ["deployment.failed", "environment.created"], "description": "n8n"})
        assert r.status_code == 201, r.text
        hook = r.json()["data"]
        receiver.secret = hook["secret"]
        assert hook["url"] == url and hook["events"] == ["deployment.failed", "environment.created"]
        assert len(hook["secret"]) >= 40

        listed = call(cp, "GET", "/projects/git-hooks/hooks", admin).json()["data"]
        assert [h["id"] for h in listed] == [hook["id"]] and listed[0]["url"] == url
        assert hook["secret"] not in json.dumps(listed)
        seen = call(cp, "GET", "/projects/git-hooks/hooks", cp.keys["viewer"]).json()["data"]
        assert seen[0]["url_redacted"] is True and "s3cr3t" not in json.dumps(seen)
        assert seen[0]["url"].startswith("http://127.0.0.1:")

        for bad in ({"url": "ftp://example.com/x"}, {"url": "http://user:pw@example.com/x"},
                    {"url": url, "events": ["deployment.exploded"]}):
            r = call(cp, "POST", "/projects/git-hooks/hooks", admin, json=bad)
            assert r.status_code == 422, (bad, r.text)

        r = call(cp, "PATCH", f"/projects/git-hooks/hooks/{hook['id']}", admin, json={"events": []})
        assert r.status_code == 200 and r.json()["data"]["all_events"] is True, r.text
        assert call(cp, "PATCH", f"/projects/git-other/hooks/{hook['id']}", admin,
                    json={"active": False}).status_code == 404      # another project's hook is not found

        r = call(cp, "POST", f"/projects/git-hooks/hooks/{hook['id']}/ping", admin)
        assert r.status_code == 202, r.text
        ping = r.json()["data"]
        (got,) = receiver.wait_for(1, timeout=60)
        assert got.event == "ping" and got.signature_ok and got.json["delivery"] == ping["guid"]
        assert got.json["project"] == "git-hooks" and got.path == "/hooks/odooops?token=s3cr3t"

        def delivered():
            d = call(cp, "GET", f"/hook-deliveries/{ping['id']}", cp.keys["viewer"]).json()["data"]
            return d if d["status"] == "delivered" else None
        detail = receiver.wait_until(delivered, timeout=30)
        assert detail["attempts"] == 1 and detail["last_status_code"] == 200
        assert detail["attempt_log"][0]["status_code"] == 200 and detail["payload"]["hook"] == hook["id"]
        page = call(cp, "GET", f"/projects/git-hooks/hooks/{hook['id']}/deliveries", admin).json()["data"]
        assert [d["id"] for d in page] == [ping["id"]]

        assert call(cp, "POST", f"/hook-deliveries/{ping['id']}/redeliver", cp.keys["viewer"]).status_code == 403
        r = call(cp, "POST", f"/hook-deliveries/{ping['id']}/redeliver", admin)
        assert r.status_code == 202 and r.json()["data"]["redelivery_of"] == ping["id"], r.text
        receiver.wait_for(2, timeout=60)
        assert receiver.deliveries[1].signature_ok and receiver.deliveries[1].json["data"]["hook"] == hook["id"]

        r = call(cp, "DELETE", f"/projects/git-hooks/hooks/{hook['id']}", admin)
        assert r.status_code == 200 and r.json()["data"]["deleted"] is True
        assert call(cp, "GET", "/projects/git-hooks/hooks", admin).json()["data"] == []
        assert call(cp, "GET", f"/projects/git-hooks/hooks/{hook['id']}/deliveries", admin).status_code == 404
        kept = call(cp, "GET", f"/hook-deliveries/{ping['id']}", admin)
        assert kept.status_code == 200 and kept.json()["data"]["hook"] is None      # the log stays
        assert call(cp, "POST", f"/hook-deliveries/{ping['id']}/redeliver", admin).status_code == 409
        assert call(cp, "GET", "/hook-deliveries/999999999", admin).status_code == 404


# -- deploy bodies, previews ------------------------------------------------------------------------

def deployments_of(cp, env_id):
    return [d["id"] for d in call(cp, "GET", f"/environments/{env_id}/deployments", cp.keys["admin"]).json()["data"]]


def test_deploy_takes_the_spec_s_spellings_tier_names_and_curl_s_content_type(control_plane, hooked):
    cp, admin = control_plane, control_plane.keys["admin"]
    missing = gh.sha("not in the repository")
    # A production environment whose deployments fail at once: its commits do not exist.
    r = call(cp, "POST", "/environments", admin, json={"project": "git-hooks", "branch": "main",
                                                       "tier": "production", "sha": missing})
    assert r.status_code == 202, r.text
    env = r.json()["data"]
    wait(cp, admin, env["deployment"]["id"], timeout=300)
    before = deployments_of(cp, env["id"])

    for body in ({"environment": "x", "environment_id": env["id"]},
                 {"environment_id": env["id"], "sha": missing, "commit_sha": missing},
                 {"commit_sha": missing}):
        r = call(cp, "POST", "/deployments", admin, json=body)
        assert r.status_code == 422, (body, r.text)
    assert "two spellings" in call(cp, "POST", "/deployments", admin, json={
        "environment": "x", "environment_id": "y"}).json()["errors"][0]["message"]
    assert deployments_of(cp, env["id"]) == before

    # The spec's GitHub Actions step, word for word: curl -d sends application/x-www-form-urlencoded.
    sha = gh.sha("actions")
    spec_body = json.dumps({"environment_id": "prod", "commit_sha": sha, "project": "git-hooks"})
    r = requests.post(cp.url + "/api/v1/deployments", data=spec_body, timeout=60,
                      headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 202, r.text
    dep = r.json()["data"]
    assert dep["environment"]["id"] == env["id"] and dep["ref"] == sha
    wait(cp, admin, dep["id"], timeout=300)
    # A form that is no JSON object is still refused.
    r = requests.post(cp.url + "/api/v1/deployments", data="environment=prod", timeout=60,
                      headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400, r.text

    # "production" names the one live production environment of the project; "staging" none here.
    r = call(cp, "POST", "/deployments", admin, json={"environment": "production", "project": "git-hooks",
                                                      "sha": sha})
    assert r.status_code == 202 and r.json()["data"]["environment"]["id"] == env["id"], r.text
    wait(cp, admin, r.json()["data"]["id"], timeout=300)
    assert call(cp, "POST", "/deployments", admin, json={"environment": "staging",
                                                          "project": "git-hooks"}).status_code == 404
    # Without a project, "prod" is every project's production the caller sees: several is a 409 listing them.
    r = call(cp, "POST", "/deployments", admin, json={"environment_id": "prod", "commit_sha": sha})
    assert r.status_code == 409, r.text
    err = error_of(r)
    assert err["error"] == "AMBIGUOUS_REFERENCE" and {"git-hooks", "acme"} <= {m["project"] for m in err["details"]["matches"]}


def test_previews_are_listed_and_opened_from_the_pull_request_head(control_plane, hooked, github):
    cp, admin, dev = control_plane, control_plane.keys["admin"], control_plane.keys["developer"]
    assert call(cp, "GET", "/projects/git-other/previews", cp.keys["viewer"]).json()["data"] == []
    assert call(cp, "GET", "/projects/git-other/previews", cp.keys["outsider"]).status_code == 403
    # No sha and no credentials: GitHub cannot be asked.
    r = call(cp, "POST", "/projects/git-other/previews", dev, json={"pr": 12})
    assert r.status_code == 422 and error_of(r)["error"] == "PREVIEW_SHA_REQUIRED", r.text
    assert "--sha" in error_of(r)["remediation"]
    assert call(cp, "DELETE", "/projects/git-other/previews/12", dev).status_code == 404
    assert call(cp, "POST", "/projects/git-other/previews", cp.keys["viewer"], json={"pr": 12}).status_code == 403

    assert configure(cp, "git-other", token=TOKEN).status_code == 200
    head = gh.sha("pr-12 head")         # not in the repository: the deployment fails at once
    github.add_pull(OTHER_REPO, 12, head, "feature/preview-me")
    assert call(cp, "POST", "/projects/git-other/previews", dev, json={"pr": 13}).status_code == 404
    r = call(cp, "POST", "/projects/git-other/previews", dev, json={"pr": 12})
    assert r.status_code == 202, r.text
    preview = r.json()["data"]
    assert preview["slug"] == "pr-12" and preview["tier"] == "preview" and preview["pull_request"] == 12
    assert preview["deployment"]["ref"] == head and preview["deployment"]["trigger"]
    assert any(c.path == f"/repos/{OTHER_REPO}/pulls/12" and c.headers.get("Authorization") == f"Bearer {TOKEN}"
               for c in github.calls("GET"))
    wait(cp, admin, preview["deployment"]["id"], timeout=300)
    # What OdooOps told GitHub about it is in the project's log of GitHub calls (never the token).
    calls = github.wait_until(lambda: [c for c in call(cp, "GET", "/projects/git-other/github-calls", cp.keys["viewer"],
                                                       params={"kind": "status"}).json()["data"] if c["sha"] == head],
                              timeout=60)
    assert calls[0]["kind"] == "status" and calls[0]["deployment"] == preview["deployment"]["id"]
    assert TOKEN not in json.dumps(calls)
    listed = call(cp, "GET", "/projects/git-other/previews", cp.keys["viewer"]).json()["data"]
    assert [(p["slug"], p["pull_request"]) for p in listed] == [("pr-12", 12)]

    r = call(cp, "DELETE", "/projects/git-other/previews/12", dev)
    assert r.status_code == 202, r.text
    done = wait(cp, admin, r.json()["data"]["deployment"]["id"], timeout=300)
    assert done["kind"] == "destroy" and done["status"] == "succeeded", done
    deadline = time.monotonic() + 30
    while call(cp, "GET", "/projects/git-other/previews", admin).json()["data"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert call(cp, "GET", "/projects/git-other/previews", admin).json()["data"] == []
