"""Progress of what streams (download, pg_restore, extraction, a dump|restore clone) and the
pieces a restore deployment runs one by one, against real PostgreSQL 18."""
import os
import tarfile
from datetime import datetime, timedelta, timezone

import pytest

from odooops.backups import backup
from odooops.backups.errors import BackupCorrupted, RestoreFailed
from odooops.backups.restore import download, extract, restore_dump
from odooops.backups.store import LocalStore
from odooops.backups.streams import Throttle, progress_entry
from odooops.dbops import clone


def _record():
    seen = []
    return seen, lambda done, total: seen.append((done, total))


def _assert_counted(seen, total):
    """Reported as it flowed: never backwards, never past the total, ending exactly at it."""
    assert len(seen) >= 2 and seen[-1] == (total, total)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))
    assert all(done <= expected for done, expected in seen)


def test_each_step_of_a_restore_reports_its_bytes(make_environment, pg_bindir, tmp_path):
    env = make_environment(rows=20000)
    store = LocalStore(tmp_path / "backups")
    manifest = backup(env.pg, env.database, env.filestore_dir, store, environment_key=env.key, pg_bindir=pg_bindir)
    downloaded, fed, extracted = _record(), _record(), _record()
    work = tmp_path / "work"
    work.mkdir()

    files = download(store, manifest, work, progress=downloaded[1])
    _assert_counted(downloaded[0], manifest.dump.size + manifest.filestore.size)
    incoming = env.database + "_in"
    restore_dump(env.pg, incoming, env.role, files.dump, pg_bindir, progress=fed[1])
    _assert_counted(fed[0], manifest.dump.size)
    extract(files.filestore, tmp_path / "extracted", like=tmp_path, progress=extracted[1])
    _assert_counted(extracted[0], manifest.filestore.size)

    # pg_restore fed through its stdin restored everything, owned by the environment's role.
    assert env.rows_checksum(incoming) == env.rows_checksum()
    assert env.files_checksum(tmp_path / "extracted") == env.files_checksum()
    assert env.pg.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
                          dbname=incoming) == [(env.role,)]


def test_a_corrupted_download_and_a_failed_restore_leave_nothing(make_environment, pg_bindir, tmp_path):
    env = make_environment(rows=50)
    store = LocalStore(tmp_path / "backups")
    manifest = backup(env.pg, env.database, env.filestore_dir, store, environment_key=env.key, pg_bindir=pg_bindir)
    data = bytearray(store.get_bytes(manifest.dump.key))
    data[-10] ^= 0x01
    store.put_bytes(manifest.dump.key, bytes(data))
    with pytest.raises(BackupCorrupted, match="does not match its manifest"):
        download(store, manifest, tmp_path)

    not_a_dump = tmp_path / "dump.pgdump"
    not_a_dump.write_bytes(os.urandom(300_000))          # what a disk error would leave
    with pytest.raises(RestoreFailed) as caught:
        restore_dump(env.pg, env.database + "_in", env.role, not_a_dump, pg_bindir, progress=lambda d, t: None)
    assert "pg_restore: error:" in caught.value.message and caught.value.details["stderr"]
    assert env.leftovers() == []                          # the new database went with the failure


def test_a_hostile_archive_is_refused_by_the_extraction(tmp_path):
    archive = tmp_path / "filestore.tar"
    outside = tmp_path / "payload"
    outside.write_text("x")
    with tarfile.open(archive, "w") as tar:
        tar.add(outside, arcname="../../escaped")
    with pytest.raises(RestoreFailed, match="cannot extract"):
        extract(archive, tmp_path / "target", like=tmp_path, progress=lambda d, t: None)
    assert not (tmp_path.parent / "escaped").exists()


def test_a_streamed_clone_counts_its_bytes_against_the_tables_size(make_environment, pg_bindir):
    env = make_environment(rows=20000)
    seen, progress = _record()
    target = env.database + "_copy"
    expected = clone.table_bytes(env.pg, env.database)
    assert expected > 1_000_000
    clone.copy_database(env.pg, None, clone.Source(env.database, env.role), target, env.role, "dump",
                        pg_bindir=pg_bindir, progress=progress)
    assert env.rows_checksum(target) == env.rows_checksum()
    # The estimate (the tables' size) until the end says the truth; measured again when the copy
    # starts, so a page the autovacuum added meanwhile (free space or visibility map) may count.
    assert expected <= seen[0][1] <= expected * 1.02
    _assert_counted(seen, seen[-1][0])
    assert seen[-1][0] > expected // 4                    # uncompressed: about the tables' size


def test_a_clone_whose_restore_fails_stops_the_dump_and_leaves_nothing(make_environment, pg_bindir, tmp_path):
    env = make_environment(rows=20000)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "pg_dump").symlink_to(os.path.join(pg_bindir, "pg_dump"))
    fake = bindir / "pg_restore"                          # reads a little, then gives up
    fake.write_text("#!/bin/sh\nhead -c 1000 >/dev/null\necho 'pg_restore: error: out of disk' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(Exception) as caught:
        clone.copy_database(env.pg, None, clone.Source(env.database, env.role), env.database + "_copy", env.role,
                            "dump", pg_bindir=bindir, progress=lambda d, t: None)
    assert "out of disk" in caught.value.details["pg_restore"]
    assert env.leftovers() == []
    assert not env.pg.execute("SELECT 1 FROM pg_stat_activity WHERE datname = %s AND application_name = 'pg_dump'",
                              [env.database])


def test_the_throttle_passes_about_once_a_second_and_always_the_end():
    now = [0.0]
    passed = []
    throttle = Throttle(lambda step, done, total: passed.append((step, done)), seconds=1.0, clock=lambda: now[0])
    for i in range(1, 20):                                # 19 reports, one every 0.25 s
        now[0] = i / 4
        throttle("download", i, 100)
    throttle("download", 100, 100)                        # the end, 0.5 s after the last one passed
    throttle.step("copy")(5, 10)                          # another step starts at once
    assert passed == [("download", 1), ("download", 5), ("download", 9), ("download", 13), ("download", 17),
                      ("download", 100), ("copy", 5)]


def test_a_progress_entry_says_how_long_is_left_at_the_rate_so_far():
    t0 = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
    first = progress_entry(None, "download", 0, 1000, t0)
    assert first["eta_seconds"] is None and first["started_at"] == t0.isoformat()
    later = progress_entry(first, "download", 250, 1000, t0 + timedelta(seconds=5))
    assert later["eta_seconds"] == 15.0 and later["started_at"] == t0.isoformat()     # 50 B/s, 750 B left
    other = progress_entry(later, "copy", 10, 20, t0 + timedelta(seconds=6))
    assert other["started_at"] == (t0 + timedelta(seconds=6)).isoformat() and other["eta_seconds"] is None
    done = progress_entry(other, "copy", 20, 20, t0 + timedelta(seconds=8))
    assert done["eta_seconds"] == 0.0 and done["bytes_done"] == done["bytes_total"] == 20
