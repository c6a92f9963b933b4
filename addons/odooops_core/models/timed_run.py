from odoo import api, fields, models


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
