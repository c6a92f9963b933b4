"""`odooops db migrate` against the fake control plane: what it sends, what it shows of a
dry run (pending modules, DDL, errors), and its exit codes."""
import json

from fake_api import fail, ok

SHA = "0123456789abcdef0123456789abcdef01234567"
PENDING = [{"module": "sample", "action": "update", "installed_version": "19.0.1.0.0", "version": "19.0.1.1.0",
            "reasons": ["checksum changed", "version 19.0.1.0.0 → 19.0.1.1.0"]},
           {"module": "sale_extra", "action": "update", "reasons": ["asked"], "installed_version": "19.0.1.0",
            "version": None}]
STAGING = {"id": 7, "slug": "staging", "branch": "staging", "tier": "staging", "status": "running",
           "project": {"id": 1, "slug": "acme"}, "deployed_sha": SHA, "current_deployment": 5}
DDL = 'ALTER TABLE "sample_note" ADD COLUMN "priority" int4'


def check(status="queued", **extra):
    return {"id": 12, "kind": "migration_check", "environment": {"id": 7, "slug": "staging"}, "status": status,
            "ref": None, "sha": SHA, "modules": ["sale_extra"], "pending": PENDING, "step": None,
            "step_timings": {}, "result": None, "error": None, "error_lines": [], "remediation": None, "log": "",
            "requested_by": "developer", "started_at": None, "finished_at": None, "duration": 0.0,
            "created_at": "2026-01-01T00:00:00Z", **extra}


def result(ok_, errors=()):
    return {"ok": ok_, "sql": {"count": 3169, "milliseconds": 1007.2, "ddl": [DDL], "ddl_count": 1, "ddl_omitted": 0,
                               "by_kind": {"SELECT": 3168, "ALTER": 1}, "by_table": [], "slowest": []},
            "errors": list(errors), "copy": {"database": "acme__staging__sm12", "strategy": "clone", "dropped": True},
            "seconds": 14.2}


def test_a_dry_run_lists_pending_modules_then_the_sql_it_ran(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(STAGING))
    fake.on("POST", "/databases/7/migrate", ok(check(), status=202))
    fake.on("GET", "/migrations/12", [ok(check("running", step="update")),
                                      ok(check("passed", result=result(True), duration=14.2))])
    run = offline_cli("db", "migrate", "staging", "--dry-run", "--module", "sale_extra", "--wait")
    assert run.returncode == 0, run.stderr
    assert fake.calls("POST", "/databases/7/migrate")[0].body == {"dry_run": True, "modules": ["sale_extra"]}
    assert "sample" in run.stdout and "checksum changed, version 19.0.1.0.0 → 19.0.1.1.0" in run.stdout
    assert "3169 statements" in run.stdout and DDL in run.stdout
    assert "passed in 14.2s" in run.stderr and "acme__staging__sm12 (clone), dropped since" in run.stderr


def test_a_failed_dry_run_shows_the_error_lines_and_exits_10(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(STAGING))
    fake.on("POST", "/databases/7/migrate", ok(check(), status=202))
    failed = check("failed", result=result(False, ["Exception: this migration is broken on purpose"]),
                   error="the update failed in the copy: Exception: this migration is broken on purpose",
                   error_lines=["Exception: this migration is broken on purpose"],
                   remediation="Fix the commit and run the dry run again. The environment was not touched.")
    fake.on("GET", "/migrations/12", ok(failed))
    run = offline_cli("db", "migrate", "staging", "--dry-run", "--sha", "feature", "--wait")
    assert run.returncode == 10
    assert fake.calls("POST", "/databases/7/migrate")[0].body == {"dry_run": True, "sha": "feature"}
    assert "the update failed in the copy" in run.stderr and "    Exception: this migration is broken" in run.stderr
    assert "The environment was not touched" in run.stderr

    as_json = offline_cli("db", "migrate", "staging", "--dry-run", "--wait", "--json")
    assert as_json.returncode == 10 and json.loads(as_json.stdout)["result"]["errors"]
    assert json.loads(as_json.stderr)["error"] == "MIGRATION_CHECK_FAILED"


def test_a_real_migration_is_a_deployment_and_nothing_pending_is_a_conflict(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(STAGING))
    deployment = {"id": 31, "kind": "migrate", "status": "queued", "environment": {"id": 7, "slug": "staging"},
                  "sha": SHA, "pending": PENDING}
    fake.on("POST", "/databases/7/migrate", ok(deployment, status=202))
    run = offline_cli("db", "migrate", "staging", "-m", "sale_extra")
    assert run.returncode == 0, run.stderr
    assert fake.calls("POST", "/databases/7/migrate")[0].body == {"dry_run": False, "modules": ["sale_extra"]}
    assert "sale_extra" in run.stdout and "migrate 31 queued for staging" in run.stderr

    fake.on("POST", "/databases/7/migrate", fail(409, "NOTHING_TO_MIGRATE", "nothing to migrate in acme/staging",
                                                 remediation="Name modules to update anyway: --module M"))
    nothing = offline_cli("db", "migrate", "staging")
    assert nothing.returncode == 7 and "nothing to migrate" in nothing.stderr and "--module M" in nothing.stderr
