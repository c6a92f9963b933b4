from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import OdooopsCase


@tagged("post_install", "-at_install")
class TestSecurity(OdooopsCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.viewer = cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": "viewer", "login": "viewer-sec",
            "group_ids": [(6, 0, [cls.env.ref("odooops_core.group_viewer").id])]})
        cls.admin_group = cls.env.ref("odooops_core.group_admin")

    def test_roles_imply_each_other(self):
        self.assertIn(self.env.ref("odooops_core.group_developer"), self.admin_group.all_implied_ids)
        self.assertIn(self.env.ref("odooops_core.group_viewer"), self.admin_group.all_implied_ids)
        self.assertTrue(self.env.ref("base.user_admin").has_group("odooops_core.group_admin"))

    def test_the_ui_is_read_only_for_every_role(self):
        env_rec = self.make_env("feature/ro")
        admin = self.env.ref("base.user_admin")
        for user in (self.viewer, admin):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    env_rec.with_user(user).write({"workers": 4})
                with self.assertRaises(AccessError):
                    self.env["odooops.environment"].with_user(user).create(
                        {"project_id": self.project.id, "branch": "x"})
                with self.assertRaises(AccessError):
                    env_rec.with_user(user).unlink()

    def test_members_only_projects_are_hidden_from_others(self):
        private = self.env["odooops.project"].create({
            "name": "Private", "git_remote": "https://git.example.com/p.git",
            "user_ids": [(6, 0, [self.env.ref("base.user_admin").id])]})
        secret_env = self.env["odooops.environment"].create({"project_id": private.id, "branch": "main"})
        open_env = self.make_env("feature/open")
        Env = self.env["odooops.environment"].with_user(self.viewer)
        visible = Env.search([])
        self.assertIn(open_env, visible)
        self.assertNotIn(secret_env, visible)
        self.assertNotIn(private, self.env["odooops.project"].with_user(self.viewer).search([]))
        private.user_ids = [(4, self.viewer.id)]
        self.assertIn(secret_env, Env.search([]))

    def test_only_admins_see_the_audit_log_menu(self):
        menu = self.env.ref("odooops_core.menu_audit_log")
        Menu = self.env["ir.ui.menu"]
        self.assertNotIn(menu.id, Menu.with_user(self.viewer)._visible_menu_ids())
        self.assertIn(menu.id, Menu.with_user(self.env.ref("base.user_admin"))._visible_menu_ids())
