"""Does a deploy keep production answering, and what grows with the database's size?

Real Odoo 19 (workers=2, 2048 MB) behind a private nginx, on this machine's Docker and
PostgreSQL. After a first deployment, for each size S (GB, ascending) the
environment's database is grown to at least S GB with a ballast table, and then:

  (a) unchanged  deploy of the SHA already serving
  (b) code-only  a commit that changes only a README at the repository's root
                 (outside every module: same module checksums, nothing to migrate)
  (c) migrating  the sample module's version bumped and a field added (-u sample)
  (d) rollback   back to the release of (b), the database restored from (c)'s snapshot

While each runs, a poller asks nginx for /web/login (with the environment's Host
header, no redirect followed) at a steady rate, from LEAD s before the call until
TAIL s after it returns. Anything but a 200 is a failure: a 303 to the database
selector, a 502 from nginx, a 503 (with or without Retry-After), a timeout, a
refused connection. Printed per scenario: wall time, the pipeline's snapshot and
migrate steps, requests, failures (and the steps they fell in), the longest time
between two consecutive 200 answers, the largest Retry-After.

The environment is planned as the control plane plans a production one: a standby
kept for rollbacks (--standby off to compare) and a migration estimate, hence a
Retry-After, from the last migrate step, when the pipeline knows these settings.
Each operation gets its own Pipeline, as each control-plane job does.

Baseline, same run, same database: a raw copy of its directory (base/<oid>) with
`cp -r --reflink=never` (then with every file fsync'ed, as CREATE DATABASE does),
and `cp -r --reflink=always` when the filesystem has reflinks, into a temporary
directory on the data directory's filesystem (removed at once). The page cache is
warm for both the copy and the snapshot.

Nothing is asserted: figures are printed, then which of them grow with the size.

Run: scripts/bench zero_downtime [--sizes 1,3] [--rate 20] [--timeout 2] [--standby on|off]
     (--sizes 0.2 is a quick run of the script itself)
"""
import argparse
import collections
import dataclasses
import itertools
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import requests
from psycopg2 import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _common import raw_copy, verdict, wait_for_pg  # noqa: E402
from controlplane import Settings, free_port  # noqa: E402
from dataplane_fixtures import GitRepo  # noqa: E402
from nginx_instance import NginxInstance  # noqa: E402
from sample_addon import addon  # noqa: E402

from odooops import templates  # noqa: E402
from odooops.dataplane import DataPlane, EnvironmentPlan, Release  # noqa: E402
from odooops.drivers import postgres  # noqa: E402
from odooops.errors import DatabaseError  # noqa: E402
from odooops.pipeline import Pipeline  # noqa: E402
from odooops.proxy.nginx import Nginx  # noqa: E402
from odooops.runtime.docker import DockerRuntime  # noqa: E402

GB = 1024 ** 3
BALLAST = "odooops_bench_ballast"
BYTES_PER_ROW = 300         # g int + 256-char pad, on disk (about 3 M rows per 0.9 GB)
LEAD, TAIL = 1.0, 2.0       # seconds polled before a scenario's call and after it returns
SCENARIOS = {"a": "unchanged", "b": "code-only", "c": "migrating", "d": "rollback"}


def say(*args):
    print("··", *args, flush=True)


# -- the poller ----------------------------------------------------------------------------------

@dataclass
class Sample:
    start: float                # time.monotonic()
    end: float
    status: object              # HTTP status, or "timeout" / "connection" / the exception's name
    retry_after: str | None = None
    location: str | None = None


class Poller:
    """Open loop: request i is sent at start + i/rate, whatever the earlier ones are doing
    (each in its own thread, on its own connection), so a stalled answer never delays the
    next question."""

    def __init__(self, url: str, host: str, rate: float, timeout: float):
        self.url, self.host, self.interval, self.timeout = url, host, 1.0 / rate, timeout
        self.samples: list[Sample] = []
        self.started = self.stopped = None
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=math.ceil(rate * timeout * 2) + 4)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> list[Sample]:
        self.stopped = time.monotonic()
        self._halt.set()
        self._thread.join()
        self._pool.shutdown(wait=True)
        return sorted(self.samples, key=lambda s: s.start)

    def _run(self):
        i = 0
        while not self._halt.is_set():
            delay = self.started + i * self.interval - time.monotonic()
            if delay > 0 and self._halt.wait(delay):
                break
            self._pool.submit(self._one)
            i += 1

    def _one(self):
        start = time.monotonic()
        retry_after = location = None
        try:
            answer = requests.get(self.url, headers={"Host": self.host}, timeout=self.timeout, allow_redirects=False)
            status, retry_after, location = (answer.status_code, answer.headers.get("Retry-After"),
                                             answer.headers.get("Location"))
        except requests.Timeout:
            status = "timeout"
        except requests.ConnectionError:
            status = "connection"
        except Exception as exc:  # noqa: BLE001 - counted as a failure, named
            status = type(exc).__name__
        with self._lock:
            self.samples.append(Sample(start, time.monotonic(), status, retry_after, location))


