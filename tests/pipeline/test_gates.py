"""Health gates of the deploy pipeline (odooops/gates.py) on a real Docker engine, PostgreSQL
and nginx, with the stand-in Odoo: blocking gates stop a deploy before it changes anything
(or before the switch), the previous release keeps serving; warning gates are only recorded."""
import pytest
import requests

from odooops import gates, policy
from odooops.drivers import postgres
from odooops.pipeline import DeploymentFailed, Pipeline

HEALTH = "import os, urllib.request; print(urllib.request.urlopen(os.environ['ODOOOPS_URL'] + '/web/health').read())"


def manifest(version, fail=False):
    return repr({"name": "Sample", "version": version, "depends": ["base"], "x_fail_migration": fail})


def through_nginx(plane, env, path="/web/login"):
    return requests.get(f"http://127.0.0.1:{plane.nginx.port}{path}", headers={"Host": env.hostnames[0]}, timeout=10)


def staging_gates(text):
    loaded = policy.load(text)
    assert loaded.ok, [str(e) for e in loaded.errors]
    return gates.plan(loaded.policy.gates("staging"), "deploy")


def results_of(pipeline):
    return {r["type"]: r for r in pipeline.facts.get("gate_results", [])}


@pytest.fixture
def serving(make_plane, env_plan, git_repo, runtime_image):
    """A fresh pipeline (one per job, as in the control plane) of an environment that serves
    v1 (19.0.1.0) of the sample module, and that release."""
    plane = make_plane()
    one = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0"), "sample/__init__.py": ""})
    r1 = Pipeline(plane, env_plan).deploy(deployment=1, remote=str(git_repo.path), sha=one, base_image=runtime_image,
                                          current=None)
    assert '"sample": "19.0.1.0"' in through_nginx(plane, env_plan).text
    yield Pipeline(plane, env_plan), r1
    Pipeline(plane, env_plan).destroy()


def test_a_failing_blocking_tests_gate_blocks_and_the_previous_release_serves(serving, git_repo, runtime_image,
                                                                              env_plan):
    pipeline, r1 = serving
    two = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.1")})
    blocking = staging_gates('health_gates:\n  staging:\n    - type: tests\n'
                             '      command: "echo checking $PGDATABASE; echo pw=$PGPASSWORD; echo 2 tests FAILED; exit 3"\n')
    with pytest.raises(DeploymentFailed) as err:
        pipeline.deploy(deployment=2, remote=str(git_repo.path), sha=two, base_image=runtime_image, current=r1,
                        gates=blocking)
    assert err.value.step == "gate:tests"
    assert err.value.details["error_lines"][0] == "gate:tests: the tests command exited with 3"
    assert "2 tests FAILED" in err.value.details["error_lines"]
    result = results_of(pipeline)["tests"]
    assert result["status"] == "failed" and result["required"] is True and result["seconds"] > 0
    assert f"checking {env_plan.database}" in result["output"]
    assert env_plan.db_password not in result["output"] and "pw=********" in result["output"]  # never a secret
    assert env_plan.db_password not in err.value.details["logs"]
    # Nothing changed: no maintenance, no snapshot, no container of the new release; v1 serves.
    assert not {"maintenance", "snapshot", "start", "switch"} & set(pipeline.timings)
    assert '"sample": "19.0.1.0"' in through_nginx(pipeline.plane, env_plan).text
    assert pipeline.plane.docker.get(pipeline.container_name(2)) is None
    assert pipeline.plane.docker.get(r1.container) is not None


