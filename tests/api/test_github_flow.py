"""GitHub end to end on a live control plane: signed webhooks from a test that plays GitHub
drive real deployments (real containers behind the real nginx) of a project whose policy,
committed to its own git repository, maps feature/* to auto-deployed dev environments; what
the control plane sends back to GitHub (commit statuses, one preview comment per pull
request) goes to FakeGitHub, which records the exact requests.

One project serves every test of the module, in order: a push creates feature/x, the next one
redeploys it, a third one meets a 502 and a rate limit on its pending status; then a pull
request opens, synchronizes twice and closes."""
import time
from urllib.parse import urlparse

import github_payloads as gh
import pytest
from dataplane_fixtures import GitRepo
from git_fixtures import decision_of, deployed, hurry, live_environment, send_webhook, until
from github_server import FakeGitHub
from lifecycle_helpers import api, destroy, through_proxy, wait
from sample_addon import addon

pytestmark = pytest.mark.odoo

REPOSITORY = "acme/shop"
TOKEN = "ghp_e2eTestToken0123456789"
PROJECT = "gitshop"
PR = 7
POLICY = """version: 1
branch_mappings:
  - pattern: "feature/*"
    tier: dev
    auto_deploy: true
resource_quotas:
  dev: {{workers: 0, memory: 1Gi}}
  preview: {{workers: 0, memory: 1Gi}}
github_integration:
  update_commit_status: true
  comment_on_pr: true
  api_url: "{api_url}"
"""


@pytest.fixture(scope="module")
def github():
    with FakeGitHub(tokens=(TOKEN,)) as fake:
        yield fake


@pytest.fixture(scope="module")
def shop(control_plane, runtime_image, github, tmp_path_factory):
    """The project, its repository (policy on main), its GitHub settings and webhook secret."""
    cp, admin = control_plane, control_plane.keys["admin"]
    repo = GitRepo(tmp_path_factory.mktemp("gitshop-repo"))
    repo.commit({**addon("19.0.1.0.0"), ".odooops/policies.yaml": POLICY.format(api_url=github.url)})
    r = api(cp, "POST", "/projects", admin, json={"name": "GitShop", "git_remote": str(repo.path),
                                                 "base_image": runtime_image})
    assert r.status_code == 201, r.text
    try:
        r = api(cp, "POST", f"/projects/{PROJECT}/policy", admin, json={"sha": "main"})
        assert r.status_code == 201, r.text
        assert r.json()["data"]["policy"]["github_integration"]["api_url"] == github.url
        r = api(cp, "PUT", f"/projects/{PROJECT}/github", admin,
                json={"repository": REPOSITORY, "api_url": github.url, "token": TOKEN})
        assert r.status_code == 200, r.text
        settings = r.json()["data"]
        assert settings["repository"] == REPOSITORY and settings["credentials"] == "token"
        assert settings["webhook_url"].endswith("/api/v1/webhooks/github")
        secret = settings["webhook_secret"]
        assert secret and TOKEN not in r.text
        shown = api(cp, "GET", f"/projects/{PROJECT}/github", admin)
        assert shown.status_code == 200 and shown.json()["data"]["webhook_secret_set"] is True
        assert secret not in shown.text and TOKEN not in shown.text
        yield {"repo": repo, "secret": secret, "envs": {}}
    finally:
        for env_id in shop_envs(cp, admin):
            destroy(cp, admin, env_id)
        api(cp, "DELETE", f"/projects/{PROJECT}", admin)


def shop_envs(cp, key):
    r = api(cp, "GET", "/environments", key, params={"project": PROJECT, "per_page": 100})
    return [e["id"] for e in r.json()["data"]] if r.status_code == 200 else []


def status_calls(github, sha):
    """Every POST of a commit status for ``sha`` FakeGitHub received (refused ones too)."""
    return [q for q in github.requests if q.method == "POST" and q.path == f"/repos/{REPOSITORY}/statuses/{sha}"]


def statuses_arrived(github, sha, count):
    """Wait for ``count`` stored statuses of ``sha``; then make sure no other one follows."""
    until(lambda: len(github.statuses(sha)) >= count, 90, f"{count} commit statuses for {sha[:12]}")
    stored = list(github.statuses(sha))
    time.sleep(2)
    assert list(github.statuses(sha)) == stored, "a status arrived after the last expected one"
    return stored


