"""Garbage collection through a live control plane (`POST /api/v1/gc`, `GET /api/v1/gc/{run}`)
and a project's disk usage (`GET /api/v1/projects/{id}`), on the shared `outlet` project
(read only). Leftovers are planted in this control plane's data plane and aged (their
mtime set back): the dry run lists exactly them, with their reasons, and removes nothing;
what serves is kept; the sweep then removes them; only admins may do either."""
import os
import shutil
import time
from pathlib import Path

import pytest
from lifecycle_helpers import api, sql
from psycopg2 import sql as pgsql

from odooops.drivers.postgres import snapshot_name

pytestmark = pytest.mark.odoo
DAY = 86400


def _age(path, days=30):
    then = time.time() - days * DAY
    os.utime(path, (then, then))


@pytest.fixture
def leftovers(control_plane, outlet):
    """An aged git mirror of no project, a pinned Odoo source no release runs, and a
    staging copy that an interrupted refresh left behind (its files' mtime set back)."""
    cp = control_plane
    state = Path(cp.extra_env["ODOOOPS_STATE_DIR"])
    mirror = state / "git" / "feedfacecafebeef.git"
    tree = state / "odoo" / "gc-test-revision"
    for folder in (mirror / "refs", tree / "odoo"):
        folder.mkdir(parents=True)
    _age(mirror)
    _age(tree)
    staging = outlet["staging"]
    copy = snapshot_name(staging["database_name"], f"n{staging['current_deployment']}")
    conn = cp.connect("postgres")
    conn.cursor().execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(copy)))
    data_dir, oid = sql(cp, "postgres", "SELECT current_setting('data_directory'), oid FROM pg_database "
                                        "WHERE datname = %s", [copy])[0]
    _age(Path(data_dir) / "base" / str(oid) / "PG_VERSION")
    yield {"mirror": mirror, "tree": tree, "copy": copy}
    conn.cursor().execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(copy)))
    conn.close()
    for path in (mirror, tree):
        shutil.rmtree(path, ignore_errors=True)


def test_dry_run_lists_the_leftovers_with_reasons_removes_nothing_then_the_sweep_does(
        control_plane, outlet, leftovers):
    cp, admin = control_plane, control_plane.keys["admin"]
    r = api(cp, "POST", "/gc", admin, json={"dry_run": True})
    assert r.status_code == 200, r.text
    plan = r.json()["data"]
    mine = {(e["kind"], e["name"]): e for e in plan["remove"]}
    assert mine[("git_mirror", "feedfacecafebeef.git")]["rule"] == "unused_mirror"
    assert mine[("odoo_source", "gc-test-revision")]["rule"] == "unused_odoo"
    copy = mine[("snapshot", leftovers["copy"])]
    assert copy["rule"] == "leftover_copy" and copy["environment"] == "outlet/staging"
    assert copy["bytes"] >= 7_000_000 and copy["bytes"] == copy["size"]        # an empty database, at least
    assert plan["bytes"] == sum(e["bytes"] for e in plan["remove"])
    kept = {e["name"]: e["rule"] for e in plan["keep"]}
    for env in outlet.values():          # what serves is kept, and why
        seen = [e for e in plan["remove"] + plan["keep"] if env["database_name"] in e["name"]]
        assert kept.get(env["database_name"]) == "environment_data", seen
        assert kept.get(env["image"]) in ("in_use", "serving"), env["image"]
    assert plan["policy"] == {"keep_releases": 3, "snapshot_days": 7.0, "grace_seconds": 3600.0}
    # Nothing was removed.
    assert leftovers["mirror"].exists() and leftovers["tree"].exists()
    assert sql(cp, "postgres", "SELECT 1 FROM pg_database WHERE datname = %s", [leftovers["copy"]])

    # The sweep: queued, it plans again and removes them.
    r = api(cp, "POST", "/gc", admin, json={"dry_run": False})
    assert r.status_code == 202, r.text
    run = r.json()["data"]["run"]
    deadline = time.monotonic() + 60
    while (done := api(cp, "GET", f"/gc/{run}", admin).json()["data"])["status"] not in ("done", "failed") \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    assert done["status"] == "done", done
    gone = {(e["kind"], e["name"]) for e in done["report"]["removed"]}
    if ("snapshot", leftovers["copy"]) not in gone:         # say why: failed, or kept by the sweep's own plan
        now = api(cp, "POST", "/gc", admin, json={"dry_run": True}).json()["data"]
        why = [e for e in now["remove"] + now["keep"] if e["name"] == leftovers["copy"]]
        raise AssertionError(f"{leftovers['copy']} not removed: {done['report']['failed']} {why}")
    assert {("git_mirror", "feedfacecafebeef.git"), ("odoo_source", "gc-test-revision")} <= gone
    assert done["report"]["bytes_freed"] >= 7_000_000
    assert not leftovers["mirror"].exists() and not leftovers["tree"].exists()
    assert not sql(cp, "postgres", "SELECT 1 FROM pg_database WHERE datname = %s", [leftovers["copy"]])
    for env in outlet.values():
        assert sql(cp, "postgres", "SELECT 1 FROM pg_database WHERE datname = %s", [env["database_name"]])


def test_a_project_shows_its_disk_usage(control_plane, outlet):
    cp, viewer = control_plane, control_plane.keys["viewer"]
    r = api(cp, "GET", "/projects/outlet", viewer)
    assert r.status_code == 200, r.text
    usage = r.json()["data"]["disk_usage"]
    own = sum(size for (size,) in (sql(cp, "postgres", "SELECT pg_database_size(%s)", [env["database_name"]])[0]
                                   for env in outlet.values()))
    snapshots = usage["databases"]["snapshots"]["bytes"]
    assert usage["databases"]["count"] == 2 and own > 20_000_000
    # The two serving databases keep writing (sessions, crons): a few pages more or less since.
    assert abs(usage["databases"]["bytes"] - snapshots - own) < 0.05 * own
    assert usage["filestores"]["bytes"] > 0 and usage["filestores"]["files"] > 0
    assert usage["images"]["count"] >= 1 and usage["images"]["virtual_bytes"] > 100_000_000
    assert usage["bytes"] == sum(usage[k]["bytes"] for k in ("databases", "filestores", "images"))
    assert "disk_usage" not in api(cp, "GET", "/projects", viewer).json()["data"][0]     # the list stays cheap


def test_only_admins_collect_and_bad_requests_are_refused(control_plane):
    cp = control_plane
    for role in ("developer", "viewer", "outsider"):
        r = api(cp, "POST", "/gc", cp.keys[role], json={"dry_run": True})
        assert r.status_code == 403 and r.json()["errors"][0]["details"]["required_scope"] == "hosts:write"
    assert api(cp, "GET", "/gc/0b7e1d2c-1111-4222-8333-444455556666", cp.keys["viewer"]).status_code == 403
    admin = cp.keys["admin"]
    assert api(cp, "POST", "/gc", admin, json={}).status_code == 422                  # dry_run is required
    assert api(cp, "POST", "/gc", admin, json={"dry_run": "yes"}).status_code == 422
    missing = api(cp, "GET", "/gc/0b7e1d2c-1111-4222-8333-444455556666", admin)
    assert missing.status_code == 404 and "odooops gc" in missing.json()["errors"][0]["remediation"]
    assert api(cp, "GET", "/gc/not-a-run", admin).status_code == 404                # no run can have that id
