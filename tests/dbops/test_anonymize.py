import pytest

from odooops.dbops import anonymize, verify
from odooops.errors import DatabaseError, ValidationFailed

SEEDED = "%quillfeather%"


def rows(pg, database, query, params=None):
    return pg.execute(query, params, dbname=database)


def by_id(pg, database, query, params=None) -> dict:
    return {row[0]: row[1:] for row in rows(pg, database, query, params)}


@pytest.mark.odoo
def test_an_anonymized_copy_holds_no_original(clone, dbops_template, pg_server):
    source, pg = dbops_template, pg_server
    report = anonymize.anonymize(pg, clone)
    assert report.changed["res_partner.email"] >= 40 and report.changed["mail_message.body"] >= 50
    assert report.changed["mail_tracking_value.old_value_char"] >= 6
    assert report.skipped["crm_lead.email_from"] == "no such column"          # crm is not installed
    assert "values rewritten" in report.summary()

    result = verify.verify(pg, source, clone)
    assert result.clean, result.summary()
    assert result.originals >= 100 and result.tables >= 100 and result.columns >= 500
    assert result.summary().startswith(f"{clone}: 0 original values found in {result.columns} columns "
                                       f"of {result.tables} tables")
    # Not vacuous: the same search in the source finds our people everywhere they are.
    before = verify.verify(pg, source, source)
    found = {(f.table, f.column) for f in before.findings}
    assert {("res_partner", "email"), ("res_partner", "name"), ("mail_message", "body"),
            ("mail_message", "email_from"), ("res_users", "login"), ("res_partner_bank", "acc_number"),
            ("mail_tracking_value", "old_value_char")} <= found, before.summary()


@pytest.mark.odoo
def test_history_and_copies_follow_their_originals(clone, dbops_template, pg_server):
    source, pg = dbops_template, pg_server
    anonymize.anonymize(pg, clone)
    first = seeded(pg, source, "Quillfeather Logistics")
    # Every tracked value of our people changed, the old ones (no longer on any record) too.
    query = ("SELECT t.id, t.old_value_char, t.new_value_char FROM mail_tracking_value t JOIN mail_message m "
             "ON m.id = t.mail_message_id WHERE m.model = 'res.partner' AND m.res_id >= %s")
    before, after = by_id(pg, source, query, [first]), by_id(pg, clone, query, [first])
    assert len(before) >= 6 and before.keys() == after.keys()
    for key, values in before.items():
        assert all(old != new for old, new in zip(values, after[key], strict=True) if old), (values, after[key])
    # The same email everywhere gets the same fake: partner, login, message sender.
    octavia, perpetua, wilhelmina = (seeded(pg, source, name) for name in
                                     ("Octavia Brightmoor", "Perpetua Lindenhurst", "Wilhelmina Stoddard-Kerr"))
    fake = by_id(pg, clone, "SELECT id, name, email, complete_name, parent_id FROM res_partner")
    assert rows(pg, clone, "SELECT count(*) FROM res_users WHERE login = %s", [fake[octavia][1]]) == [(1,)]
    assert rows(pg, clone, "SELECT count(*) FROM mail_message WHERE email_from = %s",
                [f'"{fake[perpetua][0]}" <{fake[perpetua][1]}>']) == [(1,)]
    # Contacts read 'Company, Contact' with both fakes; NULL stays NULL.
    name, _, complete_name, parent = fake[wilhelmina]
    assert complete_name == f"{fake[parent][0]}, {name}"
    nulls = "SELECT id FROM res_partner WHERE phone IS NULL ORDER BY id"
    assert rows(pg, source, nulls) == rows(pg, clone, nulls)


def seeded(pg, database, name) -> int:
    return rows(pg, database, "SELECT id FROM res_partner WHERE name = %s", [name])[0][0]


@pytest.mark.odoo
def test_what_is_kept(clone, dbops_template, pg_server):
    source, pg = dbops_template, pg_server
    pg.execute("INSERT INTO res_partner_bank (partner_id, acc_number, sanitized_acc_number) "
               "SELECT partner_id, 'BE68 5390 0754 7034', 'BE68539007547034' FROM res_company", dbname=clone)
    anonymize.anonymize(pg, clone)
    kept = ("SELECT id, name, email, phone, street FROM res_partner WHERE id IN (SELECT partner_id FROM res_company) "
            "OR id IN (SELECT partner_id FROM res_users WHERE login IN ('admin', '__system__', 'public')) ORDER BY id")
    assert rows(pg, clone, kept) == rows(pg, source, kept) and len(rows(pg, clone, kept)) >= 4
    assert rows(pg, clone, "SELECT login FROM res_users WHERE id IN (1, 2) ORDER BY id") == [("__system__",),
                                                                                          ("admin",)]
    assert rows(pg, clone, "SELECT count(*) FROM res_users WHERE login LIKE %s", [SEEDED]) == [(0,)]
    # Our company's own bank account stays; a customer's does not.
    banks = {r[0] for r in rows(pg, clone, "SELECT acc_number FROM res_partner_bank")}
    assert "BE68 5390 0754 7034" in banks and "DE89370400440532013000" not in banks