def test_warning_gates_are_recorded_and_the_deploy_goes_on(serving, git_repo, runtime_image, env_plan, pg_server):
    pipeline, r1 = serving
    two = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.1")})
    run = staging_gates(f'''health_gates:
  staging:
    - type: tests
      command: "echo flaky; exit 1"
      required: false
    - type: migrations
    - type: smoke_tests
      command: "python3 -c \\"{HEALTH}\\""
''')
    r2 = pipeline.deploy(deployment=2, remote=str(git_repo.path), sha=two, base_image=runtime_image, current=r1,
                         test_command="echo project tests ok", gates=run)
    assert '"sample": "19.0.1.1"' in through_nginx(pipeline.plane, env_plan).text
    found = pipeline.facts["gate_results"]
    assert [(r["type"], r["status"]) for r in found] == [
        ("tests", "passed"), ("tests", "warning"), ("migrations", "passed"), ("smoke_tests", "passed")]
    assert "project tests ok" in found[0]["output"] and "flaky" in found[1]["output"]
    assert found[1]["reason"] == "the tests command exited with 1"
    assert "update sample" in found[2]["output"] and "on a copy" in found[2]["output"]
    assert "pass" in found[3]["output"]
    assert {"gate:tests", "gate:tests-2", "gate:migrations", "gate:smoke_tests"} <= set(pipeline.timings)
    assert "warning" in pipeline.notes["gate:tests-2"]
    # The copy of the migrations gate is gone; the real migration ran after it.
    assert postgres.list_databases(pg_server, env_plan.database + "__smg") == []
    assert r2.snapshot and r2.sha == two

    # A deploy that migrates nothing skips the migrations gate (and says why).
    readme = git_repo.commit({"README.md": "docs only"})
    pipeline = Pipeline(pipeline.plane, env_plan)
    pipeline.deploy(deployment=3, remote=str(git_repo.path), sha=readme, base_image=runtime_image, current=r2,
                    gates=staging_gates("health_gates:\n  staging:\n    - type: migrations\n"))
    assert results_of(pipeline)["migrations"]["status"] == "skipped"
    assert results_of(pipeline)["migrations"]["reason"] == "nothing to migrate"


def test_a_failing_smoke_test_blocks_before_the_switch(serving, git_repo, runtime_image, env_plan, pg_server):
    pipeline, r1 = serving
    pg_server.execute("CREATE TABLE business (note text); INSERT INTO business VALUES ('v1 data')",
                      dbname=env_plan.database)
    two = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.1")})
    smoke = staging_gates(f'''health_gates:
  staging:
    - type: smoke_tests
      command: "python3 -c \\"{HEALTH}\\" && echo the new release answered && exit 7"
''')
    with pytest.raises(DeploymentFailed) as err:
        pipeline.deploy(deployment=2, remote=str(git_repo.path), sha=two, base_image=runtime_image, current=r1,
                        gates=smoke)
    assert err.value.step == "gate:smoke_tests"
    result = results_of(pipeline)["smoke_tests"]
    assert result["status"] == "failed" and "the new release answered" in result["output"]
    # The new release started, migrated and passed its health gate: the smoke test reached it.
    assert {"start", "migrate", "gate"} <= set(pipeline.timings) and "switch" not in pipeline.timings
    assert '"sample": "19.0.1.0"' in through_nginx(pipeline.plane, env_plan).text
    assert pg_server.execute("SELECT note FROM business", dbname=env_plan.database) == [("v1 data",)]
    assert pipeline.plane.docker.get(pipeline.container_name(2)) is None


def test_a_migration_that_fails_on_the_copy_never_touches_the_environment(serving, git_repo, runtime_image,
                                                                          env_plan, pg_server):
    pipeline, r1 = serving
    bad = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.1", fail=True)})
    with pytest.raises(DeploymentFailed) as err:
        pipeline.deploy(deployment=2, remote=str(git_repo.path), sha=bad, base_image=runtime_image, current=r1,
                        gates=staging_gates("health_gates:\n  staging:\n    - type: migrations\n"))
    assert err.value.step == "gate:migrations"
    assert any("migration of sample failed" in line for line in err.value.details["error_lines"])
    assert results_of(pipeline)["migrations"]["status"] == "failed"
    assert {"copy", "update", "cleanup"} <= set(pipeline.timings)
    assert not {"maintenance", "snapshot", "start"} & set(pipeline.timings)     # never held, never 503
    assert postgres.list_databases(pg_server, env_plan.database + "__s") == []
    assert '"sample": "19.0.1.0"' in through_nginx(pipeline.plane, env_plan).text


def test_only_gated_kinds_and_pipeline_types_run():
    loaded = policy.load("health_gates:\n  production:\n    - type: manual_approval\n"
                         "    - type: smoke_tests\n      command: 'true'\n      required: false\n")
    found = loaded.policy.gates("production")
    assert [g.type for g in gates.plan(found, "promote")] == ["smoke_tests"]
    assert gates.plan(found, "rollback") == [] and gates.plan(found, "restore") == []
    assert gates.approval_gate(found, "deploy").type == "manual_approval"
    assert gates.approval_gate(found, "clone") is None
    assert [g.origin for g in gates.for_run(gates.plan(found, "deploy"), "pytest")] == ["project", "policy"]
    assert gates.redact("user pw=s3cret-value ok", ["s3cret-value", "", None]) == "user pw=******** ok"
