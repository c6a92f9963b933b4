"""A real Odoo 19 database for the dbops tests: base and mail with demo data, plus
partners, bank accounts, users, chatter and tracked changes of our own (SEED).

Built once per Odoo revision with the host's Odoo and kept as the template database
``odooops_test_dbops_<hash>``; each test works on a copy (CREATE DATABASE … TEMPLATE),
dropped afterwards. Without Odoo (ODOOOPS_TEST_ODOO_PATH unset) these tests skip,
saying why; those that need PostgreSQL only still run.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
from pathlib import Path

import pytest

from odooops import odoo_sources
from odooops.drivers import postgres

SEED_VERSION = "3"      # bump when SEED changes: the template is rebuilt
SEED = r'''
from markupsafe import Markup
Partner = env["res.partner"]
company = Partner.create({
    "name": "Quillfeather Logistics", "is_company": True, "email": "contact@quillfeather-logistics.test",
    "phone": "+32 2 555 17 40", "street": "Rue du Marche 17", "street2": "Batiment Bravo", "city": "Namur",
    "zip": "5000", "vat": "BE0477472701", "website": "https://www.quillfeather-logistics.test",
    "comment": "<p>Key account: ask for Wilhelmina Stoddard-Kerr, +32 478 90 12 34</p>"})
rival = Partner.create({"name": "Marrowgate Textiles", "is_company": True, "email": "hello@marrowgate.test",
                        "vat": "NL859145522B01", "city": "Utrecht"})
people = []
for first, last, phone, street in [
        ("Wilhelmina", "Stoddard-Kerr", "+32 478 90 12 34", "Avenue Louise 480"),
        ("Bartholomew", "Quarshie", "+44 20 7946 0958", "221 Baker Street"),
        ("Perpetua", "Lindenhurst", "+1 415 555 2671", "1600 Amphitheatre Parkway"),
        ("Cornelius", "Ashdown-Vere", "+33 6 12 34 56 78", "8 Rue de Rivoli")]:
    people.append(Partner.create({
        "name": f"{first} {last}", "parent_id": company.id, "street": street, "city": "Brussels",
        "email": f"{first.lower()}.{last.lower()}@quillfeather-logistics.test", "phone": phone}))
wilhelmina, bartholomew, perpetua, cornelius = people
env["res.partner.bank"].create({"partner_id": wilhelmina.id, "acc_number": "BE71 0961 2345 6769",
                                "acc_holder_name": wilhelmina.name})
env["res.partner.bank"].create({"partner_id": company.id, "acc_number": "DE89370400440532013000"})
octavia = env["res.users"].with_context(no_reset_password=True).create({
    "name": "Octavia Brightmoor", "login": "octavia.brightmoor@quillfeather-logistics.test",
    "email": "octavia.brightmoor@quillfeather-logistics.test", "password": "octavia-pw-123456",
    "group_ids": [(4, env.ref("base.group_user").id)]})
# Chatter: a note naming people, a message received from an address, a message by a user.
wilhelmina.message_post(
    body=Markup(f"<p>Call {bartholomew.name} at {bartholomew.phone} or write to {bartholomew.email}</p>"),
    partner_ids=[bartholomew.id], message_type="comment", subtype_xmlid="mail.mt_note")
company.message_post(body=Markup(f"<p>Order confirmed by {perpetua.name} ({perpetua.phone})</p>"),
                     email_from=f'"{perpetua.name}" <{perpetua.email}>', author_id=perpetua.id,
                     subject=f"Quote for {company.name}", message_type="email", subtype_xmlid="mail.mt_comment")
company.message_post(body=Markup(f"<p>Spoke to {cornelius.name}</p>"), author_id=octavia.partner_id.id,
                     message_type="comment", subtype_xmlid="mail.mt_note")
env.cr.commit()
# Tracked changes (name, email, phone, vat, parent_id and the inline address are tracked):
# the old values live on in mail_tracking_value only.
cornelius.write({"name": "Cornelius Ashdown-Vere Junior", "email": "cornelius.junior@marrowgate.test",
                 "phone": "+33 6 98 76 54 32", "parent_id": rival.id, "street": "12 Quai des Brumes"})
rival.write({"vat": "NL859145522B02"})
env.cr.commit()
print("SEEDED")
'''


class OdooRunner:
    """odoo-bin against this PostgreSQL; credentials in a configuration file, not argv."""

    def __init__(self, settings, workdir: Path):
        self.settings = settings
        self.conf = workdir / "odoo.conf"
        pg = settings.pg
        self.conf.write_text(
            "[options]\n"
            f"addons_path = {settings.odoo_path / 'addons'},{settings.odoo_path / 'odoo' / 'addons'}\n"
            f"data_dir = {workdir / 'data'}\n"
            f"db_host = {pg['host']}\ndb_port = {pg['port']}\ndb_user = {pg['user']}\n"
            f"db_password = {pg['password']}\nlist_db = False\nmax_cron_threads = 0\n")
        self.conf.chmod(0o600)

    def run(self, *args, input=None, check=True):
        command = [args[0]] if not args[0].startswith("-") else []      # Odoo wants its command first
        cmd = [self.settings.python, str(self.settings.odoo_path / "odoo-bin"), *command, "-c", str(self.conf),
               *args[len(command):], "--log-level=warn", "--logfile="]
        result = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=900)
        if check and (result.returncode != 0 or "Traceback" in result.stderr):
            raise RuntimeError(f"odoo-bin {' '.join(args[:3])} failed ({result.returncode}):\n"
                               f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
        return result

    def shell(self, database: str, script: str) -> str:
        return self.run("shell", "-d", database, "--no-http", input=script + "\nenv.cr.commit()\n").stdout


@pytest.fixture(scope="session")
def odoo_runner(odoo_settings, tmp_path_factory):
    return OdooRunner(odoo_settings, tmp_path_factory.mktemp("dbops-odoo"))


@pytest.fixture(scope="session")
def dbops_template(odoo_settings, odoo_runner, pg_server):
    """The template database (built when this Odoo revision has none yet)."""
    key = f"{odoo_sources.revision(odoo_settings.odoo_path)} {SEED_VERSION}"
    name = "odooops_test_dbops_" + hashlib.sha256(key.encode()).hexdigest()[:12]
    with postgres.advisory_lock(pg_server, f"dbops test template {name}", wait=True):
        if not postgres.database_exists(pg_server, name):
            building = name + "_build"
            postgres.drop_database(pg_server, building)
            odoo_runner.run("-d", building, "-i", "base,mail", "--with-demo", "--stop-after-init", "--no-http")
            assert "SEEDED" in odoo_runner.shell(building, SEED)
            postgres.rename_database(pg_server, building, name)     # complete, or absent
    return name


_counter = itertools.count()


@pytest.fixture
def copy_of(pg_server):
    """copy_of(template) -> the name of a fresh copy, dropped after the test."""
    made = []

    def make(template: str) -> str:
        name = f"odooops_test_dbops_copy{os.getpid()}_{next(_counter)}"
        postgres.drop_database(pg_server, name)
        with postgres.connections_closed(pg_server, template):
            postgres.create_database(pg_server, name, pg_server.user, template=template)
        made.append(name)
        return name

    yield make
    for name in made:
        postgres.drop_database(pg_server, name)


@pytest.fixture
def clone(dbops_template, copy_of):
    """A fresh copy of the Odoo template: what an environment's clone looks like."""
    return copy_of(dbops_template)


@pytest.fixture
def empty_database(pg_server):
    """A database with nothing in it (not Odoo): for what needs PostgreSQL only."""
    name = f"odooops_test_dbops_empty{os.getpid()}_{next(_counter)}"
    postgres.drop_database(pg_server, name)
    postgres.create_database(pg_server, name, pg_server.user)
    yield name
    postgres.drop_database(pg_server, name)
