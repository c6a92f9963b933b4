"""Protected tiers on a live control plane with real Odoo 19: under the default policy a
Developer may not create, deploy to, change or destroy production (a 403 that names the rule,
and nothing is queued); once the project's policy grants it, the same calls go through."""
import pytest
from apicalls import call, error_of
from dataplane_fixtures import GitRepo
from lifecycle_helpers import destroy, wait
from sample_addon import addon

pytestmark = pytest.mark.odoo

GRANT = """version: 1
permissions:
  production:
    deploy: [developer]
    destroy: [developer]
"""


@pytest.fixture(scope="module")
def vault(control_plane, runtime_image, tmp_path_factory):
    """A project with a production environment that serves, created by an admin."""
    cp, admin = control_plane, control_plane.keys["admin"]
    repo = GitRepo(tmp_path_factory.mktemp("vault-repo"))
    repo.commit(addon("19.0.1.0.0"))
    r = call(cp, "POST", "/projects", admin, json={"name": "Policy Vault", "git_remote": str(repo.path),
                                                   "base_image": runtime_image})
    assert r.status_code == 201, r.text
    r = call(cp, "POST", "/environments", admin, json={"project": "policy-vault", "branch": "main",
                                                       "tier": "production", "workers": 0, "memory_mb": 1024})
    assert r.status_code == 202, r.text
    env = r.json()["data"]
    try:
        dep = wait(cp, admin, env["deployment"]["id"], timeout=600)
        assert dep["status"] == "succeeded", (dep["error"], dep["log"][-2000:])
        yield repo, env
    finally:
        destroy(cp, admin, env["id"])
        call(cp, "DELETE", "/projects/policy-vault", admin)


def deployments_of(cp, env_id):
    return [d["id"] for d in call(cp, "GET", f"/environments/{env_id}/deployments", cp.keys["admin"]).json()["data"]]


def refused(response, rule):
    err = error_of(response)
    assert response.status_code == 403 and err["error"] == "POLICY_FORBIDDEN", response.text
    assert err["message"] == f"policy rule {rule} allows admin; you are developer"
    assert err["details"]["rule"] == rule and err["details"]["allowed_roles"] == ["admin"]
    assert err["details"]["your_roles"] == ["viewer", "developer"]
    assert "admin role can do it" in err["remediation"] and ".odooops/policies.yaml" in err["remediation"]
    assert "odooops policy apply policy-vault" in err["remediation"]
    return err


def test_a_developer_is_refused_production_under_the_default_policy_and_allowed_once_granted(control_plane, vault):
    cp, admin, dev = control_plane, control_plane.keys["admin"], control_plane.keys["developer"]
    repo, env = vault
    before = deployments_of(cp, env["id"])

    refused(call(cp, "POST", "/deployments", dev, json={"environment": env["id"]}), "permissions.production.deploy")
    refused(call(cp, "DELETE", f"/environments/{env['id']}", dev), "permissions.production.destroy")
    refused(call(cp, "PATCH", f"/environments/{env['id']}", dev, json={"workers": 1}),
            "permissions.production.deploy")          # a change redeploys: it is a deploy
    refused(call(cp, "POST", "/environments", dev, json={"project": "policy-vault", "branch": "hotfix",
                                                         "tier": "production", "workers": 0}),
            "permissions.production.create")
    # Nothing was queued, nothing changed, and no environment was left behind.
    assert deployments_of(cp, env["id"]) == before
    got = call(cp, "GET", f"/environments/{env['id']}", admin).json()["data"]
    assert got["status"] == "running" and got["workers"] == 0
    branches = [e["branch"] for e in call(cp, "GET", "/environments", admin,
                                          params={"project": "policy-vault"}).json()["data"]]
    assert branches == ["main"]
    forbidden = call(cp, "GET", "/audit-logs", admin, params={"action": "auth.forbidden", "since": "1h"}).json()
    assert any(e["details"].get("error") == "POLICY_FORBIDDEN" and e["user"] == "developer"
               and "permissions.production.destroy" in e["details"].get("message", "") for e in forbidden["data"])

    # The project's repository grants developers production deploys and destroys.
    sha = repo.commit({".odooops/policies.yaml": GRANT}, "developers deploy production")
    r = call(cp, "POST", "/projects/policy-vault/policy", admin, json={"sha": sha})
    assert r.status_code == 201, r.text
    check = call(cp, "GET", f"/environments/{env['id']}/policy-check", dev).json()["data"]
    assert check["permissions"]["deploy"]["allowed"] is True and check["permissions"]["destroy"]["allowed"] is True
    assert check["permissions"]["promote"] == {"allowed": False, "rule": "permissions.production.promote",
                                               "roles": ["admin"]}
    assert check["blocking"] == [] and check["quota"]["over"] is False
    assert 0 < check["quota"]["used_bytes"] < check["quota"]["storage_bytes"]     # measured: database + filestore

    r = call(cp, "POST", "/deployments", dev, json={"environment": env["id"], "sha": sha})
    assert r.status_code == 202, r.text
    dep = wait(cp, dev, r.json()["data"]["id"], timeout=600)
    assert dep["status"] == "succeeded" and dep["requested_by"] == "developer", (dep["error"], dep["log"][-2000:])
    # Still refused what the policy does not grant: a rollback of production stays an admin's.
    rollback = call(cp, "POST", f"/environments/{env['id']}/rollback", dev, json={"confirm": True})
    refused(rollback, "permissions.production.rollback")

    r = call(cp, "DELETE", f"/environments/{env['id']}", dev)
    assert r.status_code == 202, r.text
    done = wait(cp, dev, r.json()["data"]["deployment"]["id"])
    assert done["status"] == "succeeded" and done["kind"] == "destroy" and done["requested_by"] == "developer"
