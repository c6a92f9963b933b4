"""Policies through the API on a live control plane: .odooops/policies.yaml read from a real git
repository at a commit, versioned (the previous version kept and diffable), refused whole when
invalid (every error with its line and column), validated offline, checked against environments,
and visible to who sees the project only — over /api/v1 and over Odoo's /json/2."""
import pytest
import requests
from apicalls import call, error_of
from dataplane_fixtures import GitRepo
from lifecycle_helpers import destroy, wait

from odooops import policy

pytestmark = pytest.mark.odoo

FILE = ".odooops/policies.yaml"
V1 = """version: 1
branch_mappings:
  - pattern: main
    tier: production
    auto_deploy: false
  - pattern: "feature/*"
    tier: dev
health_gates:
  production:
    - type: smoke_tests
      command: "curl -fsS http://localhost:8069/web/health"
      required: false
  staging:
    - type: manual_approval
      approvers: [admin]
ttl_policies:
  dev_ephemeral: 5d
backups:
  schedule:
    staging: 6h
  retention:
    daily: 10
"""
V2 = V1.replace("dev_ephemeral: 5d", "dev_ephemeral: 2d")
INVALID = """version: 1
branch_mappings:
  - pattern: main
    tier: production
    auto_deplyo: false
ttl_policies:
  dev_ephemeral: 7 days
"""
# What the engine says of it, word for word (its own tests pin the wording); the API says the same.
INVALID_LINES = [str(issue) for issue in policy.load(INVALID).errors]
INVALID_AT = [".odooops/policies.yaml:5:5: unknown key 'auto_deplyo' (did you mean 'auto_deploy'?)",
              ".odooops/policies.yaml:7:18: ttl_policies.dev_ephemeral: '7 days' is not a duration"]


def json2(cp, key, model, method, **body):
    """Odoo's own RPC door, which any user with an API key may knock on."""
    return requests.post(f"{cp.url}/json/2/{model}/{method}", json=body, timeout=30,
                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})


@pytest.fixture(scope="module")
def ledger(control_plane, tmp_path_factory):
    """A project whose repository has no policy file yet."""
    repo = GitRepo(tmp_path_factory.mktemp("ledger-repo"))
    repo.commit({"README": "addons"})
    r = call(control_plane, "POST", "/projects", control_plane.keys["admin"],
             json={"name": "Policy Ledger", "git_remote": str(repo.path)})
    assert r.status_code == 201, r.text
    yield repo
    call(control_plane, "DELETE", "/projects/policy-ledger", control_plane.keys["admin"])


def apply(cp, slug, key=None, **body):
    return call(cp, "POST", f"/projects/{slug}/policy", key or cp.keys["admin"], json=body)


def test_without_a_file_the_defaults_apply_and_say_so(control_plane, ledger):
    cp = control_plane
    r = apply(cp, "policy-ledger")
    data = r.json()["data"]
    assert r.status_code == 200 and data["created"] is False and data["source"] == "default"
    assert data["version"] is None and "the defaults apply" in data["message"]
    shown = call(cp, "GET", "/projects/policy-ledger/policy", cp.keys["viewer"]).json()["data"]
    assert shown["source"] == "default" and shown["version"] is None and shown["content"] == ""
    assert shown["policy"]["permissions"]["production"]["deploy"] == ["admin"]
    assert shown["policy"]["permissions"]["dev"]["deploy"] == ["developer"]
    assert call(cp, "GET", "/projects/policy-ledger/policies", cp.keys["viewer"]).json()["data"] == []


