"""What a copy of a database costs on a PostgreSQL cluster.

PostgreSQL 18 with ``file_copy_method = clone`` makes ``CREATE DATABASE … STRATEGY
FILE_COPY`` clone each file; on a filesystem with reflinks (XFS ``reflink=1``,
btrfs, ZFS) that shares the blocks instead of copying them, so a snapshot takes
milliseconds whatever the database's size. Anywhere else (PostgreSQL < 18, ext4, a
managed or remote cluster whose files this host cannot see) a snapshot is a full
copy, and the source database refuses sessions for a time that grows with its size.

``detect`` finds out which, and says it in one sentence (``Storage.summary``);
``python -m odooops.drivers.pg_storage`` prints it for the cluster of the
ODOOOPS_PG_* settings.
"""
from __future__ import annotations

import fcntl
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

FICLONE = 0x40049409            # linux/fs.h: _IOW(0x94, 9, int)
REFLINK_FILESYSTEMS = {"xfs", "btrfs", "zfs", "bcachefs", "ocfs2"}


@dataclass(frozen=True)
class Storage:
    version: int                # PostgreSQL major version
    clone: bool                 # a database copy is a copy-on-write clone (constant time)
    filesystem: str | None      # of the data directory, when this host can see it
    reason: str                 # why not, when ``clone`` is False

    @property
    def method(self) -> str:
        return "clone" if self.clone else "copy"

    @property
    def summary(self) -> str:
        where = f"PostgreSQL {self.version}" + (f" on {self.filesystem}" if self.filesystem else "")
        if self.clone:
            return f"{where}: snapshots are copy-on-write clones (constant time, whatever the size)"
        return (f"{where}: snapshots are full file copies, because {self.reason}; a migrating deploy "
                "is unavailable for the copy too, which grows with the database's size "
                "(see README, 'Storage': put the cluster on XFS, btrfs or ZFS with PostgreSQL 18)")


def filesystem_of(path: str) -> str | None:
    """The filesystem type of the mount that holds ``path`` (None if unknown)."""
    best, kind = "", None
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        left, _, right = line.partition(" - ")
        fields = left.split()
        if len(fields) < 5 or not right:
            continue
        mount = fields[4].replace("\\040", " ")
        if (path == mount or path.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
            best, kind = mount, right.split()[0]
    return kind


def reflinks(directory: str) -> bool:
    """True when files in ``directory`` can be cloned (FICLONE), tried on two temporary files."""
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".odooops-reflink-") as source, \
                tempfile.NamedTemporaryFile(dir=directory, prefix=".odooops-reflink-") as target:
            source.write(b"\0" * 4096)
            source.flush()
            fcntl.ioctl(target.fileno(), FICLONE, source.fileno())
        return True
    except OSError:
        return False


def detect(server) -> Storage:
    """How ``server`` (a ``postgres.Server``) copies a database."""
    conn = server.connect()
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT current_setting('server_version_num')::int")
            version = cr.fetchone()[0] // 10000
            cr.execute("SELECT setting FROM pg_settings WHERE name = 'data_directory'")
            row = cr.fetchone()
    finally:
        conn.close()
    if version < 18:
        return Storage(version, False, None, f"PostgreSQL {version} cannot clone files (file_copy_method needs 18)")
    data_directory = row[0] if row else None
    if not data_directory or not os.path.isdir(data_directory):
        return Storage(version, False, None,
                       "this host cannot see the cluster's files (a managed or remote PostgreSQL)")
    kind = filesystem_of(data_directory)
    if not reflinks(data_directory):
        return Storage(version, False, kind, f"its filesystem ({kind or 'unknown'}) has no reflinks")
    return Storage(version, True, kind, "")


if __name__ == "__main__":      # prints what snapshots cost on the ODOOOPS_PG_* cluster
    from ..settings import Settings
    from .postgres import Server
    s = Settings.from_env()
    print(detect(Server(s.pg_host, s.pg_port, s.pg_user, s.pg_password)).summary)
