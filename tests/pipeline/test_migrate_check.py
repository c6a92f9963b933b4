"""Migration dry runs and real migrations on a real Docker engine, PostgreSQL and nginx,
with the stand-in for Odoo's command line (tests/pipeline/fake_odoo): the dry run works
in a throwaway copy that is always dropped, and never touches the environment."""
import json
import os

import pytest
import requests

from odooops import migrate_check, templates
from odooops.drivers import postgres
from odooops.errors import Conflict
from odooops.pipeline import DeploymentFailed, Pipeline


def manifest(version, fail=False, seconds=0):
    return repr({"name": "Sample", "version": version, "depends": ["base"], "x_fail_migration": fail,
                 "x_migration_seconds": seconds})


def through_nginx(plane, env, path="/web/login"):
    return requests.get(f"http://127.0.0.1:{plane.nginx.port}{path}", headers={"Host": env.hostnames[0]}, timeout=10)


def untouched(plane, env, pg, release):
    """What must not change while dry runs run: container, route, data, filestore."""
    state = templates.filestore_dir(plane.filestore_root, env.database) / "fake-odoo.json"
    container = plane.docker.get(release.container)
    return {"container": (container.id, container.status), "route": plane.nginx.site_path(env.key).read_text(),
            "rows": pg.execute("SELECT note FROM business ORDER BY 1", dbname=env.database),
            "filestore": (json.loads(state.read_text()), os.stat(state).st_ino),
            "serves": through_nginx(plane, env).text}


def test_dry_runs_report_and_leave_the_environment_alone(make_plane, env_plan, git_repo, runtime_image, pg_server,
                                                         monkeypatch):
    plane = make_plane()
    steps = []
    pipeline = Pipeline(plane, env_plan, report=lambda step, status, secs, msg, **facts: steps.append((step, status)))
    remote = str(git_repo.path)
    one = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0"), "sample/__init__.py": ""})
    r1 = pipeline.deploy(deployment=1, remote=remote, sha=one, base_image=runtime_image, current=None)
    try:
        pg_server.execute("CREATE TABLE business (note text); INSERT INTO business VALUES ('order 1')",
                          dbname=env_plan.database)
        before = untouched(plane, env_plan, pg_server, r1)
        assert '"sample": "19.0.1.0"' in before["serves"]

        # Nothing changed: nothing to migrate, nothing copied.
        with pytest.raises(migrate_check.NothingToMigrate):
            pipeline.dry_run(check=1, remote=remote, ref=None, base_image=runtime_image, current=r1)

        two = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.1")})
        steps.clear()
        passed = pipeline.dry_run(check=2, remote=remote, ref=two, base_image=runtime_image, current=r1)
        assert passed["ok"] and passed["exit_code"] == 0 and passed["errors"] == []
        assert passed["sha"] == two and passed["image"] != r1.image
        assert passed["pending"] == [{"module": "sample", "action": "update", "reasons": ["checksum changed"],
                                      "installed_version": None, "version": "19.0.1.1"}]
        assert "updated sample 19.0.1.1" in passed["log_tail"]      # the update ran, in the copy
        copy = passed["copy"]
        assert copy["database"] == postgres.snapshot_name(env_plan.database, "m2") and copy["dropped"]
        assert copy["strategy"] == ("clone" if postgres.storage(pg_server).clone else "dump")
        assert [s for s, status in steps if status == "done"] == ["pending", "build", "copy", "filestore", "update",
                                                                  "cleanup"]
        assert passed["sql"]["count"] == 0 and passed["seconds"] >= passed["update_seconds"] > 0

        three = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.2", fail=True)})
        failed = pipeline.dry_run(check=3, remote=remote, ref=three, base_image=runtime_image, current=r1)
        assert not failed["ok"] and failed["exit_code"] == 1 and failed["copy"]["dropped"]
        assert "Exception: migration of sample failed" in failed["errors"]

        slow = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.3", seconds=60)})
        timed_out = pipeline.dry_run(check=4, remote=remote, ref=slow, base_image=runtime_image, current=r1, timeout=3)
        assert timed_out["timed_out"] and not timed_out["ok"] and timed_out["copy"]["dropped"]
        assert timed_out["errors"][0] == "the update exited with code 124 (timed out)"

        # A deployment holds the environment: the dry run copies nothing and says to come back.
        monkeypatch.setattr(migrate_check, "LOCK_WAIT", 0.5)
        with postgres.advisory_lock(pg_server, f"environment {env_plan.label}"):
            with pytest.raises(Conflict, match="busy"):
                pipeline.dry_run(check=5, remote=remote, ref=two, base_image=runtime_image, current=r1)

        # Nothing left behind, nothing of the environment changed.
        assert not [name for name in postgres.list_databases(pg_server, env_plan.database) if "__sm" in name]
        assert not [p for p in plane.filestore_root.iterdir() if "__sm" in p.name]
        assert [c.name for c in plane.docker.containers(**{"odooops.environment": env_plan.label})] == [r1.container]
        assert untouched(plane, env_plan, pg_server, r1) == before
    finally:
        pipeline.destroy()


def test_a_real_migration_updates_at_the_serving_commit_and_rolls_back_on_failure(
        make_plane, env_plan, git_repo, runtime_image, pg_server):
    plane = make_plane()
    pipeline = Pipeline(plane, env_plan)
    remote = str(git_repo.path)
    one = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0"), "sample/__init__.py": ""})
    r1 = pipeline.deploy(deployment=11, remote=remote, sha=one, base_image=runtime_image, current=None)
    try:
        pg_server.execute("CREATE TABLE business (note text); INSERT INTO business VALUES ('order 1')",
                          dbname=env_plan.database)
        # The same commit, a module asked for: the serving image is reused, the database migrated.
        r2 = pipeline.migrate(deployment=12, remote=remote, ref=None, base_image=runtime_image, current=r1,
                              asked=["sample"])
        assert r2.image == r1.image and r2.sha == one and r2.snapshot and r2.container != r1.container
        assert {"pending", "maintenance", "snapshot", "migrate", "gate", "switch"} <= set(pipeline.timings)
        assert "updated sample 19.0.1.0" in plane.docker.get(r2.container).logs().decode()
        assert '"sample": "19.0.1.0"' in through_nginx(plane, env_plan).text

        broken = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.1", fail=True)})
        with pytest.raises(DeploymentFailed) as err:
            pipeline.migrate(deployment=13, remote=remote, ref=broken, base_image=runtime_image, current=r2)
        assert err.value.step == "migrate"
        assert '"sample": "19.0.1.0"' in through_nginx(plane, env_plan).text          # r2 serves again …
        assert pg_server.execute("SELECT note FROM business", dbname=env_plan.database) == [("order 1",)]  # … its data
        assert not postgres.database_exists(pg_server, postgres.snapshot_name(env_plan.database, "13"))
    finally:
        pipeline.destroy()
