"""What an Odoo run did to its database, read from its own log with SQL logging on
(``odoo.sql_db:DEBUG``: one ``[0.123 ms] query: …`` record per statement).

The report is bounded whatever the run's size: the statement count and time, the
DDL statements in full (up to a limit), the other statements summarized by kind and
table, and the slowest ones with their literals redacted (a migration's statements
carry data: partner names, hashes). The rest of the log, without the SQL records, is
what the error scan reads.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

DDL = ("CREATE", "ALTER", "DROP", "TRUNCATE", "COMMENT", "GRANT", "REVOKE")
DDL_LIMIT = 300             # statements kept in full …
DDL_CHARS = 200_000         # … and characters, whichever comes first
TABLES_SHOWN = 30
SLOWEST_SHOWN = 5
SAMPLE_CHARS = 300

# Odoo's log format: '%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s %(perf_info)s'
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \d+ (?P<level>[A-Z]+) \S+ (?P<logger>[\w.]+): "
                     r"(?P<message>.*)$")
_QUERY = re.compile(r"^\[(?P<ms>[\d.]+) ms\] query: (?P<sql>.*)$", re.DOTALL)
_PERF = re.compile(r"\s+(?:- - -(?: -)?|\d+ \d+\.\d+ -?\d+\.\d+(?: \S+)?)\s*$")
_VERB = re.compile(r"^\s*(?:/\*.*?\*/\s*)*(?P<verb>[A-Za-z]+)", re.DOTALL)
_TABLE = {
    "INSERT": re.compile(r"\bINTO\s+\"?(?P<table>\w+)", re.IGNORECASE),
    "UPDATE": re.compile(r"^\s*UPDATE\s+\"?(?P<table>\w+)", re.IGNORECASE),
    "DELETE": re.compile(r"\bFROM\s+\"?(?P<table>\w+)", re.IGNORECASE),
    "SELECT": re.compile(r"\bFROM\s+\"?(?P<table>\w+)", re.IGNORECASE),
}
_LITERAL = re.compile(r"[EeBbXx]?'(?:[^']|'')*'")


@dataclass
class SqlLog:
    """A run's log split in two: its SQL statements, and everything else."""
    statements: list[tuple[float, str]] = field(default_factory=list)    # (milliseconds, statement)
    text: str = ""                                                         # the log without SQL records


def split(log: str) -> SqlLog:
    """Separate the SQL records (with their continuation lines) from the rest."""
    found = SqlLog()
    rest: list[str] = []
    record: list[str] | None = None     # the lines of the SQL record being read
    ms = 0.0

    def close():
        if record is not None:
            message = _PERF.sub("", "\n".join(record))
            found.statements.append((ms, message.strip()))

    for line in (log or "").splitlines():
        head = _RECORD.match(line)
        if head is None:
            (record if record is not None else rest).append(line)
            continue
        close()
        record = None
        if head.group("logger").startswith("odoo.sql_db") and head.group("level") == "DEBUG":
            query = _QUERY.match(head.group("message"))
            if query:
                record, ms = [query.group("sql")], float(query.group("ms"))
            continue                    # Odoo's other SQL debug lines (pool, statistics) are noise here
        rest.append(line)
    close()
    found.text = "\n".join(rest)
    return found


def verb(statement: str) -> str:
    match = _VERB.match(statement)
    return match.group("verb").upper() if match else "?"


def redact(statement: str, limit: int = SAMPLE_CHARS) -> str:
    """The statement's shape without its data: string literals become '…', cut at ``limit``."""
    text = " ".join(_LITERAL.sub("'…'", statement).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report(log: str) -> tuple[dict, str]:
    """(a bounded report of the SQL in ``log``, the log without its SQL records)."""
    parsed = split(log)
    kinds: Counter = Counter()
    tables: Counter = Counter()
    ddl: list[str] = []
    ddl_total = ddl_chars = 0
    for _, statement in parsed.statements:
        kind = verb(statement)
        kinds[kind] += 1
        if kind in DDL:
            ddl_total += 1
            if len(ddl) < DDL_LIMIT and ddl_chars + len(statement) <= DDL_CHARS:
                ddl.append(statement)
                ddl_chars += len(statement)
            continue
        pattern = _TABLE.get(kind)
        match = pattern.search(statement) if pattern else None
        tables[f"{kind} {match.group('table')}" if match else kind] += 1
    slowest = sorted(parsed.statements, key=lambda item: item[0], reverse=True)[:SLOWEST_SHOWN]
    summary = {
        "count": len(parsed.statements),
        "milliseconds": round(sum(ms for ms, _ in parsed.statements), 3),
        "by_kind": dict(kinds.most_common()),
        "ddl": ddl,
        "ddl_count": ddl_total,
        "ddl_omitted": ddl_total - len(ddl),
        "by_table": [{"statement": name, "count": count} for name, count in tables.most_common(TABLES_SHOWN)],
        "other_groups_omitted": max(0, len(tables) - TABLES_SHOWN),
        "slowest": [{"milliseconds": ms, "statement": redact(statement)} for ms, statement in slowest],
    }
    return summary, parsed.text
