"""Named snapshots: a kept copy of an environment's database and filestore, from which
an environment of the same project can start (``env create --from-snapshot``).

The copy is made as a clone is (``clone.copy_database``): a copy-on-write clone taken
at an idle moment of the source (milliseconds, whatever the size), or a streamed dump
that never pauses it; under the environment's lock, so that no deploy migrates the
database while it is copied. The filestore is hard-linked (Odoo never rewrites an
attachment's file in place).

A snapshot outlives its environment, so nothing in it may belong to the environment's
role (``DROP ROLE`` refuses a role that owns objects in any database): the database
belongs to the admin role and its objects to the NOLOGIN role ``odooops_snapshot``,
and an environment started from it gets them handed over, as from a template.
"""
from __future__ import annotations

import os
import shutil
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import psycopg2
from psycopg2 import sql

from ..drivers import postgres
from ..errors import NotFound
from ..refresh import _link_tree
from . import clone

SNAPSHOT_ROLE = "odooops_snapshot"
FILESTORES = "_snapshots"           # under the filestore root, beside the environments'


@dataclass(frozen=True)
class Taken:
    """What a snapshot holds and how it was made."""
    database: str
    strategy: str                   # clone, template or dump
    why: str
    database_bytes: int
    filestore_bytes: int
    files: int
    seconds: float

    @property
    def size_bytes(self) -> int:
        return self.database_bytes + self.filestore_bytes


def filestore_of(filestore_root, name: str) -> Path:
    postgres.ident(name)            # a safe name: it becomes a directory too
    return Path(filestore_root) / FILESTORES / name


def lock(name: str) -> str:
    """Held while a snapshot is made, copied from or dropped: none of these overlaps."""
    return f"snapshot {name}"


def source(name: str) -> clone.Source:
    """The snapshot as the source of a copy (for ``clone.copy_database``): no container
    serves it, and its lock keeps it from being dropped while it is copied."""
    return clone.Source(name, SNAPSHOT_ROLE, None, lock(name))


def _ensure_role(pg: postgres.Server) -> None:
    if postgres.role_exists(pg, SNAPSHOT_ROLE):
        return
    try:
        pg.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(postgres.ident(SNAPSHOT_ROLE)))
    except (psycopg2.errors.DuplicateObject, psycopg2.errors.UniqueViolation):
        pass                        # made meanwhile by a snapshot taken at the same time


def take(pg: postgres.Server, docker, of: clone.Source, source_filestore, name: str, filestore_root, *,
         strategy: str | None = None, pg_bindir=None, progress: Callable[[str], None] | None = None) -> Taken:
    """Copy ``of`` (an environment's database, its serving container and lock) and its
    filestore as the snapshot ``name``. On any failure nothing of the snapshot remains."""
    progress = progress or (lambda step: None)
    started = time.monotonic()
    chosen, why = clone.choose(postgres.storage(pg), strategy)
    _ensure_role(pg)
    files = filestore_of(filestore_root, name)
    with postgres.advisory_lock(pg, lock(name), wait=True):
        try:
            # The environment's own lock: a deploy that migrates cannot run during the copy
            # (Conflict while one runs: the caller retries later).
            with postgres.advisory_lock(pg, of.lock) if of.lock else nullcontext():
                progress("copy")
                clone.copy_database(pg, docker, of, name, SNAPSHOT_ROLE, chosen, pg_bindir=pg_bindir)
                progress("filestore")
                count = _link_tree(Path(source_filestore), files)
            # Kept by the admin role: no environment's role owns or reaches it.
            pg.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(postgres.ident(name), postgres.ident(pg.user)))
            progress("measure")
            db_bytes, file_bytes = measure(pg, filestore_root, name)
        except BaseException:
            _drop(pg, filestore_root, name)
            raise
    return Taken(name, chosen, why, db_bytes, file_bytes, count, round(time.monotonic() - started, 3))


def measure(pg: postgres.Server, filestore_root, name: str) -> tuple[int, int]:
    """(database bytes, filestore bytes). Hard links are counted once per snapshot."""
    if not postgres.database_exists(pg, name):
        raise NotFound(f"snapshot database {name} does not exist")
    db_bytes = pg.execute("SELECT pg_database_size(%s)", [name])[0][0]
    total, seen = 0, set()
    for root, _, names in os.walk(filestore_of(filestore_root, name)):
        for entry in names:
            stat = os.lstat(os.path.join(root, entry))
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return int(db_bytes), total


def exists(pg: postgres.Server, filestore_root, name: str) -> bool:
    return postgres.database_exists(pg, name) and filestore_of(filestore_root, name).is_dir()


def drop(pg: postgres.Server, filestore_root, name: str, *, wait: bool = True) -> bool:
    """Drop the snapshot's database and filestore once no copy from it runs (without
    ``wait``: Conflict while one does). True when something was there."""
    with postgres.advisory_lock(pg, lock(name), wait=wait):
        return _drop(pg, filestore_root, name)


def _drop(pg, filestore_root, name) -> bool:
    files = filestore_of(filestore_root, name)
    had_files = files.exists()
    shutil.rmtree(files, ignore_errors=True)
    return postgres.drop_database(pg, name) or had_files
