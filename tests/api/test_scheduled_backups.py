"""Backups the control plane takes by itself, through a live control plane with real Odoo 19:
the scheduler's cron queues production's backup (and not a second one right after), the
project's schedule and retention are set through the API, retention expires what the
policy drops, and a deploy that migrates is preceded by a backup of its snapshot (the
data as they were before it), listed with the environment's backups."""
import json
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from lifecycle_helpers import api, sql, wait
from sample_addon import addon

from odooops.drivers.postgres import snapshot_name

pytestmark = pytest.mark.odoo

CRON = '''
import json
from datetime import datetime
out = {{}}
{body}
print("OUT=" + json.dumps(out, default=str))
'''


def shell(cp, body):
    out = cp.shell(CRON.format(body=body))
    return json.loads(next(line for line in out.splitlines() if line.startswith("OUT="))[4:])


def wait_backup(cp, key, backup_id, timeout=120):
    deadline = time.monotonic() + timeout
    while (made := api(cp, "GET", f"/backups/{backup_id}", key).json()["data"])["status"] in ("pending", "running"):
        assert time.monotonic() < deadline, made
        time.sleep(0.3)
    return made


def test_production_is_backed_up_on_schedule_and_retention_expires_what_the_policy_drops(control_plane, outlet):
    cp, admin, dev = control_plane, control_plane.keys["admin"], control_plane.keys["developer"]
    prod, staging = outlet["main"], outlet["staging"]
    label = f"{prod['project']['slug']}/{prod['slug']}"
    got = api(cp, "GET", "/projects/outlet", dev).json()["data"]
    assert got["backup_schedule"] == {"production": 60, "staging": 1440, "dev": 0, "preview": 0}
    assert got["backup_retention"] == {"daily": 7, "weekly": 4, "monthly": 3}
    for bad in ({"backup_schedule": {"production": 5}}, {"backup_schedule": {"qa": 60}},
                {"backup_retention": {"daily": -1}}, {"backup_schedule": {}}):
        r = api(cp, "PATCH", "/projects/outlet", admin, json=bad)
        assert r.status_code == 422, (bad, r.text)
    assert api(cp, "PATCH", "/projects/outlet", dev, json={"backup_schedule": {"staging": 0}}).status_code == 403
    # The shortest schedule (15 min: due at every tick) makes production due whatever earlier tests did.
    r = api(cp, "PATCH", "/projects/outlet", admin, json={"backup_schedule": {"production": 15, "staging": 0}})
    assert r.status_code == 200 and r.json()["data"]["backup_schedule"]["production"] == 15, r.text
    try:
        ids = [prod["id"], staging["id"]]
        first, again = shell(cp, f'''
S = env["odooops.backup.scheduler"]
out = [S._cron_schedule_backups({ids})]
env.cr.commit()
out.append(S._cron_schedule_backups({ids}))''')
        assert first[label]["due"] and first[label]["backup"], first
        assert not first[f"outlet/{staging['slug']}"]["due"]
        assert first[f"outlet/{staging['slug']}"]["reason"] == "no scheduled backups for this tier"
        assert not again[label]["due"] and "already pending or running" in again[label]["reason"], again
        scheduled = wait_backup(cp, dev, first[label]["backup"])
        assert scheduled["status"] == "done" and scheduled["trigger"] == "schedule", scheduled
        assert scheduled["manifest"]["database"] == prod["database_name"] and scheduled["taken_at"]
        assert "scheduled (production" in scheduled["description"]

        # A second backup the same day: the daily policy keeps only the newest of the day.
        manual = wait_backup(cp, dev, api(cp, "POST", f"/databases/{prod['id']}/backup", dev,
                                          json={"description": "by hand"}).json()["data"]["id"])
        assert manual["status"] == "done" and manual["trigger"] == "manual"
        assert api(cp, "PATCH", "/projects/outlet", admin, json={"backup_schedule": {"production": 60}}).ok
        out = shell(cp, f'''
S = env["odooops.backup.scheduler"]
prod = env["odooops.environment"].browse({prod["id"]})
lost = env["odooops.backup"].create({{"environment_id": prod.id, "state": "running"}})   # its worker died
out["schedule"] = S._cron_schedule_backups([prod.id])
out["lost"] = [lost.state, lost.error]
out["retention"] = S._cron_apply_retention([prod.id])''')
        assert not out["schedule"][label]["due"] and "0 min old" in out["schedule"][label]["reason"], out
        assert out["schedule"][label]["due_at"]                      # about 40 minutes from now
        assert out["lost"][0] == "failed" and "worker was lost" in out["lost"][1]
        kept = out["retention"]["environments"][prod["database_name"]]
        assert scheduled["backup_id"] in kept["deleted"] and manual["backup_id"] in kept["kept"], kept
        assert [k for k in out["retention"]["environments"]] == [prod["database_name"]]   # only what was asked
        assert api(cp, "GET", f"/backups/{scheduled['id']}", dev).json()["data"]["status"] == "expired"
        newest = api(cp, "GET", f"/backups/{manual['id']}", dev).json()["data"]
        assert newest["status"] == "done" and newest["expires_at"] is None     # kept until a newer one comes
        listed = [b["id"] for b in api(cp, "GET", f"/databases/{prod['id']}/backups", dev).json()["data"]]
        assert manual["backup_id"] in listed and scheduled["backup_id"] not in listed
    finally:
        api(cp, "PATCH", "/projects/outlet", admin, json={"backup_schedule": {"production": 60, "staging": 1440}})


