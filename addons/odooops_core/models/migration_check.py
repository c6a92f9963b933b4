from odoo import api, fields, models

from odooops.errors import Conflict
from odooops.pipeline import Pipeline

STATES = [("queued", "Queued"), ("running", "Running"), ("passed", "Passed"), ("failed", "Failed"),
          ("error", "Error")]


class OdooopsMigrationCheck(models.Model):
    """A dry run of an environment's migration: the update runs in a throwaway copy of its
    database, and what it did is recorded here. It never changes the environment, so it
    is not a deployment and does not wait for one."""
    _name = "odooops.migration.check"
    _description = "OdooOps Migration Dry Run"
    _inherit = ["odooops.readonly.thread", "odooops.timed.run"]
    _order = "id desc"

    environment_id = fields.Many2one("odooops.environment", required=True, ondelete="cascade", index=True,
                                     tracking=True)
    project_id = fields.Many2one(related="environment_id.project_id", store=True, index=True)
    ref = fields.Char(string="Requested ref", help="What was asked for: a SHA or a branch (default: the serving commit).")
    sha = fields.Char(string="Commit SHA", help="The commit whose modules the dry run migrates to.")
    modules = fields.Json(help="Modules asked to update besides the pending ones.")
    pending = fields.Json(help="The modules found pending when it was asked: each with its action and why.")
    state = fields.Selection(STATES, required=True, default="queued", index=True, tracking=True,
                             help="Passed: the update ran clean in the copy. Failed: it failed there "
                                  "(see the errors). Error: the dry run itself could not run.")
    result = fields.Json(help="SQL executed (count, DDL in full, the rest summarized), errors, duration, "
                              "and the copy it used (dropped).")
    requested_by_id = fields.Many2one("res.users", default=lambda self: self.env.user, tracking=True,
                                      ondelete="set null")

    _sha_format = models.Constraint(
        "CHECK (sha IS NULL OR sha ~ '^[0-9a-f]{7,40}$')", "A commit SHA is 7 to 40 lowercase hex digits.")

    @api.depends("environment_id.display_name", "sha")
    def _compute_display_name(self):
        for check in self:
            check.display_name = f"#{check.id} migration dry run of {check.environment_id.display_name} " \
                                 f"{(check.sha or '')[:7]}".strip()

    # -- queueing -----------------------------------------------------------------------------

    @api.model
    def _queue_for(self, env, *, ref, pending, asked=()):
        """Record and enqueue a dry run of ``env``'s migration to ``pending.sha``."""
        check = self.sudo().create({"environment_id": env.id, "ref": ref or False, "sha": pending.sha,
                                    "modules": list(asked), "pending": pending.to_dict()["modules"],
                                    "requested_by_id": self.env.uid})
        check.with_delay(channel="root", identity_key=f"odooops-migration-check-{check.id}",
                         description=f"migration dry run {env.display_name} {pending.sha[:12]}")._execute()
        return check

    # -- the job --------------------------------------------------------------------------------

    def _execute(self):
        """The queue_job job: the dry run (once)."""
        return self._run_job("migration dry run", self._dry_run, self._record)

    def _dry_run(self, check):
        env = check.environment_id
        current = env.current_deployment_id
        if not current:
            raise Conflict(f"{env.display_name} serves nothing: there is no database to copy")
        project = env.project_id
        pipeline = Pipeline(env._data_plane(), env._plan(), report=check._report)
        return pipeline.dry_run(check=check.id, remote=project.git_remote, ref=check.sha or check.ref,
                                base_image=project.base_image, current=current._release(), asked=check.modules or ())

    def _record(self, check, result):
        check.write({"state": "passed" if result["ok"] else "failed", "result": result,
                     "error": False if result["ok"] else "the update failed in the copy: " + result["errors"][-1],
                     "error_lines": result["errors"], "finished_at": fields.Datetime.now(),
                     "remediation": False if result["ok"] else
                     "See the errors and the log tail; fix the commit and run the dry run again. "
                     "The environment was not touched."})
        return f"migration dry run of {check.environment_id.display_name}: {'passed' if result['ok'] else 'failed'}"
