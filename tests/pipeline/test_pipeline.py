"""The deploy pipeline on a real Docker engine, PostgreSQL and nginx, with a
stand-in for Odoo's command line (tests/pipeline/fake_odoo): runs on every machine."""
import pytest
import requests

from odooops.drivers import git, postgres
from odooops.errors import Conflict, NotFound, ValidationFailed
from odooops.pipeline import DeploymentFailed, Pipeline


def manifest(version, fail=False):
    return repr({"name": "Sample", "version": version, "depends": ["base"], "x_fail_migration": fail})


def through_nginx(plane, env, path="/web/login"):
    return requests.get(f"http://127.0.0.1:{plane.nginx.port}{path}", headers={"Host": env.hostnames[0]}, timeout=10)


def test_deploy_migrate_fail_rollback_destroy(make_plane, env_plan, git_repo, runtime_image, pg_server):
    plane = make_plane()
    steps = []
    pipeline = Pipeline(plane, env_plan, report=lambda step, status, secs, msg, **facts: steps.append((step, status)))
    remote = str(git_repo.path)

    one = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0"), "sample/__init__.py": ""})
    r1 = pipeline.deploy(deployment=1, remote=remote, sha=one, base_image=runtime_image, current=None)
    assert ("build", "done") in steps and ("gate", "done") in steps and ("switch", "done") in steps
    assert r1.snapshot is None and set(r1.checksums) == {"sample"} and r1.sha == one
    assert '"sample": "19.0.1.0"' in through_nginx(plane, env_plan).text
    assert through_nginx(plane, env_plan, "/web/health").json() == {"status": "pass"}
    pg_server.execute("CREATE TABLE business (note text); INSERT INTO business VALUES ('before v2')",
                      dbname=env_plan.database)

    two = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.1")})
    r2 = pipeline.deploy(deployment=2, remote=remote, sha="main", base_image=runtime_image, current=r1)
    assert r2.sha == two                                              # a branch resolves to its head
    assert r2.snapshot and r2.container != r1.container and r2.http_port != r1.http_port
    assert '"sample": "19.0.1.1"' in through_nginx(plane, env_plan).text
    assert plane.docker.get(r1.container) is None                     # retired
    pg_server.execute("INSERT INTO business VALUES ('after v2')", dbname=env_plan.database)

    three = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.2", fail=True)})
    with pytest.raises(DeploymentFailed) as err:
        pipeline.deploy(deployment=3, remote=remote, sha=three, base_image=runtime_image, current=r2)
    assert err.value.step == "migrate" and "migration of sample failed" in err.value.details["logs"]
    assert '"sample": "19.0.1.1"' in through_nginx(plane, env_plan).text   # v2 still serving
    assert pg_server.execute("SELECT note FROM business ORDER BY 1", dbname=env_plan.database) == \
        [("after v2",), ("before v2",)]                                   # data intact
    assert not postgres.database_exists(pg_server, postgres.snapshot_name(env_plan.database, "3"))

    r1b = pipeline.rollback(deployment=4, current=r2, target=r1, restore_from=r2.snapshot)
    assert '"sample": "19.0.1.0"' in through_nginx(plane, env_plan).text   # v1 code …
    assert pg_server.execute("SELECT note FROM business", dbname=env_plan.database) == [("before v2",)]  # … v1 data
    assert plane.docker.get(r2.container) is None and plane.docker.get(r1b.container) is not None
    assert r1b.odoo_revision == r1.odoo_revision

    # The database the rollback replaced was kept: rolling the rollback back undoes it.
    assert pg_server.execute("SELECT note FROM business ORDER BY 1", dbname=r1b.snapshot) == \
        [("after v2",), ("before v2",)]
    r2b = pipeline.rollback(deployment=5, current=r1b, target=r2, restore_from=r1b.snapshot)
    assert '"sample": "19.0.1.1"' in through_nginx(plane, env_plan).text
    assert pg_server.execute("SELECT note FROM business ORDER BY 1", dbname=env_plan.database) == \
        [("after v2",), ("before v2",)]
    r1b = r2b

    report = pipeline.destroy()
    assert r1b.container in report["containers"] and report["route"] and report["role"] and report["filestore"]
    assert env_plan.database in report["databases"]
    assert not postgres.list_databases(pg_server, env_plan.database)
    assert not postgres.role_exists(pg_server, env_plan.db_role)
    assert through_nginx(plane, env_plan).status_code == 404
    assert plane.docker.containers(**{"odooops.environment": env_plan.label}) == []
    assert pipeline.destroy() == {"containers": [], "route": False, "databases": [], "role": False, "filestore": False}