def check_statuses(github, sha, context, deployment_id):
    stored = statuses_arrived(github, sha, 2)
    assert [s["state"] for s in stored] == ["pending", "success"], stored
    for s in stored:
        assert s["context"] == context
        assert s["target_url"].endswith(f"/odoo/odooops.deployment/{deployment_id}"), s
        assert s["description"] and len(s["description"]) <= 140
    for q in status_calls(github, sha):
        assert q.headers["Authorization"] == f"Bearer {TOKEN}"
        assert q.headers["Accept"] == "application/vnd.github+json"
        assert q.headers["X-GitHub-Api-Version"] == "2022-11-28"


def serves(cp, env):
    host = urlparse(env["url"]).hostname
    assert through_proxy(cp, host, "/web/health").status_code == 200
    assert through_proxy(cp, host, "/web/login").status_code == 200


def test_a_signed_push_creates_the_mapped_environment_deploys_it_and_reports_success(control_plane, shop, github):
    cp, admin, repo = control_plane, control_plane.keys["admin"], shop["repo"]
    repo.git("checkout", "-q", "-b", "feature/x")
    sha = repo.git("rev-parse", "HEAD")
    payload = gh.push(REPOSITORY, "feature/x", sha)
    r = send_webhook(cp, shop["secret"], "push", payload)
    decision = decision_of(r)
    assert decision["action"] == "create" and decision["sha"] == sha and decision["environment"] == "feature-x", decision
    assert decision["branch"] == "feature/x" and decision["project"] == PROJECT and decision["tier"] == "dev"

    replay = send_webhook(cp, shop["secret"], "push", payload, guid=r.guid)      # GitHub's "Redeliver"
    assert replay.status_code == 200 and replay.json()["data"]["duplicate"] is True, replay.text

    env = live_environment(cp, admin, PROJECT, "feature-x")
    assert env["tier"] == "dev" and env["branch"] == "feature/x" and env["workers"] == 0
    dep = deployed(cp, admin, env["id"], sha=sha)
    assert dep["trigger"] == f"push {sha[:7]} by octocat", dep["trigger"]
    env = api(cp, "GET", f"/environments/{env['id']}", admin).json()["data"]
    assert env["status"] == "running" and env["deployed_sha"] == sha and env["current_deployment"] == dep["id"]
    serves(cp, env)
    check_statuses(github, sha, "odooops/feature-x", dep["id"])
    assert len(api(cp, "GET", f"/environments/{env['id']}/deployments", admin).json()["data"]) == 1   # not replayed
    shop["envs"]["feature-x"] = env["id"]


def test_the_next_push_redeploys_and_reports_on_the_new_commit(control_plane, shop, github):
    cp, admin, repo = control_plane, control_plane.keys["admin"], shop["repo"]
    before = repo.git("rev-parse", "HEAD")
    sha = repo.commit({"NOTES.md": "second push\n"}, message="second push")
    decision = decision_of(send_webhook(cp, shop["secret"], "push", gh.push(REPOSITORY, "feature/x", sha,
                                                                             before=before)))
    assert decision["action"] == "deploy" and decision["sha"] == sha, decision
    env_id = shop["envs"]["feature-x"]
    dep = deployed(cp, admin, env_id, sha=sha)
    env = api(cp, "GET", f"/environments/{env_id}", admin).json()["data"]
    assert env["deployed_sha"] == sha and env["current_deployment"] == dep["id"]
    serves(cp, env)
    check_statuses(github, sha, "odooops/feature-x", dep["id"])
    assert [s["state"] for s in github.statuses(before)] == ["pending", "success"]    # the old commit's: untouched


def test_a_502_then_a_rate_limit_on_a_status_are_retried_until_it_arrives_once(control_plane, shop, github):
    cp, admin, repo = control_plane, control_plane.keys["admin"], shop["repo"]
    before = repo.git("rev-parse", "HEAD")
    sha = repo.commit({"NOTES.md": "third push\n"}, message="third push")
    github.fail_next(1, 502)
    github.fail_next(1, 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 1)})
    decision = decision_of(send_webhook(cp, shop["secret"], "push", gh.push(REPOSITORY, "feature/x", sha,
                                                                             before=before)))
    assert decision["action"] == "deploy"
    # The 502 is retried in 30 s: the test's clock moves that job on; the rate limit waits for its reset.
    until(lambda: len(status_calls(github, sha)) >= 2, 120, "the retry after the 502",
          tick=lambda: hurry(cp, "odooops.github.call"))
    dep = deployed(cp, admin, shop["envs"]["feature-x"], sha=sha)
    check_statuses(github, sha, "odooops/feature-x", dep["id"])
    calls = status_calls(github, sha)
    assert [(q.json["state"], q.status) for q in calls] == \
        [("pending", 502), ("pending", 403), ("pending", 201), ("success", 201)], calls


