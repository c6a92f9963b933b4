"""How long do anonymizing and verifying a big Odoo database take?

A source database: a copy of the dbops tests' Odoo 19 template (base + mail, built by
`pytest tests/dbops` once per Odoo revision) grown by SQL to --partners partners and
--messages chatter messages (HTML bodies naming a partner, its phone and email; a
'"Name" <email>' sender on every message) and --tracking tracked name changes. Kept
between runs (odooops_bench_anon_<sizes>) unless --fresh: generating it is the slow part.

Then, each on its own copy of it (CREATE DATABASE … TEMPLATE, a reflink clone here):

  baseline    UPDATE … SET name = md5(name) on res_partner, body = md5(body) on
              mail_message and old_value_char = md5(…) on mail_tracking_value: the
              same rows, one column each, one transaction: the floor of rewriting them
  anonymize   odooops.dbops.anonymize.anonymize (all its fields, one transaction)
  verify      odooops.dbops.verify.verify (source against the anonymized copy)
  body        the alternative for mail_message.body: look for the originals inside the
              bodies. Measured on a sample (--sample messages x 1000 originals) with a
              regex alternation and with strpos, then extrapolated to every body against
              every original (names, emails and phones of all partners)

Nothing is asserted; figures are printed. Copies are dropped at the end.

Run: source scripts/lib.sh && export_harness_env && $PY bench/anonymize.py [--partners 1000000]
     [--messages 5000000] [--tracking 500000] [--sample 20000] [--fresh]
(about 20 minutes at the default sizes here, 4 of them generating the source once).
"""
import argparse
import os
import re
import sys
import time
from pathlib import Path

# This checkout's engine, whatever the venv's editable install points at.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from odooops.dbops import anonymize, verify  # noqa: E402
from odooops.drivers import postgres  # noqa: E402

FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
         "Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra "
         "Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
        "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
        "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores").split()
CITIES = "Boston Denver Austin Seattle Portland Phoenix Dallas Atlanta Chicago Detroit".split()


def person(i: str) -> dict:
    """SQL expressions of partner number ``i`` (an SQL expression): messages name the
    same people as res_partner without a join."""
    first = f"(ARRAY{FIRST!r})[1 + ({i}) % {len(FIRST)}]"
    last = f"(ARRAY{LAST!r})[1 + (({i}) / {len(FIRST)}) % {len(LAST)}]"
    name = f"({first} || ' ' || {last})"
    return {"name": name, "email": f"lower({first} || '.' || {last} || '.' || ({i}) || '@mail' || (({i}) % 97) || '.test')",
            "phone": f"('+1 (' || lpad(((({i}) % 800) + 200)::text, 3, '0') || ') ' || lpad((({i}) % 9999991)::text, 7, '0'))"}


def generate(pg, database, partners: int, messages: int, tracking: int):
    """Numbers only are formatted into these statements (no value from outside)."""
    base = int(pg.execute("SELECT max(id) + 1 FROM res_partner", dbname=database)[0][0])
    p, q = person("i"), person(f"(i::bigint * 7919) % {partners}")
    with pg.session(database) as cr:
        cr.execute("SET session_replication_role = replica")       # no FK triggers while generating
        cr.execute(f"""INSERT INTO res_partner (id, name, complete_name, email, email_normalized, phone,
            phone_sanitized, street, city, zip, vat, website, active, type, is_company, commercial_partner_id)
            SELECT {base} + i, {p['name']}, {p['name']}, {p['email']}, {p['email']}, {p['phone']},
                   '+1' || (i % 9999991), (i % 997 + 1) || ' ' || (ARRAY{LAST!r})[1 + i % {len(LAST)}] || ' Road',
                   (ARRAY{CITIES!r})[1 + i % {len(CITIES)}], lpad((i % 99999)::text, 5, '0'),
                   CASE WHEN i % 3 = 0 THEN 'BE0' || (400000000 + i) END,
                   CASE WHEN i % 10 = 0 THEN 'https://www.company' || i || '.test' END,
                   true, 'contact', i % 5 = 0, {base} + i
            FROM generate_series(0, {partners - 1}) i""")
        cr.execute("SELECT setval('res_partner_id_seq', (SELECT max(id) FROM res_partner))")
        cr.execute(f"""INSERT INTO mail_message (model, res_id, author_id, message_type, body, email_from, reply_to,
            subject, date) SELECT 'res.partner', {base} + (i::bigint * 7919) % {partners},
            {base} + (i::bigint * 7919) % {partners},
            CASE WHEN i % 3 = 0 THEN 'email' ELSE 'comment' END,
            '<p>Dear ' || {q['name']} || ', as agreed on the phone (' || {q['phone']} || ') please send the signed '
            || 'order S' || i || ' to ' || {q['email']} || '.</p><p>' || repeat('Thank you for your business. ', i % 8)
            || '</p>', '"' || {q['name']} || '" <' || {q['email']} || '>',
            CASE WHEN i % 3 = 0 THEN {q['email']} END, CASE WHEN i % 3 = 0 THEN 'Re: order S' || i END, now()
            FROM generate_series(0, {messages - 1}) i""")
        cr.execute(f"""INSERT INTO mail_tracking_value (field_id, mail_message_id, old_value_char, new_value_char)
            SELECT (SELECT id FROM ir_model_fields WHERE model = 'res.partner' AND name = 'name'), m.id,
                   'Former ' || p.name, p.name
            FROM (SELECT id, res_id FROM mail_message WHERE model = 'res.partner' AND res_id >= {base}
                  ORDER BY id LIMIT {tracking}) m JOIN res_partner p ON p.id = m.res_id""")
        cr.execute("ANALYZE")