def test_promotion_deploys_the_same_image(make_plane, env_plan, git_repo, runtime_image):
    plane = make_plane()
    one = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0")})
    source = Pipeline(plane, env_plan)
    r1 = source.deploy(deployment=11, remote=str(git_repo.path), sha=one, base_image=runtime_image, current=None)
    target_plan = env_plan.__class__(**{**env_plan.__dict__, "slug": env_plan.slug + "-prod",
                                        "database": env_plan.database + "_prod", "db_role": env_plan.db_role + "p",
                                        "hostnames": ("prod.pipe.example.com",)})
    target = Pipeline(plane, target_plan)
    try:
        promoted = target.deploy(deployment=12, remote=None, sha=r1.sha, base_image=None, current=None,
                                 image=r1.image, checksums=r1.checksums, taken_ports={r1.http_port, r1.websocket_port})
        assert promoted.image == r1.image
        assert '"sample": "19.0.1.0"' in through_nginx(plane, target_plan).text
    finally:
        target.destroy()
        source.destroy()


def test_bad_inputs_fail_before_anything_changes(make_plane, env_plan, git_repo, runtime_image, pg_server):
    plane = make_plane()
    pipeline = Pipeline(plane, env_plan)
    git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0")})
    with pytest.raises(NotFound):
        pipeline.deploy(deployment=21, remote=str(git_repo.path), sha="deadbeef" * 5, base_image=runtime_image,
                        current=None)
    with pytest.raises(git.GitError):
        pipeline.deploy(deployment=22, remote="/nonexistent/repo.git", sha="abc1234", base_image=runtime_image,
                        current=None)
    with pytest.raises(ValidationFailed, match="does not exist"):
        pipeline.deploy(deployment=23, remote=str(git_repo.path), sha="main", base_image="odooops/nope:1",
                        current=None)
    assert through_nginx(plane, env_plan).status_code == 404
    pipeline.destroy()


def test_two_deployments_of_one_environment_never_interleave(make_plane, env_plan, git_repo, runtime_image):
    plane = make_plane()
    sha = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0")})
    with postgres.advisory_lock(plane.pg, f"environment {env_plan.label}"):
        with pytest.raises(Conflict, match="busy"):
            Pipeline(plane, env_plan).deploy(deployment=31, remote=str(git_repo.path), sha=sha,
                                             base_image=runtime_image, current=None)
    Pipeline(plane, env_plan).destroy()


def test_a_deploy_that_migrates_nothing_refuses_no_request(make_plane, env_plan, git_repo, runtime_image,
                                                           pg_server):
    """An unchanged SHA or a change outside the addons neither copies nor touches the
    database, and a client polling all along never sees a failure."""
    import threading
    import time
    plane = make_plane()
    pipeline = Pipeline(plane, env_plan)
    remote = str(git_repo.path)
    one = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0")})
    r1 = pipeline.deploy(deployment=61, remote=remote, sha=one, base_image=runtime_image, current=None)
    answers, stop = [], threading.Event()

    def poll():
        while not stop.is_set():
            try:
                answers.append(through_nginx(plane, env_plan).status_code)
            except requests.RequestException as exc:
                answers.append(repr(exc))
            time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        r2 = pipeline.deploy(deployment=62, remote=remote, sha=one, base_image=runtime_image, current=r1)
        readme = git_repo.commit({"README.md": "docs only"})
        r3 = pipeline.deploy(deployment=63, remote=remote, sha=readme, base_image=runtime_image, current=r2)
    finally:
        stop.set()
        poller.join()
    assert r2.snapshot is None and r3.snapshot is None and "snapshot" not in pipeline.timings
    assert r3.container != r1.container and len(answers) > 20
    assert [a for a in answers if a != 200] == []
    # Nothing migrated since r1: going back is code only, and the database stays.
    pg_server.execute("CREATE TABLE kept (note text); INSERT INTO kept VALUES ('written after r1')",
                      dbname=env_plan.database)
    back = pipeline.rollback(deployment=64, current=r3, target=r1, restore_from=None)
    assert back.snapshot is None and back.sha == one
    assert pg_server.execute("SELECT note FROM kept", dbname=env_plan.database) == [("written after r1",)]
    pipeline.destroy()
