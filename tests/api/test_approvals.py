"""Manual approval on a live control plane: a promotion staging → production that the policy's
manual_approval gate holds waits (nothing runs), its requester may not approve it, another
admin does and it deploys (through a smoke test gate) and serves; a rejection cancels it with
the reason. The policy comes from the project's repository, applied as ops would."""
from pathlib import Path
from urllib.parse import urlparse

import pytest
from dataplane_fixtures import GitRepo
from lifecycle_helpers import api, through_proxy, wait

pytestmark = pytest.mark.odoo

BRANCH = "approval-policy"
SMOKE = ("python3 -c \\\"import os, urllib.request; "
         "print(urllib.request.urlopen(os.environ['ODOOOPS_URL'] + '/web/health').read())\\\"")
POLICY = f"""version: 1
health_gates:
  production:
    - type: manual_approval
      approvers: [admin]
      allow_author: false
    - type: smoke_tests
      command: "{SMOKE}"
"""
APPROVER = r'''
u = env["res.users"].with_context(no_reset_password=True).create({
    "name": "Approver", "login": "approver", "password": "approver-pw-123456",
    "group_ids": [(4, env.ref("odooops_core.group_admin").id)]})
print("KEY=" + env["res.users.apikeys"].with_user(u).sudo()._generate(None, "test", False))
'''


@pytest.fixture(scope="module")
def approver(control_plane):
    """A second admin's API key: someone else than the requester, allowed to approve."""
    out = control_plane.shell(APPROVER)
    return next(line for line in out.splitlines() if line.startswith("KEY="))[4:]


@pytest.fixture(scope="module")
def gated(control_plane, outlet):
    """The outlet project with production held by manual approval (and a smoke test), from a
    branch of its repository; the defaults again (its main has no policy file) afterwards."""
    cp, admin = control_plane, control_plane.keys["admin"]
    repo = GitRepo(Path(api(cp, "GET", "/projects/outlet", admin).json()["data"]["git_remote"]))   # re-init: kept
    repo.git("checkout", "-q", "-b", BRANCH, "main")
    repo.commit({".odooops/policies.yaml": POLICY}, message="production needs an approval")
    repo.git("checkout", "-q", "main")
    r = api(cp, "POST", "/projects/outlet/policy", admin, json={"sha": BRANCH})
    assert r.status_code == 201, r.text
    assert [g["type"] for g in r.json()["data"]["policy"]["health_gates"]["production"]] == \
        ["manual_approval", "smoke_tests"]
    try:
        yield outlet
    finally:
        r = api(cp, "POST", "/projects/outlet/policy", admin, json={"sha": "main"})
        assert r.status_code in (200, 201), r.text
        assert r.json()["data"]["policy"]["health_gates"].get("production", []) == []


def promote(cp, key, envs):
    r = api(cp, "POST", "/promotions", key, json={"source": envs["staging"]["id"], "target": envs["main"]["id"]})
    assert r.status_code == 202, r.text
    return r.json()["data"]


def error_of(r, status):
    assert r.status_code == status, r.text
    return r.json()["errors"][0]


