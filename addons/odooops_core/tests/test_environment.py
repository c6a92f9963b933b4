import psycopg2
from odoo.tests import tagged
from odoo.tools import mute_logger

from odooops.errors import Conflict, ValidationFailed

from .common import OdooopsCase


@tagged("post_install", "-at_install")
class TestEnvironment(OdooopsCase):

    def test_names_derive_from_the_branch(self):
        env = self.make_env("feature/CRM-Automation")
        self.assertEqual(env.slug, "feature-crm-automation")
        self.assertEqual(env.database_name, "acme-addons__feature_crm_automation".replace("-", "_"))
        self.assertEqual(env.url, "http://feature-crm-automation.dev.acme.test")
        self.assertEqual(self.project.slug, "acme-addons")

    def test_colliding_slugs_get_a_hash_suffix(self):
        first = self.make_env("feature/x")
        second = self.make_env("feature-x")
        self.assertEqual(first.slug, "feature-x")
        self.assertTrue(second.slug.startswith("feature-x-") and len(second.slug) == len("feature-x-") + 6)
        self.assertNotEqual(first.database_name, second.database_name)

    def test_hostile_branch_names_are_refused(self):
        for branch in ("a b", "x;DROP TABLE res_users", "../etc", "-rf", "a..b", "x" * 300, "", "$(id)"):
            with self.subTest(branch=branch), self.assertRaises(ValidationFailed):
                self.make_env(branch)

    def test_one_live_environment_per_branch(self):
        env = self.make_env("main", tier="production")
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            self.make_env("main", tier="production", slug="main-2", database_name="other_db")
        env.state = "destroyed"
        again = self.make_env("main", tier="production")
        self.assertEqual(again.slug, "main")

    def test_limits_are_checked_by_the_database(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.CheckViolation), self.env.cr.savepoint():
            self.make_env("big", workers=500)

    def test_state_machine(self):
        env = self.make_env("feature/sm")
        env._transition("provisioning")
        env._transition("deploying")
        env._transition("running")
        with self.assertRaises(Conflict):
            env._transition("provisioning")
        env._transition("destroying")
        env._transition("destroyed")
        with self.assertRaises(Conflict):
            env._transition("running")

    def test_state_and_owner_changes_are_tracked_in_the_chatter(self):
        env = self.make_env("feature/tracked")
        # Changes made in the creating transaction are not tracked: end it first.
        self.env.flush_all()
        self.env.cr.precommit.run()
        env._transition("provisioning")
        env.write({"owner_id": self.env.ref("base.user_admin").id, "deployed_sha": "abc1234"})
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = env.message_ids.tracking_value_ids.mapped("field_id.name")
        self.assertIn("state", tracked)
        self.assertIn("owner_id", tracked)
        self.assertIn("deployed_sha", tracked)

    def test_deployment_sha_and_lifecycle(self):
        env = self.make_env("feature/dep")
        Deployment = self.env["odooops.deployment"]
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.CheckViolation), self.env.cr.savepoint():
            Deployment.create({"environment_id": env.id, "sha": "not-a-sha"})
        dep = Deployment.create({"environment_id": env.id, "sha": "0123abc"})
        self.assertEqual(dep.state, "queued")
        dep._transition("running")
        dep._transition("succeeded")
        self.assertTrue(dep.started_at and dep.finished_at)
        with self.assertRaises(Conflict):
            dep._transition("running")

    def test_project_inputs_are_validated(self):
        Project = self.env["odooops.project"]
        with self.assertRaises(ValidationFailed):
            Project.create({"name": "Bad", "git_remote": "https://x/y.git; rm -rf /"})
        with self.assertRaises(ValidationFailed):
            Project.create({"name": "Bad", "git_remote": "https://x/y.git", "domain": "not a domain"})
