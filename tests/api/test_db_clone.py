"""Staging is a copy of production, as on Odoo.sh: `POST /api/v1/databases/clone` (and
`odooops db clone`) through a live control plane with real Odoo 19 — the copy is
neutralized by Odoo's own command, gets its own identity, and production is untouched."""
import hashlib
import time
from pathlib import Path

import pytest
import requests
from lifecycle_helpers import api, probe, sql, wait

pytestmark = pytest.mark.odoo


def test_staging_refreshed_from_production_is_neutralized_and_production_untouched(control_plane, outlet):
    cp, dev = control_plane, control_plane.keys["developer"]
    prod, staging = outlet["main"], outlet["staging"]
    sql(cp, prod["database_name"], "INSERT INTO ir_config_parameter (key, value) VALUES ('shop.marker', 'orders')")
    active_crons = sql(cp, prod["database_name"], "SELECT count(*) FROM ir_cron WHERE active")[0][0]
    assert active_crons > 1

    r = api(cp, "POST", "/databases/clone", dev, json={"source": prod["id"], "target": staging["id"]})
    assert r.status_code == 202, r.text
    assert r.json()["data"]["kind"] == "clone" and r.json()["data"]["source"]["slug"] == prod["slug"]
    dep = wait(cp, dev, r.json()["data"]["id"])
    assert dep["status"] == "succeeded", (dep["error"], dep["log"][-3000:])
    assert dep["clone_strategy"] == "clone" and dep["clone_source"] == prod["project"]["slug"] + "/" + prod["slug"]
    assert {"copy", "neutralize", "swap", "gate", "switch"} <= set(dep["step_timings"])

    db = staging["database_name"]
    assert sql(cp, db, "SELECT value FROM ir_config_parameter WHERE key = 'shop.marker'") == [("orders",)]
    # Odoo's own neutralization ran on the copy: only the autovacuum cron is active.
    assert sql(cp, db, "SELECT count(*) FROM ir_cron WHERE active")[0][0] == 1
    assert sql(cp, db, "SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == [("true",)]
    # Its own identity and address; production untouched.
    uuid = "SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'"
    assert sql(cp, db, uuid) != sql(cp, prod["database_name"], uuid)
    assert sql(cp, db, "SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == [(staging["url"],)]
    assert sql(cp, prod["database_name"], "SELECT count(*) FROM ir_cron WHERE active")[0][0] == active_crons
    host = staging["url"].split("://", 1)[1].split(":", 1)[0]
    assert probe(cp, host)["database"] == db
    # The data it replaced is kept: the clone can be rolled back.
    preview = api(cp, "POST", f"/environments/{staging['id']}/rollback", dev, json={"dry_run": True})
    assert preview.status_code == 200 and preview.json()["data"]["loses_writes_since"], preview.text


def test_bad_clone_requests_are_refused(control_plane, outlet):
    cp = control_plane
    prod, staging = outlet["main"], outlet["staging"]
    dev, viewer = cp.keys["developer"], cp.keys["viewer"]

    def clone(key, **body):
        return api(cp, "POST", "/databases/clone", key, json=body)

    same = clone(dev, source=staging["id"], target=staging["id"])
    assert same.status_code == 422 and "onto itself" in same.json()["errors"][0]["message"]
    into_prod = clone(dev, source=staging["id"], target=prod["id"])
    assert into_prod.status_code == 409 and into_prod.json()["errors"][0]["error"] == "CONFIRMATION_REQUIRED"
    assert clone(dev, source="no-such-env", target=staging["id"]).status_code == 404
    assert clone(dev, source=prod["id"], target=staging["id"], strategy="teleport").status_code == 422
    assert clone(viewer, source=prod["id"], target=staging["id"]).status_code == 403
    assert clone(cp.keys["outsider"], source=prod["id"], target=staging["id"]).status_code == 403


def test_a_backup_is_streamed_to_the_store_with_its_manifest(control_plane, outlet):
    cp, dev, viewer = control_plane, control_plane.keys["developer"], control_plane.keys["viewer"]
    staging = outlet["staging"]
    path = f"/databases/{staging['id']}/backup"
    assert api(cp, "POST", path, viewer, json={}).status_code == 403
    assert api(cp, "POST", path, dev, json={"description": "x" * 201}).status_code == 422
    r = api(cp, "POST", path, dev, json={"description": "before the import"})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 120
    while (made := api(cp, "GET", f"/backups/{r.json()['data']['id']}", dev).json()["data"])["status"] in \
            ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert made["status"] == "done", made
    manifest = made["manifest"]
    assert manifest["database"] == staging["database_name"] and manifest["description"] == "before the import"
    assert "base" in manifest["modules"] and made["sha256"] == manifest["dump"]["sha256"]
    dump = Path(made["location"]) / staging["database_name"] / made["backup_id"] / "dump.pgdump"
    assert hashlib.sha256(dump.read_bytes()).hexdigest() == made["sha256"]      # what is stored is what was made
    listed = api(cp, "GET", f"/databases/{staging['id']}/backups", viewer, params={"limit": 5})
    assert listed.status_code == 200 and listed.json()["data"][0]["id"] == made["backup_id"]
    assert api(cp, "GET", f"/databases/{staging['id']}/backups", viewer, params={"limit": 0}).status_code == 422


def rpc(cp, env, password, model, method, args):
    host = env["url"].split("://", 1)[1].split(":", 1)[0]
    db = env["database_name"]
    uid = through_proxy_rpc(cp, host, "common", "login", [db, "admin", password])
    return through_proxy_rpc(cp, host, "object", "execute_kw", [db, uid, password, model, method, args])


def through_proxy_rpc(cp, host, service, method, args):
    answer = requests.post(f"http://127.0.0.1:{cp.proxy_port}/jsonrpc", headers={"Host": host}, timeout=60,
                           json={"jsonrpc": "2.0", "method": "call",
                                 "params": {"service": service, "method": method, "args": args}}).json()
    assert "result" in answer, answer
    return answer["result"]


def test_an_anonymized_clone_holds_none_of_productions_personal_data(control_plane, outlet):
    cp, dev, admin = control_plane, control_plane.keys["developer"], control_plane.keys["admin"]
    prod, staging = outlet["main"], outlet["staging"]
    password = api(cp, "GET", f"/environments/{prod['id']}/credentials", admin).json()["data"]["odoo_admin"]["password"]
    customer = {"name": "Marguerite Duras-Lefebvre", "email": "marguerite.duras@client-shop.example",
                "phone": "+33 6 12 34 56 78", "street": "12 rue des Jardins Secrets", "city": "Montpellier"}
    rpc(cp, prod, password, "res.partner", "create", [customer])

    r = api(cp, "POST", "/databases/clone", dev, json={"source": prod["id"], "target": staging["id"],
                                                       "anonymize": True})
    assert r.status_code == 202, r.text
    dep = wait(cp, dev, r.json()["data"]["id"])
    assert dep["status"] == "succeeded", (dep["error"], dep["log"][-3000:])
    assert dep["anonymize"] and dep["anonymization"]["originals_found"] == 0
    assert dep["anonymization"]["changed"] > 0 and dep["anonymization"]["columns_scanned"] > 100
    db = staging["database_name"]
    for value in customer.values():                    # in no text column of any table
        found = sql(cp, db, "SELECT count(*) FROM res_partner WHERE %s IN (name, email, phone, street, city)",
                    [value])[0][0]
        assert found == 0, value
    assert sql(cp, prod["database_name"], "SELECT count(*) FROM res_partner WHERE email = %s",
               [customer["email"]])[0][0] == 1          # production untouched
    assert sql(cp, db, "SELECT login FROM res_users WHERE id = 2") == [("admin",)]
    host = staging["url"].split("://", 1)[1].split(":", 1)[0]
    assert probe(cp, host)["database"] == db            # and it serves
