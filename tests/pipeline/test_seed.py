"""A new environment's first deploy starts from a neutralized copy of another
environment (staging from production) or of a named snapshot, on a real Docker engine,
PostgreSQL 18 and nginx with the stand-in for Odoo: the copy is updated to the new
release's code, and a failed copy leaves an empty database and no files."""
import dataclasses
import json
import os
import shutil

import pytest
import requests

from odooops import templates
from odooops.dataplane import Release, environment_lock
from odooops.dbops import clone, snapshot
from odooops.drivers import postgres
from odooops.errors import Conflict
from odooops.naming import snapshot_database
from odooops.pipeline import Pipeline
from odooops.seed import Seed


def manifest(version):
    return repr({"name": "Sample", "version": version, "depends": ["base"]})


def as_role(pg, plan):
    return postgres.Server(pg.host, pg.port, plan.db_role, plan.db_password)


def login(plane, plan):
    return requests.get(f"http://127.0.0.1:{plane.nginx.port}/web/login", headers={"Host": plan.hostnames[0]},
                        timeout=10)


def fake_state(plane, plan):
    return json.loads((templates.filestore_dir(plane.filestore_root, plan.key) / "fake-odoo.json").read_text())


def variant(plan, suffix):
    return dataclasses.replace(plan, slug=plan.slug + suffix, database=plan.database + "_" + suffix,
                               db_role=plan.db_role + suffix, hostnames=(f"{suffix}{plan.hostnames[0]}",))


def test_new_environments_start_from_production_or_a_snapshot(make_plane, env_plan, git_repo, runtime_image,
                                                              pg_server):
    plane = make_plane()
    prod_plan, qa_plan, bug_plan, broken_plan = (variant(env_plan, s) for s in ("p", "q", "b", "x"))
    prod = Pipeline(plane, prod_plan)
    remote = str(git_repo.path)
    v1 = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0")})
    lock = environment_lock(prod_plan.label)
    snap = snapshot_database(prod_plan.project, prod_plan.slug, 900100)
    made = []
    try:
        p1 = prod.deploy(deployment=1, remote=remote, sha=v1, base_image=runtime_image, current=None)
        as_role(pg_server, prod_plan).execute(
            "CREATE TABLE customers (email text); INSERT INTO customers VALUES ('ann@shop.example')",
            dbname=prod_plan.database)
        attachment = templates.filestore_dir(plane.filestore_root, prod_plan.key) / "ab" / "abcdef"
        attachment.parent.mkdir(parents=True, exist_ok=True)
        attachment.write_text("an invoice")
        source = clone.Source(prod_plan.database, prod_plan.db_role, p1.container, lock)
        prod_files = templates.filestore_dir(plane.filestore_root, prod_plan.key)

        # A staging branch one commit ahead: production's data, then its module updated.
        v2 = git_repo.commit({"sample/__manifest__.py": manifest("19.0.2.0")})
        steps = []
        qa = Pipeline(plane, qa_plan, report=lambda step, status, *a, **k: steps.append((step, status)))
        made.append(qa)
        seed = Seed(source, prod_files, checksums=p1.checksums, base_url=f"http://{qa_plan.hostnames[0]}",
                    label=prod_plan.label)
        q1 = qa.deploy(deployment=2, remote=remote, sha=v2, base_image=runtime_image, current=None, seed=seed,
                       taken_ports={p1.http_port, p1.websocket_port})
        done = [step for step, status in steps if status == "done"]
        assert done[:1] == ["build"] and {"copy", "filestore", "neutralize", "migrate", "gate", "switch"} <= set(done)
        assert "template" not in qa.facts and qa.facts["clone_strategy"] in clone.STRATEGIES
        assert pg_server.execute("SELECT email FROM customers", dbname=qa_plan.database) == [("ann@shop.example",)]
        assert {r[0] for r in pg_server.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'",
                                                dbname=qa_plan.database)} == {qa_plan.db_role}
        copied = templates.filestore_dir(plane.filestore_root, qa_plan.key) / "ab" / "abcdef"
        assert copied.stat().st_ino == attachment.stat().st_ino
        state = fake_state(plane, qa_plan)
        assert state["neutralized"] is True and state["modules"]["sample"] == "19.0.2.0"   # updated to v2
        assert '"sample": "19.0.2.0"' in login(plane, qa_plan).text
        assert "neutralized" not in fake_state(plane, prod_plan)                        # production untouched
        assert login(plane, prod_plan).ok

        # A named snapshot of production, and a new environment from it (no update: same code).
        snapshot.take(pg_server, plane.docker, source, prod_files, snap, plane.filestore_root)
        as_role(pg_server, prod_plan).execute("INSERT INTO customers VALUES ('after@shop.example')",
                                              dbname=prod_plan.database)
        bug = Pipeline(plane, bug_plan)
        made.append(bug)
        seed = Seed(snapshot.source(snap), snapshot.filestore_of(plane.filestore_root, snap),
                    checksums=p1.checksums, label=f"snapshot {snap}")
        bug.deploy(deployment=3, remote=remote, sha=v1, base_image=runtime_image, current=None, seed=seed,
                   taken_ports={p1.http_port, p1.websocket_port, q1.http_port, q1.websocket_port})
        assert "migrate" not in bug.timings
        assert pg_server.execute("SELECT email FROM customers", dbname=bug_plan.database) == [("ann@shop.example",)]
        assert login(plane, bug_plan).ok and fake_state(plane, bug_plan)["neutralized"] is True

        # The source busy (its own deploy holds its lock): the copy fails, nothing half-made remains.
        broken = Pipeline(plane, broken_plan)
        made.append(broken)
        with postgres.advisory_lock(pg_server, lock), pytest.raises(Conflict):
            broken.deploy(deployment=4, remote=remote, sha=v2, base_image=runtime_image, current=None,
                          seed=Seed(source, prod_files, checksums=p1.checksums))
        assert pg_server.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                                 dbname=broken_plan.database) == [(0,)]
        assert not templates.filestore_dir(plane.filestore_root, broken_plan.key).exists()
        assert plane.docker.containers(**{"odooops.environment": broken_plan.label}) == []
    finally:
        snapshot.drop(pg_server, plane.filestore_root, snap)
        for pipeline in [*made, prod]:
            pipeline.destroy()
    for plan in (prod_plan, qa_plan, bug_plan, broken_plan):
        assert not postgres.list_databases(pg_server, plan.database)


