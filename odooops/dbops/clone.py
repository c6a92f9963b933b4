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
            never paused, whatever the size (slower).
"""
from __future__ import annotations

import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from psycopg2 import sql

from ..drivers import postgres
from ..errors import Conflict, OdooOpsError, ValidationFailed

STRATEGIES = ("clone", "template", "dump")


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
                                   remediation=f"Use one of: {', '.join(STRATEGIES)}.")
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
                  pg_bindir: str | Path | None = None) -> None:
    """Make ``target`` (absent) a copy of the source database, owned by ``owner``."""
    if source.database == target:
        raise ValidationFailed("a database cannot be cloned onto itself")
    postgres.drop_database(pg, target)
    if strategy == "dump":
        _dump_restore(pg, source.database, target, owner, pg_bindir)
        return
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


def _dump_restore(pg: postgres.Server, source: str, target: str, owner: str, pg_bindir) -> None:
    if not pg_bindir or not (Path(pg_bindir) / "pg_dump").exists():
        raise ValidationFailed(f"no pg_dump in {pg_bindir!r}",
                               remediation="Set ODOOOPS_PG_BINDIR to PostgreSQL 18's bin directory (scripts/up does).")
    postgres.create_database(pg, target, owner)
    env = {"PGHOST": pg.host, "PGPORT": str(pg.port), "PGUSER": pg.user, "PGPASSWORD": pg.password}
    dump = subprocess.Popen([str(Path(pg_bindir) / "pg_dump"), "-Fc", "--no-owner", "-d", source],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    restore = subprocess.run([str(Path(pg_bindir) / "pg_restore"), "--no-owner", "--role", owner,
                              "--exit-on-error", "-d", target], stdin=dump.stdout, capture_output=True, env=env)
    dump.stdout.close()
    dump_error = dump.stderr.read().decode(errors="replace")
    if dump.wait() != 0 or restore.returncode != 0:
        postgres.drop_database(pg, target)
        raise OdooOpsError(f"copying {source} with pg_dump | pg_restore failed",
                           details={"pg_dump": dump_error[-2000:],
                                    "pg_restore": restore.stderr.decode(errors="replace")[-2000:]},
                           remediation="Read pg_dump's and pg_restore's messages above.")
