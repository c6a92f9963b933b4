"""Copy one environment's database into a new database, with the fastest strategy
the cluster and the source allow, while the source keeps serving.

Strategies:
  clone     copy-on-write (PostgreSQL 18, reflink storage): constant time. The source
            must have no session for those milliseconds: its release is frozen at a
            moment when none of its sessions is inside a transaction (so no request
            fails), its idle sessions are ended, and it resumes right after.
  template  the same statement as a full file copy: the source is frozen for the whole
            copy (it answers late, not wrongly); for sources that may pause.
  dump      ``pg_dump -Fc | pg_restore`` streamed, no temporary file: the source is
            never paused, whatever the size (slower). Its bytes are counted on the way
            (``progress``), against the size of the source's tables.
  backup    (``odooops.refresh``) the source's latest complete backup, downloaded,
            verified and restored: the source is not read at all.
"""
from __future__ import annotations

import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from psycopg2 import sql

from ..backups.streams import Progress, pump
from ..drivers import postgres
from ..errors import Conflict, OdooOpsError, ValidationFailed

STRATEGIES = ("clone", "template", "dump")
BACKUP = "backup"           # restores the source's latest backup: see odooops.refresh


@dataclass(frozen=True)
class Source:
    """The database to copy, its owner, the container serving it (if any), and the lock
    its own operations hold (so that no deploy migrates it while it is copied)."""
    database: str
    owner: str
    container: str | None = None
    lock: str | None = None


def choose(storage, forced: str | None = None) -> tuple[str, str]:
    """(strategy, why). ``forced`` is the user's choice, refused when the cluster cannot do it."""
    if forced:
        if forced not in STRATEGIES:
            raise ValidationFailed(f"unknown clone strategy {forced!r}", details={"strategy": forced},
                                   remediation=f"Use one of: {', '.join(STRATEGIES + (BACKUP,))}.")
        if forced == "clone" and not storage.clone:
            raise ValidationFailed(f"this cluster cannot clone: {storage.summary}",
                                   remediation="Use --strategy template or dump.")
        return forced, "asked for"
    if storage.clone:
        return "clone", "the cluster clones files (copy-on-write): constant time"
    return "dump", f"the cluster cannot clone ({storage.reason}): a streamed dump keeps the source serving"


@contextmanager
def quiesced(pg: postgres.Server, docker, source: Source, timeout: float = 10.0):
    """The source's release frozen while none of its sessions is in a transaction, and
    those sessions ended: the source has no session, and no request fails (requests
    wait in the frozen release's queue). Conflict when no such moment comes in time."""
    deadline = time.monotonic() + timeout
    while True:
        frozen = bool(source.container) and docker.freeze(source.container)
        busy = pg.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                          "AND state <> 'idle'", [source.database])[0][0]
        if not busy:
            break
        if frozen:
            docker.thaw(source.container)
        if time.monotonic() > deadline:
            raise Conflict(f"{source.database} was never idle for {timeout:.0f} s: a long transaction runs there",
                           remediation="Retry later, or clone with --strategy dump (it never pauses the source).")
        time.sleep(0.05)
    try:
        yield
    finally:
        if frozen:
            docker.thaw(source.container)


def copy_database(pg: postgres.Server, docker, source: Source, target: str, owner: str, strategy: str, *,
                  pg_bindir: str | Path | None = None, progress=None) -> None:
    """Make ``target`` (absent) a copy of the source database, owned by ``owner``.
    ``progress(bytes_done, bytes_expected)`` hears of a streamed dump's bytes."""
    if source.database == target:
        raise ValidationFailed("a database cannot be cloned onto itself")
    postgres.drop_database(pg, target)
    if strategy == "dump":
        _dump_restore(pg, source.database, target, owner, pg_bindir, progress)
        return
    # The copy forces a checkpoint: flushed now, while the source still serves, it has
    # little left to write while the source is frozen.
    postgres.checkpoint(pg)
    with quiesced(pg, docker, source):
        postgres.snapshot(pg, source.database, target, owner)
    hand_over(pg, target, source.owner, owner)


def hand_over(pg: postgres.Server, database: str, old: str, new: str) -> None:
    """Give ``new`` every object of ``database`` that ``old`` owns. REASSIGN OWNED also
    moves the databases ``old`` owns (the source and its snapshots): they go back."""
    if old == new:
        return
    owned = [row[0] for row in pg.execute(
        "SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = %s)", [old])]
    pg.execute(sql.SQL("REASSIGN OWNED BY {} TO {}").format(postgres.ident(old), postgres.ident(new)),
               dbname=database)
    for name in owned:
        if name != database:
            pg.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(postgres.ident(name), postgres.ident(old)))
    pg.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(postgres.ident(database), postgres.ident(new)))


def table_bytes(pg: postgres.Server, database: str) -> int:
    """The size of ``database``'s tables (TOAST included, indexes not): about what an
    uncompressed dump of it streams."""
    return int(pg.execute("SELECT coalesce(sum(pg_table_size(c.oid)), 0) FROM pg_class c "
                          "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') "
                          "AND n.nspname NOT IN ('pg_catalog', 'information_schema')", dbname=database)[0][0])


def _dump_restore(pg: postgres.Server, source: str, target: str, owner: str, pg_bindir, progress=None) -> None:
    """pg_dump | pg_restore with the pipe pumped here, so its bytes are counted. No
    compression: on one host it would only cost CPU on both ends."""
    if not pg_bindir or not (Path(pg_bindir) / "pg_dump").exists():
        raise ValidationFailed(f"no pg_dump in {pg_bindir!r}",
                               remediation="Set ODOOOPS_PG_BINDIR to PostgreSQL 18's bin directory (scripts/up does).")
    tracker = Progress(progress, table_bytes(pg, source))
    postgres.create_database(pg, target, owner)
    env = {"PGHOST": pg.host, "PGPORT": str(pg.port), "PGUSER": pg.user, "PGPASSWORD": pg.password}
    with tempfile.TemporaryFile() as dump_err, tempfile.TemporaryFile() as restore_err:
        dump = subprocess.Popen([str(Path(pg_bindir) / "pg_dump"), "-Fc", "--compress=0", "--no-owner", "-d", source],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=dump_err, env=env)
        restore = subprocess.Popen([str(Path(pg_bindir) / "pg_restore"), "--no-owner", "--role", owner,
                                    "--exit-on-error", "-d", target], stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=restore_err, env=env)
        try:
            pump(dump.stdout, restore, tracker)
            restored = restore.wait()
        except BaseException:
            restore.kill()
            restored = None
            raise
        finally:
            if restored != 0 and dump.poll() is None:
                dump.kill()             # pg_restore gave up: pg_dump would wait on a full pipe forever
            dumped = dump.wait()
            dump.stdout.close()
            if restored is None:
                restore.wait()
                postgres.drop_database(pg, target)
        if dumped != 0 or restored != 0:
            postgres.drop_database(pg, target)
            dump_err.seek(0)
            restore_err.seek(0)
            raise OdooOpsError(f"copying {source} with pg_dump | pg_restore failed",
                               details={"pg_dump": dump_err.read().decode(errors="replace")[-2000:],
                                        "pg_restore": restore_err.read().decode(errors="replace")[-2000:]},
                               remediation="Read pg_dump's and pg_restore's messages above.")
    tracker.finish()
