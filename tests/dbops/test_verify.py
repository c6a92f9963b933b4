import pytest

from odooops.dbops import anonymize, verify

PEOPLE = [("person", "full_name", "name"), ("person", "mail", "email"), ("person", "tel", "phone")]


@pytest.fixture
def source(pg_server, empty_database):
    pg_server.execute(
        "CREATE TABLE person (id serial PRIMARY KEY, full_name text, mail varchar, tel text, nick text);"
        "INSERT INTO person (full_name, mail, tel, nick) VALUES "
        "('Ottoline Featherstonehaugh', '\"Ottoline F.\" <Ottoline@Manor.test>', '+44 20 7946 0018', 'Otto'),"
        "('Hugo Moreau', 'hm@manor.test', NULL, NULL), ('NL', NULL, '12', NULL)", dbname=empty_database)
    return empty_database


def test_a_clean_copy_and_what_is_left_out(pg_server, source, copy_of):
    clone = copy_of(source)
    anonymize.anonymize(pg_server, clone, extra_fields=PEOPLE)
    result = verify.verify(pg_server, source, clone, fields=PEOPLE)
    assert result.clean, result.summary()
    # 'Ottoline Featherstonehaugh', '"ottoline f." <…>', its address and display name, the phone, 'hm@manor.test';
    # not 'Hugo Moreau' (a fake could be called so), nor 'NL' and '12' (too short).
    assert (result.originals, result.looking_fake) == (6, 1)
    assert result.summary().startswith(f"{clone}: 0 original values found in 4 columns of 1 tables")


def test_survivors_are_found_where_they_are(pg_server, source, copy_of):
    clone = copy_of(source)
    anonymize.anonymize(pg_server, clone, extra_fields=PEOPLE)
    pg_server.execute(
        "CREATE TABLE x_log (id serial, line text, payload jsonb, code varchar(60));"
        "INSERT INTO x_log (line, payload, code) VALUES "
        "('<p>Met <b>Ottoline Featherstonehaugh</b> on Monday</p>', '{\"to\": {\"mail\": \"ottoline@manor.test\"}}',"
        " 'OTTOLINE@MANOR.TEST'),"
        "('Ottoline Featherstonehaughs and Otto, nothing else', NULL, '+44 20 7946 0018'),"
        "('call +44 20 7946 0018 now', NULL, NULL)", dbname=clone)
    result = verify.verify(pg_server, source, clone, fields=PEOPLE)
    found = {(f.table, f.column, f.how): (f.count, f.example) for f in result.findings}
    assert found == {
        ("x_log", "line", "inside"): (2, "ottoline featherstonehaugh"),    # whole words only: not '…haughs'
        ("x_log", "payload", "exact"): (1, "ottoline@manor.test"),         # a string inside the JSON
        ("x_log", "code", "exact"): (2, "ottoline@manor.test"),
    }, result.summary()
    assert "ottoline" not in result.summary().lower() and not result.clean


@pytest.mark.odoo
def test_a_leak_in_the_chatter_is_reported(clone, dbops_template, pg_server):
    anonymize.anonymize(pg_server, clone)
    original = pg_server.execute("SELECT body FROM mail_message WHERE body LIKE %s", ["%Call Bartholomew%"],
                                 dbname=dbops_template)[0][0]
    pg_server.execute("UPDATE mail_message SET body = %s WHERE id = (SELECT min(id) FROM mail_message);"
                      "UPDATE ir_ui_view SET arch_db = jsonb_set(arch_db, '{en_US}', to_jsonb((arch_db->>'en_US') "
                      "|| '<!-- Bartholomew Quarshie -->')) WHERE id = (SELECT min(id) FROM ir_ui_view)",
                      [original], dbname=clone)
    result = verify.verify(pg_server, dbops_template, clone)
    assert [(f.table, f.column, f.how) for f in result.findings] == [("mail_message", "body", "inside")]
    assert ("ir_ui_view", "arch_db", "inside") in [(f.table, f.column, f.how) for f in result.in_definitions]
    assert "module definitions" in result.summary()