@pytest.mark.odoo
def test_odoo_runs_and_logs_in_on_an_anonymized_copy(clone, pg_server, odoo_runner):
    anonymize.anonymize(pg_server, clone)
    octavia = rows(pg_server, clone, "SELECT login FROM res_users WHERE id = (SELECT max(id) FROM res_users)")[0][0]
    out = odoo_runner.shell(clone, f"""
users = env["res.users"]
admin = users.authenticate({{"type": "password", "login": "admin", "password": "admin"}}, {{}})
other = users.authenticate({{"type": "password", "login": {octavia!r}, "password": "octavia-pw-123456"}}, {{}})
print("LOGGED IN", admin["uid"], other["uid"], env["res.partner"].search_count([]))
""")
    assert "LOGGED IN 2 " in out, out


@pytest.mark.odoo
def test_a_projects_own_field(clone, dbops_template, pg_server):
    pg = pg_server
    wilhelmina = seeded(pg, clone, "Wilhelmina Stoddard-Kerr")
    email = rows(pg, clone, "SELECT email FROM res_partner WHERE id = %s", [wilhelmina])[0][0]
    pg.execute("CREATE TABLE x_visit (id serial PRIMARY KEY, x_guest_email varchar, x_guest_phone text, "
               "x_badge int, x_notes jsonb); INSERT INTO x_visit (x_guest_email, x_guest_phone, x_badge, x_notes) "
               "VALUES (%s, '+32 478 90 12 34', 7, '{\"en_US\": \"Wilhelmina Stoddard-Kerr\"}'), (NULL, NULL, 8, NULL)",
               [email], dbname=clone)
    extra = [("x_visit", "x_guest_email", "email"), ("x_visit", "x_guest_phone", "phone"),
             ("x_visit", "x_badge", "name"), ("x_visit", "x_notes", "name"), ("x_gone", "x_name", "name")]
    report = anonymize.anonymize(pg, clone, extra_fields=extra)
    assert report.changed["x_visit.x_guest_email"] == 1
    assert report.skipped == {**report.skipped, "x_visit.x_badge": "not a text column (integer)",
                              "x_gone.x_name": "no such column"}
    visit = rows(pg, clone, "SELECT x_guest_email, x_guest_phone, x_notes->>'en_US' FROM x_visit ORDER BY id")
    partner = rows(pg, clone, "SELECT email, phone, name FROM res_partner WHERE id = %s", [wilhelmina])[0]
    assert visit == [partner, (None, None, None)]
    assert verify.verify(pg, dbops_template, clone).clean


def test_any_database_with_extra_fields_only(pg_server, empty_database):
    """No Odoo: only the project's tables, all in one transaction."""
    pg = pg_server
    pg.execute("CREATE TABLE person (id serial PRIMARY KEY, full_name text, mail varchar(40), "
               "CHECK (mail IS NULL OR mail <> 'forbidden'));"
               "INSERT INTO person (full_name, mail) VALUES ('Ottoline Featherstonehaugh', 'ottoline@manor.test'),"
               "('Ottoline Featherstonehaugh', NULL), ('', 'ottoline@manor.test')", dbname=empty_database)
    extra = [("person", "full_name", "name"), ("person", "mail", "email")]
    report = anonymize.anonymize(pg, empty_database, extra_fields=extra, salt="fixed")
    assert report.changed == {"person.full_name": 2, "person.mail": 2}
    people = rows(pg, empty_database, "SELECT full_name, mail FROM person ORDER BY id")
    assert people[0][0] == people[1][0] and people[0][1] == people[2][1]       # duplicates stay duplicates
    assert people[1][1] is None and people[2][0] == "" and len(people[0][1]) <= 40
    again = rows(pg, empty_database, "SELECT full_name FROM person ORDER BY id")
    assert again == [(p[0],) for p in people]


def test_a_failure_changes_nothing(pg_server, empty_database):
    pg = pg_server
    pg.execute("CREATE TABLE person (id serial PRIMARY KEY, full_name text CHECK (full_name ~ '^Ottoline'), "
               "mail text); INSERT INTO person (full_name, mail) VALUES ('Ottoline F.', 'o@manor.test')",
               dbname=empty_database)
    with pytest.raises(DatabaseError, match="nothing was changed"):
        anonymize.anonymize(pg, empty_database, extra_fields=[("person", "mail", "email"),
                                                              ("person", "full_name", "name")])
    assert rows(pg, empty_database, "SELECT full_name, mail FROM person") == [("Ottoline F.", "o@manor.test")]
    with pytest.raises(ValidationFailed, match="unknown kind"):
        anonymize.anonymize(pg, empty_database, extra_fields=[("person", "mail", "emails")])
    with pytest.raises(ValidationFailed):
        anonymize.anonymize(pg, empty_database, extra_fields=[("person; DROP TABLE person", "mail", "email")])
