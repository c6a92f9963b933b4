"""How fast do the engine's database copies, backups and restores go, next to the bare tools?

On this machine's PostgreSQL 18 cluster, a source environment: a real Odoo 19 database
(base + mail, see _dbgen.py) owned by its own role, grown for each size (GB, ascending)
with generated rows (indexes, a fifth of the bytes random), and a filestore of --files
random files. For each size, in the same run, each copy owned by another role (as a
refreshed environment's is) and dropped at once, after a CHECKPOINT (not before the live
copies: the refresh takes none; the page cache is warm for all):

  baselines   raw copy of the database's directory (cp -r base/<oid>, then every file
              fsync'ed as CREATE DATABASE does; cp --reflink=always too); pg_dump -Fc |
              pg_restore (the bare pipe); pg_dump -Fc > /dev/null and a tar of the filestore
  clone       odooops.dbops.clone.copy_database, strategy clone (copy-on-write; the median of
              three, each after its own CHECKPOINT: short, so noisy), then what
              a refresh does to the copy: new identity (reset_identity), Odoo's neutralize.sql
              of every installed module (odooops.dbops.neutralize: what `odoo-bin neutralize`
              runs, without starting Odoo), the filestore hard-linked. Also `odoo-bin
              neutralize` itself on another clone (the refresh pipeline runs it in the
              release's container): the same SQL plus Odoo's start
  template    the engine's template strategy (on a cluster that clones, a clone too), and
              as on a cluster that cannot clone: file_copy_method = copy
  WAL_LOG     CREATE DATABASE … STRATEGY WAL_LOG (PostgreSQL's default), for reference
  dump        the engine's streamed pg_dump -Fc | pg_restore
  live        the clone and dump strategies while a client writes to the source --write-rate
              times a second (_live.py; for clone it is the release the engine freezes):
              failed writes, longest and p99 write latency
  backup      odooops.backups.backup to S3 (SeaweedFS started here) and restore from it

Printed: a table per size (seconds, ratios to the raw copy and to pg_dump | pg_restore,
the checkpoints the cluster finished during each copy and their write + sync time, the
issue's targets next to the figures), then how each figure grows with the size, then
the targets. Everything made is removed at the end, also on Ctrl-C, SIGTERM or failure.

Run: scripts/bench db_clone [--sizes 0.1,1,3] [--files 200] [--write-rate 50]
     (--sizes 0.05,0.1 is a quick run of the script itself: a few minutes on a busy machine)
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from psycopg2 import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import _common  # noqa: E402
import _dbgen  # noqa: E402
import _live  # noqa: E402
import _report  # noqa: E402
from _common import GB, say, timed  # noqa: E402
from s3_server import S3Server  # noqa: E402

from odooops.backups import backup, restore  # noqa: E402
from odooops.backups.pgtools import libpq_env, tool  # noqa: E402
from odooops.dbops import clone, neutralize  # noqa: E402
from odooops.dbops.identity import reset_identity  # noqa: E402
from odooops.drivers import pg_storage, postgres  # noqa: E402
from odooops.refresh import _link_tree  # noqa: E402

PREFIX = "odooops_bench_clone_"
LEAD, TAIL = 1.0, 1.0       # seconds the writer writes before a live copy starts and after it ends
CLONE_SAMPLES = 3


@contextmanager
def cluster_that_cannot_clone():
    """The engine as on a cluster without reflinks: it is told so, and every session it opens
    copies files (file_copy_method = copy, through libpq's PGOPTIONS)."""
    saved, options = postgres.storage, os.environ.get("PGOPTIONS")
    postgres.storage = lambda server: pg_storage.Storage(18, False, None, "emulated by the benchmark")
    os.environ["PGOPTIONS"] = "-c file_copy_method=copy"
    try:
        yield
    finally:
        postgres.storage = saved
        if options is None:
            os.environ.pop("PGOPTIONS", None)
        else:
            os.environ["PGOPTIONS"] = options


class Bench:
    def __init__(self, args):
        self.args = args
        self.pg = _common.pg_from_env()
        self.bindir = _common.pg_bindir_from_env()
        self.tag = f"{PREFIX}{os.getpid()}"
        self.source, self.src_role, self.dst_role = f"{self.tag}_src", f"{self.tag}_src_u", f"{self.tag}_dst_u"
        self.src_password = uuid.uuid4().hex
        self.work = Path(tempfile.mkdtemp(prefix="odooops-bench-clone-"))
        self.filestores = self.work / "filestore"
        odoo = os.environ.get("ODOO_PATH")
        self.odoo_path = Path(odoo) if odoo and (Path(odoo) / "odoo-bin").is_file() else None
        self.base = None
        self.s3 = None
        self.checkpoints = {}           # step -> (checkpoints finished during it, their write + sync seconds)

    def name(self, label: str) -> str:
        return f"{self.tag}_{label}"

    # -- set-up and clean-up ------------------------------------------------------------------------
    def setup(self) -> None:
        drop_leftovers(self.pg)
        postgres.ensure_role(self.pg, self.src_role, self.src_password)
        postgres.ensure_role(self.pg, self.dst_role, uuid.uuid4().hex)
        self.base = _dbgen.find_odoo_base(self.pg)
        if self.base is None and self.odoo_path:
            self.base = self.name("odoo")
            say(f"no Odoo 19 database to start from: installing base,mail into {self.base} (about a minute)")
            _dbgen.build_odoo_base(self.pg, self.base, self.odoo_path, self.work)
        _dbgen.create_source(self.pg, self.base, self.source, self.src_role)
        _live.prepare(self.pg, self.source, self.src_role)
        _common.make_filestore(self.filestores / self.source, self.args.files)
        say("starting SeaweedFS (S3)")
        self.s3 = S3Server().start()

    def cleanup(self) -> None:
        """Everything this run made, each part even when another could not be removed."""
        def attempt(what, function, *args):
            try:
                function(*args)
            except Exception as exc:  # noqa: BLE001 - say it, remove the rest
                say(f"could not remove {what}: {exc}")
        if self.s3 is not None:
            attempt("the S3 server", self.s3.stop)
        try:
            names = postgres.list_databases(self.pg, self.tag + "_")
        except Exception as exc:  # noqa: BLE001
            names = []
            say(f"could not list the databases {self.tag}_*: {exc}")
        for name in names:
            attempt(f"database {name}", postgres.drop_database, self.pg, name)
        for role in (self.src_role, self.dst_role):
            attempt(f"role {role}", postgres.drop_role, self.pg, role)
        shutil.rmtree(self.work, ignore_errors=True)

    # -- one copy --------------------------------------------------------------------------------------
    @contextmanager
    def target(self, label: str, checkpoint: bool = True):
        """A fresh target name; the database (and its filestore) dropped after the block.
        ``checkpoint``: a CHECKPOINT first (timed), so that the one a FILE_COPY forces has
        little left to write; the refresh does not take one: the live copies go without."""
        name = self.name(label)
        postgres.drop_database(self.pg, name)
        self.checkpoint_before = None
        if checkpoint:
            self.checkpoint_before, _ = timed(postgres.checkpoint, self.pg)
        try:
            yield name
        finally:
            postgres.drop_database(self.pg, name)
            shutil.rmtree(self.filestores / name, ignore_errors=True)

    def engine_copy(self, target: str, strategy: str, key: str, docker=None, container=None) -> float:
        source = clone.Source(self.source, self.src_role, container=container)
        return self.counting_checkpoints(key, clone.copy_database, self.pg, docker, source, target, self.dst_role,
                                         strategy, pg_bindir=self.bindir)

    def counting_checkpoints(self, key: str, function, *args, **kwargs) -> float:
        """Seconds of the call; the checkpoints the cluster finished meanwhile (a FILE_COPY forces
        two; other clients' count too) and their writing and syncing time go in self.checkpoints."""
        before = _common.checkpointer(self.pg)
        seconds, _ = timed(function, *args, **kwargs)
        after = _common.checkpointer(self.pg)
        if before and after:
            self.checkpoints[key] = (after[0] - before[0], after[1] - before[1])
        return seconds

    def cow_clone(self) -> dict:
        """The refresh's copy: clone (CLONE_SAMPLES times, the median counts: it is short and the
        cluster's checkpoints make it noisy), then, on the last, identity, neutralization, filestore."""
        samples = []
        for i in range(CLONE_SAMPLES):
            with self.target(f"cow{i}") as target:
                samples.append(self.engine_copy(target, "clone", "cow"))
                if i < CLONE_SAMPLES - 1:
                    continue
                found = {"clone": statistics.median(samples), "samples": samples,
                         "checkpoint_before": self.checkpoint_before,
                         "shared": _common.shares_blocks(self.pg, self.source, target, "bench_docs_1")}
                found["identity"], _ = timed(reset_identity, self.pg, target, "https://bench.example.com")
                if self.base and self.odoo_path:
                    found["neutralize"], modules = timed(neutralize.neutralize, self.pg, target, [], self.odoo_path)
                    found["modules"] = modules
                found["filestore"], _ = timed(_link_tree, self.filestores / self.source, self.filestores / target)
                found["total"] = sum(found.get(k, 0.0) for k in ("clone", "identity", "neutralize", "filestore"))
        if self.base and self.odoo_path:
            with self.target("cow_odoo") as target:
                self.engine_copy(target, "clone", "cow_odoo")
                conf = _dbgen.odoo_conf(self.pg, self.odoo_path, self.work)
                command = _dbgen.odoo_bin(self.odoo_path, conf, "neutralize", "-d", target)
                found["odoo-bin"], done = timed(subprocess.run, command, capture_output=True, text=True, timeout=600)
                if done.returncode != 0:
                    found["odoo-bin error"] = (done.stderr.strip().splitlines() or ["?"])[-1]
        return found

    def template_copy(self) -> float:
        with cluster_that_cannot_clone():
            method = self.pg.execute("SHOW file_copy_method")[0][0]
            if method != "copy":
                raise RuntimeError(f"PGOPTIONS did not reach the session: file_copy_method is {method}")
            with self.target("tplcopy") as target:
                seconds = self.engine_copy(target, "template", "template_copy")
                if _common.shares_blocks(self.pg, self.source, target, "bench_docs_1"):
                    raise RuntimeError("file_copy_method = copy made a copy that shares blocks with its source")
                return seconds

    def wal_log(self) -> float:
        with self.target("wal") as target, postgres.connections_closed(self.pg, self.source):
            query = sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE {} STRATEGY WAL_LOG").format(
                postgres.ident(target), postgres.ident(self.dst_role), postgres.ident(self.source))
            return self.counting_checkpoints("wal_log", self.pg.execute, query)

    def bare_dump_restore(self) -> float:
        """``pg_dump -Fc SRC | pg_restore -d NEW``: the pipe anyone would type."""
        with self.target("pipe") as target, tempfile.TemporaryFile() as dump_err:
            started = time.monotonic()
            postgres.create_database(self.pg, target, self.dst_role)
            dump = subprocess.Popen([tool(self.bindir, "pg_dump"), "-Fc", "--no-owner", "-w"], stdout=subprocess.PIPE,
                                    stderr=dump_err, env=libpq_env(self.pg, self.source, "bench"))
            done = None
            try:
                done = subprocess.run([tool(self.bindir, "pg_restore"), "--no-owner", "--exit-on-error", "-w",
                                       "-d", target], stdin=dump.stdout, capture_output=True, text=True,
                                      env=libpq_env(self.pg, target, "bench"))
            finally:
                dump.stdout.close()
                if done is None or done.returncode:
                    dump.kill()         # pg_restore is gone: pg_dump would wait on a full pipe
                dumped = dump.wait()
            if dumped != 0 or done.returncode != 0:
                dump_err.seek(0)
                raise RuntimeError(f"pg_dump | pg_restore failed: {dump_err.read()[-500:]!r} {done.stderr[-500:]!r}")
            return time.monotonic() - started

    def live(self, strategy: str) -> dict:
        with self.target(f"live_{strategy}", checkpoint=False) as target:
            writer = _live.Writer(self.pg, self.source, self.src_role, self.src_password, self.args.write_rate)
            writer.start()
            try:
                time.sleep(LEAD)
                seconds = self.engine_copy(target, strategy, f"live_{strategy}", docker=writer,
                                           container="bench-writer")
                time.sleep(TAIL)
            finally:
                report = writer.stop()
        return {"seconds": seconds, "report": report}

    def backup_restore(self, round_no: int) -> dict:
        store = self.s3.store(f"bench-{round_no}")
        filestore = self.filestores / self.source
        postgres.checkpoint(self.pg)
        bare = _common.dump_baseline(self.pg, self.source, self.bindir, filestore)
        found = {"dump_devnull": bare[0], "tar_devnull": bare[1]}
        postgres.checkpoint(self.pg)
        found["backup"], manifest = timed(backup, self.pg, self.source, filestore, store,
                                          environment_key=self.source, pg_bindir=self.bindir)
        found["stored"] = manifest.dump.size + manifest.filestore.size
        with self.target("restored") as target:
            (self.filestores / target).parent.mkdir(parents=True, exist_ok=True)
            found["restore"], _ = timed(restore, self.pg, store, manifest.id, database=target, owner=self.dst_role,
                                        filestore_dir=self.filestores / target, pg_bindir=self.bindir,
                                        environment_key=self.source, work_dir=self.work)
        for key in store.list():            # the next size's backup needs the room
            store.delete(key)
        return found

    # -- one size --------------------------------------------------------------------------------------
    def round(self, round_no: int, gigabytes: float) -> dict:
        say(f"size {gigabytes:g} GB: generating")
        size, grow_s = _dbgen.grow(self.pg, self.source, self.src_role, int(gigabytes * GB), round_no)
        say(f"{self.source}: {size / GB:.2f} GB, grown in {grow_s:.0f} s")
        self.checkpoints = {}
        found = {"gigabytes": gigabytes, "size": size, "filestore": _common.tree_size(self.filestores / self.source),
                 "files": self.args.files, "checkpoints": self.checkpoints}
        steps = [("raw copy", "raw", lambda: _common.raw_copy(self.pg, self.source, self.work)),
                 ("pg_dump | pg_restore", "pipe", self.bare_dump_restore),
                 ("clone + neutralization", "cow", self.cow_clone),
                 ("template (engine)", "template", lambda: self._engine("template")),
                 ("template, file_copy_method=copy", "template_copy", self.template_copy),
                 ("WAL_LOG", "wal_log", self.wal_log),
                 ("dump (engine)", "dump", lambda: self._engine("dump")),
                 ("live clone", "live_clone", lambda: self.live("clone")),
                 ("live dump", "live_dump", lambda: self.live("dump")),
                 ("backup and restore", "backup", lambda: self.backup_restore(round_no))]
        for title, key, step in steps:
            say(title)
            try:
                found[key] = step()
            except Exception as exc:  # noqa: BLE001 - a failed step is a figure too; the others go on
                say(f"{title} failed: {type(exc).__name__}: {exc}")
                found[key] = {"error": f"{type(exc).__name__}: {str(exc).strip()[:300]}"}
        return found

    def _engine(self, strategy: str) -> float:
        with self.target(strategy) as target:
            return self.engine_copy(target, strategy, strategy)


