import logging

from odoo import api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError

from odooops import logscan
from odooops.errors import Conflict, DatabaseError, DockerUnavailable, OdooOpsError

_logger = logging.getLogger(__name__)

# The job could not start yet (a deployment holds the environment while it would copy it,
# Docker or PostgreSQL is down): it is retried later instead of failing.
RETRYABLE = (Conflict, DockerUnavailable, DatabaseError)


class OdooopsTimedRun(models.AbstractModel):
    """What every record of a job that runs in steps shows: its steps and their times,
    its log, and why it failed with what to do (deployments, migration dry runs, snapshots)."""
    _name = "odooops.timed.run"
    _description = "OdooOps run in steps"

    step = fields.Char(help="The step running, or the one that failed.")
    step_timings = fields.Json(default=dict)
    started_at = fields.Datetime()
    finished_at = fields.Datetime()
    duration = fields.Float(compute="_compute_duration", store=True, help="Seconds")
    log = fields.Text()
    error = fields.Text()
    error_lines = fields.Json(help="The log lines that carry the error.")
    remediation = fields.Text(help="What to do about the failure.")

    @api.depends("started_at", "finished_at")
    def _compute_duration(self):
        for run in self:
            run.duration = ((run.finished_at - run.started_at).total_seconds()
                            if run.started_at and run.finished_at else 0.0)

    def _last_attempt(self):
        """Whether the queue_job job running this record may not be retried any more."""
        uuid = self.env.context.get("job_uuid")
        job = self.env["queue.job"].sudo().search([("uuid", "=", uuid)], limit=1) if uuid else None
        # queue_job counts this attempt only after it returns: ``retry`` is the previous count.
        return not job or (job.max_retries and job.retry + 1 >= job.max_retries)

    def _report(self, step, status, seconds, message, **facts):
        """A step's progress (the engine's ``report``), committed at once: `--wait` shows it."""
        timings = dict(self.step_timings or {})
        if status != "running":
            timings[step] = seconds
        line = f"{step}: {status}" + (f" ({seconds:.1f}s)" if status != "running" else "") + \
            (f" {message}" if message else "")
        self.write({"step": step, "step_timings": timings, "log": ((self.log or "") + line + "\n")[-100000:],
                    **self._report_facts(facts)})
        self.env.cr.commit()

    def _report_facts(self, facts):
        """What a run records of the facts its engine reports besides the step (none by default)."""
        return {}

    def _run_job(self, what, work, record):
        """Run ``work()`` as this record's queue_job job, once (states queued → running → what
        ``record(result)`` writes). Trouble of the infrastructure (RETRYABLE) puts it back to
        queued and retries the job until its last attempt; any other failure is recorded as
        'error' with the lines that carry it, and fails the job too, so its state tells the
        truth. Written as superuser: the request was authorized and audited, and the UI is
        read-only for every role."""
        self = self.sudo()  # noqa: PLW0642
        self.ensure_one()
        if self.state != "queued":
            return f"already {self.state}"
        self.write({"state": "running", "started_at": fields.Datetime.now()})
        self.env.cr.commit()
        try:
            result = work(self)
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
            _logger.exception("%s %s failed", what, self.id)
            failure = OdooOpsError(f"internal error: {exc}")
        else:
            return record(self, result)
        self.env.cr.rollback()
        logs = failure.details.get("logs", "") if isinstance(failure.details, dict) else ""
        self.write({"state": "error", "error": failure.message, "remediation": failure.remediation,
                    "error_lines": logscan.error_lines(logs) or [failure.message],
                    "finished_at": fields.Datetime.now()})
        self.env.cr.commit()
        raise UserError(f"{what} {self.id} could not run: {failure.message}")
