"""Failures leave nothing that looks complete, and say what to check."""
import io
import os
import socket
import stat

import pytest
from s3_server import BUCKET, OUTSIDER_KEY, OUTSIDER_SECRET

from odooops.backups import backup, restore
from odooops.backups.errors import BackupFailed, RestoreFailed, StorageAccessDenied, StorageBucketMissing, StorageError
from odooops.backups.store import LocalStore

MiB = 1024 * 1024


class Breaks(io.RawIOBase):
    """A stream that yields ``size`` random bytes, then raises: a producer dying mid-way."""

    def __init__(self, size: int):
        self.left = size

    def read(self, n=-1):
        if self.left <= 0:
            raise ConnectionResetError("the producer died")
        n = min(self.left, MiB if n is None or n < 0 else n)
        self.left -= n
        return os.urandom(n)


def test_an_interrupted_upload_leaves_no_object_and_no_pending_upload(s3_server):
    store = s3_server.store("interrupted", part_size=5 * MiB)
    with pytest.raises(ConnectionResetError):
        store.put("env/20261126T101500Z-aaaaaa/dump.pgdump", Breaks(12 * MiB))   # two parts sent, then the failure
    assert store.list() == []
    assert store.pending_uploads() == []
    assert s3_server.client().list_multipart_uploads(Bucket=BUCKET, Prefix="interrupted/").get("Uploads", []) == []


def test_an_interrupted_local_write_leaves_nothing(tmp_path):
    store = LocalStore(tmp_path / "backups")
    with pytest.raises(ConnectionResetError):
        store.put("env/20261126T101500Z-aaaaaa/dump.pgdump", Breaks(3 * MiB))
    assert store.list() == [] and list((tmp_path / "backups").rglob("*")) == [tmp_path / "backups" / ".incoming"]


def test_a_backup_cancelled_mid_way_leaves_no_manifest(make_environment, s3_server, pg_bindir):
    """A job cancelled while the dump streams (its progress callback raises) leaves no
    manifest, no object, no pending multipart upload and no pg_dump running."""
    env = make_environment(rows=10)
    # About 12 MiB of random bytes: pg_dump cannot compress them below two parts.
    env.sql("CREATE TABLE noise AS SELECT i, (SELECT decode(string_agg(md5(random()::text || i || j), ''), 'hex') "
            "FROM generate_series(1, 32) j) AS junk FROM generate_series(1, 24000) i")
    store = s3_server.store("cancelled", part_size=5 * MiB)

    pending_when_cancelled = []

    def cancel(done, expected):
        if done > 7 * MiB:
            pending_when_cancelled.extend(store.pending_uploads())
            raise KeyboardInterrupt("job cancelled")

    with pytest.raises(KeyboardInterrupt):
        backup(env.pg, env.database, env.filestore_dir, store, environment_key=env.key, pg_bindir=pg_bindir,
               progress=cancel)
    assert [u["Key"].rsplit("/", 1)[1] for u in pending_when_cancelled] == ["dump.pgdump"]   # the dump was streaming
    assert store.list() == [] and store.pending_uploads() == []
    assert not env.pg.execute("SELECT 1 FROM pg_stat_activity WHERE application_name = 'odooops-backup'")


