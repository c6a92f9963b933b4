import datetime
import uuid

import pytest

from odooops.dbops.identity import reset_identity
from odooops.errors import ValidationFailed

KEYS = ("database.uuid", "database.secret", "database.create_date", "web.base.url")


def parameters(pg, database) -> dict:
    return dict(pg.execute("SELECT key, value FROM ir_config_parameter WHERE key = ANY(%s)", [list(KEYS)],
                           dbname=database))


@pytest.mark.odoo
def test_a_copy_gets_its_own_identity(clone, dbops_template, pg_server):
    before = parameters(pg_server, dbops_template)
    assert reset_identity(pg_server, clone, "https://main.acme.example.com/")
    after = parameters(pg_server, clone)
    assert after["database.uuid"] != before["database.uuid"] and uuid.UUID(after["database.uuid"]).version == 1
    assert after["database.secret"] != before["database.secret"]
    assert uuid.UUID(after["database.secret"]).version == 4
    created = datetime.datetime.strptime(after["database.create_date"], "%Y-%m-%d %H:%M:%S")
    assert abs(created - datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)) < datetime.timedelta(
        minutes=5)
    assert after["web.base.url"] == "https://main.acme.example.com"
    assert parameters(pg_server, dbops_template) == before          # the source is untouched


def test_missing_parameters_are_created(pg_server, empty_database):
    pg_server.execute("CREATE TABLE ir_config_parameter (id serial PRIMARY KEY, key varchar NOT NULL UNIQUE, "
                      "value text NOT NULL); INSERT INTO ir_config_parameter (key, value) "
                      "VALUES ('database.uuid', 'old')", dbname=empty_database)
    assert reset_identity(pg_server, empty_database, "http://localhost:8069")
    after = parameters(pg_server, empty_database)
    assert set(after) == set(KEYS) and after["database.uuid"] != "old"


def test_the_url_stays_when_none_is_given(pg_server, empty_database):
    pg_server.execute("CREATE TABLE ir_config_parameter (id serial PRIMARY KEY, key varchar NOT NULL UNIQUE, "
                      "value text NOT NULL); INSERT INTO ir_config_parameter (key, value) "
                      "VALUES ('web.base.url', 'https://prod.example.com')", dbname=empty_database)
    assert reset_identity(pg_server, empty_database)
    assert parameters(pg_server, empty_database)["web.base.url"] == "https://prod.example.com"


def test_nothing_to_do_outside_odoo(pg_server, empty_database):
    assert reset_identity(pg_server, empty_database, "https://x.example.com") is False
    with pytest.raises(ValidationFailed):
        reset_identity(pg_server, empty_database, "x.example.com")
