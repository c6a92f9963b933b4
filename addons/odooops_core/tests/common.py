from odoo.tests import TransactionCase


class OdooopsCase(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project = cls.env["odooops.project"].create({
            "name": "Acme Addons", "git_remote": "https://git.example.com/acme/addons.git", "domain": "dev.acme.test"})

    def make_env(self, branch, **vals):
        return self.env["odooops.environment"].create({"project_id": self.project.id, "branch": branch, **vals})

    def make_user(self, login, group):
        return self.env["res.users"].with_context(no_reset_password=True).create({
            "name": login, "login": login, "group_ids": [(6, 0, [self.env.ref(group).id])]})
