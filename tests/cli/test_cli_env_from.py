"""`odooops env create --from/--from-snapshot/--empty` and `env snapshot|snapshots|snapshot-delete`
against the fake control plane: what the CLI sends and what it shows."""
import json
from datetime import datetime, timedelta, timezone

from fake_api import fail, ok


def iso(**later):
    return (datetime.now(timezone.utc) + timedelta(**later)).strftime("%Y-%m-%dT%H:%M:%SZ")


def environment(id=7, slug="main", tier="production"):
    return {"id": id, "slug": slug, "branch": slug, "tier": tier, "status": "running", "url": f"http://{slug}.acme",
            "project": {"id": 1, "slug": "acme"}, "database_name": f"acme__{slug}", "deployed_sha": "a" * 40,
            "image": None, "workers": 2, "limits": {"cpu": 1.0, "memory_mb": 2048}, "custom_domains": [],
            "current_deployment": 5, "owner": "dev", "host": None, "expires_at": None, "created_at": iso()}


def queued(slug="qa", **extra):
    return {"id": 41, "environment": {"id": 9, "slug": slug}, "kind": "deploy", "status": "queued", "ref": slug,
            "sha": None, "step": None, "step_timings": {}, **extra}


def snapshot(status="done", **extra):
    return {"id": 3, "name": "invoice bug", "status": status, "environment": {"id": 8, "slug": "staging"},
            "project": {"id": 1, "slug": "acme"}, "database_name": "odooops_snap_acme__staging__3", "shared": True,
            "size_bytes": 52_428_800, "files": 12, "strategy": "clone", "step": None, "deployment": 5,
            "sha": "a" * 40, "created_by": "dev", "created_at": iso(), "expires_at": iso(days=30), "error": None,
            "remediation": None, **extra}


def test_env_create_sends_one_data_source(fake, offline_cli):
    fake.on("GET", "/environments/main", ok(environment()))
    fake.on("POST", "/environments", ok({**environment(id=9, slug="qa", tier="staging"),
                                         "deployment": queued(clone_source="acme/main")}, 202))
    r = offline_cli("env", "create", "qa", "--project", "acme", "--tier", "staging", "--from", "main")
    assert r.returncode == 0, r.stderr
    assert fake.calls("GET", "/environments/main")[-1].query == {"project": "acme"}     # resolved in its project
    assert fake.calls("POST", "/environments")[-1].body == {"project": "acme", "branch": "qa", "tier": "staging",
                                                             "from": 7}
    assert offline_cli("env", "create", "bug", "--project", "acme", "--from-snapshot", "3").returncode == 0
    # No --tier: the server takes the tier from the project's branch mappings (else dev).
    assert fake.calls("POST", "/environments")[-1].body == {"project": "acme", "branch": "bug", "from_snapshot": 3}
    assert offline_cli("env", "create", "qa2", "--project", "acme", "--tier", "staging", "--empty").returncode == 0
    assert fake.calls("POST", "/environments")[-1].body["empty"] is True
    assert "from" not in fake.calls("POST", "/environments")[-1].body

    posts = len(fake.calls("POST"))
    r = offline_cli("env", "create", "qa3", "--project", "acme", "--from", "main", "--empty")
    assert r.returncode == 2 and "exclude each other" in r.stderr and len(fake.calls("POST")) == posts


def test_env_create_from_an_unshared_snapshot_shows_the_refusal(fake, offline_cli):
    fake.on("POST", "/environments", fail(403, "FORBIDDEN", "snapshot 3 is not shared: only admin and admins may "
                                                            "use it",
                                          remediation="Ask its creator to share one: odooops env snapshot ENV --share"))
    r = offline_cli("env", "create", "bug", "--project", "acme", "--from-snapshot", "3")
    assert r.returncode == 5 and "not shared" in r.stderr and "--share" in r.stderr


def test_env_snapshot_waits_and_says_how_to_start_from_it(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(environment(id=8, slug="staging", tier="staging")))
    fake.on("POST", "/environments/8/snapshots", ok(snapshot("pending", size_bytes=0, strategy=None), 202))
    fake.on("GET", "/snapshots/3", [ok(snapshot("running", step="copy")), ok(snapshot())])
    r = offline_cli("env", "snapshot", "staging", "--name", "invoice bug", "--share", "--days", "7", "--wait")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/environments/8/snapshots")[-1].body == {"shared": True, "expires_in_days": 7,
                                                                         "name": "invoice bug"}
    assert "snapshot 3 (invoice bug) of staging: 50.0 MB, clone, shared" in r.stderr
    assert "odooops env create BRANCH --project acme --from-snapshot 3" in r.stderr
    r = offline_cli("env", "snapshot", "staging", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "pending" and "queued" not in r.stderr

    fake.on("GET", "/snapshots/3", ok(snapshot("failed", error="staging no longer serves",
                                               remediation="Deploy it, then take the snapshot again.")))
    r = offline_cli("env", "snapshot", "staging", "--wait")
    assert r.returncode == 10 and "staging no longer serves" in r.stderr and "Deploy it" in r.stderr


def test_env_snapshots_lists_and_snapshot_delete_needs_confirm(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(environment(id=8, slug="staging", tier="staging")))
    fake.on("GET", "/environments/8/snapshots", ok([snapshot(), snapshot(id=2, name="before import", shared=False)]))
    r = offline_cli("env", "snapshots", "staging")
    assert r.returncode == 0, r.stderr
    assert "invoice bug" in r.stdout and "before import" in r.stdout and "50.0 MB" in r.stdout
    offline_cli("env", "snapshots", "staging", "--all")
    assert fake.calls("GET", "/environments/8/snapshots")[-1].query == {"all": "true"}

    r = offline_cli("env", "snapshot-delete", "3")
    assert r.returncode == 2 and "--confirm" in r.stderr and not fake.calls("DELETE")
    fake.on("DELETE", "/snapshots/3", ok(snapshot("deleted")))
    r = offline_cli("env", "snapshot-delete", "3", "--confirm")
    assert r.returncode == 0 and "snapshot 3 (invoice bug) deleted" in r.stderr
    fake.on("DELETE", "/snapshots/3", fail(403, "FORBIDDEN", "snapshot 3 is admin's: only they and admins may "
                                                             "delete it"))
    r = offline_cli("env", "snapshot-delete", "3", "--confirm")
    assert r.returncode == 5 and "only they and admins" in r.stderr
