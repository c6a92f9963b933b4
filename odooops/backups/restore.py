"""Restore a backup over an environment, verified first and swapped in by renames.

1. the manifest is read and both objects downloaded to temporary files while their
   sha256 is computed: any difference from the manifest refuses the restore before
   anything is touched;
2. the dump is restored into a new database owned by the environment's role, the
   filestore extracted into a sibling directory;
3. both are swapped in by renames (the replaced ones are kept under ``keep_as`` when
   asked, else dropped once the new ones are in place).

Until step 3 succeeds the environment's database and filestore are what they were.
The caller restarts the environment's workers afterwards. ``download``,
``restore_dump`` and ``extract`` are the steps on their own, for a caller that swaps
by itself (``odooops.refresh``: a restore deployment keeps the replaced data as its
snapshot and starts a new release on the restored database).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..drivers import postgres
from ..errors import Conflict, DatabaseError, NotFound
from . import manifest as m
from .errors import BackupCorrupted, BackupNotFound, ObjectMissing, RestoreFailed
from .pgtools import last_error, libpq_env, tail, tool
from .store import CHUNK, Store
from .streams import Counted, Progress, pump


@dataclass(frozen=True)
class Downloaded:
    """A backup's objects on local disk, verified against its manifest."""
    manifest: m.Manifest
    dump: Path
    filestore: Path


def load_manifest(store: Store, environment_key: str, backup_id: str) -> m.Manifest:
    key = m.object_key(environment_key, backup_id, m.MANIFEST)
    try:
        raw = store.get_bytes(key)
    except ObjectMissing:
        raise BackupNotFound(f"no backup {backup_id} of environment {environment_key}",
                             details={"backup_id": backup_id, "environment_key": environment_key}) from None
    manifest = m.Manifest.from_json(raw, key)
    if manifest.id != backup_id or manifest.environment_key != environment_key:
        raise BackupCorrupted(f"manifest {key} describes backup {manifest.id} of {manifest.environment_key}",
                              details={"key": key})
    return manifest


def restore(pg: postgres.Server, store: Store, backup_id: str, *, database: str, owner: str, filestore_dir,
            pg_bindir, keep_as: str | None = None, environment_key: str | None = None,
            work_dir=None, jobs: int = 1) -> dict:
    """Replace ``database`` (owned by ``owner``) and ``filestore_dir`` with backup ``backup_id``.

    ``environment_key`` is the environment the backup was taken of (default: the one
    whose key is ``database``), so another environment's backup can be restored here.
    ``work_dir`` holds the downloaded files meanwhile (default: next to the filestore).
    """
    started = time.monotonic()
    m.check_id(backup_id)
    for name in (database, owner, *([keep_as] if keep_as else [])):
        postgres.ident(name)
    filestore_dir = Path(filestore_dir).resolve()
    manifest = load_manifest(store, environment_key or database, backup_id)
    if not postgres.role_exists(pg, owner):
        raise NotFound(f"role {owner} does not exist: it must own the restored database", details={"owner": owner})
    aside, old_files = _check_aside(pg, database, filestore_dir, backup_id, keep_as)
    _check_can_set_role(pg, owner)
    new_database = postgres.snapshot_name(database, "r" + m.short_id(backup_id))
    staged = filestore_dir.parent / new_database
    work = Path(work_dir or filestore_dir.parent)
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix=".odooops-restore-") as tmp:
        files = download(store, manifest, Path(tmp))
        try:
            shutil.rmtree(staged, ignore_errors=True)        # what an earlier failed attempt may have left
            restore_dump(pg, new_database, owner, files.dump, pg_bindir, jobs=jobs)
            extract(files.filestore, staged, like=filestore_dir if filestore_dir.exists() else filestore_dir.parent)
            leftovers = _swap(pg, database, new_database, filestore_dir, staged, aside, old_files, bool(keep_as))
        except BaseException:
            _discard(pg, new_database, staged)
            raise
    return {"backup_id": backup_id, "environment_key": manifest.environment_key, "database": database,
            "owner": owner, "kept_as": keep_as, "created_at": manifest.created_at.isoformat(),
            "dump_bytes": manifest.dump.size, "filestore_files": manifest.filestore.files,
            "leftovers": leftovers, "seconds": round(time.monotonic() - started, 3)}