def test_versions_from_git_commits_history_diff_and_an_invalid_file_changes_nothing(control_plane, ledger):
    cp, admin = control_plane, control_plane.keys["admin"]
    sha1 = ledger.commit({FILE: V1}, "policy v1")
    r = apply(cp, "policy-ledger", sha=sha1)
    first = r.json()["data"]
    assert r.status_code == 201, r.text
    assert first["created"] is True and first["version"] == 1 and first["sha"] == sha1
    assert first["source"] == "repository" and first["content"] == V1 and first["applied_by"] == "admin"
    assert first["policy"]["ttl_policies"]["dev_ephemeral"] == "5d"
    assert first["policy"]["permissions"]["production"]["deploy"] == ["admin"]      # defaults filled in
    # What the file says of backups became the project's settings; what it leaves out did not change.
    settings = call(cp, "GET", "/projects/policy-ledger", admin).json()["data"]
    assert settings["backup_schedule"]["staging"] == 360 and settings["backup_schedule"]["production"] == 60
    assert settings["backup_retention"] == {"daily": 10, "weekly": 4, "monthly": 3}
    again = apply(cp, "policy-ledger", sha=sha1[:10])                            # a prefix names the same commit
    assert again.status_code == 200 and again.json()["data"]["created"] is False
    assert again.json()["data"]["version"] == 1 and "unchanged" in again.json()["data"]["message"]

    sha2 = ledger.commit({FILE: V2, "README": "addons, 2"}, "policy v2")
    r = apply(cp, "policy-ledger")                                  # the default branch: main, at sha2
    assert r.status_code == 201 and r.json()["data"]["version"] == 2 and r.json()["data"]["sha"] == sha2
    assert "v1 superseded" in r.json()["data"]["message"]
    history = call(cp, "GET", "/projects/policy-ledger/policies", cp.keys["viewer"]).json()["data"]
    assert [(v["version"], v["state"], v["sha"]) for v in history] == [(2, "active", sha2), (1, "superseded", sha1)]
    assert call(cp, "GET", "/projects/policy-ledger/policies/1", cp.keys["viewer"]).json()["data"]["content"] == V1
    diff = call(cp, "GET", "/projects/policy-ledger/policies/2/diff", cp.keys["viewer"]).json()["data"]
    assert diff["version"] == 2 and diff["against"] == 1
    changed = [line for line in diff["diff"].splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-  dev_ephemeral: 5d", "+  dev_ephemeral: 2d"]
    assert f"{FILE} v1 ({sha1[:12]})" in diff["diff"] and f"{FILE} v2 ({sha2[:12]})" in diff["diff"]
    backwards = call(cp, "GET", "/projects/policy-ledger/policies/1/diff", cp.keys["viewer"],
                     params={"against": 2}).json()["data"]["diff"]
    assert "+  dev_ephemeral: 5d" in backwards and "-  dev_ephemeral: 2d" in backwards
    from_nothing = call(cp, "GET", "/projects/policy-ledger/policies/1/diff", admin).json()["data"]
    added = [line[1:] for line in from_nothing["diff"].splitlines()[3:]]       # after ---, +++ and @@
    assert from_nothing["against"] is None and added == V1.splitlines()
    assert call(cp, "GET", "/projects/policy-ledger/policies/9/diff", admin).status_code == 404
    assert call(cp, "GET", "/projects/policy-ledger/policies/2/diff", admin, params={"against": 7}).status_code == 404

    sha3 = ledger.commit({FILE: INVALID}, "a broken policy")
    r = apply(cp, "policy-ledger", sha=sha3)
    err = error_of(r)
    assert r.status_code == 422 and err["error"] == "POLICY_INVALID"
    assert err["details"]["lines"] == INVALID_LINES and err["details"]["sha"] == sha3
    assert [line[:len(start)] for line, start in zip(INVALID_LINES, INVALID_AT, strict=True)] == INVALID_AT
    assert [(e["line"], e["column"]) for e in err["details"]["errors"]] == [(5, 5), (7, 18)]
    assert all(line in err["message"] for line in INVALID_LINES)
    assert "odooops policy validate" in err["remediation"]
    in_force = call(cp, "GET", "/projects/policy-ledger/policy", admin).json()["data"]
    assert in_force["version"] == 2 and in_force["sha"] == sha2 and in_force["content"] == V2
    assert len(call(cp, "GET", "/projects/policy-ledger/policies", admin).json()["data"]) == 2

    # Only admins apply (policies:write); a commit that does not exist is a 404.
    refused = apply(cp, "policy-ledger", key=cp.keys["developer"], sha=sha1)
    assert refused.status_code == 403 and "policies:write" in error_of(refused)["message"]
    missing = apply(cp, "policy-ledger", sha="0123456789abcdef0123")
    assert missing.status_code == 404 and error_of(missing)["error"] == "NOT_FOUND"
    # Content is never taken from the request: the repository is the source of truth.
    assert apply(cp, "policy-ledger", content=V1).status_code == 422

    entries = call(cp, "GET", "/audit-logs", admin, params={"action": "policy.apply", "since": "1h"}).json()["data"]
    mine = [e for e in entries if e["target"] == "project:policy-ledger"]
    assert {201, 200, 422} <= {e["status_code"] for e in mine}
    assert any(e["details"].get("version") == 2 and e["details"].get("sha") == sha2 for e in mine)


def test_a_new_environment_without_a_tier_gets_the_one_its_branch_maps_to(control_plane, ledger):
    """The policy in force (main → production, feature/* → dev) decides the tier of an environment
    created without one: a developer creating `main` is refused as for a production (nothing made)."""
    cp, developer = control_plane, control_plane.keys["developer"]
    assert call(cp, "GET", "/projects/policy-ledger/policy", developer).json()["data"]["version"] >= 1
    r = call(cp, "POST", "/environments", developer, json={"project": "policy-ledger", "branch": "main"})
    assert r.status_code == 403, r.text
    assert error_of(r)["details"]["rule"] == "permissions.production.create"
    assert call(cp, "GET", "/environments", developer, params={"project": "policy-ledger"}).json()["data"] == []


def test_validate_reports_every_issue_without_storing_anything(control_plane):
    cp, viewer = control_plane, control_plane.keys["viewer"]
    r = call(cp, "POST", "/policies/validate", viewer, json={"content": V1})
    data = r.json()["data"]
    assert r.status_code == 200 and data["valid"] is True and data["errors"] == [] and data["lines"] == []
    assert data["policy"]["branch_mappings"][1]["pattern"] == "feature/*"
    r = call(cp, "POST", "/policies/validate", viewer, json={"content": INVALID})
    data = r.json()["data"]
    assert r.status_code == 200 and data["valid"] is False and data["policy"] is None
    assert data["lines"] == INVALID_LINES
    assert data["errors"][0]["suggestion"] == "did you mean 'auto_deploy'?" and data["errors"][0]["line"] == 5
    named = call(cp, "POST", "/policies/validate", viewer, json={"content": INVALID, "filename": "mine.yaml"})
    assert named.json()["data"]["lines"][0].startswith("mine.yaml:5:5: unknown key")
    assert call(cp, "POST", "/policies/validate", viewer, json={"content": "\tversion: 1\r\n"}).status_code == 200
    nul = call(cp, "POST", "/policies/validate", viewer, json={"content": "version: 1\x00"})
    assert nul.status_code == 422 and "U+0000" in error_of(nul)["message"]
    assert call(cp, "POST", "/policies/validate", viewer, json={}).status_code == 422
    assert call(cp, "POST", "/policies/validate", cp.keys["outsider"], json={"content": V1}).status_code == 403


def test_policy_check_explains_mapping_gates_permissions_and_ttl(control_plane, ledger):
    cp, admin, dev = control_plane, control_plane.keys["admin"], control_plane.keys["developer"]
    old = ledger.commit({FILE: V1}, "policy v1 again")
    sha = ledger.commit({FILE: V2}, "policy v2 again")
    assert apply(cp, "policy-ledger", sha=sha).status_code in (200, 201)     # 200: v2's file is in force already
    created = []
    try:
        for branch, tier in (("feature/login", "dev"), ("main", "production")):
            # A commit that does not exist: the first deployment fails at once, the environment stays.
            r = call(cp, "POST", "/environments", admin, json={"project": "policy-ledger", "branch": branch,
                                                               "tier": tier, "sha": "0" * 40, "workers": 0})
            assert r.status_code == 202, r.text
            created.append(r.json()["data"])
            assert wait(cp, admin, r.json()["data"]["deployment"]["id"])["status"] == "failed"
        feature, main = created

        got = call(cp, "GET", f"/environments/{feature['id']}/policy-check", dev).json()["data"]
        assert got["tier"] == "dev" and got["action"] == "create" and got["asked"] == "deploy"
        assert got["mapping"]["pattern"] == "feature/*" and got["mapping"]["kind"] == "glob"
        assert got["ttl"]["rule"] == "ttl_policies.dev_ephemeral" and got["ttl"]["seconds"] == 2 * 86400
        assert got["permissions"]["deploy"] == {"allowed": True, "rule": "permissions.dev.deploy",
                                                "roles": ["developer"]}
        assert got["permissions"]["approve"]["allowed"] is False
        assert got["blocking"] == [] and got["allowed"] is True and got["gates"] == []
        assert got["quota"]["workers"] == 2 and got["quota"]["storage_bytes"] == 10 * 2**30

        got = call(cp, "GET", f"/environments/{main['id']}/policy-check", dev, params={"project": "policy-ledger"})
        got = got.json()["data"]
        assert got["mapping"]["pattern"] == "main" and got["mapping"]["tier"] == "production"
        assert got["allowed"] is False and [b["rule"] for b in got["blocking"]] == ["permissions.production.create"]
        assert got["blocking"][0]["message"] == "policy rule permissions.production.create allows admin; you are developer"
        assert got["gates"] == [{"type": "smoke_tests", "required": False, "timeout": "10m",
                                 "command": "curl -fsS http://localhost:8069/web/health"}]
        assert got["ttl"]["never"] is True and got["ttl"]["expires_at"] is None
        destroy_check = call(cp, "GET", f"/environments/{main['id']}/policy-check", dev,
                             params={"action": "destroy"}).json()["data"]
        assert [b["rule"] for b in destroy_check["blocking"]] == ["permissions.production.destroy"]
        as_admin = call(cp, "GET", f"/environments/{main['id']}/policy-check", admin).json()["data"]
        assert as_admin["blocking"] == [] and as_admin["permissions"]["destroy"]["allowed"] is True

        at_old = call(cp, "GET", f"/environments/{main['id']}/policy-check", admin, params={"sha": old}).json()
        assert at_old["data"]["sha"]["sha"] == old and at_old["data"]["sha"]["policy_file"] == "differs"
        assert any("differs from the policy in force" in w["message"] for w in at_old["data"]["warnings"])
        at_head = call(cp, "GET", f"/environments/{main['id']}/policy-check", admin, params={"sha": "main"}).json()
        assert at_head["data"]["sha"] == {"ref": "main", "sha": sha, "policy_file": "in force"}
        assert call(cp, "GET", f"/environments/{main['id']}/policy-check", admin,
                    params={"sha": "feedface"}).status_code == 404
        assert call(cp, "GET", f"/environments/{main['id']}/policy-check", admin,
                    params={"action": "fly"}).status_code == 422
    finally:
        for env in created:
            destroy(cp, admin, env["id"])


def test_policies_are_seen_by_who_sees_the_project_also_over_json2(control_plane, tmp_path_factory):
    cp, admin = control_plane, control_plane.keys["admin"]
    repo = GitRepo(tmp_path_factory.mktemp("hidden-repo"))
    repo.commit({FILE: V1})
    projects = {"policy-hidden": ["admin"], "policy-open": []}      # members; none: every OdooOps user
    try:
        for slug, members in projects.items():
            r = call(cp, "POST", "/projects", admin, json={"name": slug.replace("-", " ").title(),
                                                           "git_remote": str(repo.path), "members": members})
            assert r.status_code == 201, r.text
            assert apply(cp, slug).status_code == 201
        for role in ("viewer", "developer"):
            assert call(cp, "GET", "/projects/policy-hidden/policy", cp.keys[role]).status_code == 404
            assert call(cp, "GET", "/projects/policy-hidden/policies/1/diff", cp.keys[role]).status_code == 404
            assert call(cp, "GET", "/projects/policy-open/policy", cp.keys[role]).json()["data"]["version"] == 1
        fields = ["project_id", "version", "content"]
        seen = json2(cp, cp.keys["viewer"], "odooops.policy", "search_read", domain=[], fields=fields)
        assert seen.status_code == 200, seen.text
        names = {row["project_id"][1] for row in seen.json()}
        assert "Policy Open" in names and "Policy Hidden" not in names
        admin_rows = json2(cp, admin, "odooops.policy", "search_read", domain=[], fields=fields).json()
        hidden_ids = [row["id"] for row in admin_rows if row["project_id"][1] == "Policy Hidden"]
        assert len(hidden_ids) == 1
        assert json2(cp, cp.keys["viewer"], "odooops.policy", "read", ids=hidden_ids,
                     fields=fields).status_code == 403
        # Without an OdooOps role: no access to policies at all; nobody writes them over RPC.
        outsider = json2(cp, cp.keys["outsider"], "odooops.policy", "search_read", domain=[], fields=fields)
        assert outsider.status_code == 403 and "odooops.policy" in outsider.text
        for key in (cp.keys["viewer"], cp.keys["developer"]):
            assert json2(cp, key, "odooops.policy", "write", ids=hidden_ids,
                         vals={"content": "forged"}).status_code == 403
            assert json2(cp, key, "odooops.policy", "create", vals_list=[{"version": 9}]).status_code == 403
        unchanged = call(cp, "GET", "/projects/policy-hidden/policy", admin).json()["data"]
        assert unchanged["content"] == V1 and unchanged["version"] == 1
    finally:
        for slug in projects:
            call(cp, "DELETE", f"/projects/{slug}", admin)


def test_never_refuses_everyone_even_an_admin(control_plane, tmp_path_factory):
    cp, admin = control_plane, control_plane.keys["admin"]
    repo = GitRepo(tmp_path_factory.mktemp("never-repo"))
    repo.commit({FILE: "version: 1\npermissions:\n  dev:\n    destroy: never\n"})
    assert call(cp, "POST", "/projects", admin, json={"name": "Policy Never", "git_remote": str(repo.path)}).ok
    env = None
    try:
        assert apply(cp, "policy-never").status_code == 201
        r = call(cp, "POST", "/environments", admin, json={"project": "policy-never", "branch": "feature/x",
                                                           "sha": "0" * 40, "workers": 0})
        assert r.status_code == 202, r.text
        env = r.json()["data"]
        wait(cp, admin, env["deployment"]["id"])
        r = call(cp, "DELETE", f"/environments/{env['id']}", admin)
        err = error_of(r)
        assert r.status_code == 403 and err["error"] == "POLICY_FORBIDDEN"
        assert err["message"] == "policy rule permissions.dev.destroy allows nobody (never); you are admin"
        assert err["details"]["allowed_roles"] == [] and err["remediation"].startswith("Nobody may do it")
        repo.commit({FILE: None, "README": "the policy file is gone"})       # back to the defaults
        back = apply(cp, "policy-never")
        assert back.status_code == 201 and back.json()["data"]["version"] == 2
        assert back.json()["data"]["source"] == "default" and "is gone" in back.json()["data"]["message"]
        assert back.json()["data"]["policy"]["permissions"]["dev"]["destroy"] == ["developer"]
    finally:
        if env:
            destroy(cp, admin, env["id"])
        call(cp, "DELETE", "/projects/policy-never", admin)
