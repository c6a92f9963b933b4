"""A client that keeps writing to a database at a steady rate while it is copied, as an
Odoo worker serving requests does, and what it went through.

Each write is one transaction (INSERT a row, UPDATE a counter row), scheduled at
start + i/rate on one connection, as one worker's requests are: a write that waits
delays the next, and its latency counts from when it was due. Before each write the
connection is borrowed as Odoo's pool borrows one (``connection.reset()``, a new
connection when that fails), so a session ended between two writes costs no write.

``freeze``/``thaw`` make the writer what ``odooops.dbops.clone.quiesced`` freezes: the
serving release's container (``docker pause``: the process stops between two
statements, wherever it is, and its queries wait; none fails). Pass the writer as the
``docker`` of ``clone.copy_database`` and any name as the source's container.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psycopg2
from psycopg2 import sql

from odooops.drivers import postgres

TABLE, COUNTER = "bench_live_writes", "bench_live_counter"


def prepare(pg: postgres.Server, database: str, owner: str) -> None:
    """The tables the writer writes, owned by ``owner`` (the role the writer connects as)."""
    with pg.session(database) as cr:
        cr.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (id bigserial PRIMARY KEY, at timestamptz NOT NULL "
                           "DEFAULT clock_timestamp(), payload text)").format(sql.Identifier(TABLE)))
        cr.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (id int PRIMARY KEY, n bigint NOT NULL)")
                   .format(sql.Identifier(COUNTER)))
        cr.execute(sql.SQL("INSERT INTO {} VALUES (1, 0) ON CONFLICT DO NOTHING").format(sql.Identifier(COUNTER)))
        for table in (TABLE, COUNTER):
            cr.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(sql.Identifier(table), postgres.ident(owner)))


@dataclass
class Report:
    seconds: float = 0.0
    writes: int = 0
    failed: int = 0
    reconnects: int = 0
    latencies: list = field(default_factory=list)       # seconds from due to committed, of each write
    errors: list = field(default_factory=list)          # the first few failures' messages

    @property
    def longest(self) -> float | None:
        return max(self.latencies) if self.latencies else None

    def percentile(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Writer:
    def __init__(self, pg: postgres.Server, database: str, user: str, password: str, rate: float):
        self.connect_args = dict(host=pg.host, port=pg.port, dbname=database, user=user, password=password,
                                 connect_timeout=5, application_name="odooops-bench-writer")
        self.interval = 1.0 / rate
        self.report = Report()
        self._running = threading.Event()       # cleared: frozen
        self._running.set()
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._conn = None

    # -- what clone.quiesced calls on "docker" ------------------------------------------------------
    def freeze(self, container) -> bool:
        self._running.clear()
        return True

    def thaw(self, container) -> None:
        self._running.set()

    # -- running --------------------------------------------------------------------------------------
    def start(self) -> "Writer":
        self._started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> Report:
        self._halt.set()
        self._running.set()
        self._thread.join(timeout=60)
        self.report.seconds = time.monotonic() - self._started
        if self._conn is not None:
            self._conn.close()
        return self.report

    def _run(self) -> None:
        i = 0
        while not self._halt.is_set():
            due = self._started + i * self.interval
            delay = due - time.monotonic()
            if delay > 0 and self._halt.wait(delay):
                break
            i += 1
            self._write(due, i)

    def _gate(self) -> None:
        """Where a frozen process stops: between two statements."""
        self._running.wait()

    def _borrow(self):
        self._gate()
        if self._conn is not None:
            try:
                self._conn.reset()
                return self._conn
            except psycopg2.Error:
                self._conn.close()
                self._conn = None
                self.report.reconnects += 1
        self._conn = psycopg2.connect(**self.connect_args)
        return self._conn

    def _write(self, due: float, i: int) -> None:
        self.report.writes += 1
        try:
            conn = self._borrow()
            with conn.cursor() as cr:       # a transaction (psycopg2 opens it at the first statement)
                self._gate()
                cr.execute(sql.SQL("INSERT INTO {} (payload) VALUES (%s)").format(sql.Identifier(TABLE)),
                           [f"write {i}"])
                self._gate()
                cr.execute(sql.SQL("UPDATE {} SET n = n + 1 WHERE id = 1").format(sql.Identifier(COUNTER)))
            self._gate()
            conn.commit()
            self.report.latencies.append(time.monotonic() - due)
        except psycopg2.Error as exc:
            self.report.failed += 1
            if len(self.report.errors) < 3:
                self.report.errors.append(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            if self._conn is not None:
                self._conn.close()
                self._conn = None