def drop_leftovers(pg) -> None:
    """Databases and roles of earlier runs of this benchmark that were killed (their process is gone)."""
    def gone(name: str) -> bool:
        pid = name[len(PREFIX):].split("_")[0]
        if not pid.isdigit():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    for name in postgres.list_databases(pg, PREFIX):
        if gone(name):
            say(f"dropping {name}, left by a run that was killed")
            postgres.drop_database(pg, name)
    like = PREFIX.replace("_", r"\_") + "%"
    for (role,) in pg.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", [like]):
        if gone(role):
            postgres.drop_role(pg, role)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.1,1,3", help="database sizes in GB, comma separated (default 0.1,1,3)")
    parser.add_argument("--files", type=int, default=200, help="filestore files of 40 KB (default 200)")
    parser.add_argument("--write-rate", type=float, default=50.0,
                        help="writes a second to the source during the live copies (default 50)")
    args = parser.parse_args()
    sizes = sorted(float(s) for s in args.sizes.split(",") if s.strip())
    bench = Bench(args)
    rounds = []
    try:
        with _common.interrupted_by_signals():
            try:
                storage = postgres.storage(bench.pg)
                say("storage:", storage.summary)
                bench.setup()
                _dbgen.say_source(bench.pg, bench.source, bench.base)
                for round_no, gigabytes in enumerate(sizes, 1):
                    rounds.append(bench.round(round_no, gigabytes))
                    _report.print_round(rounds[-1])
            finally:
                say("cleaning up")
                bench.cleanup()
    except KeyboardInterrupt as exc:
        raise SystemExit(f"interrupted ({exc or 'Ctrl-C'}): what the benchmark made is removed") from None
    _report.print_growth(rounds)
    _report.print_targets(rounds)
    print(f"\nstorage: {storage.summary}")


if __name__ == "__main__":
    main()