def _discard(pg, new_database: str, staged: Path | None) -> None:
    try:
        postgres.drop_database(pg, new_database)
    except Exception:  # noqa: BLE001 - the original failure is what the caller must see
        pass
    if staged is not None:
        shutil.rmtree(staged, ignore_errors=True)


def download(store: Store, manifest: m.Manifest, directory, progress=None) -> Downloaded:
    """Both objects of the backup into ``directory``, their size and sha256 checked against
    the manifest on the way: a difference is BackupCorrupted, before anything else is
    touched. ``progress(bytes_done, bytes_total)`` hears of the bytes as they come."""
    tracker = Progress(progress, manifest.dump.size + manifest.filestore.size)
    dump = _download(store, manifest, manifest.dump, Path(directory) / m.DUMP, "database dump", tracker)
    tar = _download(store, manifest, manifest.filestore, Path(directory) / m.FILESTORE, "filestore", tracker)
    tracker.finish()
    return Downloaded(manifest, dump, tar)


def restore_dump(pg: postgres.Server, database: str, owner: str, dump_file: Path, pg_bindir, *, jobs: int = 1,
                 progress=None) -> None:
    """Create ``database`` (dropped first if a failed attempt left it) owned by ``owner``, and
    pg_restore ``dump_file`` into it; on failure it is dropped again. ``progress(bytes_done,
    bytes_total)``: the dump's bytes read by pg_restore (a single job only)."""
    postgres.ident(database)
    _check_can_set_role(pg, owner)
    postgres.drop_database(pg, database)
    postgres.create_database(pg, database, owner)
    try:
        _pg_restore(pg, database, owner, Path(dump_file), pg_bindir, jobs, progress)
    except BaseException:
        _discard(pg, database, None)
        raise


