"""`odooops db restore`, `db clone --strategy backup` and the progress of --wait (bytes and time
left), against the fake control plane; the bar itself drawn on a terminal."""
import io
import json

from fake_api import fail, ok
from rich.console import Console
from test_cli_offline import deployment, environment

BACKUP = "20261126T101500Z-3fa9c1"


def streaming(step, done, total, eta, **extra):
    return {"step": step, "bytes_done": done, "bytes_total": total, "eta_seconds": eta,
            "started_at": f"2026-11-26T10:00:0{len(step) % 10}+00:00", "updated_at": "2026-11-26T10:00:09+00:00",
            **extra}


def restore_routes(fake):
    fake.on("GET", "/environments/main", ok(environment()))
    fake.on("GET", "/environments/staging", ok(environment(id=8, slug="staging", tier="staging")))
    queued = deployment(id=61, kind="restore", status="queued", env_slug="staging", step_timings={},
                        backup_id=BACKUP, progress=None)
    fake.on("POST", "/databases/restore", ok({**queued, "backup": {"id": BACKUP}}, 202))
    return queued


def test_restore_sends_the_backup_source_and_target_and_follows_the_bytes(fake, offline_cli):
    queued = restore_routes(fake)
    r = offline_cli("db", "restore", "staging", "--backup", BACKUP)
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/databases/restore")[-1].body == {"backup": BACKUP, "source": 8, "target": 8,
                                                                  "force": False}
    assert "restore 61 queued for staging" in r.stderr and "odooops deployment get 61 --wait" in r.stderr

    running = {**queued, "status": "running"}
    fake.on("GET", "/deployments/61", [
        ok({**running, "step": "download", "progress": streaming("download", 1_000_000, 4_000_000, 3.0)}),
        ok({**running, "step": "copy", "step_timings": {"download": 1.2},
            "progress": streaming("copy", 3_000_000, 3_000_000, 0.0)}),
        ok({**running, "step": "gate", "step_timings": {"download": 1.2, "copy": 2.0, "swap": 0.1},
            "progress": streaming("copy", 3_000_000, 3_000_000, 0.0)}),     # a step that does not stream: no bar
        ok({**queued, "status": "succeeded", "duration": 9.5,
            "step_timings": {"download": 1.2, "copy": 2.0, "swap": 0.1, "gate": 3.0, "switch": 0.2}}),
    ])
    r = offline_cli("db", "restore", "main", "--backup", BACKUP, "--to", "staging", "--wait")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/databases/restore")[-1].body == {"backup": BACKUP, "source": 7, "target": 8,
                                                                  "force": False}
    # Without a terminal, a plain line per tenth of a streaming step: bytes, share and time left.
    assert "download   1.0 MB / 4.0 MB (25%), ETA 3s" in r.stderr
    assert "copy       3.0 MB / 3.0 MB (100%), done" in r.stderr
    assert r.stderr.count("3.0 MB / 3.0 MB") == 1
    assert "✓ download" in r.stderr and "✓ switch" in r.stderr and "restore 61 of" in r.stderr
    assert r.stdout == ""


def test_json_wait_keeps_stdout_clean_and_production_needs_force(fake, offline_cli):
    queued = restore_routes(fake)
    fake.on("GET", "/deployments/61", [
        ok({**queued, "status": "running", "step": "download", "progress": streaming("download", 5, 10, 1.0)}),
        ok({**queued, "status": "succeeded", "step_timings": {"download": 1.0}})])
    r = offline_cli("db", "restore", "staging", "--backup", BACKUP, "--wait", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "succeeded" and "MB" not in r.stderr

    fake.on("POST", "/databases/restore", fail(
        409, "CONFIRMATION_REQUIRED", "restoring replaces the data of acme/main, a production",
        remediation=f'Confirm: odooops db restore main --backup {BACKUP} --to main --force (API: {{"force": true}})'))
    r = offline_cli("db", "restore", "main", "--backup", BACKUP)
    assert r.returncode == 7 and "--force" in r.stderr and "API:" not in r.stderr
    r = offline_cli("db", "restore", "main", "--backup", BACKUP, "--force")
    assert fake.calls("POST", "/databases/restore")[-1].body["force"] is True


def test_clone_by_the_backup_strategy(fake, offline_cli):
    restore_routes(fake)
    fake.on("POST", "/databases/clone", ok(deployment(id=62, kind="clone", status="queued", env_slug="staging",
                                                      clone_strategy="backup", backup_id=BACKUP), 202))
    r = offline_cli("db", "clone", "main", "--to", "staging", "--strategy", "backup")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/databases/clone")[-1].body["strategy"] == "backup"
    fake.on("POST", "/databases/clone", fail(409, "NO_BACKUP", "acme/main has no complete backup to restore",
                                             remediation="Back it up first: odooops db backup main --project acme "
                                                         "--wait"))
    r = offline_cli("db", "clone", "main", "--to", "staging", "--strategy", "backup")
    assert r.returncode == 7 and "odooops db backup main --project acme --wait" in r.stderr


def test_backup_wait_shows_the_bytes_streamed(fake, offline_cli):
    fake.on("GET", "/environments/main", ok(environment()))
    made = {"id": 3, "environment": {"id": 7, "slug": "main"}, "status": "pending", "backup_id": None,
            "size_bytes": 0, "sha256": None, "location": None, "progress": None}
    fake.on("POST", "/databases/7/backup", ok(made, 202))
    fake.on("GET", "/backups/3", [
        ok({**made, "status": "running", "progress": streaming("backup", 2_000_000, 4_000_000, 2.0)}),
        ok({**made, "status": "done", "backup_id": BACKUP, "size_bytes": 4_000_000, "sha256": "ab" * 32,
            "location": "/backups"})])
    r = offline_cli("db", "backup", "main", "--wait")
    assert r.returncode == 0, r.stderr
    assert "backup     2.0 MB / 4.0 MB (50%), ETA 2s" in r.stderr and f"backup {BACKUP} of main" in r.stderr


def test_on_a_terminal_the_bar_shows_bytes_and_time_left():
    from odooops_cli.commands._follow import LiveLine
    out = io.StringIO()
    con = Console(file=out, force_terminal=True, width=120, color_system=None)
    with LiveLine(con, "deployment 61 queued") as live:
        live.show("deployment 61: download …", streaming("download", 1_500_000, 6_000_000, 42.0))
        live.bar.refresh()
        drawn = out.getvalue()
        live.show("deployment 61: gate …")
        live.bar.refresh()
    assert "deployment 61: download" in drawn and "1.5/6.0 MB" in drawn and "ETA 42s" in drawn
    assert "━" in drawn                                     # the bar itself
    assert "ETA" not in out.getvalue()[len(drawn):]         # the next step streams nothing: no bar
