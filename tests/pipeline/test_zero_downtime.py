"""Deploys that keep production answering, on a real Docker engine, PostgreSQL 18 and
nginx with the stand-in for Odoo (tests/pipeline/fake_odoo): a migrating deploy
answers 503 with Retry-After for the migration only, a failed one puts everything
back, and a rollback resumes the frozen standby without refusing a request."""
import dataclasses
import time

import requests
from controlplane import free_port
from pg_cluster import TempCluster, cluster_dir
from poller import Poller

from odooops.drivers import pg_storage, postgres
from odooops.pipeline import DeploymentFailed, Pipeline


def manifest(version, fail=False, seconds=0):
    return repr({"name": "Sample", "version": version, "depends": ["base"], "x_fail_migration": fail,
                 "x_migration_seconds": seconds})


def url(plane):
    return f"http://127.0.0.1:{plane.nginx.port}/web/login"


def served_version(plane, env):
    return requests.get(url(plane), headers={"Host": env.hostnames[0]}, timeout=10).text


def status(plane, name):
    container = plane.docker.get(name)
    return container.status if container is not None else None


def test_migrating_deploy_is_503_for_the_migration_and_rollback_resumes_the_standby(
        make_plane, env_plan, git_repo, runtime_image, pg_server):
    plane = make_plane()
    env = dataclasses.replace(env_plan, standby=True, migration_estimate=3)
    try:
        migrate_then_roll_back_twice(plane, env, git_repo, runtime_image, pg_server)
    finally:
        Pipeline(plane, env).destroy()
    assert plane.docker.containers(**{"odooops.environment": env.label}) == []


def first_release(plane, env, git_repo, runtime_image, pg_server, deployment, note):
    """v1 serving, its database holding one row of business data (``note``)."""
    one = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0")})
    r1 = Pipeline(plane, env).deploy(deployment=deployment, remote=str(git_repo.path), sha=one,
                                     base_image=runtime_image, current=None)
    pg_server.execute("CREATE TABLE business (note text); INSERT INTO business VALUES (%s)", [note],
                      dbname=env.database)
    return r1


def migrate_then_roll_back_twice(plane, env, git_repo, runtime_image, pg_server):
    remote = str(git_repo.path)
    r1 = first_release(plane, env, git_repo, runtime_image, pg_server, 1, "v1")

    two = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.1", seconds=2)})
    pipeline = Pipeline(plane, env)
    with Poller(url(plane), env.hostnames[0]) as poll:
        r2 = pipeline.deploy(deployment=2, remote=remote, sha=two, base_image=runtime_image, current=r1)
    migrate = pipeline.timings["migrate"]
    assert migrate >= 2
    assert poll.statuses() <= {200, 503}, poll.statuses()
    refused = poll.failures()
    assert refused and all(a.retry_after == "4" for a in refused)          # migration_estimate + 1
    assert poll.longest_gap() <= migrate + 1.0, (poll.longest_gap(), migrate)
    assert 0 < pipeline.facts["unavailable_seconds"] <= migrate + 1.0
    assert pipeline.facts["snapshot_method"] == "clone"                      # PostgreSQL 18 on XFS
    assert '"sample": "19.0.1.1"' in served_version(plane, env)
    # The replaced release is the standby: frozen, holding no database session.
    assert r2.standby.container == r1.container and status(plane, r1.container) == "paused"
    assert not pg_server.execute("SELECT 1 FROM pg_stat_activity WHERE datname = %s AND application_name "
                                 "LIKE 'odooops-d1-%%'", [env.database])
    pg_server.execute("INSERT INTO business VALUES ('v2')", dbname=env.database)

    # Rollback to the standby: it resumes (nothing starts), on the database as v1 left it.
    pipeline = Pipeline(plane, env)
    with Poller(url(plane), env.hostnames[0], interval=0.02) as poll:
        back = pipeline.rollback(deployment=3, current=r2, target=r1, restore_from=r2.snapshot)
    assert poll.failures() == [] and len(poll.answers) > 3
    assert back.container == r1.container and status(plane, r1.container) == "running"
    assert "start" not in pipeline.timings and "resume" in pipeline.timings
    assert '"sample": "19.0.1.0"' in served_version(plane, env)
    assert pg_server.execute("SELECT note FROM business", dbname=env.database) == [("v1",)]
    # What it replaced is kept: v2's container frozen, v2's database under the snapshot name.
    assert back.standby.container == r2.container and status(plane, r2.container) == "paused"
    assert pg_server.execute("SELECT note FROM business ORDER BY 1", dbname=back.snapshot) == [("v1",), ("v2",)]

    # Rolling the rollback back resumes v2 on its own data.
    pipeline = Pipeline(plane, env)
    again = pipeline.rollback(deployment=4, current=back, target=r2, restore_from=back.snapshot)
    assert again.container == r2.container and '"sample": "19.0.1.1"' in served_version(plane, env)
    assert pg_server.execute("SELECT note FROM business ORDER BY 1", dbname=env.database) == [("v1",), ("v2",)]
    assert status(plane, r1.container) == "paused"


