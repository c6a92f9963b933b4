import logging

from odoo import api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError

from odooops import logscan
from odooops.errors import Conflict, DatabaseError, DockerUnavailable, OdooOpsError
from odooops.pipeline import Pipeline

_logger = logging.getLogger(__name__)

STATES = [("queued", "Queued"), ("running", "Running"), ("passed", "Passed"), ("failed", "Failed"),
          ("error", "Error")]
# The check could not run yet (a deployment holds the environment, Docker or PostgreSQL is
# down): its job is retried later instead of failing.
RETRYABLE = (Conflict, DockerUnavailable, DatabaseError)


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

    def _report(self, step, status, seconds, message, **facts):
        timings = dict(self.step_timings or {})
        if status != "running":
            timings[step] = seconds
        line = f"{step}: {status}" + (f" ({seconds:.1f}s)" if status != "running" else "") + \
            (f" {message}" if message else "")
        self.write({"step": step, "step_timings": timings, "log": ((self.log or "") + line + "\n")[-100000:]})
        self.env.cr.commit()    # progress is visible to `db migrate --dry-run --wait` while the job runs

    def _execute(self):
        """The queue_job job: the dry run (once). Written as superuser: the request was
        authorized and audited, and the UI is read-only for every role."""
        self = self.sudo()  # noqa: PLW0642
        self.ensure_one()
        if self.state != "queued":
            return f"already {self.state}"
        env = self.environment_id
        self.write({"state": "running", "started_at": fields.Datetime.now()})
        self.env.cr.commit()
        try:
            current = env.current_deployment_id
            if not current:
                raise Conflict(f"{env.display_name} serves nothing: there is no database to copy")
            project = env.project_id
            pipeline = Pipeline(env._data_plane(), env._plan(), report=self._report)
            result = pipeline.dry_run(check=self.id, remote=project.git_remote, ref=self.sha or self.ref,
                                      base_image=project.base_image, current=current._release(),
                                      asked=self.modules or ())
        except RETRYABLE as exc:
            if not self._last_attempt():
                self.env.cr.rollback()
                self.write({"state": "queued", "started_at": False,
                            "log": (self.log or "") + f"{exc.message}: retrying later\n"})
                self.env.cr.commit()
                raise RetryableJobError(f"{exc.message}: retrying later") from None
            failure = exc
        except OdooOpsError as exc:
            failure = exc
        except Exception as exc:  # noqa: BLE001 - a job must record why it failed
            _logger.exception("migration dry run %s failed", self.id)
            failure = OdooOpsError(f"internal error: {exc}")
        else:
            self.write({"state": "passed" if result["ok"] else "failed", "result": result,
                        "error": False if result["ok"] else "the update failed in the copy: " + result["errors"][-1],
                        "error_lines": result["errors"], "finished_at": fields.Datetime.now(),
                        "remediation": False if result["ok"] else
                        "See the errors and the log tail; fix the commit and run the dry run again. "
                        "The environment was not touched."})
            return f"migration dry run of {env.display_name}: {'passed' if result['ok'] else 'failed'}"
        self.env.cr.rollback()
        logs = failure.details.get("logs", "") if isinstance(failure.details, dict) else ""
        self.write({"state": "error", "error": failure.message, "remediation": failure.remediation,
                    "error_lines": logscan.error_lines(logs) or [failure.message],
                    "finished_at": fields.Datetime.now()})
        self.env.cr.commit()
        raise UserError(f"migration dry run {self.id} could not run: {failure.message}")