def test_an_empty_environment_gets_demo_data_when_asked_with_a_template_of_its_own(make_plane, env_plan, pg_server,
                                                                                  monkeypatch):
    """Odoo 19 installs without demo data unless told (--with-demo); a demo install is kept
    as a template of its own, never handed to an environment that asked for none."""
    plane = make_plane()
    pipeline = Pipeline(plane, env_plan)
    pipeline.provision()
    commands = []
    monkeypatch.setattr(pipeline, "_run_once", lambda *args: commands.append(args[3]) or (0, "installed"))
    release = Release(image="odooops/demo-test:1", sha="a" * 40, checksums={"sample": os.urandom(8).hex()},
                      odoo_revision="demo-test")
    made = [templates.name(env_plan.project, "demo-test", "base:1" + suffix, release.checksums)
            for suffix in (" with demo", "")]
    try:
        pipeline._install(1, release, None, "base:1", demo=True)
        pipeline._install(2, release, None, "base:1", demo=False)
        pipeline._install(3, release, None, "base:1", demo=True)            # the demo template's copy
        assert len(commands) == 2 and "--with-demo" in commands[0] and "--with-demo" not in commands[1]
        assert commands[0][commands[0].index("-i") + 1] == "base,sample"
        assert all(postgres.database_exists(pg_server, name) for name in made)
    finally:
        for name in made:
            postgres.drop_database(pg_server, name)
            shutil.rmtree(templates.template_filestore(plane.filestore_root, name), ignore_errors=True)
