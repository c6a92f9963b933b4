"""A source database for the database-operation benchmarks, made quickly with SQL.

It starts as a real Odoo 19 database (base + mail: the tables, views and modules that
Odoo's neutralization works on): the dbops tests' template when there is one, else one
installed here with odoo-bin. Its relations are handed to the environment's own role,
as a served environment's are. It is then grown, one round per size, with generated
ERP-like data:

  bench_lines_<round>  order lines: numbers, dates, references, repetitive notes
                       (compress well, as most of an Odoo database does); three indexes
  bench_docs_<round>   one scanned document per LINES_PER_DOC lines: 3 KB of random bytes
                       (incompressible, stored in TOAST), its index

about a fifth of the bytes random (gzip cannot shrink them). Indexes are built after loading; then
VACUUM (FREEZE, ANALYZE), so that no later read writes hint bits into the timings.
Only numbers are formatted into these statements; names go through psycopg2.sql.
"""
from __future__ import annotations

import re
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import psycopg2
from _common import say
from psycopg2 import sql

from odooops.drivers import postgres
from odooops.errors import Conflict

ODOO_TEMPLATE = re.compile(r"odooops_test_dbops_[0-9a-f]{12}")     # tests/dbops/conftest.py's
LINES_PER_DOC = 40
BYTES_PER_LINE = 340        # measured here: a line and its indexes, plus 1/40 of a document with its TOAST
POOL = 997                  # distinct random documents; consecutive rows never repeat one (gzip's window is 32 KB)

LINES = """INSERT INTO {lines} SELECT i, 'SO' || lpad(i::text, 12, '0'), (i * 7919) %% 100003,
    'Product ' || (i %% 5000) || ' ' || (ARRAY['Desk', 'Chair', 'Lamp', 'Cable', 'Screen'])[1 + i %% 5],
    (i %% 50) + 1, round((i %% 100000) / 100.0, 2), (ARRAY['draft', 'sale', 'done', 'cancel'])[1 + i %% 4],
    timestamp '2020-01-01' + (i %% 50000000) * interval '7 seconds',
    CASE WHEN i %% 3 = 0 THEN repeat('Deliver to the back door and ring twice. ', 1 + (i %% 4)::int) END
    FROM generate_series(%s::bigint, %s::bigint) i"""
DOCS = """INSERT INTO {docs} SELECT i, i * {every}, 'scan_' || i || '.pdf', 'application/pdf',
    (SELECT blob FROM pg_temp.bench_pool WHERE p = (i * 7919) %% {pool})
    FROM generate_series(%s::bigint, %s::bigint) i"""


def find_odoo_base(pg) -> str | None:
    """The dbops tests' Odoo 19 template (base + mail), when this cluster has one."""
    names = [d for d in postgres.list_databases(pg, "odooops_test_dbops_") if ODOO_TEMPLATE.fullmatch(d)]
    return names[0] if names else None


def odoo_conf(pg, odoo_path: Path, work: Path) -> Path:
    """An odoo-bin configuration for this cluster's admin role: the credentials in a 0600
    file, never on a command line."""
    conf = work / "odoo.conf"
    if not conf.exists():
        conf.touch(mode=0o600)
        conf.write_text("[options]\n"
                        f"addons_path = {odoo_path / 'addons'},{odoo_path / 'odoo' / 'addons'}\n"
                        f"data_dir = {work / 'odoo-data'}\n"
                        f"db_host = {pg.host}\ndb_port = {pg.port}\ndb_user = {pg.user}\n"
                        f"db_password = {pg.password}\nlist_db = False\nmax_cron_threads = 0\n")
    return conf


def odoo_bin(odoo_path: Path, conf: Path, *args: str) -> list[str]:
    """odoo-bin's command line: its command (``neutralize``…), if any, must come first."""
    command = [args[0]] if args and not args[0].startswith("-") else []
    return [sys.executable, str(odoo_path / "odoo-bin"), *command, "-c", str(conf), *args[len(command):],
            "--log-level=warn"]


