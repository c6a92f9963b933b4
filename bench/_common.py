"""What several benchmarks share: the PostgreSQL connection from the harness' PG* variables,
timing, clean-up on signals, a raw copy of a database's directory (the baseline of every
copy), a random filestore, the bare pg_dump/tar baseline of a backup, and the verdict on
how a figure grows with the database's size.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from odooops.backups.pgtools import libpq_env
from odooops.drivers import postgres

MB = 1024 * 1024
GB = 1024 ** 3


def say(*args):
    print("··", *args, flush=True)


def pg_from_env() -> postgres.Server:
    """The admin connection the harness exports (scripts/lib.sh export_harness_env)."""
    return postgres.Server(os.environ.get("PGHOST", "127.0.0.1"), int(os.environ.get("PGPORT", 5433)),
                           os.environ.get("PGUSER", "odooops"), os.environ.get("PGPASSWORD", ""))


def pg_bindir_from_env() -> str:
    return os.environ.get("ODOOOPS_TEST_PG_BINDIR") or os.environ.get("ODOOOPS_PG_BINDIR", "")


def timed(function, *args, **kwargs):
    """(seconds, result) of one call."""
    started = time.monotonic()
    result = function(*args, **kwargs)
    return time.monotonic() - started, result


@contextmanager
def interrupted_by_signals():
    """SIGTERM and SIGHUP end the block as Ctrl-C does (KeyboardInterrupt), so that the
    caller's ``finally`` removes what it made."""
    def stop(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)
    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def wait_for_pg(pg, patience: float = 900):
    """PostgreSQL may be briefly down (a cluster being switched): wait for it."""
    deadline, told = time.monotonic() + patience, False
    while True:
        try:
            pg.execute("SELECT 1")
            return
        except Exception as exc:  # noqa: BLE001
            if time.monotonic() > deadline:
                raise
            if not told:
                say(f"PostgreSQL at {pg.host}:{pg.port} is not answering ({exc}); waiting")
                told = True
            time.sleep(5)


def fsync_all(directory: Path):
    for path in (p for p in directory.rglob("*") if p.is_file()):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def raw_copy(pg, database: str, scratch: Path) -> dict:
    """Times a plain copy of ``database``'s directory (base/<oid>) on the filesystem that
    holds it: ``cp -r --reflink=never`` (then with every file fsync'ed, as CREATE DATABASE
    does), and ``cp -r --reflink=always`` when the filesystem has reflinks. The copy goes
    into a temporary directory (in ``scratch`` when on the same filesystem), removed at once.
    Keys: cp, cp+fsync, reflink, reflink+fsync (None: no reflinks, 'reflink why'), or 'note'."""
    oid = pg.execute("SELECT oid FROM pg_database WHERE datname = %s", [database])[0][0]
    data_directory = pg.execute("SHOW data_directory")[0][0]
    source = Path(data_directory) / "base" / str(oid)
    if not source.is_dir():
        return {"note": f"{source} is not visible from this host (a remote cluster)"}
    device = os.stat(source).st_dev
    near = next((p for p in (Path(scratch), Path("/var/tmp"), Path(data_directory).parent)
                 if p.is_dir() and os.stat(p).st_dev == device), None)
    if near is None:
        return {"note": f"no writable directory on the filesystem of {data_directory}"}
    work = Path(tempfile.mkdtemp(prefix="odooops-rawcopy-", dir=near))
    found = {"source": str(source), "where": str(work)}
    try:
        started = time.monotonic()
        done = subprocess.run(["cp", "-r", "--reflink=never", str(source), str(work / "never")],
                              capture_output=True, text=True)
        found["cp"] = time.monotonic() - started
        if done.returncode:
            found["cp error"] = done.stderr.strip().splitlines()[-1:]
        fsync_all(work / "never")
        found["cp+fsync"] = time.monotonic() - started
        shutil.rmtree(work / "never", ignore_errors=True)
        started = time.monotonic()
        done = subprocess.run(["cp", "-r", "--reflink=always", str(source), str(work / "always")],
                              capture_output=True, text=True)
        if done.returncode == 0:
            found["reflink"] = time.monotonic() - started
            fsync_all(work / "always")
            found["reflink+fsync"] = time.monotonic() - started
        else:
            found["reflink"] = None
            found["reflink why"] = (done.stderr.strip().splitlines() or ["?"])[-1]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return found


def shares_blocks(pg, source: str, copy: str, relation: str) -> bool | None:
    """Whether ``copy``'s file of ``relation`` shares its blocks with ``source``'s (a reflink
    clone), as ``filefrag -v`` says (its "shared" extent flag); None when it cannot tell."""
    data_directory = pg.execute("SHOW data_directory")[0][0]
    flags = []
    for database in (source, copy):
        path = pg.execute("SELECT pg_relation_filepath(%s::regclass)", [relation], dbname=database)[0][0]
        try:
            done = subprocess.run(["filefrag", "-v", str(Path(data_directory) / path)], capture_output=True, text=True)
        except OSError:
            return None
        if done.returncode:
            return None
        flags.append("shared" in done.stdout)
    return all(flags)


def checkpointer(pg) -> tuple[int, float] | None:
    """(checkpoints finished, seconds spent writing and syncing them) since the statistics were
    reset, cluster-wide (pg_stat_checkpointer, PostgreSQL 17+); None where unknown."""
    try:
        done, seconds = pg.execute("SELECT num_done, (write_time + sync_time) / 1000.0 FROM pg_stat_checkpointer")[0]
    except Exception:  # noqa: BLE001 - an older PostgreSQL: no such view
        return None
    return int(done), float(seconds)


def make_filestore(directory: Path, files: int, kilobytes: int = 40) -> None:
    """``files`` random files (attachments rarely compress) in Odoo's layout (xx/<name>)."""
    for i in range(files):
        path = Path(directory) / f"{i % 256:02x}" / uuid.uuid4().hex
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(kilobytes * 1024))


def tree_size(directory: Path) -> int:
    return sum(p.stat().st_size for p in Path(directory).rglob("*") if p.is_file())


def dump_baseline(pg, database: str, pg_bindir, filestore_dir: Path) -> tuple[float, float]:
    """Seconds of the bare tools a backup streams: ``pg_dump -Fc > /dev/null`` and a tar of the
    filestore to /dev/null."""
    dump, _ = timed(subprocess.run, [str(Path(pg_bindir) / "pg_dump"), "-Fc", "-w"], stdout=subprocess.DEVNULL,
                    check=True, env=libpq_env(pg, database, "bench"))
    with open(os.devnull, "wb") as null:
        def tar_all():
            with tarfile.open(fileobj=null, mode="w|") as tar:
                tar.add(filestore_dir, arcname=".")
        tar, _ = timed(tar_all)
    return dump, tar


def verdict(values, size_ratio: float, counts=False, floor: float | None = None) -> str:
    """Smallest size against largest: "grows" when the figure rises by 30 % and by more than
    ``floor`` (default 1 s, or 5 requests), "with the size" when it rises at least 60 % as fast
    as the size. One run on a shared machine: a figure that "shrinks" is noise, not a law."""
    if any(v is None for v in values):
        return "-"
    low, high = values[0], values[-1]
    floor = floor if floor is not None else (5 if counts else 1.0)
    if high - low >= floor and high >= 1.3 * low:
        if not low:
            return "grows (from 0)"
        return f"grows ×{high / low:.1f}" + (" (with the size)" if high / low >= 1 + 0.6 * (size_ratio - 1) else "")
    if low - high >= floor and low >= 1.3 * high:
        return f"shrinks ×{high / low:.1f} (noise)"
    return "flat"
