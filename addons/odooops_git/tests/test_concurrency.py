import threading
import time

import psycopg2
from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase, tagged

from .test_git import push, sha


@tagged("post_install", "-at_install")
class TestConcurrentDeliveries(TransactionCase):
    """Two copies of one GitHub delivery in two real transactions at once (two connections,
    REPEATABLE READ as Odoo's): one is recorded; the other fails to serialize, which Odoo
    retries, and the retry finds the first one: a duplicate."""

    def _env(self, cr):
        # Made in this thread: the registry's lock is held by the test runner's thread.
        return api.Environment(cr, SUPERUSER_ID, {})

    def test_two_identical_deliveries_at_once_are_recorded_once(self):
        connection = sql_db.db_connect(self.env.cr.dbname)
        with connection.cursor() as cr:
            project = self._env(cr)["odooops.project"].create({
                "name": "Race Shop", "git_remote": "https://github.com/acme/shop.git", "domain": "race.acme.test"})
            self._env(cr)["odooops.policy"]._apply(project, b"version: 1\nbranch_mappings:\n"
                                                   b"  - {pattern: 'feature/*', tier: dev}\n", sha("race-policy"))
            project_id = project.id
            cr.commit()
        cr_a, cr_b = connection.cursor(), connection.cursor()
        env_a, env_b = self._env(cr_a), self._env(cr_b)
        results, failures = {}, {}
        a_holds = threading.Event()

        def receive(env):
            return env["odooops.webhook.delivery"]._receive(env["odooops.project"].browse(project_id), "push",
                                                            "guid-race", push("feature/race", sha(1)))

        def first():
            try:
                results["a"] = receive(env_a)[1]
                a_holds.set()
                time.sleep(0.5)           # the second one waits for the project's lock meanwhile
                cr_a.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertions below
                failures["a"] = repr(exc)
                a_holds.set()

        def second():
            try:
                env_b["odooops.project"].browse(project_id).read(["name"])   # its snapshot starts now
                a_holds.wait(10)
                results["b"] = receive(env_b)[1]
                cr_b.commit()
            except psycopg2.errors.SerializationFailure as exc:
                failures["b"] = exc
            except Exception as exc:  # noqa: BLE001 - reported by the assertions below
                failures["b?"] = repr(exc)

        try:
            threads = [threading.Thread(target=first), threading.Thread(target=second)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            self.assertFalse([t for t in threads if t.is_alive()], "a thread is stuck")
            self.assertIs(results.get("a"), False, failures)
            self.assertIn("b", failures, f"the second copy must not be recorded in its stale snapshot: "
                                         f"{failures} {results}")
            cr_b.rollback()
            # Odoo's retry of the request: a fresh transaction finds the first copy.
            delivery, duplicate = receive(env_b)
            self.assertTrue(duplicate)
            self.assertEqual(env_b["odooops.webhook.delivery"].search_count([("guid", "=", "guid-race")]), 1)
            cr_b.rollback()
        finally:
            for cr in (cr_a, cr_b):
                cr.rollback()
                cr.close()
            with connection.cursor() as cr:
                env = self._env(cr)
                deliveries = env["odooops.webhook.delivery"].search([("project_id", "=", project_id)])
                env["queue.job"].search([("model_name", "=", "odooops.webhook.delivery")]).filtered(
                    lambda j: j.records & deliveries).unlink()
                deliveries.unlink()
                env["odooops.policy"].search([("project_id", "=", project_id)]).unlink()
                env["odooops.project"].browse(project_id).unlink()
                cr.commit()
