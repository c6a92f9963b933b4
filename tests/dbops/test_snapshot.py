"""Named snapshots against the real PostgreSQL 18: a kept copy of an environment's
database and filestore that belongs to no environment's role, from which another
environment starts, and that leaves nothing behind when it fails or is dropped."""
import dataclasses
import os

import pytest
from psycopg2 import sql

from odooops.dbops import clone, snapshot
from odooops.drivers import postgres
from odooops.errors import Conflict, OdooOpsError
from odooops.naming import snapshot_database

BINDIR = os.environ.get("ODOOOPS_TEST_PG_BINDIR")


@pytest.fixture
def environment(pg_server, tmp_path, request):
    """An environment's database owned by its own login role, with data and a filestore."""
    tag = f"{os.getpid()}_{abs(hash(request.node.name)) % 10**6}"
    env = {"database": f"snaptest__e{tag}", "role": f"snaptest__e{tag}_u", "password": "pw-" + os.urandom(6).hex(),
           "filestore": tmp_path / "filestore" / "env" / "filestore" / "env", "root": tmp_path / "filestore"}
    postgres.ensure_role(pg_server, env["role"], env["password"])
    postgres.create_database(pg_server, env["database"], env["role"])
    own = postgres.Server(pg_server.host, pg_server.port, env["role"], env["password"])
    own.execute("CREATE TABLE orders (ref text); INSERT INTO orders VALUES ('SO001'), ('SO002')",
                dbname=env["database"])
    (env["filestore"] / "ab").mkdir(parents=True)
    (env["filestore"] / "ab" / "abc123").write_bytes(b"an invoice" * 100)
    env["own"] = own
    made = []
    env["made"] = made
    yield env
    for name in made:
        snapshot.drop(pg_server, env["root"], name)
    for name in postgres.list_databases(pg_server, env["database"]):
        postgres.drop_database(pg_server, name)
    postgres.drop_role(pg_server, env["role"])


def owners(pg, database):
    return {row[0] for row in pg.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
                                         dbname=database)}


def database_owner(pg, database):
    return pg.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [database])[0][0]


@pytest.mark.parametrize("strategy", ["clone", "dump"])
def test_a_snapshot_is_a_kept_copy_that_no_environment_role_owns(pg_server, environment, strategy):
    if strategy == "clone" and not postgres.storage(pg_server).clone:
        pytest.skip(f"this cluster cannot clone: {postgres.storage(pg_server).summary}")
    env = environment
    name = snapshot_database("snaptest", "e", 900001 + (strategy == "dump"))
    env["made"].append(name)
    steps = []
    source = clone.Source(env["database"], env["role"], None, f"environment snaptest/{env['database']}")
    taken = snapshot.take(pg_server, None, source, env["filestore"], name, env["root"], strategy=strategy,
                          pg_bindir=BINDIR, progress=steps.append)
    assert steps == ["copy", "filestore", "measure"]
    assert taken.strategy == strategy and taken.files == 1
    assert taken.database_bytes > 1_000_000 and taken.filestore_bytes == 1000
    assert pg_server.execute("SELECT ref FROM orders ORDER BY 1", dbname=name) == [("SO001",), ("SO002",)]
    # Kept by the admin role, its objects by the NOLOGIN snapshot role: the environment's role
    # neither owns nor reaches it, and can still be dropped (the snapshot outlives it).
    assert owners(pg_server, name) == {snapshot.SNAPSHOT_ROLE} and database_owner(pg_server, name) == pg_server.user
    with pytest.raises(OdooOpsError, match="permission denied|not permitted"):
        env["own"].execute("SELECT 1", dbname=name)
    assert database_owner(pg_server, env["database"]) == env["role"]        # the source is still its own
    assert owners(pg_server, env["database"]) == {env["role"]}
    copied = snapshot.filestore_of(env["root"], name) / "ab" / "abc123"
    assert copied.stat().st_ino == (env["filestore"] / "ab" / "abc123").stat().st_ino     # hard-linked
    pg_server.execute(sql.SQL("DROP OWNED BY {}").format(postgres.ident(env["role"])), dbname=env["database"])
    assert postgres.drop_database(pg_server, env["database"])
    assert postgres.drop_role(pg_server, env["role"])                       # nothing of it in the snapshot
    assert pg_server.execute("SELECT count(*) FROM orders", dbname=name) == [(2,)]

    # Dropping it removes its database and its files, and only those.
    assert snapshot.drop(pg_server, env["root"], name) is True
    assert not postgres.database_exists(pg_server, name) and not copied.parent.parent.exists()
    assert snapshot.drop(pg_server, env["root"], name) is False