# -- one scenario ----------------------------------------------------------------------------------

@dataclass
class Outcome:
    key: str
    wall: float
    timings: dict
    samples: list
    window: tuple               # (first request scheduled, poller stopped)
    call: tuple                 # (call started, call returned)
    steps: list                 # [(step, started, ended)] heard from the pipeline's report
    error: Exception | None = None
    result: object = None
    facts: dict = dataclasses.field(default_factory=dict)
    estimate: int | None = None     # the plan's migration estimate (the pipeline's Retry-After)

    @property
    def failures(self):
        return [s for s in self.samples if s.status != 200]

    @property
    def retry_after_503(self):
        return [s for s in self.failures if s.status == 503 and s.retry_after is not None]

    @property
    def max_retry_after(self):
        values = [s.retry_after.strip() for s in self.samples if s.retry_after]
        numbers = [int(v) for v in values if v.isdigit()]
        return max(numbers) if numbers else (values[-1] if values else None)

    def longest_gap(self) -> tuple[float, float]:
        """(seconds, when it began) of the longest time without a 200 answer, the
        window's edges counting as answers."""
        points = [self.window[0]] + sorted(s.end for s in self.samples if s.status == 200) + [self.window[1]]
        gap, at = max((b - a, a) for a, b in itertools.pairwise(points))
        return gap, at

    def step_at(self, t: float) -> str:
        for name, started, ended in self.steps:
            if started <= t <= (ended if ended is not None else self.call[1]):
                return name
        if t < self.call[0]:
            return "before the call"
        if t > self.call[1]:
            return "after the call"
        before = [name for name, started, ended in self.steps if ended is not None and ended < t]
        after = [name for name, started, ended in self.steps if started > t]
        return f"between {before[-1] if before else 'call'}/{after[0] if after else 'return'}"

    def failure_summary(self) -> str:
        by_status = collections.Counter(_label(s) for s in self.failures)
        by_step = collections.Counter(self.step_at(s.start) for s in self.failures)
        first, last = self.failures[0].start - self.call[0], self.failures[-1].end - self.call[0]
        return (", ".join(f"{k}×{v}" for k, v in by_status.most_common()) + "; during "
                + ", ".join(f"{k} {v}" for k, v in by_step.most_common())
                + f"; from +{first:.1f} s to +{last:.1f} s after the call began")

    def latency(self) -> str:
        times = sorted((s.end - s.start) * 1000 for s in self.samples if s.status == 200)
        if len(times) < 2:
            return "-"
        return f"p50 {statistics.median(times):.0f} ms, p95 {times[int(len(times) * 0.95) - 1]:.0f} ms"


def _label(sample: Sample) -> str:
    if sample.status == 503:
        return f"503{'+Retry-After ' + sample.retry_after if sample.retry_after else ' (no Retry-After)'}"
    if isinstance(sample.status, int) and 300 <= sample.status < 400:
        return f"{sample.status}→{(sample.location or '?').split('?')[0]}"
    return str(sample.status)


