from odoo import api, fields, models

from odooops import test_runner
from odooops.errors import Conflict

STATES = [("queued", "Queued"), ("running", "Running"), ("passed", "Passed"), ("failed", "Failed"),
          ("error", "Error")]


class OdooopsTestRun(models.Model):
    """A run of Odoo's own tests (--test-tags) of an environment's serving release against a
    throwaway copy of its database. Each test's outcome, duration and failure text are kept
    here; the environment itself is never touched, so this is no deployment."""
    _name = "odooops.test.run"
    _description = "OdooOps Test Run"
    _inherit = ["odooops.readonly.thread", "odooops.timed.run"]
    _order = "id desc"

    environment_id = fields.Many2one("odooops.environment", required=True, ondelete="cascade", index=True,
                                     tracking=True)
    project_id = fields.Many2one(related="environment_id.project_id", store=True, index=True)
    deployment_id = fields.Many2one("odooops.deployment", string="Release", ondelete="set null",
                                    help="The serving deployment whose image, code and Odoo ran the tests.")
    sha = fields.Char(string="Commit SHA")
    tags = fields.Char(required=True, help="The --test-tags value the run used.")
    requested_tags = fields.Char(help="The tags as asked for (empty: the release's own modules).")
    modules = fields.Json(help="Modules asked for: the tags were narrowed to them.")
    state = fields.Selection(STATES, required=True, default="queued", index=True, tracking=True,
                             help="Passed: every selected test passed. Failed: some failed or raised. "
                                  "Error: the run itself did not work (timed out, Odoo could not start, "
                                  "no test matched).")
    summary = fields.Json(help="tests, failures, errors, skipped, passed")
    results = fields.Json(help="Each test: its outcome, seconds and failure text.")
    result = fields.Json(help="How it ran: the copy (dropped), exit code, seconds.")
    output = fields.Text(help="The end of Odoo's log.")
    requested_by_id = fields.Many2one("res.users", default=lambda self: self.env.user, tracking=True,
                                      ondelete="set null")

    @api.depends("environment_id.display_name", "tags")
    def _compute_display_name(self):
        for run in self:
            run.display_name = f"#{run.id} tests {run.tags or ''} of {run.environment_id.display_name}"

    # -- queueing -----------------------------------------------------------------------------

    @api.model
    def _queue_for(self, env, *, tags=None, modules=()):
        """Record and enqueue a run of ``env``'s serving release's tests (``tags``, narrowed
        to ``modules``; by default the release's own modules)."""
        release = env.current_deployment_id
        if not release:
            raise Conflict(f"{env.display_name} serves nothing yet: there is no release to test",
                           remediation=f"Deploy it first: odooops deploy {env.slug} --wait")
        effective = test_runner.effective_tags(tags, modules, sorted(release.checksums or {}))
        run = self.sudo().create({"environment_id": env.id, "deployment_id": release.id, "sha": release.sha,
                                  "tags": effective, "requested_tags": tags or False, "modules": list(modules),
                                  "requested_by_id": self.env.uid})
        run.with_delay(channel="root", identity_key=f"odooops-test-run-{run.id}",
                       description=f"tests {effective[:80]} of {env.display_name}")._execute()
        return run

    # -- the job --------------------------------------------------------------------------------

    def _execute(self):
        """The queue_job job: the run (once)."""
        return self._run_job("test run", self._run_tests, self._record)

    def _run_tests(self, run):
        env = run.environment_id
        release = env.current_deployment_id
        if not release:
            raise Conflict(f"{env.display_name} serves nothing: there is no database to copy")
        if release != run.deployment_id:   # redeployed since: its database is the new release's now
            run.write({"deployment_id": release.id, "sha": release.sha,
                       "log": (run.log or "") + f"testing deployment {release.id}, serving since the request\n"})
        runner = test_runner.OdooTests(env._data_plane(), env._plan(), report=run._report)
        active = run.search([("environment_id", "=", env.id), ("state", "in", ("queued", "running"))]).ids
        return runner.run_tests(run=run.id, current=release._release(), tags=run.tags, active=active)

    def _record(self, run, result):
        status = result.pop("status")
        why = result.pop("message")
        run.write({"state": status, "summary": result.pop("summary"), "results": result.pop("results"),
                    "output": result.pop("log_tail"), "result": result, "error": why or False,
                    "error_lines": result["errors"] if status != "passed" else [],
                    "finished_at": fields.Datetime.now(),
                    "remediation": {"passed": False,
                                    "failed": "See each failed test's failure text; fix the code and deploy it, "
                                              "then run the tests again. The environment was not touched.",
                                    "error": "See the log tail. Check the tags (odooops test run TAGS) and "
                                             "that the release starts."}[status]})
        return f"tests of {run.environment_id.display_name}: {status}"