def test_a_promotion_to_production_waits_for_another_admin_then_deploys(control_plane, gated, approver):
    cp, admin, developer = control_plane, control_plane.keys["admin"], control_plane.keys["developer"]
    prod = gated["main"]
    before = api(cp, "GET", f"/environments/{prod['id']}", admin).json()["data"]
    dep = promote(cp, admin, gated)
    assert dep["status"] == "awaiting_approval" and dep["kind"] == "promote"
    assert dep["approval"]["status"] == "waiting" and dep["approval"]["approvers"] == ["admin"]
    assert dep["approval"]["allow_author"] is False

    # Nothing runs while it waits, and the environment takes no other deployment.
    got = api(cp, "GET", f"/deployments/{dep['id']}", admin).json()["data"]
    assert got["status"] == "awaiting_approval" and got["started_at"] is None and got["step"] is None
    assert "manual_approval: waiting for admin" in got["log"]
    err = error_of(api(cp, "POST", "/deployments", admin, json={"environment": prod["id"]}), 409)
    assert "awaiting_approval" in err["message"] and f"approve {dep['id']}" in err["remediation"]
    assert api(cp, "GET", f"/environments/{prod['id']}", admin).json()["data"]["current_deployment"] == \
        before["current_deployment"]

    # The requester may not approve it (allow_author: false), nor a developer (approvers: [admin]).
    err = error_of(api(cp, "POST", f"/deployments/{dep['id']}/approve", admin, json={}), 403)
    assert err["error"] == "POLICY_FORBIDDEN"
    assert err["message"] == ("policy rule health_gates.production.manual_approval.allow_author is false: "
                              f"admin requested deployment {dep['id']} and cannot approve it")
    assert "Another user with the role admin" in err["remediation"]
    err = error_of(api(cp, "POST", f"/deployments/{dep['id']}/approve", developer, json={}), 403)
    assert err["message"] == ("policy rule health_gates.production.manual_approval.approvers allows admin; "
                              "you are developer")

    r = api(cp, "POST", f"/deployments/{dep['id']}/approve", approver, json={"comment": "release notes read"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] in ("queued", "running", "succeeded")
    err = error_of(api(cp, "POST", f"/deployments/{dep['id']}/approve", approver, json={}), 409)   # decided once
    assert "not awaiting approval" in err["message"]

    done = wait(cp, admin, dep["id"], timeout=600)
    assert done["status"] == "succeeded", (done["error"], done["log"][-2000:])
    gates = {g["type"]: g for g in done["gates"]}
    assert gates["manual_approval"]["status"] == "approved" and gates["manual_approval"]["by"] == "approver"
    assert gates["manual_approval"]["reason"] == "release notes read" and gates["manual_approval"]["at"]
    assert gates["smoke_tests"]["status"] == "passed" and "pass" in gates["smoke_tests"]["output"]
    assert done["approval"] == gates["manual_approval"]
    assert {"gate", "gate:smoke_tests", "switch"} <= set(done["step_timings"])
    env = api(cp, "GET", f"/environments/{prod['id']}", admin).json()["data"]
    assert env["current_deployment"] == dep["id"] and env["status"] == "running"
    assert through_proxy(cp, urlparse(env["url"]).hostname, "/web/health").status_code == 200

    audit = api(cp, "GET", "/audit-logs?action=approval.*", admin).json()["data"]
    mine = [(a["action"], a["user"]) for a in audit if a["target"] == f"deployment:{dep['id']}"]
    assert ("approval.requested", "admin") in mine and ("approval.approved", "approver") in mine
    calls = api(cp, "GET", "/audit-logs?action=deployment.approve", admin).json()["data"]
    assert sorted((a["user"], a["status_code"], a["details"].get("comment")) for a in calls
                  if a["target"] == f"deployment:{dep['id']}") == \
        [("approver", 200, "release notes read"), ("approver", 409, None)]          # the second one refused
    refused = api(cp, "GET", "/audit-logs?action=auth.forbidden", admin).json()["data"]
    assert {(a["user"], a["details"]["error"]) for a in refused if a["target"] == f"deployment:{dep['id']}"} == \
        {("admin", "POLICY_FORBIDDEN"), ("developer", "POLICY_FORBIDDEN")}


def test_a_rejection_cancels_with_the_reason(control_plane, gated, approver):
    cp, admin = control_plane, control_plane.keys["admin"]
    prod = gated["main"]
    serving = api(cp, "GET", f"/environments/{prod['id']}", admin).json()["data"]["current_deployment"]
    dep = promote(cp, admin, gated)
    assert dep["status"] == "awaiting_approval"
    error_of(api(cp, "POST", f"/deployments/{dep['id']}/reject", approver, json={}), 422)      # a reason is needed
    r = api(cp, "POST", f"/deployments/{dep['id']}/reject", approver, json={"reason": "not during the sale"})
    assert r.status_code == 200, r.text
    got = api(cp, "GET", f"/deployments/{dep['id']}", admin).json()["data"]
    assert got["status"] == "cancelled" and got["started_at"] is None and got["finished_at"]
    assert got["approval"]["status"] == "rejected" and got["approval"]["by"] == "approver"
    assert got["approval"]["reason"] == "not during the sale"
    assert got["error"] == "rejected by approver: not during the sale"
    assert error_of(api(cp, "POST", f"/deployments/{dep['id']}/approve", approver, json={}), 409)["error"] == \
        "CONFLICT"
    env = api(cp, "GET", f"/environments/{prod['id']}", admin).json()["data"]
    assert env["current_deployment"] == serving and env["status"] == "running"
    audit = api(cp, "GET", "/audit-logs?action=approval.rejected", admin).json()["data"]
    assert any(a["target"] == f"deployment:{dep['id']}" and a["details"]["reason"] == "not during the sale"
               for a in audit)

    # The environment is free again; a plain deploy to production is held too, and withdrawn.
    r = api(cp, "POST", "/deployments", admin, json={"environment": prod["id"], "sha": "main"})
    assert r.status_code == 202 and r.json()["data"]["status"] == "awaiting_approval", r.text
    again = r.json()["data"]["id"]
    assert api(cp, "POST", f"/deployments/{again}/reject", admin, json={"reason": "withdrawn"}).status_code == 200


def test_approve_and_reject_are_in_the_openapi_document(control_plane):
    spec = api(control_plane, "GET", "/openapi.json", control_plane.keys["viewer"]).json()
    for verb in ("approve", "reject"):
        operation = spec["paths"][f"/api/v1/deployments/{{ref}}/{verb}"]["post"]
        assert {"403", "404", "409"} <= set(operation["responses"])
    assert error_of(api(control_plane, "POST", "/deployments/999999/approve", control_plane.keys["admin"],
                        json={}), 404)["error"] == "NOT_FOUND"
    assert error_of(api(control_plane, "POST", "/deployments/1/approve", control_plane.keys["viewer"],
                        json={}), 403)["error"] != "POLICY_FORBIDDEN"          # the scope, before any policy