class Bench:
    def __init__(self, args, settings):
        self.args = args
        self.settings = settings
        self.tag = str(os.getpid())
        self.tmp = Path(tempfile.mkdtemp(prefix="odooops-zdt-"))
        self.deployment = 0
        self.events: list = []          # (step, started, ended) of the call now running
        self.images: set[str] = set()
        self.nginx = self.pipeline = self.repo = self.plan = None
        self.last_unavailable = None    # seconds the last migrating deploy answered 503 (the next Retry-After)
        self.first_facts: dict = {}

    # -- set-up -------------------------------------------------------------------------------------

    def setup(self):
        root = Path(__file__).resolve().parent.parent
        self.image = subprocess.run([str(root / "docker" / "build-runtime-image")], capture_output=True, text=True,
                                    check=True).stdout.strip().splitlines()[-1]
        s = self.settings
        self.pg = postgres.Server(s.pg["host"], s.pg["port"], s.pg["user"], s.pg["password"])
        wait_for_pg(self.pg)
        self.nginx = NginxInstance(self.tmp / "nginx", free_port()).start()
        self.plane = DataPlane(docker=DockerRuntime(), pg=self.pg,
                               nginx=Nginx(sites_dir=self.nginx.sites_dir, main_conf=self.nginx.conf,
                                           listen=self.nginx.listen, binary=self.nginx.binary,
                                           pid_file=self.nginx.pid_file),
                               filestore_root=self.tmp / "filestore", odoo_path=s.odoo_path,
                               git_cache=self.tmp / "git", odoo_store=self.tmp / "odoo")
        (self.tmp / "repo").mkdir()
        self.repo = GitRepo(self.tmp / "repo")
        tag = self.tag
        self.plan = EnvironmentPlan(project="zdt", slug=f"z{tag}", database=f"zdt__z{tag}", db_role=f"zdt__z{tag}_u",
                                    db_password=os.urandom(8).hex(), hostnames=(f"z{tag}.zdt.example.com",),
                                    workers=2, memory_mb=2048, admin_password=os.urandom(8).hex(),
                                    master_password=os.urandom(8).hex(), login_secret=os.urandom(8).hex())
        self.url = f"http://{self.nginx.listen}/web/login"

    def new_pipeline(self) -> Pipeline:
        """One Pipeline per operation, as the control plane makes one per job, with the plan it
        would give a production environment: a standby kept, and a Retry-After from how long
        the last migrating deploy answered 503 (30 s before any)."""
        extra = {"standby": self.args.standby == "on"}
        if self.last_unavailable is not None:
            extra["migration_estimate"] = max(5, round(self.last_unavailable))
        self.pipeline = Pipeline(self.plane, dataclasses.replace(self.plan, **extra), report=self._heard)
        return self.pipeline

    def _heard(self, step, status, *args, **facts):
        now = time.monotonic()
        if status == "running":
            self.events.append([step, now, None])
            return
        for event in reversed(self.events):
            if event[0] == step and event[2] is None:
                event[2] = now
                return
        seconds = float(args[0]) if args and isinstance(args[0], (int, float)) else 0.0
        self.events.append([step, now - seconds, now])

    def next_deployment(self) -> int:
        self.deployment += 1
        return self.deployment

    def first_deploy(self):
        # A file unique to this run: its module checksums (so its template and images) are its own.
        self.module = {**addon("19.0.1.0.0"), "sample/static/run.txt": f"zero-downtime bench {self.tag} {time.time()}"}
        sha = self.repo.commit(self.module, "first")
        say("first deployment (cold: -i base,sample)")
        started = time.monotonic()
        pipeline = self.new_pipeline()
        self.current = pipeline.deploy(deployment=self.next_deployment(), remote=str(self.repo.path), sha=sha,
                                       base_image=self.image, current=None)
        self.first_facts = dict(pipeline.facts)
        self.first = self.current
        self.images.add(self.current.image)
        say(f"served after {time.monotonic() - started:.1f} s:", steps_line(pipeline.timings))
        self.warm_up()

    def warm_up(self, seconds: float = 30):
        """Until /web/login answers 200 five times in a row (workers started, assets built)."""
        deadline, streak = time.monotonic() + seconds, 0
        while streak < 5 and time.monotonic() < deadline:
            try:
                ok = requests.get(self.url, headers={"Host": self.plan.hostnames[0]}, timeout=10,
                                  allow_redirects=False).status_code == 200
            except requests.RequestException:
                ok = False
            streak = streak + 1 if ok else 0
            time.sleep(0.1)
        if streak < 5:
            say(f"warning: /web/login did not answer 200 steadily within {seconds:.0f} s")

    # -- the database ---------------------------------------------------------------------------------

    def sql(self, query, params=None, dbname="postgres"):
        """One statement as the admin role, again once PostgreSQL is back if it went away
        meanwhile (a cluster being restarted): every statement here can simply be repeated."""
        for attempt in range(3):
            try:
                return self.pg.execute(query, params, dbname=dbname)
            except (psycopg2.OperationalError, DatabaseError) as exc:
                if attempt == 2:
                    raise
                say(f"PostgreSQL went away ({str(exc).strip().splitlines()[0]}); retrying")
                time.sleep(2)
                wait_for_pg(self.pg)

    def database_size(self) -> int:
        return self.sql("SELECT pg_database_size(%s)", [self.plan.database])[0][0]

    def grow(self, gigabytes: float) -> tuple[int, float]:
        """At least ``gigabytes`` in the environment's database (a ballast table owned by its
        role, checkpointed); returns (size in bytes, seconds it took)."""
        target, db, started = int(gigabytes * GB), self.plan.database, time.monotonic()
        for _ in range(5):
            size = self.database_size()
            if size >= target:
                break
            rows = int((target - size) / BYTES_PER_ROW * 1.02) + 1000
            exists = self.sql("SELECT to_regclass(%s)", [BALLAST], dbname=db)[0][0]
            if exists:
                first = self.sql(f"SELECT coalesce(max(g), 0) + 1 FROM {BALLAST}", dbname=db)[0][0]
                self.sql(f"INSERT INTO {BALLAST} SELECT g, repeat(md5(g::text), 8) FROM generate_series(%s, %s) g",
                                [first, first + rows - 1], dbname=db)
            else:
                self.sql(f"CREATE TABLE {BALLAST} AS SELECT g, repeat(md5(g::text), 8) pad "
                                f"FROM generate_series(1, %s) g", [rows], dbname=db)
                self.sql(sql.SQL("ALTER TABLE {} OWNER TO {}").format(
                    sql.Identifier(BALLAST), postgres.ident(self.plan.db_role)), dbname=db)
        try:
            self.sql("CHECKPOINT")
        except Exception as exc:  # noqa: BLE001 - the figures stay meaningful, only less comparable
            say(f"CHECKPOINT refused ({exc}); the first copy may include writing the ballast out")
        return self.database_size(), time.monotonic() - started

    def drop_old_snapshots(self):
        """Snapshots of an earlier size: the pipeline keeps them for rollbacks; here they only fill the disk."""
        for name in postgres.list_databases(self.pg, self.plan.database + "__s"):
            postgres.drop_database(self.pg, name)

    def raw_copy(self) -> dict:
        """Times a plain copy of the database's directory, on the filesystem that holds it."""
        return raw_copy(self.pg, self.plan.database, self.tmp)

    # -- scenarios -------------------------------------------------------------------------------------

    def scenario(self, key: str, call) -> Outcome:
        """``call(pipeline)`` while the poller runs."""
        pipeline = self.new_pipeline()
        self.events = []
        poller = Poller(self.url, self.plan.hostnames[0], self.args.rate, self.args.timeout).start()
        error = result = None
        try:
            time.sleep(LEAD)
            begun = time.monotonic()
            try:
                result = call(pipeline)
            except Exception as exc:  # noqa: BLE001 - a failed deploy is a figure too
                error = exc
            returned = time.monotonic()
            time.sleep(TAIL)
        finally:
            samples = poller.stop()
        steps = [(name, started, ended) for name, started, ended in self.events]
        outcome = Outcome(key, returned - begun, dict(pipeline.timings), samples,
                          (poller.started, poller.stopped), (begun, returned), steps, error, result,
                          dict(pipeline.facts), pipeline.env.migration_estimate)
        if not error and pipeline.facts.get("unavailable_seconds"):
            self.last_unavailable = pipeline.facts["unavailable_seconds"]
        status = f"FAILED ({type(error).__name__}: {error})" if error else "done"
        say(f"({key}) {SCENARIOS[key]}: {status} in {outcome.wall:.1f} s, {len(outcome.failures)} of "
            f"{len(samples)} requests failed")
        return outcome

    def deploy(self, pipeline: Pipeline, sha: str) -> Release:
        release = pipeline.deploy(deployment=self.next_deployment(), remote=str(self.repo.path), sha=sha,
                                       base_image=self.image, current=self.current)
        self.images.add(release.image)
        return release

    def round(self, index: int, gigabytes: float) -> dict:
        wait_for_pg(self.pg)
        self.drop_old_snapshots()
        say(f"size {gigabytes:g} GB: growing the database")
        size, grow_seconds = self.grow(gigabytes)
        say(f"database {self.plan.database}: {size / GB:.2f} GB (pg_database_size), grown in {grow_seconds:.0f} s")
        say("raw copy of its directory")
        copy = self.raw_copy()
        outcomes = {}

        outcomes["a"] = self.scenario("a", lambda p: self.deploy(p, self.current.sha))
        if not outcomes["a"].error:
            self.current = outcomes["a"].result

        code_only = self.repo.commit({**self.module, "README.md": f"# Bench\n\nround {index}, {time.time()}\n"},
                                     f"README only, round {index}")
        outcomes["b"] = self.scenario("b", lambda p: self.deploy(p, code_only))
        if not outcomes["b"].error:
            self.current = outcomes["b"].result
        before = self.current

        migrating = self.repo.commit({**addon(f"19.0.1.0.{index}", extra_field=f"    level{index} = fields.Integer()"),
                                      "sample/static/run.txt": self.module["sample/static/run.txt"]},
                                     f"sample 19.0.1.0.{index}: a new field")
        outcomes["c"] = self.scenario("c", lambda p: self.deploy(p, migrating))
        if outcomes["c"].error:
            say("(d) rollback skipped: (c) did not deploy")
        else:
            self.current = migrated = outcomes["c"].result
            outcomes["d"] = self.scenario("d", lambda p: p.rollback(
                deployment=self.next_deployment(), current=migrated, target=before, restore_from=migrated.snapshot))
            if not outcomes["d"].error:
                self.current = outcomes["d"].result
            if migrated.snapshot is None:
                say("(c) left no snapshot: (d) rolled back the code only")
        return {"gigabytes": gigabytes, "size": size, "copy": copy, "outcomes": outcomes}

    # -- clean-up ----------------------------------------------------------------------------------------

    def cleanup(self):
        if self.plan is not None and getattr(self, "plane", None) is not None:
            try:
                wait_for_pg(self.pg)
                self.new_pipeline().destroy()
            except Exception as exc:  # noqa: BLE001 - go on cleaning
                say(f"destroy failed: {exc}")
            names = {self.first_facts.get("template")}
            if getattr(self, "first", None) is not None:
                names.add(templates.name(self.plan.project, self.first.odoo_revision, self.image,
                                         self.first.checksums))
            for name in names - {None}:
                try:
                    if postgres.drop_database(self.pg, name):
                        say(f"dropped the template {name}")
                except Exception as exc:  # noqa: BLE001
                    say(f"could not drop the template {name}: {exc}")
        if self.nginx is not None:
            self.nginx.stop()
        plane = getattr(self, "plane", None)
        for image in self.images if plane else ():
            try:  # images of this run only: their tree holds this run's own file
                plane.docker.client.images.remove(image)
            except Exception:  # noqa: BLE001 - shared layers or already gone
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


