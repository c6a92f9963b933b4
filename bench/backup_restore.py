"""How long do a backup and a restore take, next to the tools they stream?

A throwaway environment on this machine's PostgreSQL 18: a role, a database grown to
about --size-mb with a ballast table (rows half random, half repetitive, as real data
compresses), and a filestore of --files files (about 40 KB each, random: attachments
rarely compress). Then, in the same run:

  baseline   pg_dump -Fc to /dev/null; a tar of the filestore to /dev/null
  backup     odooops.backups.backup to a local directory, then to S3 (SeaweedFS
             `weed mini` on free ports, as the tests start it): seconds and MB/s of
             what was stored
  restore    odooops.backups.restore from each: download and verify, pg_restore into a
             new database, extract, swap by renames

Nothing is asserted; figures are printed. Everything made is removed at the end.

Run: source scripts/lib.sh && export_harness_env && $PY bench/backup_restore.py [--size-mb 500] [--files 2000]
"""
import argparse
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _common import MB, dump_baseline, make_filestore, pg_bindir_from_env, pg_from_env, timed, tree_size  # noqa: E402
from s3_server import S3Server  # noqa: E402

from odooops.backups import LocalStore, backup, restore  # noqa: E402
from odooops.drivers import postgres  # noqa: E402


def make_environment(pg, database, role, filestore_dir: Path, size_mb: int, files: int) -> None:
    postgres.ensure_role(pg, role, uuid.uuid4().hex)
    postgres.create_database(pg, database, role)
    pg.execute("CREATE TABLE ballast (id int, body text)", dbname=database)
    rows = size_mb * 1750        # about 600 bytes a row on disk
    pg.execute("INSERT INTO ballast SELECT i, repeat(md5(i::text), 14) || md5(random()::text) || md5(random()::text) "
               "FROM generate_series(1, %s) i", [rows], dbname=database)
    pg.execute(f"ALTER TABLE ballast OWNER TO {role}", dbname=database)
    make_filestore(filestore_dir, files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    pg = pg_from_env()
    pg_bindir = pg_bindir_from_env()
    key = f"bench_bk_{uuid.uuid4().hex[:8]}"
    role = key + "_role"
    work = Path(tempfile.mkdtemp(prefix="odooops-bench-backup-"))
    filestore_dir = work / "filestores" / key / "filestore" / key
    s3 = None
    try:
        print(f"preparing {key}: about {args.size_mb} MB of rows, {args.files} files of 40 KB…", flush=True)
        make_environment(pg, key, role, filestore_dir, args.size_mb, args.files)
        db_mb = pg.execute("SELECT pg_database_size(%s)", [key])[0][0] / MB
        fs_mb = tree_size(filestore_dir) / MB
        dump_s, tar_s = dump_baseline(pg, key, pg_bindir, filestore_dir)
        print(f"\ndatabase {db_mb:.0f} MB, filestore {fs_mb:.0f} MB")
        print(f"{'baseline':<10} pg_dump -Fc {dump_s:6.2f} s   tar {tar_s:6.2f} s   together {dump_s + tar_s:6.2f} s")
        s3 = S3Server().start()
        stores = {"local": LocalStore(work / "backups"), "s3": s3.store("bench")}
        print(f"{'store':<10} {'backup s':>9} {'stored MB':>10} {'MB/s':>7} {'restore s':>10} {'MB/s':>7}")
        for name, store in stores.items():
            backup_s, manifest = timed(backup, pg, key, filestore_dir, store, environment_key=key,
                                       pg_bindir=pg_bindir)
            stored = (manifest.dump.size + manifest.filestore.size) / MB
            restore_s, _ = timed(restore, pg, store, manifest.id, database=key, owner=role,
                                 filestore_dir=filestore_dir, pg_bindir=pg_bindir, work_dir=work)
            print(f"{name:<10} {backup_s:9.2f} {stored:10.1f} {stored / backup_s:7.1f} {restore_s:10.2f} "
                  f"{stored / restore_s:7.1f}")
        print("\nA backup streams pg_dump and tar into the store: next to the baseline, the difference is the "
              "store's writing (and hashing). A restore also downloads, verifies, pg_restores and extracts.")
    finally:
        if s3 is not None:
            s3.stop()
        for name in postgres.list_databases(pg, key):
            postgres.drop_database(pg, name)
        postgres.drop_role(pg, role)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
