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
