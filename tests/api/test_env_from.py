"""Staging is a copy of production, as on Odoo.sh, and environments start from named
snapshots: `POST /api/v1/environments` with `from` / `empty` / `from_snapshot` and
`/environments/{env}/snapshots`, through a live control plane with real Odoo 19 (the
session's `outlet` project: production `main` and `staging`, both serving)."""
import time

import pytest
from lifecycle_helpers import api, probe, sql, wait

pytestmark = pytest.mark.odoo

def param(cp, db, key):
    rows = sql(cp, db, "SELECT value FROM ir_config_parameter WHERE key = %s", [key])
    return rows[0][0] if rows else None


def set_param(cp, db, key, value):
    sql(cp, db, "INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [key, value])


def host(env):
    return env["url"].split("://", 1)[1].split(":", 1)[0]


def wait_snapshot(cp, key, snapshot_id, timeout=120):
    deadline = time.monotonic() + timeout
    while (snap := api(cp, "GET", f"/snapshots/{snapshot_id}", key).json()["data"])["status"] in \
            ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert snap["status"] == "done", snap
    return snap


def test_new_environments_start_from_production_a_snapshot_or_empty(control_plane, outlet):
    cp, dev, admin = control_plane, control_plane.keys["developer"], control_plane.keys["admin"]
    prod, staging = outlet["main"], outlet["staging"]
    project = prod["project"]["slug"]
    set_param(cp, prod["database_name"], "envfrom.marker", "production orders")
    sql(cp, prod["database_name"], "INSERT INTO ir_mail_server (name, smtp_host, smtp_port, smtp_encryption, "
                                   "smtp_authentication, active) VALUES ('shop', 'smtp.shop.example', 25, 'none', "
                                   "'login', true)")
    set_param(cp, staging["database_name"], "envfrom.marker", "staging: bug 1234")
    created, snapshots = [], []
    try:
        # Snapshots of staging (a clone taken at an idle moment: milliseconds), one shared.
        for shared in (True, False):
            r = api(cp, "POST", f"/environments/{staging['id']}/snapshots", admin,
                    json={"name": f"bug 1234 {'shared' if shared else 'mine'}", "shared": shared})
            assert r.status_code == 202, r.text
            snapshots.append(r.json()["data"])
        shared_snap, own_snap = (wait_snapshot(cp, admin, s["id"]) for s in snapshots)
        assert shared_snap["shared"] and shared_snap["size_bytes"] > 1_000_000 and shared_snap["strategy"]
        assert sql(cp, shared_snap["database_name"], "SELECT value FROM ir_config_parameter "
                                                     "WHERE key = 'envfrom.marker'") == [("staging: bug 1234",)]
        listed = api(cp, "GET", f"/environments/{staging['id']}/snapshots", dev).json()["data"]
        assert {s["id"] for s in listed} >= {shared_snap["id"], own_snap["id"]}

        # Three new environments at once (two deploy at a time): a staging one (a copy of production
        # by default), a dev one from the shared snapshot (as a teammate), an empty staging one.
        def create(key, branch, **body):
            r = api(cp, "POST", "/environments", key, json={"project": project, "branch": branch, "workers": 0,
                                                            "memory_mb": 1024, "sha": prod["deployed_sha"], **body})
            assert r.status_code == 202, r.text
            created.append(r.json()["data"])
            return r.json()["data"]

        qa = create(dev, "qa", tier="staging")
        bug = create(dev, "bug-1234", tier="dev", from_snapshot=shared_snap["id"])
        blank = create(dev, "blank", tier="staging", empty=True)
        assert qa["deployment"]["clone_source"] == f"{project}/main" and bug["deployment"]["source_snapshot"] == \
            shared_snap["id"] and not blank["deployment"]["clone_source"]
        deps = {env["slug"]: wait(cp, dev, env["deployment"]["id"], timeout=300) for env in created}
        for slug, dep in deps.items():
            assert dep["status"] == "succeeded", (slug, dep["error"], dep["log"][-3000:])

        # qa: production's data, neutralized, with its own identity and address; production untouched.
        db = qa["database_name"]
        assert {"copy", "filestore", "neutralize", "gate", "switch"} <= set(deps["qa"]["step_timings"])
        assert "migrate" not in deps["qa"]["step_timings"]        # the same code: nothing installed or updated
        assert param(cp, db, "envfrom.marker") == "production orders"
        assert sql(cp, db, "SELECT count(*) FROM ir_cron WHERE active")[0][0] == 1           # the autovacuum
        assert sql(cp, db, "SELECT smtp_host FROM ir_mail_server WHERE active") == [("invalid",)]  # Odoo's dummy
        assert param(cp, db, "database.is_neutralized") == "true"
        assert param(cp, db, "database.uuid") != param(cp, prod["database_name"], "database.uuid")
        assert param(cp, db, "web.base.url") == qa["url"]
        assert probe(cp, host(qa))["database"] == db
        assert ("smtp.shop.example",) in sql(cp, prod["database_name"], "SELECT smtp_host FROM ir_mail_server "
                                                                         "WHERE active")
        assert param(cp, prod["database_name"], "database.is_neutralized") in (None, "false", "False")

        # bug-1234: the snapshot's data; blank: a fresh install (the project's template), none of it.
        assert param(cp, bug["database_name"], "envfrom.marker") == "staging: bug 1234"
        assert param(cp, bug["database_name"], "database.is_neutralized") == "true"
        assert probe(cp, host(bug))["database"] == bug["database_name"]
        assert param(cp, blank["database_name"], "envfrom.marker") is None
        assert "migrate" in deps["blank"]["step_timings"] and "copy" not in deps["blank"]["step_timings"]
        assert len({param(cp, env["database_name"], "database.uuid") for env in created}) == 3

        # The project decides for dev environments: a copy of production, or demo data when empty
        # (a commit that does not exist: the choice is made, the build fails at once).
        r = api(cp, "PATCH", f"/projects/{project}", admin, json={"dev_from_production": True, "dev_demo_data": True})
        assert r.status_code == 200 and r.json()["data"]["dev_from_production"] is True, r.text
        devcopy = create(dev, "devcopy", tier="dev", sha="0" * 40)["deployment"]
        devblank = create(dev, "devblank", tier="dev", sha="0" * 40, empty=True)["deployment"]
        assert devcopy["clone_source"] == f"{project}/main" and not devcopy["with_demo"]
        assert devblank["clone_source"] is None and devblank["with_demo"] is True
        assert wait(cp, dev, devblank["id"])["step"] == "build"

        # An unshared snapshot is its creator's and admins' only; snapshots and copies never cross projects.
        def refused(key, **body):
            r = api(cp, "POST", "/environments", key, json={"project": project, "branch": "refused", **body})
            return r.status_code, r.json()["errors"][0]["message"] if r.status_code >= 400 else r.text

        status, message = refused(dev, from_snapshot=own_snap["id"])
        assert status == 403 and "not shared" in message
        assert refused(dev, **{"from": prod["id"], "empty": True})[0] == 422
        assert refused(dev, from_snapshot=shared_snap["id"], empty=True)[0] == 422
        assert refused(dev, **{"from": "no-such-env"})[0] == 404
        assert refused(dev, from_snapshot=2**31 - 1)[0] == 404
        for body in ({"from_snapshot": shared_snap["id"]}, {"from": prod["id"]}):
            r = api(cp, "POST", "/environments", dev, json={"project": "acme", "branch": "crossed", **body})
            assert r.status_code == 422 and "never crosses projects" in r.json()["errors"][0]["message"], r.text
        assert not api(cp, "GET", "/environments", admin, params={"branch": "refused"}).json()["data"]
        assert not api(cp, "GET", "/environments", admin, params={"branch": "crossed"}).json()["data"]
        assert api(cp, "POST", f"/environments/{staging['id']}/snapshots", cp.keys["viewer"], json={}).status_code \
            == 403
        assert api(cp, "DELETE", f"/snapshots/{own_snap['id']}", dev).status_code == 403
    finally:
        api(cp, "PATCH", f"/projects/{project}", admin, json={"dev_from_production": False, "dev_demo_data": False})
        for env in created:                      # a test that failed early: its deploys end first
            wait(cp, admin, env["deployment"]["id"], timeout=300)
        destroying = [api(cp, "DELETE", f"/environments/{env['id']}", admin) for env in created]   # at once
        for r in destroying:
            assert r.status_code == 202, r.text
            assert wait(cp, admin, r.json()["data"]["deployment"]["id"])["status"] == "succeeded"
        for snap in snapshots:
            r = api(cp, "DELETE", f"/snapshots/{snap['id']}", admin)
            assert r.status_code == 200 and r.json()["data"]["status"] == "deleted", r.text
            assert not sql(cp, "postgres", "SELECT 1 FROM pg_database WHERE datname = %s", [snap["database_name"]])
