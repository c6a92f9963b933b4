"""Fixtures of the backup tests: a real SeaweedFS S3 server, PostgreSQL 18's client
programs, and small environments (a role, a database with rows, a filestore with files)."""
import hashlib
import os
import uuid
from pathlib import Path

import psycopg2
import pytest
from s3_server import S3Server

from odooops.backups.store import LocalStore
from odooops.drivers import postgres


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_bindir():
    bindir = os.environ.get("ODOOOPS_TEST_PG_BINDIR", "")
    if not (Path(bindir) / "pg_dump").exists():
        pytest.fail(f"no pg_dump in ODOOOPS_TEST_PG_BINDIR={bindir!r}: run the tests with scripts/test "
                    "(or source scripts/lib.sh && export_harness_env)")
    return bindir


@pytest.fixture(params=["s3", "local"])
def store(request, tmp_path):
    """Each test gets its own, empty: a prefix of the shared bucket, or a directory."""
    if request.param == "local":
        return LocalStore(tmp_path / "backups")
    return request.getfixturevalue("s3_server").store(f"t-{uuid.uuid4().hex[:10]}", part_size=5 * 1024 * 1024)


class Environment:
    """A stand-in for an environment: its role owns a database with rows, and a filestore."""

    def __init__(self, pg: postgres.Server, key: str, root: Path):
        self.pg, self.key, self.database, self.role = pg, key, key, key + "_role"
        self.password = uuid.uuid4().hex
        self.filestore_dir = root / key / "filestore" / key

    def create(self, rows: int = 500) -> "Environment":
        postgres.ensure_role(self.pg, self.role, self.password)
        postgres.create_database(self.pg, self.database, self.role)
        self.sql("CREATE TABLE partner (id serial PRIMARY KEY, name text NOT NULL, blob bytea);"
                 "INSERT INTO partner (name, blob) SELECT 'partner ' || i, sha256(i::text::bytea) "
                 "FROM generate_series(1, %s) i;"
                 "CREATE TABLE ir_module_module (name text, latest_version text, state text);"
                 "INSERT INTO ir_module_module VALUES ('base', '19.0.1.3', 'installed'), "
                 "('sale', '19.0.1.2', 'installed'), ('crm', '19.0.1.0', 'uninstalled')", [rows])
        for i in range(12):
            path = self.filestore_dir / f"{i:02x}" / hashlib.sha1(str(i).encode()).hexdigest()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(1000 + 517 * i))
        return self

    def sql(self, query: str, params=None, database: str | None = None):
        """Run as the environment's own role, as its Odoo would."""
        conn = psycopg2.connect(host=self.pg.host, port=self.pg.port, user=self.role, password=self.password,
                                dbname=database or self.database)
        try:
            with conn, conn.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall() if cr.description else None
        finally:
            conn.close()

    def rows_checksum(self, database: str | None = None) -> str:
        return self.sql("SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM partner p", database=database)[0][0]

    def files_checksum(self, directory: Path | None = None) -> dict:
        directory = directory or self.filestore_dir
        return {p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(directory.rglob("*")) if p.is_file()}

    def leftovers(self) -> list:
        return [name for name in postgres.list_databases(self.pg, self.database) if name != self.database]


@pytest.fixture
def make_environment(pg_server, tmp_path):
    """Environments with names of their own, whose databases (snapshots and kept copies
    included) and roles are dropped at the end."""
    made = []

    def make(rows: int = 500) -> Environment:
        env = Environment(pg_server, f"t_bk_{uuid.uuid4().hex[:10]}", tmp_path / "filestores")
        made.append(env)
        return env.create(rows)

    yield make
    for env in made:
        for name in postgres.list_databases(pg_server, env.database):
            postgres.drop_database(pg_server, name)
        postgres.drop_role(pg_server, env.role)