def test_a_failed_deployment_reports_failure(control_plane, shop, github):
    cp, admin, env_id = control_plane, control_plane.keys["admin"], shop["envs"]["feature-x"]
    missing = "0badc0de" * 5                          # no such commit: it fails fast, the release keeps serving
    r = api(cp, "POST", "/deployments", admin, json={"environment": env_id, "sha": missing})
    assert r.status_code == 202, r.text
    dep = wait(cp, admin, r.json()["data"]["id"])
    assert dep["status"] == "failed", dep
    stored = statuses_arrived(github, missing, 2)
    assert [s["state"] for s in stored] == ["pending", "failure"], stored
    assert stored[1]["context"] == "odooops/feature-x" and stored[1]["target_url"].endswith(f"/{dep['id']}")
    assert api(cp, "GET", f"/environments/{env_id}", admin).json()["data"]["status"] == "running"


def test_a_pull_request_preview_is_created_updated_twice_and_destroyed_with_one_comment(control_plane, shop, github):
    cp, admin, repo = control_plane, control_plane.keys["admin"], shop["repo"]
    slug = f"pr-{PR}"
    repo.git("checkout", "-q", "-b", "feature/pr", "main")
    heads = [repo.commit({"PR.md": "first\n"}, message="pr: first")]
    guids = {}

    r = send_webhook(cp, shop["secret"], "pull_request",
                     gh.pull_request(REPOSITORY, "opened", PR, heads[0], "feature/pr"))
    decision = decision_of(r)
    guids[r.guid] = "create"
    assert decision["action"] == "create" and decision["tier"] == "preview" and decision["pull_request"] == PR
    env = live_environment(cp, admin, PROJECT, slug)
    assert env["tier"] == "preview" and env["pull_request"] == PR and env["expires_at"]     # the preview TTL
    deps = [deployed(cp, admin, env["id"], sha=heads[0])]
    assert deps[0]["trigger"] == f"pull request #{PR} opened by octocat"
    previews = api(cp, "GET", f"/projects/{PROJECT}/previews", admin)
    assert previews.status_code == 200, previews.text
    assert [p["pull_request"] for p in previews.json()["data"]] == [PR]
    serves(cp, api(cp, "GET", f"/environments/{env['id']}", admin).json()["data"])

    for n in (2, 3):
        heads.append(repo.commit({"PR.md": f"push {n}\n"}, message=f"pr: push {n}"))
        r = send_webhook(cp, shop["secret"], "pull_request",
                         gh.pull_request(REPOSITORY, "synchronize", PR, heads[-1], "feature/pr"))
        decision = decision_of(r)
        guids[r.guid] = "deploy"
        assert decision["action"] == "deploy" and decision["sha"] == heads[-1], decision
        deps.append(deployed(cp, admin, env["id"], sha=heads[-1]))

    r = send_webhook(cp, shop["secret"], "pull_request",
                     gh.pull_request(REPOSITORY, "closed", PR, heads[-1], "feature/pr", merged=True))
    assert decision_of(r)["action"] == "destroy"
    guids[r.guid] = "destroy"
    gone = deployed(cp, admin, env["id"], kind="destroy")
    assert gone["status"] == "succeeded"
    assert api(cp, "GET", f"/environments/{env['id']}", admin).json()["data"]["status"] == "destroyed"
    assert slug not in [e["slug"] for e in api(cp, "GET", "/environments", admin,
                                               params={"project": PROJECT}).json()["data"]]
    assert api(cp, "GET", f"/projects/{PROJECT}/previews", admin).json()["data"] == []

    # One comment, created once and edited in place ever after; its last words: destroyed.
    until(lambda: "destroyed" in ((github.comments(REPOSITORY, PR) or [{}])[-1].get("body") or ""), 90,
          "the preview comment saying destroyed")
    comments = github.comments(REPOSITORY, PR)
    assert len(comments) == 1, comments
    comment_id = comments[0]["id"]
    created = [q for q in github.requests if q.method == "POST" and q.path == f"/repos/{REPOSITORY}/issues/{PR}/comments"]
    edits = [q for q in github.requests if q.method == "PATCH" and q.path.startswith(f"/repos/{REPOSITORY}/issues/comments/")]
    assert len(created) == 1, created
    assert len(edits) >= 3 and {q.path for q in edits} == {f"/repos/{REPOSITORY}/issues/comments/{comment_id}"}
    assert f"<!-- odooops:preview:{PROJECT}:{PR} -->" in comments[0]["body"]
    bodies = [q.json["body"] for q in created + edits]
    assert any(env["url"] in body and heads[-1][:7] in body for body in bodies), bodies     # the preview's URL
    for head, dep in zip(heads, deps, strict=True):     # one context for every preview: a check a PR can require
        check_statuses(github, head, "odooops/preview", dep["id"])

    # The webhook delivery log: each delivery with its decision.
    log = api(cp, "GET", f"/projects/{PROJECT}/webhook-deliveries", admin, params={"per_page": 100})
    assert log.status_code == 200, log.text
    seen = {d["guid"]: d for d in log.json()["data"]}
    for guid, action in guids.items():
        assert seen[guid]["decision"] == action and seen[guid]["event"] == "pull_request", seen.get(guid)
        assert seen[guid]["pull_request"] == PR