def test_pg_dump_failing_is_a_typed_error_with_its_stderr(make_environment, s3_server, tmp_path):
    env = make_environment(rows=3)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "pg_dump"          # writes more than a part, then fails as pg_dump does
    fake.write_text("#!/bin/sh\nhead -c 6000000 /dev/zero\n"
                    "echo 'pg_dump: error: query failed: ERROR:  could not read block 7' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    store = s3_server.store("dumpfails", part_size=5 * MiB)
    with pytest.raises(BackupFailed) as caught:
        backup(env.pg, env.database, env.filestore_dir, store, environment_key=env.key, pg_bindir=bindir)
    assert caught.value.code == "BACKUP_FAILED" and "could not read block 7" in caught.value.message
    assert "could not read block 7" in caught.value.details["stderr"] and caught.value.details["exit_code"] == 1
    assert store.list() == [] and store.pending_uploads() == []


def test_wrong_credentials_and_missing_permission_are_named(s3_server, make_environment, pg_bindir):
    wrong_secret = s3_server.store("x", secret_key="not-the-secret")
    with pytest.raises(StorageAccessDenied) as caught:
        wrong_secret.put_bytes("a/b", b"data")
    assert BUCKET in caught.value.message and "secret key" in caught.value.remediation
    assert caught.value.details["bucket"] == BUCKET and caught.value.http_status == 502

    unknown_key = s3_server.store("x", access_key="nobody", secret_key="whatever")
    with pytest.raises(StorageAccessDenied) as caught:
        unknown_key.list()
    assert "access key" in caught.value.remediation

    outsider = s3_server.store("x", access_key=OUTSIDER_KEY, secret_key=OUTSIDER_SECRET)
    for attempt in (outsider.check, lambda: outsider.put_bytes("a/b", b"data"), outsider.list):
        with pytest.raises(StorageAccessDenied) as caught:
            attempt()
        assert BUCKET in caught.value.message and "credentials may" in caught.value.remediation

    # A backup checks its storage before it dumps anything.
    env = make_environment(rows=3)
    with pytest.raises(StorageAccessDenied):
        backup(env.pg, env.database, env.filestore_dir, outsider, environment_key=env.key, pg_bindir=pg_bindir)


def test_a_missing_bucket_or_endpoint_is_named(s3_server):
    missing = s3_server.store(bucket="no-such-bucket")
    with pytest.raises(StorageBucketMissing) as caught:
        missing.check()
    assert "no-such-bucket" in caught.value.message and "Create the bucket" in caught.value.remediation
    with pytest.raises(StorageBucketMissing):
        missing.list()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    from odooops.backups.store import S3Store
    unreachable = S3Store(BUCKET, endpoint_url=f"http://127.0.0.1:{closed_port}", access_key="a", secret_key="b")
    with pytest.raises(StorageError) as caught:
        unreachable.check()
    assert BUCKET in caught.value.message and "endpoint" in caught.value.remediation.lower()


def test_a_failed_pg_restore_leaves_the_environment_as_it_was(make_environment, tmp_path, pg_bindir):
    env = make_environment(rows=20)
    store = LocalStore(tmp_path / "backups")
    manifest = backup(env.pg, env.database, env.filestore_dir, store, environment_key=env.key, pg_bindir=pg_bindir)
    env.sql("INSERT INTO partner (name) VALUES ('after the backup')")
    rows, files = env.rows_checksum(), env.files_checksum()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "pg_restore"        # fails half-way, as pg_restore does on a full disk
    fake.write_text("#!/bin/sh\necho 'pg_restore: error: could not write to file: No space left on device' >&2\n"
                    "exit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(RestoreFailed) as caught:
        restore(env.pg, store, manifest.id, database=env.database, owner=env.role, filestore_dir=env.filestore_dir,
                pg_bindir=bindir, keep_as=env.database + "_kept")
    assert "No space left on device" in caught.value.message and "left as they were" in caught.value.remediation
    assert env.rows_checksum() == rows and env.files_checksum() == files
    assert env.leftovers() == []
    assert sorted(p.name for p in env.filestore_dir.parent.iterdir()) == [env.database]


def test_a_failed_swap_puts_the_old_database_and_filestore_back(make_environment, tmp_path, pg_bindir, monkeypatch):
    env = make_environment(rows=20)
    store = LocalStore(tmp_path / "backups")
    manifest = backup(env.pg, env.database, env.filestore_dir, store, environment_key=env.key, pg_bindir=pg_bindir)
    env.sql("INSERT INTO partner (name) VALUES ('after the backup')")
    rows, files = env.rows_checksum(), env.files_checksum()
    from odooops.drivers import postgres
    real_rename, calls = postgres.rename_database, []

    def rename_then_fail(server, old, new):
        calls.append((old, new))
        if old != env.database and new == env.database and len(calls) == 2:   # the restored one moving in
            raise OSError("the cluster went away")
        real_rename(server, old, new)

    monkeypatch.setattr(postgres, "rename_database", rename_then_fail)
    with pytest.raises(OSError):
        restore(env.pg, store, manifest.id, database=env.database, owner=env.role, filestore_dir=env.filestore_dir,
                pg_bindir=pg_bindir)
    assert calls[0][0] == env.database and calls[2] == (calls[0][1], env.database)     # moved aside, then back
    assert env.rows_checksum() == rows and env.files_checksum() == files
    assert env.leftovers() == []
    assert sorted(p.name for p in env.filestore_dir.parent.iterdir()) == [env.database]
