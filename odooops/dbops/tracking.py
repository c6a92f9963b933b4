"""mail_tracking_value during an anonymization: the chatter's history of field changes
holds copies of the values being replaced (a contact's former name, a salesperson on
an order), which must become the same fakes as the originals.

Before the rewrite, ``remember`` notes which anonymized rows hold a tracked value;
after it, ``rewrite`` maps each such original to its row's new value and applies the
map to the tracking values. Tracked fields of anonymized models get the field's kind
of fake; their other tracked texts (a computed, unstored address on one line) a
neutral text. Also the one counted UPDATE both modules use.
"""
from __future__ import annotations

from psycopg2 import sql

from ..drivers.postgres import ident
from . import fakes

# Tables that hold copies of other tables' values: no tracked field lives there.
COPIES = {"mail_message", "mail_mail", "mail_notification", "mail_tracking_value"}


def filled(value: sql.Composable) -> sql.Composable:
    return sql.SQL("btrim({}::text) <> ''").format(value)


def counted_update(cr, target: sql.Composable, expressions: dict, where: sql.Composable,
                   source: sql.Composable | None = None, alias: str = "") -> dict:
    """``UPDATE target SET column = expression, … [FROM source] WHERE where``: one pass
    over the table whatever the number of columns. Returns, per column, how many rows
    it left with a value (the values it rewrote: a fake is empty only when its original was)."""
    names = list(expressions)
    prefix = f"{alias}." if alias else ""
    flags = [sql.SQL("{} AS {}").format(filled(sql.SQL(prefix) + sql.Identifier(c)), sql.Identifier(f"f{i}"))
             for i, c in enumerate(names)]
    query = sql.SQL("WITH changed AS (UPDATE {t} SET {sets} {source} WHERE {where} RETURNING {flags}) "
                    "SELECT {counts} FROM changed").format(
        t=target, source=source or sql.SQL(""), where=where, flags=sql.SQL(", ").join(flags),
        sets=sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(c), e) for c, e in expressions.items()),
        counts=sql.SQL(", ").join(sql.SQL("count(*) FILTER (WHERE {})").format(sql.Identifier(f"f{i}"))
                                  for i in range(len(names))))
    cr.execute(query)
    return dict(zip(names, cr.fetchone(), strict=True))