def build_odoo_base(pg, name: str, odoo_path: Path, work: Path) -> None:
    """``odoo-bin -i base,mail`` into ``name`` (about a minute)."""
    command = odoo_bin(odoo_path, odoo_conf(pg, odoo_path, work), "-d", name, "-i", "base,mail",
                       "--stop-after-init", "--no-http")
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"odoo-bin -i base,mail into {name} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def create_source(pg, base: str | None, name: str, owner: str) -> None:
    """``name``, owned by ``owner``: a copy of the Odoo database ``base`` (or empty) whose
    relations ``owner`` owns."""
    for attempt in range(20):       # the base may be in use for a moment (a test copying it)
        try:
            with postgres.connections_closed(pg, base) if base else nullcontext():
                postgres.create_database(pg, name, owner, template=base)
            break
        except (Conflict, psycopg2.errors.ObjectInUse):     # a session slipped in: again
            if attempt == 19:
                raise
            time.sleep(0.5)
    relations = pg.execute(
        "SELECT c.relkind, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relowner <> %s::regrole "
        "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND d.deptype IN ('a', 'i')))", [owner], dbname=name)
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    with pg.session(name) as cr:
        for kind, relation in relations:
            cr.execute(sql.SQL("ALTER {} {} OWNER TO {}").format(sql.SQL(kinds[kind]), sql.Identifier(relation),
                                                                postgres.ident(owner)))


def size_of(pg, database: str) -> int:
    return pg.execute("SELECT pg_database_size(%s)", [database])[0][0]


def grow(pg, database: str, owner: str, target_bytes: int, round_no: int) -> tuple[int, float]:
    """At least ``target_bytes`` in ``database``: this round's tables, loaded, indexed, frozen,
    checkpointed. Returns (size in bytes, seconds)."""
    started = time.monotonic()
    size = size_of(pg, database)
    if size >= target_bytes:
        return size, 0.0
    lines, docs = sql.Identifier(f"bench_lines_{round_no}"), sql.Identifier(f"bench_docs_{round_no}")
    first = round_no * 10 ** 11         # ids of this round (numbers only)
    rows = _whole_docs(int((target_bytes - size) / BYTES_PER_LINE) + 1)
    with pg.session(database) as cr:
        cr.execute(f"CREATE TEMP TABLE bench_pool AS SELECT p, (SELECT string_agg(sha256((p * 1000 + k)::text::bytea), "
                   f"''::bytea) FROM generate_series(1, 96) k) AS blob FROM generate_series(0, {POOL - 1}) p")
        cr.execute("ALTER TABLE pg_temp.bench_pool ADD PRIMARY KEY (p)")
        cr.execute(sql.SQL("CREATE TABLE {} (id bigint, order_ref text, partner_id bigint, product text, qty numeric, "
                           "price numeric(12, 2), state text, create_date timestamp, note text)").format(lines))
        cr.execute(sql.SQL("CREATE TABLE {} (id bigint, line_id bigint, name text, mimetype text, datas bytea)")
                   .format(docs))
        _load(cr, lines, docs, first, rows)
        cr.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(lines))
        cr.execute(sql.SQL("CREATE INDEX ON {} (partner_id, create_date)").format(lines))
        cr.execute(sql.SQL("CREATE INDEX ON {} (order_ref)").format(lines))
        cr.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(docs))
        cr.execute(sql.SQL("CREATE INDEX ON {} (line_id)").format(docs))
        done = rows
        for _ in range(5):              # short of the target (estimate off): top up, the indexes in place
            size_now = size_of(pg, database)
            if size_now >= target_bytes:
                break
            per_line = max((size_now - size) / done, 50)
            more = _whole_docs(int((target_bytes - size_now) / per_line * 1.05))
            _load(cr, lines, docs, first + done, more)
            done += more
        for table in (lines, docs):
            cr.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(table, postgres.ident(owner)))
            cr.execute(sql.SQL("VACUUM (FREEZE, ANALYZE) {}").format(table))
    postgres.checkpoint(pg)
    return size_of(pg, database), time.monotonic() - started


def _whole_docs(rows: int) -> int:
    """Rows rounded up to whole documents, so that each load's document ids follow the last's."""
    return -(-rows // LINES_PER_DOC) * LINES_PER_DOC


def _load(cr, lines, docs, first: int, rows: int) -> None:
    """Lines ``first`` .. ``first + rows - 1`` and their documents (``first`` and ``rows`` are
    multiples of LINES_PER_DOC)."""
    cr.execute(sql.SQL(LINES).format(lines=lines), [first, first + rows - 1])
    cr.execute(sql.SQL(DOCS).format(docs=docs, every=sql.Literal(LINES_PER_DOC), pool=sql.Literal(POOL)),
               [first // LINES_PER_DOC, (first + rows) // LINES_PER_DOC - 1])


def say_source(pg, database: str, base: str | None) -> None:
    counts = pg.execute("SELECT (SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = "
                        "'public'::regnamespace), pg_size_pretty(pg_database_size(current_database()))",
                        dbname=database)[0]
    say(f"source {database}: {counts[0]} tables, {counts[1]}"
        + (f", Odoo 19 from {base}" if base else ", no Odoo in it"))