def baseline(pg, database) -> float:
    started = time.monotonic()
    with pg.session(database) as cr:
        cr.execute("BEGIN")
        cr.execute("UPDATE res_partner SET name = md5(name) WHERE id NOT IN (SELECT partner_id FROM res_company "
                   "UNION SELECT partner_id FROM res_users WHERE id IN (1, 2))")
        cr.execute("UPDATE mail_message SET body = md5(body)")
        cr.execute("UPDATE mail_tracking_value SET old_value_char = md5(old_value_char)")
        cr.execute("COMMIT")
    return time.monotonic() - started


def body_alternatives(pg, database, partners, messages, sample) -> list[str]:
    """Looking for originals inside bodies: measured on a sample, extrapolated."""
    originals = 3 * partners                        # a name, an email and a phone each
    k = 1000
    lines = []
    with pg.session(database) as cr:
        cr.execute("CREATE TEMP TABLE sample AS SELECT body FROM mail_message WHERE body <> '' LIMIT %s", [sample])
        cr.execute("CREATE TEMP TABLE originals AS SELECT DISTINCT v FROM (SELECT name AS v FROM res_partner "
                   "UNION ALL SELECT email FROM res_partner) x WHERE v IS NOT NULL LIMIT %s", [k])
        cr.execute("SELECT '(' || string_agg(regexp_replace(v, '([.+*?^$()\\[\\]{}|\\\\])', '\\\\\\1', 'g'), '|') "
                   "|| ')' FROM originals")
        alternation = cr.fetchone()[0]
        for how, query, params in [
                ("regex alternation", "SELECT count(*) FROM sample WHERE body ~ %s", [alternation]),
                ("strpos join", "SELECT count(DISTINCT s.body) FROM sample s JOIN originals o "
                                "ON strpos(s.body, o.v) > 0", None)]:
            started = time.monotonic()
            cr.execute(query, params)
            hits = cr.fetchone()[0]
            seconds = time.monotonic() - started
            per_pair = seconds / (sample * k)
            lines.append(f"  {how:18} {sample} bodies x {k} originals: {seconds:6.2f} s ({hits} bodies hit) "
                         f"-> {messages} x {originals} originals: ~{per_pair * messages * originals / 3600:,.0f} h "
                         "(finding them only; replacing each by its fake costs more)")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=5_000_000)
    parser.add_argument("--tracking", type=int, default=500_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--fresh", action="store_true", help="generate the source database again")
    args = parser.parse_args()
    pg = postgres.Server(os.environ.get("PGHOST", "127.0.0.1"), int(os.environ.get("PGPORT", 5433)),
                         os.environ.get("PGUSER", "odooops"), os.environ["PGPASSWORD"])
    templates = [d for d in postgres.list_databases(pg, "odooops_test_dbops_")
                 if re.fullmatch(r"odooops_test_dbops_[0-9a-f]{12}", d)]
    if not templates:
        raise SystemExit("no dbops test template: run `pytest tests/dbops` once (it builds it with Odoo)")
    source = f"odooops_bench_anon_{args.partners}_{args.messages}_{args.tracking}"
    if args.fresh:
        postgres.drop_database(pg, source)
    if not postgres.database_exists(pg, source):
        started = time.monotonic()
        postgres.drop_database(pg, source + "_build")
        postgres.create_database(pg, source + "_build", pg.user, template=templates[0])
        generate(pg, source + "_build", args.partners, args.messages, args.tracking)
        postgres.rename_database(pg, source + "_build", source)
        print(f"generated {source} in {time.monotonic() - started:.0f} s")
    counts = pg.execute("SELECT (SELECT count(*) FROM res_partner), (SELECT count(*) FROM mail_message), "
                        "(SELECT count(*) FROM mail_tracking_value), pg_size_pretty(pg_database_size(current_database()))",
                        dbname=source)[0]
    print(f"source: {counts[0]} partners, {counts[1]} messages, {counts[2]} tracking values, {counts[3]}")
    copies = [f"{source[:50]}_base", f"{source[:50]}_anon"]
    try:
        for copy in copies:
            postgres.drop_database(pg, copy)
            postgres.create_database(pg, copy, pg.user, template=source)
        postgres.checkpoint(pg)
        floor = baseline(pg, copies[0])
        postgres.checkpoint(pg)
        report = anonymize.anonymize(pg, copies[1])
        checked = verify.verify(pg, source, copies[1])
        print(f"baseline   {floor:7.1f} s  (md5 of one column of the same rows)")
        print(f"anonymize  {report.seconds:7.1f} s  {report.seconds / floor:.2f} x the baseline   {report.summary()}")
        print(f"verify     {checked.seconds:7.1f} s  {checked.summary()}")
        print("body: searching the originals inside the bodies instead of replacing them whole")
        for line in body_alternatives(pg, source, args.partners, counts[1], args.sample):
            print(line)
    finally:
        for copy in copies:
            postgres.drop_database(pg, copy)


if __name__ == "__main__":
    main()
