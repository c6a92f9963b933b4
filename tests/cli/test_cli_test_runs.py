"""`odooops test run|results` against the fake control plane, with the payloads of
odooops_api/controllers/test_runs.py (serializers.test_run) and the engine's own test result
records (odooops.test_results.TestResult): progress while waiting, each test's outcome,
duration and failure text, and exit code 10 when tests failed."""
import json

from fake_api import fail, ok
from test_cli_offline import SHA, environment, iso

from odooops import test_results

TRACE = 'Traceback (most recent call last):\n  File "test_note.py", line 9, in test_bad\n    self.assertEqual(1, 2)\n' \
        "AssertionError: 1 != 2"


def results():
    return [test_results.TestResult("odoo.addons.sample.tests.test_note.TestNote.test_create", "sample", "passed", 0.12).to_dict(),
            test_results.TestResult("odoo.addons.sample.tests.test_note.TestNote.test_bad", "sample", "failed", 0.05,
                       failure=f"FAIL: TestNote.test_bad\n{TRACE}").to_dict(),
            test_results.TestResult("odoo.addons.sample.tests.test_note.TestNote.test_later", "sample", "skipped", None,
                       reason="not on CE").to_dict()]


def run(id=5, status="queued", detail=True, **extra):
    """A test run as GET /test-runs/{id} (detail) or the list answer it."""
    summary = {"tests": 3, "failures": 1, "errors": 0, "skipped": 1, "passed": 1} if status in ("passed", "failed") \
        else None
    out = {"id": id, "kind": "test_run", "environment": {"id": 8, "slug": "qa-staging"}, "status": status,
           "tags": "/sample", "requested_tags": "/sample", "modules": [],
           "release": {"deployment": 31, "sha": SHA, "image": "odooops/acme:abc", "odoo_revision": None},
           "summary": summary, "step": None, "step_timings": {}, "error": None, "error_lines": [],
           "remediation": None, "requested_by": "qa", "started_at": None, "finished_at": None,
           "duration": None, "created_at": iso(minutes=2)}
    if detail:
        out.update(results=results() if summary else [], log="", log_tail="", copy=None, exit_code=None,
                   tests_seconds=None)
    return {**out, **extra}


def routes(fake):
    fake.on("GET", "/environments/qa-staging", ok(environment(id=8, slug="qa-staging", tier="staging")))
    fake.on("POST", "/environments/8/test-runs", ok(run(detail=False), 202))


def test_run_waits_with_progress_then_shows_the_failures_and_exits_10(fake, offline_cli):
    routes(fake)
    fake.on("GET", "/test-runs/5", [
        ok(run(status="running", step="copy")),
        ok(run(status="running", step="tests", step_timings={"copy": 0.4, "filestore": 0.1})),
        ok(run(status="failed", duration=41.0, error="1 failed, 0 error(s) of 3 tests",
               step_timings={"copy": 0.4, "filestore": 0.1, "tests": 38.0, "cleanup": 0.3}))])
    r = offline_cli("test", "run", "/sample", "--env=qa-staging", "--wait")
    assert r.returncode == 10, r.stderr
    assert fake.calls("POST", "/environments/8/test-runs")[0].body == {"tags": "/sample"}
    for step in ("copy", "filestore", "tests", "cleanup"):
        assert f"✓ {step}" in r.stderr
    assert "3 tests: 1 passed, 1 failed, 1 skipped" in r.stdout
    table = r.stdout.split("\ntests\n")[1]
    assert table.splitlines()[1].split()[:4] == ["✗", "failed", "sample.tests.test_note.TestNote.test_bad", "0.05s"]
    assert "test_create" not in table.split("✗ sample")[0]                  # after a run: only the failures
    assert "AssertionError: 1 != 2" in r.stdout
    assert "test run 5 of qa-staging failed: 3 tests: 1 passed, 1 failed, 1 skipped" in r.stderr
    assert "odooops test results --env qa-staging --run 5" in r.stderr