def test_deleting_the_branch_destroys_its_dev_environment(control_plane, shop, github):
    cp, admin = control_plane, control_plane.keys["admin"]
    env_id = shop["envs"]["feature-x"]
    before = len(github.requests)
    decision = decision_of(send_webhook(cp, shop["secret"], "delete", gh.delete(REPOSITORY, "feature/x")))
    assert decision["action"] == "destroy" and decision["environment"] == "feature-x", decision
    deployed(cp, admin, env_id, kind="destroy")
    assert api(cp, "GET", f"/environments/{env_id}", admin).json()["data"]["status"] == "destroyed"
    time.sleep(2)
    assert github.requests[before:] == []                    # a destroy reports no commit status


def test_github_saw_nothing_else_and_only_the_failures_it_was_told_to_answer(github):
    paths = {(q.method, q.path.split("/")[4] if q.path.startswith(f"/repos/{REPOSITORY}/") else q.path)
             for q in github.requests}
    assert paths <= {("POST", "statuses"), ("POST", "issues"), ("PATCH", "issues"), ("GET", "issues")}, paths
    assert sorted(q.status for q in github.requests if q.status not in (200, 201)) == [403, 502]


def test_the_deliveries_are_logged_with_their_decisions(control_plane, shop):
    log = api(control_plane, "GET", f"/projects/{PROJECT}/webhook-deliveries", control_plane.keys["admin"],
              params={"per_page": 100}).json()["data"]
    pushes = [(d["event"], d["branch"], d["decision"]) for d in log if d["event"] in ("push", "delete")]
    assert sorted(pushes) == [("delete", "feature/x", "destroy"), ("push", "feature/x", "create"),
                              ("push", "feature/x", "deploy"), ("push", "feature/x", "deploy")], pushes
    assert all(d["status"] == "done" for d in log), [(d["guid"], d["status"], d["error"]) for d in log]
    assert all(d["deployment"] and d["environment"] for d in log), log


def test_a_push_to_the_default_branch_applies_the_policy_it_carries_and_an_invalid_one_changes_nothing(
        control_plane, shop, github):
    cp, admin, repo = control_plane, control_plane.keys["admin"], shop["repo"]

    def policy():
        return api(cp, "GET", f"/projects/{PROJECT}/policy", admin).json()["data"]

    def outcome(guid):
        def found():
            log = api(cp, "GET", f"/projects/{PROJECT}/webhook-deliveries", admin, params={"per_page": 100})
            return next((d["policy"] for d in log.json()["data"] if d["guid"] == guid and d["policy"]), None)
        return until(found, 60, f"the policy outcome of delivery {guid}")

    before = policy()["version"]
    repo.git("checkout", "-q", "main")
    stricter = POLICY.format(api_url=github.url).replace("auto_deploy: true", "auto_deploy: false")
    sha = repo.commit({".odooops/policies.yaml": stricter}, message="policy: no more auto deploys")
    r = send_webhook(cp, shop["secret"], "push", gh.push(REPOSITORY, "main", sha))
    assert decision_of(r)["action"] == "ignore"                  # main maps to nothing: only the policy moves
    assert outcome(r.guid) == f"policy v{before + 1} applied from {sha[:12]}"
    applied = policy()
    assert applied["version"] == before + 1 and applied["sha"] == sha
    assert applied["policy"]["branch_mappings"][0]["auto_deploy"] is False
    # It governs the next push at once: feature/y is no longer created.
    later = decision_of(send_webhook(cp, shop["secret"], "push", gh.push(REPOSITORY, "feature/y", sha)))
    assert later["action"] == "ignore" and "auto_deploy" in later["reason"], later

    broken = repo.commit({".odooops/policies.yaml": "version: 1\nbranch_mappings: 12\n"}, message="policy: broken")
    r = send_webhook(cp, shop["secret"], "push", gh.push(REPOSITORY, "main", broken))
    said = outcome(r.guid)
    assert said.startswith("not applied, the previous policy stays") and "policies.yaml:2" in said, said
    assert policy()["version"] == before + 1                     # nothing changed