def test_an_environment_starts_from_a_snapshot_with_its_own_role(pg_server, environment):
    env = environment
    name = snapshot_database("snaptest", "e", 900003)
    env["made"].append(name)
    source = clone.Source(env["database"], env["role"], None, None)
    snapshot.take(pg_server, None, source, env["filestore"], name, env["root"], pg_bindir=BINDIR)
    other_role, other_db = env["role"] + "2", env["database"] + "_other"
    postgres.ensure_role(pg_server, other_role, "pw-other")
    try:
        strategy = "clone" if postgres.storage(pg_server).clone else "template"
        clone.copy_database(pg_server, None, snapshot.source(name), other_db, other_role, strategy)
        assert owners(pg_server, other_db) == {other_role} and database_owner(pg_server, other_db) == other_role
        assert pg_server.execute("SELECT count(*) FROM orders", dbname=other_db) == [(2,)]
        assert owners(pg_server, name) == {snapshot.SNAPSHOT_ROLE}             # the snapshot stays as it was
        assert database_owner(pg_server, name) == pg_server.user
    finally:
        postgres.drop_database(pg_server, other_db)
        postgres.drop_role(pg_server, other_role)


def test_a_snapshot_waits_for_no_deploy_and_a_failed_one_leaves_nothing(pg_server, environment):
    env = environment
    name = snapshot_database("snaptest", "e", 900004)
    env["made"].append(name)
    source = clone.Source(env["database"], env["role"], None, f"environment snaptest/{env['database']}")
    with postgres.advisory_lock(pg_server, source.lock):           # a deploy of the environment runs
        with pytest.raises(Conflict, match="busy"):
            snapshot.take(pg_server, None, source, env["filestore"], name, env["root"], pg_bindir=BINDIR)
    assert not snapshot.exists(pg_server, env["root"], name)
    assert not postgres.database_exists(pg_server, name)
    broken = dataclasses.replace(source, database=env["database"] + "_missing", lock=None)
    with pytest.raises(OdooOpsError):
        snapshot.take(pg_server, None, broken, env["filestore"], name, env["root"], strategy="dump",
                      pg_bindir=BINDIR)
    assert not postgres.database_exists(pg_server, name)
    assert not snapshot.filestore_of(env["root"], name).exists()
    # An environment being started from a snapshot (its lock held): not dropped under it.
    snapshot.take(pg_server, None, source, env["filestore"], name, env["root"], pg_bindir=BINDIR)
    with postgres.advisory_lock(pg_server, snapshot.lock(name)), pytest.raises(Conflict):
        snapshot.drop(pg_server, env["root"], name, wait=False)
    assert snapshot.exists(pg_server, env["root"], name)


def test_snapshot_names_follow_the_naming_rules():
    assert snapshot_database("outlet", "staging", 12) == "odooops_snap_outlet__staging__12"
    long = snapshot_database("p" * 63, "e" * 63, 2**31 - 1)
    assert len(long) <= 63 and long.endswith("__2147483647") and long != snapshot_database("p" * 63, "e" * 62, 1)
    assert snapshot_database("a-b", "c", 1) != snapshot_database("a", "b-c", 1)
    with pytest.raises(OdooOpsError):
        snapshot_database("outlet", "staging", 0)
    with pytest.raises(OdooOpsError):
        snapshot.filestore_of("/tmp", "../escape")