class Tracking:
    VALUES = ("old_value_char", "new_value_char", "old_value_text", "new_value_text")

    def __init__(self, cr, columns: dict, plan: dict, kinds: dict, kept: dict):
        """``plan``: table -> the columns being anonymized; ``kinds``: (table, column) ->
        kind; ``kept``: table -> SQL of the rows left alone."""
        self.cr, self.plan, self.kinds, self.kept = cr, plan, kinds, kept
        self.values = [c for c in self.VALUES if ("mail_tracking_value", c) in columns]
        self.active = bool(self.values) and ("mail_tracking_value", "field_id") in columns \
            and ("ir_model_fields", "model") in columns and ("mail_message", "res_id") in columns
        # Where tracked values come from: records with an id, text columns (not translations).
        self.sources = {t: [c for c in cols if columns[(t, c)][0] != "jsonb"] for t, cols in plan.items()
                        if t not in COPIES and (t, "id") in columns}

    def _unpivot(self, table: str) -> sql.Composable:
        return sql.SQL(", ").join(sql.SQL("({}, t.{}::text)").format(sql.Literal(c), sql.Identifier(c))
                                  for c in self.sources[table])

    def _not_kept(self, table: str) -> sql.Composable:
        return sql.SQL(" AND NOT ({})").format(sql.SQL(self.kept[table])) if table in self.kept else sql.SQL("")

    def remember(self) -> None:
        """Before the rewrite: which anonymized rows hold a value that was tracked."""
        if not self.active:
            return
        cr = self.cr
        cr.execute(sql.SQL("CREATE TEMP TABLE anon_tracked ON COMMIT DROP AS SELECT DISTINCT v FROM "
                           "mail_tracking_value, LATERAL (VALUES {}) x(v) WHERE btrim(v) <> ''").format(
            sql.SQL(", ").join(sql.SQL("({})").format(sql.Identifier(c)) for c in self.values)))
        cr.execute("CREATE TEMP TABLE anon_hits (tbl text, col text, row_id int, original text) ON COMMIT DROP")
        for table in self.sources:
            cr.execute(sql.SQL("INSERT INTO anon_hits SELECT {name}, x.col, t.id, x.v FROM {t} t, LATERAL (VALUES "
                               "{unpivot}) x(col, v) WHERE x.v IN (SELECT v FROM anon_tracked){kept}").format(
                name=sql.Literal(table), t=ident(table), unpivot=self._unpivot(table), kept=self._not_kept(table)))

    def rewrite(self) -> dict:
        """After it: rewrite the tracking values; returns the counts per column."""
        if not self.active:
            return {}
        cr = self.cr
        cr.execute("CREATE TEMP TABLE anon_map (original text PRIMARY KEY, fake text) ON COMMIT DROP")
        for table in self.sources:
            cr.execute(sql.SQL("INSERT INTO anon_map SELECT DISTINCT ON (h.original) h.original, x.v "
                               "FROM anon_hits h JOIN {t} t ON t.id = h.row_id, LATERAL (VALUES {unpivot}) x(col, v) "
                               "WHERE h.tbl = {name} AND x.col = h.col ON CONFLICT DO NOTHING").format(
                name=sql.Literal(table), t=ident(table), unpivot=self._unpivot(table)))
        self._tracked_fields()
        expressions, hits = {}, []
        for column in self.values:
            value = sql.SQL("tv.{}").format(sql.Identifier(column))
            by_kind = sql.SQL(" ").join(sql.SQL("WHEN {} THEN {}({})").format(
                sql.Literal(kind), sql.SQL(fakes.function(kind)), value) for kind in fakes.KINDS)
            expressions[column] = sql.SQL("coalesce((SELECT fake FROM anon_map WHERE original = {v}), "
                                          "CASE x.kind {by_kind} END, {v})").format(v=value, by_kind=by_kind)
            hits.append(sql.SQL("{} IN (SELECT original FROM anon_map)").format(value))
        # A kept record's history is kept too (OdooBot's former name): no kind for it.
        kept_records = [sql.SQL("(m.model = {} AND m.res_id IN (SELECT id FROM {} WHERE {}))").format(
            sql.Literal(table.replace("_", ".")), ident(table), sql.SQL(self.kept[table]))
            for table in self.kept if table in self.sources]
        source = sql.SQL("FROM (SELECT t.id, CASE WHEN {kept} THEN NULL ELSE k.kind END AS kind "
                         "FROM mail_tracking_value t LEFT JOIN anon_tracked_field k ON k.id = t.field_id "
                         "LEFT JOIN mail_message m ON m.id = t.mail_message_id) x").format(
            kept=sql.SQL(" OR ").join(kept_records) if kept_records else sql.SQL("false"))
        where = sql.SQL("x.id = tv.id AND (x.kind IS NOT NULL OR {})").format(sql.SQL(" OR ").join(hits))
        return counted_update(cr, sql.SQL("mail_tracking_value tv"), expressions, where, source, alias="tv")

    def _tracked_fields(self) -> None:
        """anon_tracked_field: the kind of fake for each field tracked on an anonymized model."""
        cr = self.cr
        cr.execute("CREATE TEMP TABLE anon_tracked_field (id int PRIMARY KEY, kind text) ON COMMIT DROP")
        pairs = [(t, c, self.kinds[(t, c)]) for t, cols in self.plan.items() for c in cols]
        if not pairs:
            return
        cr.execute("INSERT INTO anon_tracked_field SELECT f.id, min(p.kind) FROM ir_model_fields f "
                   "JOIN (VALUES " + ", ".join(["(%s, %s, %s)"] * len(pairs)) + ") p(tbl, col, kind) "
                   "ON replace(f.model, '.', '_') = p.tbl AND f.name = p.col GROUP BY f.id",
                   [value for pair in pairs for value in pair])
        cr.execute("INSERT INTO anon_tracked_field SELECT f.id, 'text' FROM ir_model_fields f "
                   "WHERE replace(f.model, '.', '_') = ANY(%s) AND f.ttype IN ('char', 'text', 'html') "
                   "AND NOT coalesce(f.store, true) ON CONFLICT DO NOTHING", [list(self.plan)])
