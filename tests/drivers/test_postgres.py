import psycopg2
import pytest

from odooops.drivers import postgres
from odooops.errors import ValidationFailed


@pytest.fixture
def names(request):
    base = "t_" + request.node.name.lower().replace("[", "_").replace("]", "")[:30]
    db, role = base + "_db", base + "_role"
    yield db, role
    server = request.getfixturevalue("pg_server")
    for snap in postgres.list_databases(server, db):
        postgres.drop_database(server, snap)
    postgres.drop_role(server, role)


def test_database_with_its_own_role(pg_server, names):
    db, role = names
    assert postgres.ensure_role(pg_server, role, "s3cret-pw", connection_limit=3)
    assert postgres.create_database(pg_server, db, role)
    assert not postgres.create_database(pg_server, db, role)        # idempotent
    conn = psycopg2.connect(host=pg_server.host, port=pg_server.port, user=role, password="s3cret-pw", dbname=db)
    with conn.cursor() as cr:
        cr.execute("CREATE TABLE t (x int)")
    conn.commit()
    conn.close()
    rows = pg_server.execute("SELECT rolconnlimit FROM pg_roles WHERE rolname = %s", [role])
    assert rows == [(3,)]
    # Other roles may not connect (CONNECT revoked from PUBLIC).
    assert not postgres.ensure_role(pg_server, role, "new-pw")       # password reset
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(host=pg_server.host, port=pg_server.port, user=role, password="s3cret-pw", dbname=db)
    assert postgres.drop_database(pg_server, db) and not postgres.database_exists(pg_server, db)
    assert not postgres.drop_database(pg_server, db)
    assert postgres.drop_role(pg_server, role) and not postgres.role_exists(pg_server, role)


def test_snapshot_and_restore(pg_server, names):
    db, role = names
    postgres.ensure_role(pg_server, role, "pw")
    postgres.create_database(pg_server, db, role)
    pg_server.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)", dbname=db)
    postgres.snapshot(pg_server, db, db + "_snap", role)
    pg_server.execute("DROP TABLE t; CREATE TABLE u (y int)", dbname=db)
    postgres.restore_snapshot(pg_server, db + "_snap", db, role)
    assert pg_server.execute("SELECT x FROM t", dbname=db) == [(1,)]
    assert postgres.database_exists(pg_server, db + "_snap")
    assert postgres.list_databases(pg_server, db) == [db, db + "_snap"]


@pytest.mark.parametrize("hostile", ["x; DROP DATABASE postgres", 'a"b', "Upper", "1abc", "a" * 64, "", None,
                                     "a-b", "x' OR '1'='1"])
def test_hostile_identifiers_never_reach_sql(pg_server, hostile):
    with pytest.raises(ValidationFailed):
        postgres.create_database(pg_server, hostile, "odooops")
    with pytest.raises(ValidationFailed):
        postgres.drop_role(pg_server, hostile)


def test_password_is_a_parameter_not_sql(pg_server, names):
    _, role = names
    nasty = "pw'; DROP ROLE odooops; --"
    postgres.ensure_role(pg_server, role, nasty)
    conn = psycopg2.connect(host=pg_server.host, port=pg_server.port, user=role, password=nasty, dbname="postgres")
    conn.close()
    assert postgres.role_exists(pg_server, "odooops")


def test_unreachable_server_is_a_clear_error():
    server = postgres.Server("127.0.0.1", 9, "x", "y")
    with pytest.raises(postgres.DatabaseError, match="cannot connect to PostgreSQL at 127.0.0.1:9"):
        server.execute("SELECT 1")