def test_a_failed_migration_puts_back_database_release_and_route(make_plane, env_plan, git_repo, runtime_image,
                                                                 pg_server):
    plane = make_plane()
    env = dataclasses.replace(env_plan, standby=True)
    try:
        fail_a_migration(plane, env, git_repo, runtime_image, pg_server)
    finally:
        Pipeline(plane, env).destroy()


def fail_a_migration(plane, env, git_repo, runtime_image, pg_server):
    remote = str(git_repo.path)
    r1 = first_release(plane, env, git_repo, runtime_image, pg_server, 11, "kept")
    bad = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.1", fail=True, seconds=1)})
    pipeline = Pipeline(plane, env)
    with Poller(url(plane), env.hostnames[0]) as poll:
        try:
            pipeline.deploy(deployment=12, remote=remote, sha=bad, base_image=runtime_image, current=r1)
        except DeploymentFailed as exc:
            failure = exc
        time.sleep(0.3)
    assert failure.step == "migrate" and "migration of sample failed" in failure.details["logs"]
    assert "the migration failed" in failure.message and "code 3" in failure.message
    assert poll.statuses() <= {200, 503}, poll.statuses()
    assert poll.answers[-1].status == 200                                  # serving again
    assert status(plane, r1.container) == "running"                        # thawed
    assert status(plane, pipeline.container_name(12)) is None
    assert '"sample": "19.0.1.0"' in served_version(plane, env)
    assert pg_server.execute("SELECT note FROM business", dbname=env.database) == [("kept",)]
    assert not postgres.database_exists(pg_server, postgres.snapshot_name(env.database, "12"))


def test_a_cluster_that_cannot_clone_copies_and_says_so(make_plane, env_plan, git_repo, runtime_image, tmp_path):
    """PostgreSQL on ext4 (no reflinks): the same safety, the snapshot is a full copy,
    and the deployment names that slower path."""
    with cluster_dir(tmp_path) as directory, TempCluster(directory, free_port()) as cluster:
        server = cluster.server()
        assert not pg_storage.detect(server).clone
        plane = dataclasses.replace(make_plane(), pg=server)
        notes = {}
        pipeline = Pipeline(plane, env_plan, report=lambda step, status, secs, msg, **facts:
                            notes.__setitem__(step, msg) if status == "done" else None)
        remote = str(git_repo.path)
        try:
            one = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0")})
            r1 = pipeline.deploy(deployment=21, remote=remote, sha=one, base_image=runtime_image, current=None)
            server.execute("CREATE TABLE business (note text); INSERT INTO business VALUES ('v1')",
                           dbname=env_plan.database)
            two = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.1")})
            r2 = pipeline.deploy(deployment=22, remote=remote, sha=two, base_image=runtime_image, current=r1)
            assert pipeline.facts["snapshot_method"] == "copy"
            assert "full file copies" in notes["snapshot"] and "ext4" in notes["snapshot"]
            assert server.execute("SELECT note FROM business", dbname=r2.snapshot) == [("v1",)]
            back = Pipeline(plane, env_plan).rollback(deployment=23, current=r2, target=r1, restore_from=r2.snapshot)
            assert '"sample": "19.0.1.0"' in served_version(plane, env_plan)
            assert server.execute("SELECT note FROM business", dbname=env_plan.database) == [("v1",)]
            assert postgres.database_exists(server, back.snapshot)
        finally:
            pipeline.destroy()