def _download(store: Store, manifest: m.Manifest, expected: m.StoredFile, target: Path, what: str,
              tracker: Progress) -> Path:
    digest, size = hashlib.sha256(), 0
    try:
        with store.get(expected.key) as stream, open(target, "wb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
                tracker.add(len(chunk))
    except ObjectMissing:
        raise BackupCorrupted(f"the {what} of backup {manifest.id} is missing from the store",
                              details={"backup_id": manifest.id, "key": expected.key}) from None
    if size != expected.size or digest.hexdigest() != expected.sha256:
        raise BackupCorrupted(
            f"the {what} of backup {manifest.id} does not match its manifest: {size} bytes with sha256 "
            f"{digest.hexdigest()[:12]}…, expected {expected.size} bytes with sha256 {expected.sha256[:12]}…",
            details={"backup_id": manifest.id, "key": expected.key, "size": size, "sha256": digest.hexdigest(),
                     "expected_size": expected.size, "expected_sha256": expected.sha256})
    return target


def _check_can_set_role(pg: postgres.Server, owner: str) -> None:
    # pg_restore --role=<owner> runs SET ROLE: the admin must be allowed to (PostgreSQL 16+: the SET option).
    with pg.session() as cr:
        cr.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cr.fetchone()[0]:
            return
        cr.execute("SELECT pg_has_role(current_user, %s, CASE WHEN current_setting('server_version_num')::int "
                   ">= 160000 THEN 'SET' ELSE 'MEMBER' END)", [owner])
        if cr.fetchone()[0]:
            return
    raise DatabaseError(f"the admin role {pg.user} may not act as {owner}, which must own the restored objects",
                        remediation=f"As a superuser: GRANT {owner} TO {pg.user} WITH SET TRUE, INHERIT FALSE;")


def _pg_restore(pg, new_database: str, owner: str, dump_file: Path, pg_bindir, jobs: int, progress=None) -> None:
    # --no-owner --role: every object is created by, so owned by, the environment's role;
    # --no-privileges: grants to the source environment's role do not apply here.
    command = [tool(pg_bindir, "pg_restore"), "--format=custom", "--no-owner", "--no-privileges", f"--role={owner}",
               "--exit-on-error", "--no-password", f"--jobs={max(int(jobs), 1)}", f"--dbname={new_database}"]
    env = libpq_env(pg, new_database, "odooops-restore")
    if progress is None or jobs > 1:        # parallel jobs seek in the file: no stream to count
        result = subprocess.run(command + [str(dump_file)], stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, env=env)
        code, stderr = result.returncode, result.stderr
    else:
        code, stderr = _fed_restore(command, env, dump_file, Progress(progress, dump_file.stat().st_size))
    if code != 0:
        raise RestoreFailed(f"pg_restore into {new_database} failed (exit {code}): {last_error(stderr)}",
                            details={"exit_code": code, "stderr": tail(stderr)})


def _fed_restore(command, env, dump_file: Path, tracker: Progress) -> tuple[int, str]:
    """pg_restore reading the dump from its stdin, fed here so that the bytes are counted
    (the dump is read in order either way: pg_dump wrote it to a pipe, without offsets)."""
    with tempfile.TemporaryFile() as stderr, open(dump_file, "rb") as source:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        try:
            pump(source, proc, tracker)
            code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if code == 0:
            tracker.finish()
        stderr.seek(0)
        return code, stderr.read().decode(errors="replace")


def extract(tar_file: Path, target: Path, like: Path, progress=None) -> None:
    """Extract into ``target`` (the 'data' filter refuses absolute paths, links out and
    devices), owned like ``like`` when run as root: the user the environment's Odoo runs as.
    ``progress(bytes_done, bytes_total)``: the archive's bytes read."""
    target = Path(target)
    target.mkdir(parents=True)
    tracker = Progress(progress, Path(tar_file).stat().st_size)
    try:
        with open(tar_file, "rb") as raw, tarfile.open(fileobj=Counted(raw, tracker), mode="r|") as tar:
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise RestoreFailed(f"cannot extract the filestore into {target}: {exc}",
                            details={"filestore": str(target)}) from None
    tracker.finish()
    if os.geteuid() == 0:
        reference = like.stat()
        for folder, dirs, files in os.walk(target):
            for name in [".", *dirs, *files]:
                os.lchown(os.path.join(folder, name), reference.st_uid, reference.st_gid)


def _check_aside(pg, database: str, filestore_dir: Path, backup_id: str, keep_as) -> tuple[str, Path]:
    """Where the replaced database and filestore go: ``keep_as``, else temporary names."""
    aside = keep_as or postgres.snapshot_name(database, "o" + m.short_id(backup_id))
    old_files = filestore_dir.parent / (keep_as or f".{aside}")     # hidden: Odoo sees no database there
    if postgres.database_exists(pg, aside) or old_files.exists():
        if keep_as:
            raise Conflict(f"{keep_as} already exists: the replaced database cannot be kept under that name",
                           details={"database": aside, "filestore": str(old_files)},
                           remediation="Choose another keep_as name, or drop the old copy first.")
        # Only a restore interrupted between its renames leaves these: they may be the only copy.
        raise Conflict(f"{aside} (database or filestore {old_files}) is left from an interrupted restore",
                       details={"database": aside, "filestore": str(old_files)},
                       remediation=f"Check what {aside} holds; rename it back to {database} or drop it, then retry.")
    return aside, old_files


def _swap(pg, database, new_database, filestore_dir: Path, staged: Path, aside: str, old_files: Path,
          keep: bool) -> list[str]:
    """Renames only. The replaced database and filestore are moved aside first and moved
    back if a later rename fails, so the environment is never left without either.
    Returns what could not be cleaned up afterwards."""
    old_database = postgres.database_exists(pg, database)
    had_files = filestore_dir.exists()
    if had_files:
        os.rename(filestore_dir, old_files)
    try:
        os.rename(staged, filestore_dir)
        try:
            _rename_databases(pg, database, new_database, aside, old_database)
        except BaseException:
            os.rename(filestore_dir, staged)
            raise
    except BaseException:
        if had_files:
            os.rename(old_files, filestore_dir)
        raise
    if keep:
        return []
    leftovers = []
    try:
        postgres.drop_database(pg, aside)
    except Exception:  # noqa: BLE001 - the restore is done; say what is left rather than fail it
        leftovers.append(f"database {aside}")
    shutil.rmtree(old_files, ignore_errors=True)
    if old_files.exists():
        leftovers.append(f"directory {old_files}")
    return leftovers


def _rename_databases(pg, database: str, new_database: str, aside: str, old_database: bool) -> None:
    if old_database:
        postgres.rename_database(pg, database, aside)
    try:
        postgres.rename_database(pg, new_database, database)
    except BaseException:
        if old_database:
            postgres.rename_database(pg, aside, database)
        raise
