"""Refreshing an environment's data from another (staging from production), on a real
Docker engine, PostgreSQL 18 and nginx with the stand-in for Odoo: the copy is made and
neutralized on the side, both environments serve throughout, and the data replaced is
kept."""
import dataclasses
import json

import pytest
import requests
from poller import Poller

from odooops import templates
from odooops.backups import backup
from odooops.backups.errors import BackupCorrupted
from odooops.backups.store import LocalStore
from odooops.dbops import clone
from odooops.drivers import postgres
from odooops.errors import ValidationFailed
from odooops.pipeline import Pipeline


def manifest(version):
    return repr({"name": "Sample", "version": version, "depends": ["base"]})


def as_role(pg, plan):
    """The environment's own login: its tables are its role's, as Odoo's are."""
    return postgres.Server(pg.host, pg.port, plan.db_role, plan.db_password)


def login_url(plane):
    return f"http://127.0.0.1:{plane.nginx.port}/web/login"


@pytest.mark.parametrize("strategy", ["clone", "dump"])
def test_staging_refreshed_from_production_keeps_both_serving(make_plane, env_plan, git_repo, runtime_image,
                                                              pg_server, strategy):
    plane = dataclasses.replace(make_plane(), pg_bindir=__import__("os").environ["ODOOOPS_TEST_PG_BINDIR"])
    prod_plan = dataclasses.replace(env_plan, slug=env_plan.slug + "p", database=env_plan.database + "_p",
                                    db_role=env_plan.db_role + "p", hostnames=(f"p{env_plan.hostnames[0]}",))
    staging_plan = dataclasses.replace(env_plan, standby=True)
    prod, staging = Pipeline(plane, prod_plan), Pipeline(plane, staging_plan)
    remote = str(git_repo.path)
    sha = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0")})
    try:
        p1 = prod.deploy(deployment=1, remote=remote, sha=sha, base_image=runtime_image, current=None)
        s1 = staging.deploy(deployment=2, remote=remote, sha=sha, base_image=runtime_image, current=None,
                            taken_ports={p1.http_port, p1.websocket_port})
        as_role(pg_server, prod_plan).execute(
            "CREATE TABLE customers (email text); INSERT INTO customers VALUES ('ann@shop.example')",
            dbname=prod_plan.database)
        as_role(pg_server, staging_plan).execute(
            "CREATE TABLE scratch (note text); INSERT INTO scratch VALUES ('staging work')",
            dbname=staging_plan.database)
        attachment = templates.filestore_dir(plane.filestore_root, prod_plan.key) / "ab" / "abcdef"
        attachment.parent.mkdir(parents=True, exist_ok=True)
        attachment.write_text("an invoice")

        refresh = Pipeline(plane, staging_plan)
        source = clone.Source(prod_plan.database, prod_plan.db_role, p1.container)
        with Poller(login_url(plane), prod_plan.hostnames[0]) as on_prod, \
                Poller(login_url(plane), staging_plan.hostnames[0]) as on_staging:
            s2 = refresh.refresh(deployment=3, current=s1, source=source, strategy=strategy,
                                 source_filestore=templates.filestore_dir(plane.filestore_root, prod_plan.key),
                                 base_url=f"http://{staging_plan.hostnames[0]}",
                                 taken_ports={p1.http_port, p1.websocket_port})
        assert on_prod.failures() == [] and len(on_prod.answers) > 5            # production never noticed
        assert on_staging.statuses() <= {200, 503}                              # staging: only the swap
        assert refresh.facts["clone_strategy"] == strategy
        # Staging serves production's data, in its own database owned by its own role …
        assert pg_server.execute("SELECT email FROM customers", dbname=staging_plan.database) == \
            [("ann@shop.example",)]
        owners = pg_server.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
                                   dbname=staging_plan.database)
        assert owners == [(staging_plan.db_role,)]
        assert pg_server.execute("SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                                 [prod_plan.database]) == [(prod_plan.db_role,)]       # production's own, still
        copied = templates.filestore_dir(plane.filestore_root, staging_plan.key) / "ab" / "abcdef"
        assert copied.read_text() == "an invoice"
        state = json.loads((templates.filestore_dir(plane.filestore_root, staging_plan.key) /
                            "fake-odoo.json").read_text())
        assert state.get("neutralized") is True                                  # Odoo's neutralize ran
        prod_state = json.loads((templates.filestore_dir(plane.filestore_root, prod_plan.key) /
                                 "fake-odoo.json").read_text())
        assert "neutralized" not in prod_state                                   # … on the copy only
        # … and what staging had is kept: a rollback brings it back.
        assert pg_server.execute("SELECT note FROM scratch", dbname=s2.snapshot) == [("staging work",)]
        assert s2.standby.container == s1.container
        back = Pipeline(plane, staging_plan).rollback(deployment=4, current=s2, target=s1,
                                                      restore_from=s2.snapshot)
        assert pg_server.execute("SELECT note FROM scratch", dbname=staging_plan.database) == [("staging work",)]
        assert requests.get(login_url(plane), headers={"Host": staging_plan.hostnames[0]}, timeout=10).ok
        assert back.container == s1.container
    finally:
        prod.destroy()
        staging.destroy()
    for plan in (prod_plan, staging_plan):
        assert not postgres.list_databases(pg_server, plan.database)


def test_bad_clone_requests_are_refused_before_anything_changes(pg_server):
    storage = postgres.storage(pg_server)
    with pytest.raises(ValidationFailed, match="unknown clone strategy"):
        clone.choose(storage, "teleport")
    with pytest.raises(ValidationFailed, match="onto itself"):
        clone.copy_database(pg_server, None, clone.Source("same_db", "r"), "same_db", "r", "clone")


def test_a_backup_restored_into_staging_is_verified_first_then_swapped_in(make_plane, env_plan, git_repo,
                                                                          runtime_image, pg_server, tmp_path):
    """Staging's own backup comes back as it was (not neutralized); production's is neutralized;
    a corrupted one is refused while staging serves on, untouched. Each serves from a new release."""
    plane = dataclasses.replace(make_plane(), pg_bindir=__import__("os").environ["ODOOOPS_TEST_PG_BINDIR"])
    prod_plan = dataclasses.replace(env_plan, slug=env_plan.slug + "p", database=env_plan.database + "_p",
                                    db_role=env_plan.db_role + "p", hostnames=(f"p{env_plan.hostnames[0]}",))
    staging_plan = dataclasses.replace(env_plan, standby=True)
    prod, staging = Pipeline(plane, prod_plan), Pipeline(plane, staging_plan)
    store = LocalStore(tmp_path / "backups")
    sha = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0")})
    files = templates.filestore_dir(plane.filestore_root, staging_plan.key)
    notes = "SELECT body FROM notes ORDER BY body"

    def take(plan):
        return backup(pg_server, plan.database, templates.filestore_dir(plane.filestore_root, plan.key), store,
                      environment_key=plan.key, pg_bindir=plane.pg_bindir)

    def restore(current, deployment, made, **kw):
        seen = []
        release = Pipeline(plane, staging_plan).restore_backup(
            deployment=deployment, current=current, store=store, backup_id=made.id, environment_key=made.environment_key,
            base_url=f"http://{staging_plan.hostnames[0]}", taken_ports={p1.http_port, p1.websocket_port},
            progress=lambda step, done, total: seen.append((step, done, total)), **kw)
        assert {step for step, done, total in seen if done == total} == {"download", "copy", "filestore"}
        return release

    try:
        p1 = prod.deploy(deployment=1, remote=str(git_repo.path), sha=sha, base_image=runtime_image, current=None)
        s1 = staging.deploy(deployment=2, remote=str(git_repo.path), sha=sha, base_image=runtime_image, current=None,
                            taken_ports={p1.http_port, p1.websocket_port})
        as_role(pg_server, staging_plan).execute("CREATE TABLE notes (body text); INSERT INTO notes VALUES ('before')",
                                                 dbname=staging_plan.database)
        (files / "ab").mkdir(parents=True)
        (files / "ab" / "attachment").write_text("an invoice")
        own = take(staging_plan)
        as_role(pg_server, staging_plan).execute("INSERT INTO notes VALUES ('after')", dbname=staging_plan.database)
        (files / "ab" / "attachment").unlink()

        damaged = take(staging_plan)
        data = bytearray(store.get_bytes(damaged.filestore.key))
        data[100] ^= 0xFF
        store.put_bytes(damaged.filestore.key, bytes(data))
        with pytest.raises(BackupCorrupted):
            restore(s1, 3, damaged, neutralize=False)
        assert pg_server.execute(notes, dbname=staging_plan.database) == [("after",), ("before",)]
        assert postgres.list_databases(pg_server, staging_plan.database + "__") == []      # no copy left
        assert not list(plane.filestore_root.glob(".odooops-restore-*"))
        assert plane.docker.get(s1.container).status == "running"       # never held nor frozen

        with Poller(login_url(plane), staging_plan.hostnames[0]) as on_staging:
            s2 = restore(s1, 4, own, neutralize=False)
        assert on_staging.statuses() <= {200, 503}
        assert pg_server.execute(notes, dbname=staging_plan.database) == [("before",)]
        assert (files / "ab" / "attachment").read_text() == "an invoice"
        assert pg_server.execute(notes, dbname=s2.snapshot) == [("after",), ("before",)]     # kept for a rollback
        assert s2.container != s1.container and s2.standby.container == s1.container
        assert "neutralized" not in json.loads((files / "fake-odoo.json").read_text())

        as_role(pg_server, prod_plan).execute("CREATE TABLE customers (email text); "
                                              "INSERT INTO customers VALUES ('ann@shop.example')",
                                              dbname=prod_plan.database)
        s3 = restore(s2, 5, take(prod_plan), neutralize=True)
        assert pg_server.execute("SELECT email FROM customers", dbname=staging_plan.database) == \
            [("ann@shop.example",)]
        assert json.loads((files / "fake-odoo.json").read_text()).get("neutralized") is True
        assert "neutralized" not in json.loads((templates.filestore_dir(plane.filestore_root, prod_plan.key) /
                                                "fake-odoo.json").read_text())
        assert requests.get(login_url(plane), headers={"Host": staging_plan.hostnames[0]}, timeout=10).ok
        assert s3.container not in (s1.container, s2.container)
    finally:
        prod.destroy()
        staging.destroy()
