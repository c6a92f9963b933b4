import psycopg2
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestAuditLog(TransactionCase):

    def setUp(self):
        super().setUp()
        self.entry = self.env["odooops.audit.log"]._record(
            "project.create", login="admin", target="project:acme", ip="127.0.0.1", request_id="req-1",
            status_code=201, details={"id": 1})

    def test_orm_refuses_changes_even_as_superuser(self):
        for model in (self.entry, self.entry.sudo()):
            with self.assertRaises(AccessError):
                model.write({"action": "forged"})
            with self.assertRaises(AccessError):
                model.unlink()

    def test_database_refuses_update_delete_truncate(self):
        self.env.flush_all()
        for statement in ("UPDATE odooops_audit_log SET action = 'forged' WHERE id = %s" % self.entry.id,
                          "DELETE FROM odooops_audit_log WHERE id = %s" % self.entry.id,
                          "TRUNCATE odooops_audit_log"):
            with self.subTest(statement=statement), mute_logger("odoo.sql_db"), \
                    self.assertRaises(psycopg2.errors.InsufficientPrivilege), self.env.cr.savepoint():
                self.env.cr.execute(statement)
        self.env.cr.execute("SELECT action FROM odooops_audit_log WHERE id = %s", [self.entry.id])
        self.assertEqual(self.env.cr.fetchone()[0], "project.create")

    def test_only_admins_read_it(self):
        developer = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "dev", "login": "dev-audit",
            "group_ids": [(6, 0, [self.env.ref("odooops_core.group_developer").id])]})
        with self.assertRaises(AccessError):
            self.env["odooops.audit.log"].with_user(developer).search([])
        admin = self.env.ref("base.user_admin")
        self.assertIn(self.entry, self.env["odooops.audit.log"].with_user(admin).search([]))
