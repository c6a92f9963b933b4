"""Restores through a live control plane with real Odoo 19 (`POST /api/v1/databases/restore`, and
`db clone --strategy backup`): verified first, restored beside the serving database, swapped in
and served by a new release; another environment's backup is neutralized; bad requests refused."""
import json
import shutil
import time
from pathlib import Path

import pytest
from lifecycle_helpers import api, probe, sql, wait

pytestmark = pytest.mark.odoo

MARKER = "SELECT value FROM ir_config_parameter WHERE key = %s"
UUID = "SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'"


def host_of(env):
    return env["url"].split("://", 1)[1].split(":", 1)[0]


def set_marker(cp, env, key, value):
    sql(cp, env["database_name"], "INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [key, value])


def backed_up(cp, key, env):
    r = api(cp, "POST", f"/databases/{env['id']}/backup", key, json={"description": "restore tests"})
    assert r.status_code == 202, r.text
    return r.json()["data"]["id"]


def finished_backup(cp, key, backup_id, timeout=120):
    deadline = time.monotonic() + timeout
    while (made := api(cp, "GET", f"/backups/{backup_id}", key).json()["data"])["status"] in ("pending", "running"):
        assert time.monotonic() < deadline, made
        time.sleep(0.5)
    assert made["status"] == "done", made
    return made


@pytest.fixture(scope="module")
def backups(control_plane, outlet):
    """A backup of staging and one of production, taken side by side, with a marker in each."""
    cp, dev = control_plane, control_plane.keys["developer"]
    set_marker(cp, outlet["staging"], "restore.marker", "at the backup")
    set_marker(cp, outlet["main"], "restore.orders", "production's orders")
    ids = {name: backed_up(cp, dev, outlet[name]) for name in ("staging", "main")}
    made = {name: finished_backup(cp, dev, backup_id) for name, backup_id in ids.items()}
    made["staging_uuid"] = sql(cp, outlet["staging"]["database_name"], UUID)
    return made


def restore(cp, key, **body):
    return api(cp, "POST", "/databases/restore", key, json=body)


def test_staging_restored_from_its_own_backup_serves_it_from_a_new_release(control_plane, outlet, backups):
    cp, dev = control_plane, control_plane.keys["developer"]
    staging, made = outlet["staging"], backups["staging"]
    db = staging["database_name"]
    # The backup job reported its bytes while it streamed, and ended at its total.
    assert made["progress"]["step"] == "backup" and made["progress"]["bytes_done"] == made["progress"]["bytes_total"]
    set_marker(cp, staging, "restore.marker", "changed since")
    before = probe(cp, host_of(staging))

    r = restore(cp, dev, backup=made["backup_id"], target=staging["id"])
    assert r.status_code == 202, r.text
    queued = r.json()["data"]
    assert queued["kind"] == "restore" and queued["backup_id"] == made["backup_id"]
    assert queued["backup"]["size_bytes"] == made["size_bytes"]
    dep = wait(cp, dev, queued["id"])
    assert dep["status"] == "succeeded", (dep["error"], dep["log"][-3000:])
    assert {"download", "copy", "filestore", "swap", "gate", "switch"} <= set(dep["step_timings"])
    assert "neutralize" not in dep["step_timings"] and dep["clone_strategy"] == "backup"
    assert dep["progress"]["bytes_done"] == dep["progress"]["bytes_total"] > 0

    assert sql(cp, db, MARKER, ["restore.marker"]) == [("at the backup",)]
    assert sql(cp, db, UUID) == backups["staging_uuid"]           # its own backup: its own identity, untouched
    after = probe(cp, host_of(staging))
    assert after["database"] == db and after["release"] != before["release"]     # new workers on the new database
    # The data it replaced is kept under the deployment's snapshot: a rollback brings it back.
    assert sql(cp, f"{db}__s{dep['id']}", MARKER, ["restore.marker"]) == [("changed since",)]
    preview = api(cp, "POST", f"/environments/{staging['id']}/rollback", dev, json={"dry_run": True})
    assert preview.status_code == 200 and preview.json()["data"]["loses_writes_since"], preview.text


def test_productions_backup_restored_into_staging_is_neutralized(control_plane, outlet, backups):
    cp, dev = control_plane, control_plane.keys["developer"]
    prod, staging = outlet["main"], outlet["staging"]
    db = staging["database_name"]
    r = restore(cp, dev, backup=backups["main"]["backup_id"], source=prod["slug"], target=staging["slug"],
                project=prod["project"]["slug"])
    assert r.status_code == 202, r.text
    dep = wait(cp, dev, r.json()["data"]["id"])
    assert dep["status"] == "succeeded", (dep["error"], dep["log"][-3000:])
    assert "neutralize" in dep["step_timings"] and dep["clone_source"] == prod["project"]["slug"] + "/main"

    assert sql(cp, db, MARKER, ["restore.orders"]) == [("production's orders",)]
    assert sql(cp, db, "SELECT count(*) FROM ir_cron WHERE active")[0][0] == 1        # the autovacuum only
    assert sql(cp, db, MARKER, ["database.is_neutralized"]) == [("true",)]
    assert sql(cp, db, UUID) != sql(cp, prod["database_name"], UUID)
    assert sql(cp, db, MARKER, ["web.base.url"]) == [(staging["url"],)]
    assert sql(cp, prod["database_name"], "SELECT count(*) FROM ir_cron WHERE active")[0][0] > 1
    assert probe(cp, host_of(staging))["database"] == db


def test_a_clone_by_the_backup_strategy_restores_the_sources_latest_backup(control_plane, outlet, backups):
    cp, dev, admin = control_plane, control_plane.keys["developer"], control_plane.keys["admin"]
    prod, staging = outlet["main"], outlet["staging"]
    latest = api(cp, "GET", f"/databases/{prod['id']}/backups", dev, params={"limit": 1}).json()["data"][0]
    r = api(cp, "POST", "/databases/clone", dev, json={"source": prod["id"], "target": staging["id"],
                                                       "strategy": "backup"})
    assert r.status_code == 202, r.text
    assert r.json()["data"]["backup_id"] == latest["id"]
    dep = wait(cp, dev, r.json()["data"]["id"])
    assert dep["status"] == "succeeded", (dep["error"], dep["log"][-3000:])
    assert dep["kind"] == "clone" and dep["clone_strategy"] == "backup" and "download" in dep["step_timings"]
    assert sql(cp, staging["database_name"], MARKER, ["restore.orders"]) == [("production's orders",)]
    # A source without any backup: nothing to restore, and the remediation says how to get one.
    none = api(cp, "POST", "/databases/clone", admin, json={"source": "main", "target": "release-1-0",
                                                            "project": "acme", "strategy": "backup"})
    assert none.status_code == 409, none.text
    assert none.json()["errors"][0]["error"] == "NO_BACKUP"
    assert "odooops db backup main" in none.json()["errors"][0]["remediation"]


def test_a_corrupted_backup_is_refused_and_staging_serves_on(control_plane, outlet, backups):
    cp, dev = control_plane, control_plane.keys["developer"]
    staging, made = outlet["staging"], backups["staging"]
    # A copy of staging's backup under another id, with one byte of its dump flipped.
    source = Path(made["location"]) / staging["database_name"] / made["backup_id"]
    bad_id = made["backup_id"][:-6] + ("bad000" if not made["backup_id"].endswith("bad000") else "bad001")
    copy = source.parent / bad_id
    shutil.copytree(source, copy)
    try:
        manifest = json.loads((copy / "manifest.json").read_text())
        manifest["id"] = bad_id
        for part in ("dump", "filestore"):
            manifest[part]["key"] = manifest[part]["key"].replace(made["backup_id"], bad_id)
        (copy / "manifest.json").write_text(json.dumps(manifest))
        dump = bytearray((copy / "dump.pgdump").read_bytes())
        dump[len(dump) // 2] ^= 0xFF
        (copy / "dump.pgdump").write_bytes(bytes(dump))
        set_marker(cp, staging, "restore.marker", "still here")
        before = probe(cp, host_of(staging))

        r = restore(cp, dev, backup=bad_id, target=staging["id"])
        assert r.status_code == 202, r.text
        dep = wait(cp, dev, r.json()["data"]["id"])
        assert dep["status"] == "failed" and dep["step"] == "download", dep
        assert "does not match its manifest" in dep["error"] and "Nothing was changed" in dep["remediation"]
        assert sql(cp, staging["database_name"], MARKER, ["restore.marker"]) == [("still here",)]
        assert probe(cp, host_of(staging)) == before                  # the same release, the same database
        assert not sql(cp, "postgres", "SELECT datname FROM pg_database WHERE datname = %s",
                       [f"{staging['database_name']}__sn{dep['id']}"])
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def test_bad_restore_requests_are_refused(control_plane, outlet, backups):
    cp, dev, viewer = control_plane, control_plane.keys["developer"], control_plane.keys["viewer"]
    prod, staging = outlet["main"], outlet["staging"]
    staging_backup, prod_backup = backups["staging"]["backup_id"], backups["main"]["backup_id"]

    def refused(status, key=dev, **body):
        r = restore(cp, key, **body)
        assert r.status_code == status, r.text
        return r.json()["errors"][0] if status >= 400 and r.content else None

    assert refused(404, backup=staging_backup, target="no-such-env")["error"] == "NOT_FOUND"
    missing = refused(404, backup="20200101T000000Z-abcdef", target=staging["id"])
    assert missing["error"] == "BACKUP_NOT_FOUND" and "odooops db backups staging" in missing["remediation"]
    # Production's backup is not staging's: the same answer as for an id that exists nowhere.
    other = refused(404, backup=prod_backup, target=staging["id"])
    assert other["error"] == "BACKUP_NOT_FOUND" and "main" not in other["message"]
    crossing = refused(422, backup=staging_backup, source=staging["id"], target=cp_env(cp, "acme", "main"))
    assert "different projects" in crossing["message"]
    confirm = refused(409, backup=prod_backup, source=prod["id"], target=prod["id"])
    assert confirm["error"] == "CONFIRMATION_REQUIRED" and "--force" in confirm["remediation"]
    assert refused(422, backup="backup-123", target=staging["id"])["error"] == "VALIDATION_FAILED"
    assert refused(403, key=viewer, backup=staging_backup, target=staging["id"])["error"] == "FORBIDDEN"


def cp_env(cp, project, slug):
    found = api(cp, "GET", "/environments", cp.keys["admin"], params={"project": project}).json()["data"]
    return next(env["id"] for env in found if env["slug"] == slug)
