"""Resource quotas of the project's policy (.odooops/policies.yaml, applied from git) on a live
control plane: limits default to the tier's quota, caps on environments per tier and per user,
and a storage quota that refuses a deploy while the serving release keeps serving."""
import re

import pytest
from dataplane_fixtures import GitRepo
from lifecycle_helpers import api, destroy, through_proxy, wait
from sample_addon import addon

pytestmark = pytest.mark.odoo

POLICY = """version: 1
resource_quotas:
  dev: {{workers: 0, cpu: 500m, memory: 1Gi, storage: {storage}, max_environments: 2, max_per_user: 1}}
"""
PARKED = r'''
env["odooops.environment"].create({"project_id": env["odooops.project"].search([("slug", "=", "quota")]).id,
                                   "branch": "parked", "tier": "dev", "state": "draft",
                                   "owner_id": env.ref("base.user_admin").id})
'''
GONE = r'''env["odooops.environment"].search([("project_id.slug", "=", "quota"), ("branch", "=", "parked")]).state = "destroyed"'''


@pytest.fixture(scope="module")
def quota_repo(control_plane, runtime_image, tmp_path_factory):
    cp, admin = control_plane, control_plane.keys["admin"]
    repo = GitRepo(tmp_path_factory.mktemp("quota-repo"))
    repo.commit({**addon("19.0.1.0.0"), ".odooops/policies.yaml": POLICY.format(storage="10Gi")})
    r = api(cp, "POST", "/projects", admin, json={"name": "Quota", "git_remote": str(repo.path),
                                                  "base_image": runtime_image, "domain": "quota.example.com"})
    assert r.status_code == 201, r.text
    r = api(cp, "POST", "/projects/quota/policy", admin, json={})
    assert r.status_code == 201, r.text
    yield repo
    api(cp, "DELETE", "/projects/quota", admin)


@pytest.fixture(scope="module")
def serving(control_plane, quota_repo):
    """The project's one real environment (a developer's, limits from the policy), serving."""
    cp, dev = control_plane, control_plane.keys["developer"]
    r = api(cp, "POST", "/environments", dev, json={"project": "quota", "branch": "main"})
    assert r.status_code == 202, r.text
    env = r.json()["data"]
    try:
        assert wait(cp, dev, env["deployment"]["id"], timeout=600)["status"] == "succeeded"
        yield env
    finally:
        destroy(cp, control_plane.keys["admin"], env["id"])      # a destroy is never held back by quotas


def error_of(r, status=422):
    assert r.status_code == status, r.text
    return r.json()["errors"][0]


def test_limits_default_to_the_tier_quota_and_caps_hold(control_plane, serving):
    cp, dev, admin = control_plane, control_plane.keys["developer"], control_plane.keys["admin"]
    assert serving["workers"] == 0 and serving["limits"] == {"cpu": 0.5, "memory_mb": 1024}   # not 2/1.0/2048
    assert serving["owner"] == "developer" and serving["expires_at"]

    err = error_of(api(cp, "POST", "/environments", admin, json={"project": "quota", "branch": "big", "workers": 1}))
    assert err["error"] == "QUOTA_EXCEEDED" and err["details"]["quota"]["workers"] == {"asked": 1, "quota": 0}

    err = error_of(api(cp, "POST", "/environments", dev, json={"project": "quota", "branch": "second"}))
    assert err["error"] == "QUOTA_EXCEEDED" and err["details"]["rule"] == "resource_quotas.dev.max_per_user"
    assert err["message"] == ("developer would own 2 live dev environments in project quota; its policy allows "
                              "1 per user (resource_quotas.dev.max_per_user)")
    assert "resource_quotas.dev.max_per_user" in err["remediation"]

    cp.shell(PARKED)                                       # the admin's: 2 live dev environments now
    try:
        err = error_of(api(cp, "POST", "/environments", admin, json={"project": "quota", "branch": "third"}))
        assert err["details"]["rule"] == "resource_quotas.dev.max_environments"
        assert err["message"] == ("project quota has 2 live dev environments; its policy allows 2 "
                                  "(resource_quotas.dev.max_environments)")
        r = api(cp, "POST", "/environments", admin, json={"project": "quota", "branch": "third", "tier": "staging",
                                                           "workers": 0, "memory_mb": 1024, "sha": "no-such-ref"})
        assert r.status_code == 202, r.text                # another tier: not capped
        assert wait(cp, admin, r.json()["data"]["deployment"]["id"])["status"] == "failed"   # (nothing to build)
        destroy(cp, admin, r.json()["data"]["id"])
    finally:
        cp.shell(GONE)
    listed = api(cp, "GET", "/environments", admin, params={"project": "quota"}).json()["data"]
    assert [e["branch"] for e in listed] == ["main"]      # nothing refused was made


def test_a_storage_quota_refuses_a_deploy_and_the_release_keeps_serving(control_plane, quota_repo, serving):
    cp, dev, admin = control_plane, control_plane.keys["developer"], control_plane.keys["admin"]
    quota_repo.commit({".odooops/policies.yaml": POLICY.format(storage="1Mi")})
    r = api(cp, "POST", "/projects/quota/policy", admin, json={})
    assert r.status_code == 201, r.text
    before = api(cp, "GET", f"/environments/{serving['id']}/deployments", dev).json()["meta"]["pagination"]["total"]
    sha = api(cp, "GET", f"/environments/{serving['id']}", dev).json()["data"]["deployed_sha"]

    err = error_of(api(cp, "POST", "/deployments", dev, json={"environment": serving["id"]}))
    assert err["error"] == "QUOTA_EXCEEDED", err
    assert re.fullmatch(r"quota/main uses [0-9.]+ MiB of its 1 MiB storage quota "
                        r"\(database [0-9.]+ MiB, filestore [0-9.]+ MiB\)", err["message"]), err["message"]
    details = err["details"]
    assert details["rule"] == "resource_quotas.dev.storage" and details["quota_bytes"] == 2 ** 20
    assert details["database_bytes"] > 2 ** 20 and details["total_bytes"] == (
        details["database_bytes"] + details["filestore_bytes"])
    assert "resource_quotas.dev.storage" in err["remediation"] and "odooops gc" in err["remediation"]

    err = error_of(api(cp, "PATCH", f"/environments/{serving['id']}", dev, json={"memory_mb": 512}))
    assert err["error"] == "QUOTA_EXCEEDED"               # a redeploy is refused too, and the change undone
    got = api(cp, "GET", f"/environments/{serving['id']}", dev).json()["data"]
    assert got["limits"]["memory_mb"] == 1024 and got["status"] == "running"
    assert got["deployed_sha"] == sha and sha
    after = api(cp, "GET", f"/environments/{serving['id']}/deployments", dev).json()["meta"]["pagination"]["total"]
    assert after == before                                 # no deployment was made
    assert through_proxy(cp, "main.quota.example.com").status_code == 200
