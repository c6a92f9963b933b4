"""Back up one environment: its database (pg_dump -Fc) and its filestore (a tar),
each streamed straight into the store, then the manifest that makes the backup complete.

Nothing is staged on disk. The dump comes first: Odoo removes attachment files only
after the rows that reference them are gone, so every file the dump references is
still there when the filestore is read a moment later.
"""
from __future__ import annotations

import io
import os
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ..drivers import postgres
from ..errors import NotFound, ValidationFailed
from . import manifest as m
from .errors import BackupFailed
from .pgtools import last_error, libpq_env, tail, tool
from .store import Store
from .streams import Counted, ProcessOutput, Progress, TarOutput


def backup(pg: postgres.Server, database: str, filestore_dir, store: Store, *, environment_key: str,
           pg_bindir, odoo_version: str | None = None, modules: dict | None = None, description: str = "",
           now: datetime | None = None, progress=None) -> m.Manifest:
    """Back up ``database`` and ``filestore_dir`` into ``store``; returns the manifest.

    ``modules`` (name → version) and ``odoo_version`` default to what the database says
    is installed. ``progress(bytes_done, bytes_expected)`` is called as data flows; the
    expected total is the database's size plus the filestore's, an estimate (a dump is
    usually smaller). A failure leaves no manifest and no object of this backup.
    """
    m.check_environment_key(environment_key)
    postgres.ident(database)
    _check_description(description)
    created_at = m.utc(now or datetime.now(timezone.utc))
    store.check()
    if not postgres.database_exists(pg, database):
        raise NotFound(f"database {database} does not exist: nothing to back up", details={"database": database})
    database_size = pg.execute("SELECT pg_database_size(%s)", [database])[0][0]
    if modules is None or odoo_version is None:
        installed = installed_modules(pg, database)
        modules = installed if modules is None else modules
        odoo_version = installed.get("base", "") if odoo_version is None else odoo_version
    filestore_dir = Path(filestore_dir)
    tracker = Progress(progress, database_size + _tree_size(filestore_dir))
    backup_id = m.new_id(created_at)
    dump_key = m.object_key(environment_key, backup_id, m.DUMP)
    filestore_key = m.object_key(environment_key, backup_id, m.FILESTORE)
    try:
        dump = _dump(pg, database, pg_bindir, store, dump_key, tracker)
        filestore = _filestore(filestore_dir, store, filestore_key, tracker)
        manifest = m.Manifest(
            id=backup_id, environment_key=environment_key, database=database, created_at=created_at,
            description=description, dump=m.StoredFile(dump.key, dump.size, dump.sha256), filestore=filestore,
            database_size=database_size, odoo_version=odoo_version or "", modules=dict(modules))
        store.put(manifest.key, io.BytesIO(manifest.to_json()))       # last: now the backup is complete
    except BaseException:
        for key in (filestore_key, dump_key):
            _forget(store, key)
        raise
    tracker.finish()
    return manifest


def installed_modules(pg: postgres.Server, database: str) -> dict:
    """name → installed version, from Odoo's ir_module_module ({} for a database without Odoo)."""
    if not pg.execute("SELECT to_regclass('public.ir_module_module')", dbname=database)[0][0]:
        return {}
    rows = pg.execute("SELECT name, coalesce(latest_version, '') FROM ir_module_module "
                      "WHERE state = 'installed' ORDER BY name", dbname=database)
    return dict(rows)


def _dump(pg, database, pg_bindir, store, key, tracker):
    command = [tool(pg_bindir, "pg_dump"), "--format=custom", "--no-password", "--lock-wait-timeout=120s"]
    with tempfile.TemporaryFile() as stderr:
        # The database name comes from PGDATABASE, the credentials from PGUSER/PGPASSWORD.
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
                                env=libpq_env(pg, database, "odooops-backup"))
        output = ProcessOutput(proc, stderr, lambda code, err: BackupFailed(
            f"pg_dump of {database} failed (exit {code}): {last_error(err)}",
            details={"database": database, "exit_code": code, "stderr": tail(err)}))
        try:
            return store.put(key, Counted(output, tracker))
        finally:
            output.stop()


def _filestore(directory: Path, store, key, tracker) -> m.StoredFilestore:
    tar = TarOutput(directory)
    try:
        stored = store.put(key, Counted(tar, tracker))
    except OSError as exc:
        raise BackupFailed(f"cannot read the filestore {directory}: {exc}", details={"filestore": str(directory)},
                           remediation="Check that the control plane may read every file of the filestore.") from None
    finally:
        tar.stop()
    return m.StoredFilestore(stored.key, stored.size, stored.sha256, files=tar.files)


def _tree_size(directory: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(directory):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except FileNotFoundError:
                pass
    return total


def _forget(store: Store, key: str) -> None:
    try:
        store.delete(key)
    except Exception:  # noqa: BLE001 - best effort: without a manifest the object is an orphan retention removes
        pass


def _check_description(description: str) -> None:
    if not isinstance(description, str) or len(description) > 500 or any(
            ord(c) < 32 and c not in "\t\n" or ord(c) == 127 for c in description):
        raise ValidationFailed("a backup description is text of at most 500 characters without control characters",
                               details={"description": description if isinstance(description, str) else None})
