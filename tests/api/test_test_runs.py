"""`POST /api/v1/environments/{env}/test-runs` through a live control plane with real Odoo 19:
the tests of the serving release (one passes; one fails after committing a marker through a
cursor of its own) run in a throwaway copy of the database. The failure is recorded with its
text, the environment's database, filestore and release are untouched, and no copy is left."""
import os
import time
from pathlib import Path

import pytest
from dataplane_fixtures import GitRepo
from lifecycle_helpers import api, destroy, probe, sql, wait
from sample_addon import addon

pytestmark = pytest.mark.odoo

ENDED = ("passed", "failed", "error")
TEST = "odoo.addons.sample.tests.test_note.TestNote."


@pytest.fixture(scope="module")
def lab(control_plane, runtime_image, tmp_path_factory):
    """One staging environment serving the sample addon with its tests (one real install)."""
    cp, admin = control_plane, control_plane.keys["admin"]
    repo = GitRepo(tmp_path_factory.mktemp("lab-repo"))
    repo.commit(addon("19.0.1.0.0", tests=True))
    r = api(cp, "POST", "/projects", admin, json={"name": "Lab", "git_remote": str(repo.path),
                                                 "base_image": runtime_image})
    assert r.status_code == 201, r.text
    env = None
    try:
        r = api(cp, "POST", "/environments", admin, json={"project": "lab", "branch": "main", "tier": "staging",
                                                          "workers": 0, "memory_mb": 1024})
        assert r.status_code == 202, r.text
        env = r.json()["data"]
        dep = wait(cp, admin, env["deployment"]["id"], timeout=600)
        assert dep["status"] == "succeeded", (dep["error"], dep["log"][-2000:])
        yield api(cp, "GET", f"/environments/{env['id']}", admin).json()["data"]
    finally:
        if env:
            destroy(cp, admin, env["id"])
        api(cp, "DELETE", "/projects/lab", admin)