def test_a_deploy_that_migrates_is_preceded_by_a_backup_of_its_snapshot(control_plane, outlet):
    """The backup is taken from the snapshot the deploy kept, after it succeeded: it holds
    the module versions from before the migration, and costs the deploy no downtime."""
    cp, dev = control_plane, control_plane.keys["developer"]
    staging = outlet["staging"]
    remote = api(cp, "GET", "/projects/outlet", dev).json()["data"]["git_remote"]
    sha = _commit_on_a_branch_of_its_own(remote, "backup-before-deploy", addon("19.0.1.1.0"))
    before = api(cp, "GET", f"/environments/{staging['id']}", dev).json()["data"]["current_deployment"]
    version = "SELECT latest_version FROM ir_module_module WHERE name = 'sample'"

    dep = wait(cp, dev, api(cp, "POST", "/deployments", dev, json={"environment": staging["id"], "sha": sha}
                            ).json()["data"]["id"])
    try:
        assert dep["status"] == "succeeded" and "snapshot" in dep["step_timings"], (dep["error"], dep["log"][-2000:])
        description = f"before deployment #{dep['id']} (migrates sample)"
        deadline = time.monotonic() + 60
        while not (found := [b for b in api(cp, "GET", f"/databases/{staging['id']}/backups", dev).json()["data"]
                             if b["description"] == description]):
            assert time.monotonic() < deadline, "no backup before the deployment"
            time.sleep(0.5)
        manifest = found[0]
        assert manifest["environment_key"] == staging["database_name"]        # listed under the environment,
        assert manifest["database"] == snapshot_name(staging["database_name"], str(dep["id"]))  # from the snapshot
        assert manifest["modules"]["sample"] == "19.0.1.0.0"                   # as it was before the migration
        assert sql(cp, staging["database_name"], version) == [("19.0.1.1.0",)]
    finally:
        # Staging back as the other tests know it: the snapshot is still there for the rollback.
        back = wait(cp, dev, api(cp, "POST", f"/environments/{staging['id']}/rollback", dev,
                                 json={"deployment": before}).json()["data"]["id"])
        assert back["status"] == "succeeded", (back["error"], back["log"][-2000:])
    assert sql(cp, staging["database_name"], version) == [("19.0.1.0.0",)]


def _commit_on_a_branch_of_its_own(remote, branch, files):
    """A commit on ``branch`` of the project's repository, made in a worktree of its own
    so that the repository's checkout (which other tests commit to) stays as it is."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["git", "-C", remote, "worktree", "add", "-q", "-b", branch, f"{tmp}/tree", "staging"],
                       check=True, capture_output=True)
        try:
            for name, content in files.items():
                path = Path(tmp, "tree", name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content)
            run = ["git", "-C", f"{tmp}/tree", "-c", "user.email=dev@example.com", "-c", "user.name=Dev"]
            subprocess.run([*run, "add", "-A"], check=True, capture_output=True)
            subprocess.run([*run, "commit", "-q", "-m", "sample 19.0.1.1.0"], check=True, capture_output=True)
            return subprocess.run([*run, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
        finally:
            subprocess.run(["git", "-C", remote, "worktree", "remove", "--force", f"{tmp}/tree"], capture_output=True)
