"""`POST /api/v1/databases/{env}/migrate` through a live control plane with real Odoo 19:
dry runs in a throwaway copy (one whose migration raises, one that adds a column) leave
staging exactly as it was; a real migration of staging is a migrating deployment."""
import os
import subprocess
import time
from pathlib import Path

import pytest
from lifecycle_helpers import api, probe, sql, wait
from sample_addon import addon

pytestmark = pytest.mark.odoo

ENDED = ("passed", "failed", "error")


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def push_commit(remote, base, branch, files, work):
    """A commit on ``base`` with ``files``, pushed to ``branch`` of the project's repository
    (its serving branches stay as they are)."""
    if not (work / ".git").exists():
        git(work.parent, "clone", "-q", remote, work.name)
        git(work, "config", "user.email", "dev@example.com")
        git(work, "config", "user.name", "Dev")
    git(work, "checkout", "-q", "-B", branch, base)
    for name, content in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(content)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", branch)
    git(work, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    return git(work, "rev-parse", "HEAD")


def wait_check(cp, key, check_id, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check = api(cp, "GET", f"/migrations/{check_id}", key).json()["data"]
        if check["status"] in ENDED:
            return check
        time.sleep(0.5)
    raise AssertionError(f"migration dry run {check_id} still {check['status']}: {cp.log_tail()}")


def state_of(cp, env):
    """Everything of the environment a dry run must leave as it is."""
    db = env["database_name"]
    filestore = Path(cp.extra_env["ODOOOPS_STATE_DIR"]) / "filestore" / db / "filestore" / db
    host = env["url"].split("://", 1)[1].split(":", 1)[0]
    return {"modules": sql(cp, db, "SELECT md5(string_agg(name || latest_version || state, ',' ORDER BY name)) "
                                   "FROM ir_module_module"),
            "columns": sql(cp, db, "SELECT column_name FROM information_schema.columns "
                                   "WHERE table_name = 'sample_note' ORDER BY 1"),
            "marker": sql(cp, db, "SELECT value FROM ir_config_parameter WHERE key = 'migrate.marker'"),
            "files": sorted((str(p.relative_to(filestore)), os.stat(p).st_ino) for p in filestore.rglob("*")
                            if p.is_file()),
            "serving": probe(cp, host), "current": api(cp, "GET", f"/environments/{env['id']}",
                                                        cp.keys["viewer"]).json()["data"]["current_deployment"]}


def test_dry_runs_leave_staging_untouched_and_a_real_migration_updates_it(control_plane, outlet, tmp_path):
    cp, dev, viewer = control_plane, control_plane.keys["developer"], control_plane.keys["viewer"]
    staging = outlet["staging"]
    db, path = staging["database_name"], f"/databases/{staging['id']}/migrate"
    remote = api(cp, "GET", f"/projects/{staging['project']['slug']}", viewer).json()["data"]["git_remote"]
    serving = api(cp, "GET", f"/environments/{staging['id']}", viewer).json()["data"]["deployed_sha"]
    work = tmp_path / "work"
    broken = push_commit(remote, serving, "migrate-broken", addon("19.0.1.1.0", failing=True), work)
    column = push_commit(remote, serving, "migrate-column",
                         addon("19.0.1.1.0", extra_field="    priority = fields.Integer()"), work)
    sql(cp, db, "INSERT INTO ir_config_parameter (key, value) VALUES ('migrate.marker', 'before') "
                "ON CONFLICT (key) DO UPDATE SET value = 'before'")
    before = state_of(cp, staging)
    newest = api(cp, "GET", f"/environments/{staging['id']}/deployments", viewer).json()["data"][0]["id"]

    # Refused: a viewer, a module that is not installed, nothing to migrate.
    assert api(cp, "POST", path, viewer, json={"dry_run": True, "sha": column}).status_code == 403
    missing = api(cp, "POST", path, dev, json={"dry_run": True, "modules": ["crm"]})
    assert missing.status_code == 422 and "'crm' is not installed" in missing.json()["errors"][0]["message"]
    nothing = api(cp, "POST", path, dev, json={"dry_run": True})
    assert nothing.status_code == 409 and nothing.json()["errors"][0]["error"] == "NOTHING_TO_MIGRATE"

    # One after the other: a job holds one of the control plane's two HTTP workers.
    checks = []
    for sha in (broken, column):
        r = api(cp, "POST", path, dev, json={"dry_run": True, "sha": sha})
        assert r.status_code == 202, r.text
        assert r.json()["data"]["sha"] == sha and r.json()["data"]["pending"] == [{
            "module": "sample", "action": "update", "installed_version": "19.0.1.0.0", "version": "19.0.1.1.0",
            "reasons": ["checksum changed", "version 19.0.1.0.0 → 19.0.1.1.0"]}]
        checks.append(wait_check(cp, viewer, r.json()["data"]["id"]))
    failed, passed = checks

    assert failed["status"] == "failed", (failed["error"], failed["log"])
    assert "Exception: this migration is broken on purpose" in failed["error_lines"]
    assert any("/mnt/extra-addons/sample/migrations/19.0.1.1.0/post-migrate.py" in line
               for line in failed["error_lines"])
    assert failed["result"]["copy"]["dropped"] and failed["result"]["sql"]["count"] > 100

    assert passed["status"] == "passed", (passed["error"], passed["error_lines"], passed["log"])
    report = passed["result"]
    assert report["ok"] and report["errors"] == [] and report["copy"]["dropped"]
    assert report["copy"]["strategy"] == "clone" and report["update_seconds"] > 0 and passed["duration"] > 0
    assert any(s.startswith('ALTER TABLE "sample_note" ADD COLUMN "priority" int4') for s in report["sql"]["ddl"])
    assert report["sql"]["count"] > 100 and report["sql"]["by_kind"]["SELECT"] > 0
    assert {"pending", "build", "copy", "filestore", "update", "cleanup"} <= set(passed["step_timings"])

    # Staging: same database content, filestore, release and route; no copy left behind.
    assert state_of(cp, staging) == before
    assert not sql(cp, "postgres", "SELECT datname FROM pg_database WHERE datname LIKE %s", [db + "\\_\\_sm%"])
    assert api(cp, "GET", f"/environments/{staging['id']}/deployments", viewer).json()["data"][0]["id"] == \
        newest                                                    # a dry run is no deployment

    # The real run: the serving commit, its module updated in the serving process.
    r = api(cp, "POST", path, dev, json={"modules": ["sample"]})
    assert r.status_code == 202, r.text
    assert r.json()["data"]["kind"] == "migrate" and r.json()["data"]["pending"][0]["reasons"] == ["asked"]
    dep = wait(cp, dev, r.json()["data"]["id"])
    assert dep["status"] == "succeeded", (dep["error"], dep["log"][-3000:])
    assert dep["sha"] == serving and {"pending", "maintenance", "snapshot", "migrate", "gate", "switch"} <= \
        set(dep["step_timings"])
    assert dep["unavailable_seconds"] > 0 and dep["snapshot_method"] == "clone"
    after = state_of(cp, staging)
    assert after["serving"]["database"] == db and after["serving"]["release"] != before["serving"]["release"]
    assert after["marker"] == [("before",)] and after["current"] == dep["id"]