def test_run_without_wait_says_how_to_follow(fake, offline_cli):
    routes(fake)
    r = offline_cli("test", "run", "--env", "qa-staging", "--module", "sale_custom", "--module", "sample")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/environments/8/test-runs")[0].body == {"modules": ["sale_custom", "sample"]}
    assert "odooops test results --env qa-staging --run 5 --wait" in r.stderr
    assert json.loads(offline_cli("test", "run", "--env", "qa-staging", "--json").stdout)["status"] == "queued"
    assert offline_cli("test", "run", "/sample").returncode == 2                 # --env is required


def test_results_of_the_latest_run_every_test_and_failed_only(fake, offline_cli):
    routes(fake)
    fake.on("GET", "/environments/8/test-runs", ok([run(id=6, status="failed", detail=False)]))
    fake.on("GET", "/test-runs/6", ok(run(id=6, status="failed", duration=41.0)))
    r = offline_cli("test", "results", "--env=qa-staging")
    assert r.returncode == 0, r.stderr
    assert fake.calls("GET", "/environments/8/test-runs")[0].query == {"per_page": "1"}
    rows = r.stdout.split("\ntests\n")[1].splitlines()
    assert rows[0].split() == ["STATUS", "TEST", "DURATION", "NOTE"]
    assert rows[1].split() == ["✓", "passed", "sample.tests.test_note.TestNote.test_create", "0.12s", "-"]
    assert rows[3].split() == ["-", "skipped", "sample.tests.test_note.TestNote.test_later", "-", "not", "on", "CE"]
    assert "✗ sample.tests.test_note.TestNote.test_bad (failed)" in r.stdout and "AssertionError: 1 != 2" in r.stdout
    failed = offline_cli("test", "results", "--env=qa-staging", "--failed").stdout
    assert "test_create" not in failed and "test_bad" in failed
    answer = json.loads(offline_cli("test", "results", "--env=qa-staging", "--run", "6", "--json").stdout)
    assert answer["results"][1]["outcome"] == "failed" and answer["results"][1]["failure"].endswith("1 != 2")


def test_results_when_there_is_none_or_the_run_is_of_another_environment(fake, offline_cli):
    routes(fake)
    fake.on("GET", "/environments/8/test-runs", ok([]))
    r = offline_cli("test", "results", "--env=qa-staging")
    assert r.returncode == 0 and "no test runs of qa-staging yet" in r.stderr
    fake.on("GET", "/test-runs/9", ok(run(id=9, status="passed", environment={"id": 3, "slug": "main"})))
    r = offline_cli("test", "results", "--env=qa-staging", "--run", "9")
    assert r.returncode == 6 and "test run 9 is of main" in r.stderr
    fake.on("GET", "/test-runs/10", fail(404, "NOT_FOUND", "no test run '10'"))
    assert offline_cli("test", "results", "--env=qa-staging", "--run", "10").returncode == 6


def test_a_run_that_could_not_run_shows_its_error_and_log(fake, offline_cli):
    routes(fake)
    broken = run(status="error", error="no test matched --test-tags=/nope", error_lines=["no test matched"],
                 remediation="See the log tail. Check the tags (odooops test run TAGS) and that the release starts.",
                 log_tail="odoo: INFO loading\nodoo: WARNING no tests")
    fake.on("GET", "/test-runs/5", ok(broken))
    r = offline_cli("test", "run", "/nope", "--env=qa-staging", "--wait")
    assert r.returncode == 10
    assert "no test matched --test-tags=/nope" in r.stdout and "WARNING no tests" in r.stdout
    assert "hint: See the log tail" in r.stdout
    assert "test run 5 of qa-staging error: no test matched" in r.stderr
    fake.on("GET", "/environments/8/test-runs", ok([broken]))
    r = offline_cli("test", "results", "--env=qa-staging", "--wait", "--json")
    assert r.returncode == 10 and json.loads(r.stdout)["status"] == "error"
    assert json.loads(r.stderr)["error"] == "TEST_RUN_ERROR"


def test_a_passing_run_exits_0(fake, offline_cli):
    routes(fake)
    passing = run(status="passed", summary={"tests": 2, "failures": 0, "errors": 0, "skipped": 0, "passed": 2},
                  results=results()[:1])
    fake.on("GET", "/test-runs/5", ok(passing))
    r = offline_cli("test", "run", "--env=qa-staging", "--wait")
    assert r.returncode == 0, r.stderr
    assert "test run 5 of qa-staging passed: 2 tests: 2 passed" in r.stderr
