"""Prove that an anonymized copy holds none of its source's personal values.

The source's originals of the anonymized fields (those of the rows ``anonymize``
rewrites, minus the values its kept rows carry) are searched for in every text,
varchar and jsonb column of every table of the copy's public schema, set-based:

- exact: one pass per table, every text column unpivoted and hash-joined with the
  originals (lower case both sides);
- inside longer texts (a name in a message body, an address in a tracking value):
  the words of each table are collected once (``to_tsvector('simple', …)``, one
  pass), an original is a candidate only where all of its words occur, and only
  candidates are looked for with ``strpos``. Matches are thus whole words, and only
  originals that say something on their own are looked for inside texts: two words
  or more, an address, digits, or 8 characters ('Demo' is a login and a word).

Checked kinds: names, emails, phones, streets, VAT and account numbers, logins and
websites; not first names, cities or zip codes, which many people share, nor free
texts, which are replaced whole. Originals of at least 4 characters only ('NL' is
everywhere), and not those that look like the fakes themselves (a real 'Hugo
Moreau' is indistinguishable from a generated one).

Every table is scanned, but what is found in module definitions (views, models,
actions, XML ids, templates: text that comes with the code) is reported apart: a
customer called 'Acme Corporation' shares its name with a sample in Odoo's views.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field

from psycopg2 import sql

from ..drivers.postgres import Server, ident
from . import fakes
from .anonymize import FIELDS, KEPT, Field, kept_rows, text_columns

CHECKED_KINDS = ("name", "email", "phone", "street", "vat", "iban", "login", "url")
MIN_LENGTH = 4
# Above this many value-to-original comparisons in one table, candidates are reported
# as such ("words": all the words of so many originals are there) instead of compared.
COMPARISONS = 50_000_000
TEXT_TYPES = {"character varying", "text", "character", "jsonb"}
DEFINITIONS = {"ir_ui_view", "ir_ui_menu", "ir_model", "ir_model_fields", "ir_model_fields_selection",
               "ir_model_data", "ir_model_constraint", "ir_model_relation", "ir_model_access", "ir_module_module",
               "ir_module_module_dependency", "ir_module_module_exclusion", "ir_module_category", "ir_actions",
               "ir_act_window", "ir_act_window_view", "ir_act_server", "ir_act_client", "ir_act_report_xml",
               "ir_act_url", "ir_actions_todo", "ir_rule", "res_groups", "ir_asset", "ir_cron", "mail_template"}


def _alternation(words) -> str:
    return "(" + "|".join(w.lower() for w in words) + ")"


# What a fake looks like, per kind (lower case): originals of that shape are not searched.
LOOKS_FAKE = {
    "name": f"^{_alternation(fakes.FIRST_NAMES)} {_alternation(fakes.LAST_NAMES)}$",
    "street": f"^[0-9]+ {_alternation(fakes.STREETS)} {_alternation(fakes.STREET_TYPES)}$",
    "phone": r"^\+1 555 0[0-9]{2} [0-9]{4}$",
    "email": r"^[a-z]+\.[a-z]+\.[0-9a-f]{12}@example\.com$",
    "vat": rf"^[a-z]{{0,2}}{fakes.MARK}[0-9]*$",
    "iban": rf"^([a-z]{{2}}[0-9]{{2}} ?)?{fakes.MARK}",
}


@dataclass
class Finding:
    table: str
    column: str
    count: int
    example: str            # one original found there (personal data: not for logs)
    how: str                # "exact", "inside", or "words" (see COMPARISONS)

    def masked(self) -> str:
        return self.example[:2] + "…" + f"({len(self.example)} characters)"


@dataclass
class Verification:
    source: str
    clone: str
    originals: int = 0
    looking_fake: int = 0
    columns: int = 0
    tables: int = 0
    findings: list = field(default_factory=list)
    in_definitions: list = field(default_factory=list)      # see DEFINITIONS
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        found = sum(f.count for f in self.findings)
        lines = [f"{self.clone}: {found} original values found in {self.columns} columns of {self.tables} tables "
                 f"({self.originals} originals of {self.source} searched, {self.looking_fake} that look like "
                 f"fakes left out; {self.seconds:.1f} s)"]
        lines += [f"  {f.table}.{f.column}: {f.count} ({f.how}), e.g. {f.masked()}" for f in self.findings]
        if self.in_definitions:
            lines.append(f"  and {sum(f.count for f in self.in_definitions)} in module definitions (words that "
                         f"Odoo's own texts share): " + ", ".join(f"{f.table}.{f.column}" for f in self.in_definitions))
        return "\n".join(lines)


def verify(pg: Server, source_database: str, clone_database: str, fields=None, extra_fields=()) -> Verification:
    """Search ``clone_database`` for the originals of ``fields`` (default: anonymize's
    ``FIELDS``) plus ``extra_fields`` taken from ``source_database``."""
    wanted = [Field(*spec) for spec in (*(FIELDS if fields is None else fields), *extra_fields)]
    result = Verification(source_database, clone_database)
    started = time.monotonic()
    with tempfile.TemporaryFile() as buffer:
        with pg.session(source_database) as cr:
            _collect(cr, wanted, buffer)
        buffer.seek(0)
        with pg.session(clone_database) as cr:
            cr.execute("BEGIN")
            cr.execute("SET LOCAL work_mem = '256MB'")
            _load(cr, buffer, result)
            _scan(cr, result)
            cr.execute("ROLLBACK")          # only temporary tables were written
    result.seconds = time.monotonic() - started
    return result


def _collect(cr, wanted, buffer) -> None:
    """Stream (kind, original) rows of the source into ``buffer``: no list in memory."""
    columns = text_columns(cr)
    cr.execute("BEGIN")
    kept_rows(cr, columns)
    present = [f for f in wanted if f.kind in CHECKED_KINDS and columns.get((f.table, f.column), ("",))[0]
               in TEXT_TYPES]
    cr.execute("CREATE TEMP TABLE verify_source (kind text, value text, kept bool) ON COMMIT DROP")
    for spec in present:
        kept = sql.SQL(KEPT[spec.table]) if spec.table in KEPT else sql.SQL("false")
        table, column = ident(spec.table), sql.Identifier(spec.column)
        if columns[(spec.table, spec.column)][0] == "jsonb":        # a translated field: its strings
            source = sql.SQL("{} t, LATERAL jsonb_each_text(CASE jsonb_typeof(t.{c}) WHEN 'object' THEN t.{c} END) "
                             "x(k, v)").format(table, c=column)
            value = sql.SQL("x.v")
        else:
            source, value = sql.SQL("{} t").format(table), sql.SQL("t.{}::text").format(column)
        cr.execute(sql.SQL("INSERT INTO verify_source SELECT DISTINCT {kind}, btrim({value}), ({kept}) FROM {source} "
                           "WHERE {value} IS NOT NULL").format(kind=sql.Literal(spec.kind), value=value, kept=kept,
                                                               source=source))
    # Addresses and display names inside 'Name <address>' are originals of their own.
    cr.execute("INSERT INTO verify_source SELECT 'email', btrim(split_part(substr(value, strpos(value, '<') + 1), "
               "'>', 1)), kept FROM verify_source WHERE kind = 'email' AND strpos(value, '<') > 0 "
               "UNION SELECT 'name', btrim(left(value, strpos(value, '<') - 1), ' \"'''), kept FROM verify_source "
               "WHERE kind = 'email' AND strpos(value, '<') > 1")
    cr.copy_expert("COPY (SELECT min(kind), lower(value) FROM verify_source WHERE length(value) >= %d "
                   "GROUP BY lower(value) HAVING NOT bool_or(kept)) TO STDOUT" % MIN_LENGTH, buffer)
    cr.execute("ROLLBACK")


def _load(cr, buffer, result: Verification) -> None:
    cr.execute("CREATE TEMP TABLE verify_value (kind text, v text) ON COMMIT DROP")
    cr.copy_expert("COPY verify_value FROM STDIN", buffer)
    cr.execute("SELECT count(*) FROM verify_value")
    result.originals = cr.fetchone()[0]
    for kind, pattern in LOOKS_FAKE.items():
        cr.execute("DELETE FROM verify_value WHERE kind = %s AND v ~ %s", [kind, pattern])
        result.looking_fake += cr.rowcount
    result.originals -= result.looking_fake
    cr.execute("CREATE INDEX ON verify_value (v)")
    # The words of each original, for the search inside longer texts.
    cr.execute("CREATE TEMP TABLE verify_word ON COMMIT DROP AS SELECT v, unnest(tsvector_to_array("
               "to_tsvector('simple', v))) AS word FROM verify_value "
               "WHERE v ~ '[ @0-9]' OR length(v) >= 8")
    cr.execute("CREATE INDEX ON verify_word (word, v)")
    # Each original's rarest word: a table can hold '+1' or 'road' (shared by thousands of
    # originals) but not that word, unless the original itself is likely there.
    cr.execute("CREATE TEMP TABLE verify_rare ON COMMIT DROP AS SELECT DISTINCT ON (w.v) w.v, w.word FROM verify_word w "
               "JOIN (SELECT word, count(*) AS n FROM verify_word GROUP BY word) f USING (word) ORDER BY w.v, f.n, w.word")
    cr.execute("CREATE INDEX ON verify_rare (word)")
    for table in ("verify_value", "verify_word", "verify_rare"):
        cr.execute(f"ANALYZE {table}")


def _scan(cr, result: Verification) -> None:
    cr.execute("SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
               "JOIN information_schema.tables t USING (table_schema, table_name) WHERE c.table_schema = 'public' "
               "AND t.table_type = 'BASE TABLE' AND c.data_type = ANY(%s) ORDER BY 1, 2", [sorted(TEXT_TYPES)])
    tables: dict = {}
    for table, column, data_type in cr.fetchall():
        tables.setdefault(table, []).append((column, data_type))
    result.tables, result.columns = len(tables), sum(len(c) for c in tables.values())
    if not result.originals:
        return
    cr.execute("SELECT max(length(v)) FROM verify_value")
    longest = cr.fetchone()[0]
    cr.execute("SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
               "WHERE n.nspname = 'public' AND c.relkind = 'r'")
    rows = dict(cr.fetchall())
    for table, cols in tables.items():
        cr.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.Identifier(table)))
        if not cr.fetchone()[0]:
            continue
        values = _values(table, cols)
        found = result.in_definitions if table in DEFINITIONS else result.findings
        for column, count, example in _exact(cr, values, longest):
            found.append(Finding(table, column, count, example, "exact"))
        for column, count, example, how in _inside(cr, values, rows.get(table, 0)):
            found.append(Finding(table, column, count, example, how))


def _values(table: str, cols) -> sql.Composable:
    """``(col, v)``: every text value of ``table``, one row per column and row (per string
    for jsonb: a translated name, a JSON payload). Names from the catalog, quoted as they are."""
    texts = [c for c, data_type in cols if data_type != "jsonb"]
    parts = []
    if texts:
        parts.append(sql.SQL("SELECT x.col, x.v FROM {} t, LATERAL (VALUES {}) x(col, v)").format(
            sql.Identifier(table), sql.SQL(", ").join(
                sql.SQL("({}, t.{}::text)").format(sql.Literal(c), sql.Identifier(c)) for c in texts)))
    parts += [sql.SQL("SELECT {name}, j #>> '{{}}' FROM {t} t, jsonb_path_query(t.{c}, "
                      "'strict $.** ? (@.type() == \"string\")') j").format(
        name=sql.Literal(c), t=sql.Identifier(table), c=sql.Identifier(c)) for c, data_type in cols
        if data_type == "jsonb"]
    return sql.SQL("({}) x(col, v)").format(sql.SQL(" UNION ALL ").join(parts))


# The example of a finding: the longest original found there (the most telling).
_LONGEST = "(array_agg(o.v ORDER BY length(o.v) DESC))[1]"


def _exact(cr, values, longest: int) -> list:
    """Columns holding an original as their whole value."""
    cr.execute(sql.SQL("SELECT x.col, count(*), " + _LONGEST + " FROM {} JOIN verify_value o ON o.v = lower(x.v) "
                       "WHERE length(x.v) <= %s GROUP BY x.col").format(values), [longest])
    return cr.fetchall()


def _inside(cr, values, rows: int) -> list:
    """Columns holding an original among other words: whole words, in that order."""
    # Candidates: the originals all of whose words occur in a column. The column's words
    # are collected in one pass; originals are looked up by their rarest word, then all
    # their words are checked, joins throughout.
    cr.execute(sql.SQL("CREATE TEMP TABLE verify_words ON COMMIT DROP AS SELECT DISTINCT x.col, "
                       "unnest(tsvector_to_array(to_tsvector('simple', x.v))) AS word FROM {}").format(values))
    cr.execute("CREATE TEMP TABLE verify_candidate ON COMMIT DROP AS SELECT r.col, r.v FROM "
               "(SELECT t.col, r.v FROM verify_words t JOIN verify_rare r USING (word)) r "
               "JOIN verify_word w ON w.v = r.v LEFT JOIN verify_words t ON t.col = r.col AND t.word = w.word "
               "GROUP BY r.col, r.v HAVING bool_and(t.word IS NOT NULL)")
    cr.execute("SELECT count(*) FROM verify_candidate")
    candidates = cr.fetchone()[0]
    found = []
    if candidates * max(rows, 1) > COMPARISONS:
        # So many originals have all their words there that the copy is plainly not
        # anonymized: say so per column rather than compare every value with each.
        cr.execute("SELECT col, count(*), (array_agg(v ORDER BY length(v) DESC))[1] FROM verify_candidate "
                   "GROUP BY col")
        found = [(col, count, example, "words") for col, count, example in cr.fetchall()]
    elif candidates:
        # strpos first (cheap), then the words and their order in that very value.
        cr.execute(sql.SQL("SELECT x.col, count(*), " + _LONGEST + " FROM {} JOIN verify_candidate o "
                           "ON o.col = x.col AND strpos(lower(x.v), o.v) > 0 AND lower(x.v) <> o.v "
                           "AND to_tsvector('simple', x.v) @@ phraseto_tsquery('simple', o.v) GROUP BY x.col"
                           ).format(values))
        found = [(col, count, example, "inside") for col, count, example in cr.fetchall()]
    cr.execute("DROP TABLE verify_candidate, verify_words")
    return found