def wait_run(cp, key, run_id, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(cp, "GET", f"/test-runs/{run_id}", key).json()["data"]
        if run["status"] in ENDED:
            return run
        time.sleep(0.5)
    raise AssertionError(f"test run {run_id} still {run['status']}: {cp.log_tail()}")


def state_of(cp, env):
    """What a test run must leave as it is: the database's data, its files, the release."""
    db = env["database_name"]
    filestore = Path(cp.extra_env["ODOOOPS_STATE_DIR"]) / "filestore" / db / "filestore" / db
    return {"marker": sql(cp, db, "SELECT value FROM ir_config_parameter WHERE key = 'sample.test_marker'"),
            "notes": sql(cp, db, "SELECT count(*) FROM sample_note"),
            "modules": sql(cp, db, "SELECT md5(string_agg(name || latest_version || state, ',' ORDER BY name)) "
                                   "FROM ir_module_module"),
            "files": sorted((str(p.relative_to(filestore)), os.stat(p).st_ino) for p in filestore.rglob("*")
                            if p.is_file()),
            "serving": probe(cp, env["url"].split("://", 1)[1].split(":", 1)[0]),
            "current": api(cp, "GET", f"/environments/{env['id']}", cp.keys["viewer"]).json()["data"]
            ["current_deployment"]}


def copies_of(cp, db):
    return sql(cp, "postgres", "SELECT datname FROM pg_database WHERE datname LIKE %s", [db + "\\_\\_s%"])


def test_a_test_run_records_the_real_failure_in_a_copy_and_leaves_the_environment_untouched(control_plane, lab):
    cp = control_plane
    dev, viewer, admin = (cp.keys[k] for k in ("developer", "viewer", "admin"))
    db, path = lab["database_name"], f"/environments/{lab['id']}/test-runs"
    before = state_of(cp, lab)
    assert before["marker"] == []
    newest = api(cp, "GET", f"/environments/{lab['id']}/deployments", viewer).json()["data"][0]["id"]
    # The copy of a run whose worker died (no such run is active): the next run drops it.
    leftover = db + "__st999999"
    sql(cp, "postgres", f'CREATE DATABASE "{leftover}"')

    # Refused: a viewer; tags that are not --test-tags specs (no shell ever sees them).
    assert api(cp, "POST", path, viewer, json={}).status_code == 403
    for tags in ("/sample; touch /tmp/owned", "/sample$(id)", "/sample/extra", "x" * 501, "-"):
        r = api(cp, "POST", path, dev, json={"tags": tags})
        assert r.status_code == 422, (tags, r.text)
    bad = api(cp, "POST", path, dev, json={"tags": "/sample/extra"}).json()["errors"][0]
    assert bad["message"] == "not a test tag spec: '/sample/extra'" and "--test-tags" in bad["remediation"]

    # The release's own modules by default: sample's two tests.
    r = api(cp, "POST", path, dev, json={})
    assert r.status_code == 202, r.text
    queued = r.json()["data"]
    assert queued["status"] == "queued" and queued["tags"] == "/sample" and queued["requested_tags"] is None
    assert queued["release"]["deployment"] == before["current"] and queued["release"]["sha"] == lab["deployed_sha"]
    run = wait_run(cp, viewer, queued["id"])

    assert run["status"] == "failed", (run["error"], run["log"], run["log_tail"][-3000:])
    results = {r["test"]: r for r in run["results"]}
    assert set(results) == {TEST + "test_create", TEST + "test_marker_is_written"}, run["log_tail"][-3000:]
    failed, passed = results[TEST + "test_marker_is_written"], results[TEST + "test_create"]
    assert failed["outcome"] == "failed" and failed["module"] == "sample" and failed["seconds"] >= 0
    assert failed["failure"].startswith("FAIL: TestNote.test_marker_is_written\nTraceback (most recent call last):")
    assert "AssertionError: 0 != 42 : forty-two notes expected on purpose" in failed["failure"]
    assert "/mnt/extra-addons/sample/tests/test_note.py" in failed["failure"]
    assert passed == {"test": TEST + "test_create", "module": "sample", "outcome": "passed",
                      "seconds": passed["seconds"], "failure": None, "reason": None}
    assert run["summary"] == {"tests": 2, "failures": 1, "errors": 0, "skipped": 0, "passed": 1}
    assert run["error"] == "1 failed, 0 error(s) of 2 tests" and run["exit_code"] == 1
    assert {"copy", "filestore", "tests", "cleanup"} <= set(run["step_timings"]) and run["duration"] > 0
    copy = run["copy"]
    assert copy["database"] == db + "__st" + str(run["id"]) and copy["dropped"] and copy["strategy"] == "clone"
    assert copy["leftovers_dropped"] == [leftover]
    # Odoo's records name the database they ran on: the copy.
    assert f" {copy['database']} odoo.addons.sample.tests.test_note: Starting TestNote.test_create ..." in \
        run["log_tail"]

    # The environment: the marker the failing test committed is not in its database, its
    # files, release and route are as they were, no copy is left, and no deployment was made.
    assert state_of(cp, lab) == before
    assert copies_of(cp, db) == []
    assert not (Path(cp.extra_env["ODOOOPS_STATE_DIR"]) / "filestore" / copy["database"]).exists()
    assert api(cp, "GET", f"/environments/{lab['id']}/deployments", viewer).json()["data"][0]["id"] == newest

    # Tags narrowed to a module: only the passing test.
    r = api(cp, "POST", path, dev, json={"tags": ":TestNote.test_create", "modules": ["sample"]})
    assert r.status_code == 202, r.text
    assert r.json()["data"]["tags"] == "/sample:TestNote.test_create"
    second = wait_run(cp, viewer, r.json()["data"]["id"])
    assert second["status"] == "passed", (second["error"], second["log_tail"][-3000:])
    assert [(t["test"], t["outcome"]) for t in second["results"]] == [(TEST + "test_create", "passed")]
    assert second["summary"]["tests"] == 1 and second["error"] is None and second["copy"]["dropped"]

    # Listed newest first, paginated, without the per-test results; audited; 404 for none.
    listed = api(cp, "GET", path + "?per_page=1", viewer).json()
    assert [item["id"] for item in listed["data"]] == [second["id"]] and listed["meta"]["pagination"]["total"] == 2
    assert "results" not in listed["data"][0] and listed["data"][0]["summary"]["tests"] == 1
    everything = api(cp, "GET", path, viewer).json()["data"]
    assert [item["id"] for item in everything] == [second["id"], run["id"]]
    audit = api(cp, "GET", "/audit-logs?action=test_run.create", admin).json()["data"]
    created = [entry for entry in audit if entry["status_code"] == 202]
    assert sorted(entry["details"]["test_run"] for entry in created) == sorted([run["id"], second["id"]])
    assert {entry["user"] for entry in created} == {"developer"}
    assert {entry["target"] for entry in created} == {f"environment:{lab['project']['slug']}/{lab['slug']}"}
    assert api(cp, "GET", "/test-runs/999999", viewer).status_code == 404
    assert state_of(cp, lab) == before and copies_of(cp, db) == []
