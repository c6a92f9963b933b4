"""GET /api/v1/status (odooops status): one row per live environment, who sees which, bad
queries, real CPU and memory of a running container, and a number of queries that does not
grow with the number of environments."""
import json

import pytest
from lifecycle_helpers import api

pytestmark = pytest.mark.odoo

ROW_KEYS = {"id", "slug", "branch", "project", "tier", "state", "url", "sha", "deployed_at", "age_seconds",
            "last_deployment", "workers", "cpu", "memory", "requests_per_minute", "alerts"}


def status(cp, who, **params):
    r = api(cp, "GET", "/status", cp.keys[who], params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def by_name(rows):
    return {f"{r['project']['slug']}/{r['slug']}": r for r in rows}


def test_rows_of_live_environments(control_plane):
    rows = by_name(status(control_plane, "admin", all="true"))
    assert {"acme/main", "acme/release-1-0", "acme/feature-crm-automation", "acme/feature-failing",
            "secret/main"} <= set(rows)
    assert "acme/old-gone" not in rows                                  # destroyed
    main = rows["acme/main"]
    assert set(main) == ROW_KEYS
    assert (main["tier"], main["state"], main["branch"]) == ("production", "running", "main")
    assert main["url"] and "dev.acme.test" in main["url"]
    assert main["requests_per_minute"] is None and main["alerts"] == []
    # Seeded without a deployment: no release, no age, no last deployment, no container numbers.
    assert main["sha"] is None and main["age_seconds"] is None and main["last_deployment"] is None
    assert main["cpu"]["percent"] is None and main["memory"]["used_bytes"] is None
    limits = api(control_plane, "GET", f"/environments/{main['id']}", control_plane.keys["admin"]).json()["data"]["limits"]
    assert main["memory"]["limit_bytes"] == limits["memory_mb"] * 1024 * 1024 and main["cpu"]["limit"] == limits["cpu"]
    only = by_name(status(control_plane, "admin", all="true", project="secret"))
    assert set(only) == {"secret/main"}


def test_visibility(control_plane):
    cp = control_plane
    # A Viewer who is a member of no project: by default nothing; with all=true the open
    # projects' environments, never those of the members-only project.
    mine = by_name(status(cp, "viewer"))
    assert not any(name.startswith(("acme/", "secret/")) for name in mine)
    everything = by_name(status(cp, "viewer", all="true"))
    assert "acme/main" in everything and not any(name.startswith("secret/") for name in everything)
    assert by_name(status(cp, "viewer", all="true", project="secret")) == {}
    # The admin is a member of Secret: it is among "mine"; Acme (no members, not the admin's) is not.
    admin = by_name(status(cp, "admin"))
    assert "secret/main" in admin and "acme/main" not in admin
    r = api(cp, "GET", "/status", cp.keys["outsider"])                   # no OdooOps group
    assert r.status_code in (200, 403)
    if r.status_code == 200:
        assert r.json()["data"] == []


def test_bad_queries(control_plane):
    cp = control_plane
    for params in ({"all": "maybe"}, {"project": "Not A Slug"}, {"all": "true\x01"}):
        r = api(cp, "GET", "/status", cp.keys["admin"], params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["errors"]
    assert api(cp, "GET", "/status", "nope" * 10).status_code == 401


def test_query_count_does_not_grow_with_environments(control_plane):
    """rows() of 6 environments and of 46 cost the same number of queries (prefetching, one grouped
    query for the last deployments); the 40 extra environments are rolled back."""
    out = control_plane.shell(r'''
import json
from odoo.addons.odooops_api.controllers import status as st
E = env["odooops.environment"]
acme = env["odooops.project"].search([("slug", "=", "acme")])
def count():
    envs = E.search([("project_id", "=", acme.id), ("state", "!=", "destroyed")])
    env.invalidate_all()
    before = env.cr.sql_log_count
    rows = st.rows(envs)
    return len(rows), env.cr.sql_log_count - before
def add(first, n):
    for i in range(first, first + n):
        e = E.create({"project_id": acme.id, "branch": f"qc/{i}", "tier": "dev", "state": "running"})
        env["odooops.deployment"].create({"environment_id": e.id, "kind": "deploy", "state": "queued"})
    env.flush_all()
add(0, 2)
small = count()
add(2, 40)
big = count()
env.cr.rollback()
print("COUNT=" + json.dumps([small, big]))
''')
    small, big = json.loads(next(line for line in out.splitlines() if line.startswith("COUNT="))[6:])
    assert big[0] == small[0] + 40
    assert big[1] == small[1], (small, big)


def test_cpu_and_memory_of_a_running_container(control_plane, outlet):
    rows = {r["id"]: r for r in status(control_plane, "admin", all="true", project="outlet")}
    main = rows[outlet["main"]["id"]]
    assert main["state"] == "running" and main["sha"] and len(main["sha"]) == 7
    # The outlet is shared by the whole session: its last deployment is whatever ran last, said as the API says it.
    newest = api(control_plane, "GET", f"/environments/{main['id']}/deployments", control_plane.keys["admin"],
                 params={"per_page": 1}).json()["data"][0]
    assert (main["last_deployment"]["id"], main["last_deployment"]["status"]) == (newest["id"], newest["status"])
    assert main["age_seconds"] >= 0
    assert main["cpu"]["percent"] is not None and main["cpu"]["percent"] >= 0
    assert main["memory"]["used_bytes"] > 10 * 1024 * 1024
    assert main["memory"]["limit_bytes"] == 1024 * 1024 * 1024
    assert 0 < main["memory"]["percent"] < 100