# -- helpers ---------------------------------------------------------------------------------------------

def steps_line(timings: dict) -> str:
    return ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()) or "-"


def seconds(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def storage_summary(pg) -> str:
    try:
        from odooops.drivers import pg_storage
        return pg_storage.detect(pg).summary
    except Exception as exc:  # noqa: BLE001 - the module is new and may be changing
        return f"unknown ({type(exc).__name__}: {exc})"


def print_round(found: dict, rate: float):
    size, copy, outcomes = found["size"], found["copy"], found["outcomes"]
    print(f"\n=== database ≥ {found['gigabytes']:g} GB: {size / GB:.2f} GB (pg_database_size); "
          f"poller {rate:g} req/s on /web/login ===")
    print(f"{'scenario':14} {'wall s':>7} {'snapshot s':>10} {'migrate s':>9} {'requests':>8} {'non-200':>7} "
          f"{'503+RA':>6} {'longest gap s':>13} {'max Retry-After':>15}")
    for key, o in outcomes.items():
        gap, _ = o.longest_gap()
        print(f"({key}) {SCENARIOS[key]:10} {o.wall:7.1f} {seconds(o.timings.get('snapshot')):>10} "
              f"{seconds(o.timings.get('migrate')):>9} {len(o.samples):8} {len(o.failures):7} "
              f"{len(o.retry_after_503):6} {gap:13.2f} {str(o.max_retry_after or '-'):>15}"
              + ("   FAILED" if o.error else ""))
    for key, o in outcomes.items():
        gap, at = o.longest_gap()
        print(f"  ({key}) steps: {steps_line(o.timings)}")
        if o.error:
            print(f"      failed: {type(o.error).__name__}: {str(o.error)[:300]}")
        if o.failures:
            print(f"      non-200: {o.failure_summary()}")
        said = []
        if o.facts.get("unavailable_seconds") is not None:
            said.append(f"the pipeline says unavailable {o.facts['unavailable_seconds']:.1f} s")
        if o.retry_after_503 and o.estimate is not None:
            said.append(f"Retry-After from an estimate of {o.estimate} s")
        if o.facts.get("snapshot_method"):
            said.append(f"snapshot method {o.facts['snapshot_method']}")
        print(f"      longest gap began +{at - o.call[0]:.1f} s ({o.step_at(at)}); 200 latency {o.latency()}"
              + "".join(f"; {x}" for x in said))
    print("  baseline, raw copy of " + copy.get("source", "the database directory") + ":")
    if "note" in copy:
        print(f"      {copy['note']}")
        return
    print(f"      cp -r --reflink=never  {copy['cp']:.2f} s; with every file fsync'ed {copy['cp+fsync']:.2f} s"
          + (f" (cp said: {copy['cp error']})" if copy.get("cp error") else ""))
    print("      cp -r --reflink=always " + (f"{copy['reflink']:.2f} s; fsync'ed {copy['reflink+fsync']:.2f} s"
                                             if copy["reflink"] is not None else f"no reflinks ({copy['reflink why']})"))
    for key in ("c", "d"):
        o = outcomes.get(key)
        snap = o.timings.get("snapshot") if o else None
        if snap is not None:
            ratio = f"{snap / copy['cp']:.2f}× cp, {snap / copy['cp+fsync']:.2f}× cp+fsync"
            if copy["reflink"]:
                ratio += f", {snap / copy['reflink+fsync']:.1f}× reflink copy+fsync"
            print(f"      snapshot of ({key}) {snap:.2f} s = {ratio}")


def metrics(found: dict) -> dict:
    o, copy = found["outcomes"], found["copy"]
    rows = {"database size (GB)": found["size"] / GB, "raw copy cp (s)": copy.get("cp"),
            "raw copy cp+fsync (s)": copy.get("cp+fsync"), "raw copy reflink+fsync (s)": copy.get("reflink+fsync")}
    for key, name in SCENARIOS.items():
        x = o.get(key)
        rows[f"({key}) {name} wall (s)"] = x.wall if x else None
        for step in ("snapshot", "migrate", "restore"):
            if x and step in x.timings:
                rows[f"({key}) {name} {step} (s)"] = x.timings[step]
        rows[f"({key}) {name} non-200 (n)"] = len(x.failures) if x else None
        rows[f"({key}) {name} longest gap (s)"] = x.longest_gap()[0] if x else None
    return rows


def print_comparison(rounds: list):
    print("\n=== across sizes ===")
    if len(rounds) < 2:
        print("one size only: run with --sizes 1,3 to see what grows")
        return
    table = [metrics(r) for r in rounds]
    names = list(dict.fromkeys(name for t in table for name in t))
    ratio = table[-1]["database size (GB)"] / table[0]["database size (GB)"]
    heads = "".join(f"{t['database size (GB)']:>9.2f}GB" for t in table)
    print(f"{'figure':34}{heads}   verdict (size ×{ratio:.1f})")
    for name in names[1:]:
        values = [t.get(name) for t in table]
        cells = "".join(f"{'-' if v is None else (f'{v:.0f}' if name.endswith('(n)') else f'{v:.2f}'):>11}"
                        for v in values)
        print(f"{name:34}{cells}   {verdict(values, ratio, counts=name.endswith('(n)'))}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,3", help="database sizes in GB, comma separated (default 1,3)")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second on /web/login (default 20)")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds each request may take (default 2)")
    parser.add_argument("--standby", choices=("on", "off"), default="on",
                        help="keep the replaced release frozen for rollbacks, as production does (when the "
                             "pipeline knows standbys; default on)")
    args = parser.parse_args()
    sizes = sorted(float(s) for s in args.sizes.split(",") if s.strip())
    settings = Settings.from_env()
    if settings is None:
        raise SystemExit("no Odoo found: run through scripts/bench")
    bench = Bench(args, settings)
    rounds = []
    try:
        bench.setup()
        storage = storage_summary(bench.pg)
        say("storage:", storage)
        say(f"environment: workers={bench.plan.workers}, {bench.plan.memory_mb} MB, standby {args.standby}")
        bench.first_deploy()
        for index, gigabytes in enumerate(sizes, 1):
            rounds.append(bench.round(index, gigabytes))
            print_round(rounds[-1], args.rate)
    finally:
        say("cleaning up")
        bench.cleanup()
    print_comparison(rounds)
    print(f"\nstorage: {storage}")


if __name__ == "__main__":
    main()
