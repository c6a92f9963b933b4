"""Projects through the API: create, update, delete (archive), reachable git remotes,
domains of their own."""
import pytest
from apicalls import call, error_of

pytestmark = pytest.mark.odoo


@pytest.fixture
def remote(git_repo):
    """A git repository the control plane can reach (git ls-remote answers)."""
    git_repo.commit({"README": "addons"})
    return str(git_repo.path)


def test_create_project_is_scoped_audited_and_conflicts(control_plane, remote):
    body = {"name": "Widgets Inc", "git_remote": remote, "domain": "w.example.com"}
    r = call(control_plane, "POST", "/projects", control_plane.keys["developer"], json=body)
    assert r.status_code == 403
    r = call(control_plane, "POST", "/projects", control_plane.keys["admin"], json=body)
    assert r.status_code == 201 and r.json()["data"]["slug"] == "widgets-inc"
    rid = r.json()["meta"]["request_id"]
    r = call(control_plane, "POST", "/projects", control_plane.keys["admin"], json={**body, "domain": "w2.example.com"})
    assert r.status_code == 409 and error_of(r)["error"] == "CONFLICT" and "widgets-inc" in error_of(r)["message"]
    entries = call(control_plane, "GET", "/audit-logs", control_plane.keys["admin"],
                   params={"action": "project.*", "user": "admin", "since": "1h"}).json()["data"]
    created = next(e for e in entries if e["request_id"] == rid)
    assert created["target"] == "project:widgets-inc" and created["status_code"] == 201
    assert any(e["status_code"] == 409 for e in entries)


def test_a_git_remote_git_cannot_reach_is_refused_on_create_and_update(control_plane, remote, tmp_path):
    key = control_plane.keys["admin"]
    missing = str(tmp_path / "no-such-repo.git")
    r = call(control_plane, "POST", "/projects", key, json={"name": "Unreachable", "git_remote": missing})
    err = error_of(r)
    assert r.status_code == 422 and err["error"] == "GIT_REMOTE_UNREACHABLE"
    assert "does not appear to be a git repository" in err["details"]["git"] and missing in err["message"]
    assert call(control_plane, "GET", "/projects/unreachable", key).status_code == 404
    r = call(control_plane, "POST", "/projects", key, json={"name": "Reachable", "git_remote": remote})
    assert r.status_code == 201
    r = call(control_plane, "PATCH", "/projects/reachable", key, json={"git_remote": missing})
    assert r.status_code == 422 and error_of(r)["error"] == "GIT_REMOTE_UNREACHABLE"
    assert call(control_plane, "GET", "/projects/reachable", key).json()["data"]["git_remote"] == remote


def test_projects_get_a_domain_of_their_own_and_never_share_one(control_plane, remote):
    key = control_plane.keys["admin"]
    r = call(control_plane, "POST", "/projects", key, json={"name": "Own Domain", "git_remote": remote})
    assert r.status_code == 201 and r.json()["data"]["domain"] == "own-domain.test.example.com"
    r = call(control_plane, "POST", "/projects", key,
             json={"name": "Copycat", "git_remote": remote, "domain": "DEV.acme.test"})
    err = error_of(r)
    assert r.status_code == 409 and err["error"] == "DOMAIN_TAKEN" and err["details"]["project"] == "acme"
    r = call(control_plane, "PATCH", "/projects/own-domain", key, json={"domain": "dev.acme.test"})
    assert r.status_code == 409 and error_of(r)["error"] == "DOMAIN_TAKEN"
    r = call(control_plane, "PATCH", "/projects/own-domain", key,
             json={"name": "Own Domain Renamed", "domain": "own.example.com", "test_command": "true",
                   "members": ["developer"]})
    data = r.json()["data"]
    assert r.status_code == 200 and data["slug"] == "own-domain" and data["name"] == "Own Domain Renamed"
    assert data["domain"] == "own.example.com" and data["members"] == ["developer"]
    assert call(control_plane, "PATCH", "/projects/own-domain", control_plane.keys["developer"],
                json={"name": "x"}).status_code == 403
    for bad in ({}, {"members": ["nobody-at-all"]}, {"slug": "new"}, {"domain": "not a domain"}):
        r = call(control_plane, "PATCH", "/projects/own-domain", key, json=bad)
        assert r.status_code == 422, (bad, r.text)
    assert call(control_plane, "PATCH", "/projects/no-such-project", key, json={"name": "x"}).status_code == 404


def test_delete_project_refuses_live_environments_then_archives_and_frees_the_name(control_plane, remote):
    key = control_plane.keys["admin"]
    r = call(control_plane, "DELETE", "/projects/acme", key)
    err = error_of(r)
    assert r.status_code == 409 and err["error"] == "PROJECT_HAS_ENVIRONMENTS"
    live = set(err["details"]["environments"])
    assert live >= {"feature-crm-automation", "feature-failing", "main", "release-1-0"} and "old-gone" not in live
    assert call(control_plane, "DELETE", "/projects/acme", control_plane.keys["developer"]).status_code == 403
    first = call(control_plane, "POST", "/projects", key,
                 json={"name": "Short Lived", "git_remote": remote, "domain": "short.example.com"}).json()["data"]
    r = call(control_plane, "DELETE", "/projects/short-lived", key)
    assert r.status_code == 200 and r.json()["data"]["deleted"] is True
    assert r.json()["data"]["project"]["slug"] == "short-lived"
    assert call(control_plane, "GET", "/projects/short-lived", key).status_code == 404
    assert call(control_plane, "DELETE", "/projects/short-lived", key).status_code == 404
    # Its slug and its domain are free again; the archived one keeps its id and history.
    again = call(control_plane, "POST", "/projects", key,
                 json={"name": "Short Lived", "git_remote": remote, "domain": "short.example.com"})
    assert again.status_code == 201 and again.json()["data"]["id"] != first["id"]
    entries = call(control_plane, "GET", "/audit-logs", key, params={"action": "project.delete"}).json()["data"]
    assert {e["status_code"] for e in entries} >= {200, 409}
