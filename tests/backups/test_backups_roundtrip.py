"""Backup then restore, against real PostgreSQL 18 and a real S3 server (and a local directory)."""
import hashlib
import shutil
from datetime import datetime, timezone

import pytest

from odooops.backups import backup, load_manifest, restore
from odooops.backups import manifest as m
from odooops.backups.errors import BackupCorrupted, BackupNotFound
from odooops.drivers import postgres
from odooops.errors import NotFound, ValidationFailed


def _sha256(store, key) -> str:
    with store.get(key) as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def _backup(env, store, pg_bindir, **kwargs):
    return backup(env.pg, env.database, env.filestore_dir, store, environment_key=env.key, pg_bindir=pg_bindir,
                  **kwargs)


def test_round_trip_is_byte_identical(make_environment, store, pg_bindir):
    env = make_environment()
    rows, files = env.rows_checksum(), env.files_checksum()
    seen = []
    manifest = _backup(env, store, pg_bindir, description="before the upgrade",
                       now=datetime(2026, 11, 26, 10, 15, tzinfo=timezone.utc),
                       progress=lambda done, expected: seen.append((done, expected)))

    assert manifest.id.startswith("20261126T101500.000Z-") and manifest.environment_key == env.key
    assert manifest.modules == {"base": "19.0.1.3", "sale": "19.0.1.2"} and manifest.odoo_version == "19.0.1.3"
    assert manifest.filestore.files == 12 and manifest.database_size > 0
    # The manifest is last and says exactly what is stored.
    assert store.list(f"{env.key}/") == sorted(f"{env.key}/{manifest.id}/{name}" for name in (m.DUMP, m.FILESTORE,
                                                                                           m.MANIFEST))
    assert _sha256(store, manifest.dump.key) == manifest.dump.sha256
    assert _sha256(store, manifest.filestore.key) == manifest.filestore.sha256
    assert load_manifest(store, env.key, manifest.id) == manifest
    assert seen and seen[-1][0] == seen[-1][1] == manifest.dump.size + manifest.filestore.size
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))

    # Change everything, then restore, keeping what it replaces.
    env.sql("DELETE FROM partner WHERE id % 3 = 0; CREATE TABLE later (x int)")
    first = sorted(env.filestore_dir.rglob("*"))[1]
    first.unlink()
    (env.filestore_dir / "new-file").write_bytes(b"written after the backup")
    changed_rows, changed_files = env.rows_checksum(), env.files_checksum()

    result = restore(env.pg, store, manifest.id, database=env.database, owner=env.role,
                     filestore_dir=env.filestore_dir, pg_bindir=pg_bindir, keep_as=env.database + "_kept")
    assert result["kept_as"] == env.database + "_kept" and result["leftovers"] == []
    assert env.rows_checksum() == rows and env.files_checksum() == files
    assert not env.sql("SELECT to_regclass('public.later')")[0][0]
    # Everything restored belongs to the environment's role, which alone may connect.
    assert {owner for (owner,) in env.pg.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'",
                                                 dbname=env.database)} == {env.role}
    assert env.pg.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                          [env.database]) == [(env.role,)]
    # The replaced database and filestore are kept, as they were.
    assert env.rows_checksum(env.database + "_kept") == changed_rows
    assert env.files_checksum(env.filestore_dir.parent / (env.database + "_kept")) == changed_files
    assert env.leftovers() == [env.database + "_kept"]

    # Without keep_as the replaced ones are dropped; nothing else is left behind.
    env.sql("DELETE FROM partner")
    result = restore(env.pg, store, manifest.id, database=env.database, owner=env.role,
                     filestore_dir=env.filestore_dir, pg_bindir=pg_bindir)
    assert env.rows_checksum() == rows and env.files_checksum() == files
    assert env.leftovers() == [env.database + "_kept"]
    assert sorted(p.name for p in env.filestore_dir.parent.iterdir()) == sorted([env.database, env.database + "_kept"])


@pytest.mark.parametrize("damaged", [m.DUMP, m.FILESTORE])
def test_a_corrupted_backup_is_refused_and_nothing_is_touched(make_environment, store, pg_bindir, damaged):
    env = make_environment()
    manifest = _backup(env, store, pg_bindir)
    key = manifest.dump.key if damaged == m.DUMP else manifest.filestore.key
    data = bytearray(store.get_bytes(key))
    data[len(data) // 2] ^= 0xFF            # one flipped byte, same size
    store.put_bytes(key, bytes(data))
    env.sql("INSERT INTO partner (name) VALUES ('after the backup')")
    rows, files = env.rows_checksum(), env.files_checksum()

    with pytest.raises(BackupCorrupted) as caught:
        restore(env.pg, store, manifest.id, database=env.database, owner=env.role, filestore_dir=env.filestore_dir,
                pg_bindir=pg_bindir, keep_as=env.database + "_kept")
    assert caught.value.http_status == 422 and manifest.id in caught.value.message
    assert "does not match its manifest" in caught.value.message
    assert caught.value.details["expected_sha256"] == (manifest.dump if damaged == m.DUMP else manifest.filestore).sha256
    assert env.rows_checksum() == rows and env.files_checksum() == files
    assert env.leftovers() == []
    assert sorted(p.name for p in env.filestore_dir.parent.iterdir()) == [env.database]


def test_unknown_or_malformed_backup_ids(make_environment, store, pg_bindir):
    env = make_environment(rows=3)
    with pytest.raises(BackupNotFound) as caught:
        restore(env.pg, store, "20200101T000000Z-abcdef", database=env.database, owner=env.role,
                filestore_dir=env.filestore_dir, pg_bindir=pg_bindir)
    assert isinstance(caught.value, NotFound) and caught.value.http_status == 404
    assert caught.value.code == "BACKUP_NOT_FOUND" and env.key in caught.value.message
    for hostile in ["../../etc/passwd", "20200101T000000Z-abcdef/../x", "", "x; rm -rf /"]:
        with pytest.raises(ValidationFailed):
            restore(env.pg, store, hostile, database=env.database, owner=env.role,
                    filestore_dir=env.filestore_dir, pg_bindir=pg_bindir)
    assert env.leftovers() == []


def test_restore_into_another_environment(make_environment, store, pg_bindir):
    """Another environment's backup, into one whose database and filestore are gone."""
    source, target = make_environment(rows=50), make_environment(rows=7)
    manifest = _backup(source, store, pg_bindir)
    postgres.drop_database(target.pg, target.database)
    shutil.rmtree(target.filestore_dir.parent.parent)
    restore(target.pg, store, manifest.id, database=target.database, owner=target.role,
            filestore_dir=target.filestore_dir, pg_bindir=pg_bindir, environment_key=source.key)
    assert target.rows_checksum() == source.rows_checksum()          # read as the target's own role
    assert target.files_checksum() == source.files_checksum()


def test_a_database_that_does_not_exist_is_not_backed_up(pg_server, store, pg_bindir, tmp_path):
    with pytest.raises(NotFound):
        backup(pg_server, "t_bk_missing_db", tmp_path, store, environment_key="t_bk_missing_db",
               pg_bindir=pg_bindir)
    assert store.list() == []
    assert not postgres.database_exists(pg_server, "t_bk_missing_db")
