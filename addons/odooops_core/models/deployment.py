import logging

from odoo import api, fields, models

from odooops import lifecycle
from odooops.dataplane import Release
from odooops.errors import OdooOpsError
from odooops.pipeline import Pipeline

_logger = logging.getLogger(__name__)

KIND_SELECTION = [(k, k.capitalize()) for k in lifecycle.DEPLOYMENT_KINDS]
STATE_SELECTION = [(s, s.capitalize()) for s in lifecycle.DEPLOYMENT_STATES]


class OdooopsDeployment(models.Model):
    _name = "odooops.deployment"
    _description = "OdooOps Deployment"
    _inherit = ["mail.thread"]
    _order = "id desc"

    environment_id = fields.Many2one("odooops.environment", required=True, ondelete="cascade",
                                     index=True, tracking=True)
    project_id = fields.Many2one(related="environment_id.project_id", store=True, index=True)
    ref = fields.Char(string="Requested ref", help="What was asked for: a SHA or a branch.")
    sha = fields.Char(string="Commit SHA", tracking=True)
    image = fields.Char(tracking=True)
    kind = fields.Selection(KIND_SELECTION, required=True, default="deploy", tracking=True)
    state = fields.Selection(STATE_SELECTION, required=True, default="queued", index=True, tracking=True)
    step = fields.Char(help="The pipeline step running, or the one that failed.")
    requested_by_id = fields.Many2one("res.users", default=lambda self: self.env.user,
                                      tracking=True, ondelete="set null")
    source_deployment_id = fields.Many2one("odooops.deployment", ondelete="set null",
                                           help="For a rollback, what it rolls back to; for a promotion, what it promotes.")
    migrate = fields.Boolean(default=True, help="For a promotion: migrate the target's database.")
    started_at = fields.Datetime()
    finished_at = fields.Datetime()
    duration = fields.Float(compute="_compute_duration", store=True, help="Seconds")
    step_timings = fields.Json(default=dict)
    checksums = fields.Json(help="Addon checksums of the release (which modules a later deploy must update).")
    container = fields.Char()
    http_port = fields.Integer()
    websocket_port = fields.Integer()
    snapshot = fields.Char(help="Database copy taken before this deployment migrated; rollback restores it.")
    log = fields.Text()
    error = fields.Text()

    _sha_format = models.Constraint(
        "CHECK (sha IS NULL OR sha ~ '^[0-9a-f]{7,40}$')", "A commit SHA is 7 to 40 lowercase hex digits.")

    @api.depends("started_at", "finished_at")
    def _compute_duration(self):
        for dep in self:
            dep.duration = ((dep.finished_at - dep.started_at).total_seconds()
                            if dep.started_at and dep.finished_at else 0.0)

    def _transition(self, new_state):
        for dep in self:
            lifecycle.check_deployment_transition(dep.state, new_state)
        vals = {"state": new_state}
        if new_state == "running":
            vals["started_at"] = fields.Datetime.now()
        elif new_state in ("succeeded", "failed", "cancelled"):
            vals["finished_at"] = fields.Datetime.now()
        self.write(vals)

    # -- the job ------------------------------------------------------------------------

    def _release(self):
        self.ensure_one()
        return Release(image=self.image, sha=self.sha, checksums=self.checksums or {}, container=self.container,
                       http_port=self.http_port or None, websocket_port=self.websocket_port or None,
                       snapshot=self.snapshot or None)

    def _enqueue(self):
        for dep in self:
            env = dep.environment_id
            dep.with_delay(channel="root.deploy", priority=lifecycle.TIER_PRIORITY[env.tier],
                           identity_key=f"odooops-deployment-{dep.id}",
                           description=f"{dep.kind} {env.project_id.slug}/{env.slug} {dep.ref or dep.sha or ''}"
                           )._execute()

    def _report(self, step, status, seconds, message, **facts):
        timings = dict(self.step_timings or {})
        if status != "running":
            timings[step] = seconds
        line = f"{step}: {status}" + (f" ({seconds:.1f}s)" if status != "running" else "") + \
            (f" {message}" if message else "")
        self.write({"step": step, "step_timings": timings, "log": ((self.log or "") + line + "\n")[-100000:],
                    **{k: v for k, v in facts.items() if k in ("snapshot", "container", "http_port",
                                                              "websocket_port", "image", "sha")}})
        self.env.cr.commit()    # progress is visible to `deploy --wait` while the job runs

    def _execute(self):
        """The queue_job job: run the pipeline for this deployment (once).

        Jobs run as the user who asked; the UI is read-only for every role, so the
        job writes its state as superuser (the request was authorized and audited).
        """
        self = self.sudo()  # noqa: PLW0642
        self.ensure_one()
        if self.state != "queued":
            return f"already {self.state}"
        env = self.environment_id
        self._transition("running")
        if env.state in ("draft", "failed", "stopped", "running"):
            env._transition("deploying" if env.state != "draft" else "provisioning")
        self.env.cr.commit()
        current = env.current_deployment_id._release() if env.current_deployment_id else None
        try:
            pipeline = Pipeline(env._data_plane(), env._plan(), report=self._report)
            release = self._run_pipeline(pipeline, current)
        except OdooOpsError as exc:
            self._fail(exc.message, exc.details.get("logs", ""), getattr(exc, "step", self.step))
            return exc.message
        except Exception as exc:  # noqa: BLE001 - a job must record why it failed
            _logger.exception("deployment %s failed", self.id)
            self._fail(f"internal error: {exc}", "", self.step)
            return str(exc)
        self.write({"image": release.image, "sha": release.sha, "checksums": release.checksums,
                    "container": release.container, "http_port": release.http_port,
                    "websocket_port": release.websocket_port, "snapshot": release.snapshot})
        self._transition("succeeded")
        if env.state == "provisioning":
            env._transition("deploying")
        env.write({"current_deployment_id": self.id, "deployed_sha": release.sha, "image": release.image})
        env._transition("running")
        return f"{self.kind} of {release.sha[:12]} succeeded"

    def _run_pipeline(self, pipeline, current):
        env = self.environment_id
        taken = env._taken_ports()
        if self.kind == "rollback":
            return pipeline.rollback(deployment=self.id, current=current,
                                     target=self.source_deployment_id._release(), taken_ports=taken)
        if self.kind in ("promote", "redeploy"):
            source = self.source_deployment_id
            return pipeline.deploy(deployment=self.id, remote=None, sha=source.sha, base_image=None,
                                   current=current, taken_ports=taken, image=source.image,
                                   checksums=source.checksums, migrate=self.migrate)
        project = env.project_id
        return pipeline.deploy(deployment=self.id, remote=project.git_remote, sha=self.ref or self.sha,
                               base_image=project.base_image, current=current, taken_ports=taken,
                               test_command=project.test_command or None)

    def _fail(self, message, logs, step):
        self.env.cr.rollback()
        self.write({"error": message, "step": step,
                    "log": ((self.log or "") + (logs or ""))[-100000:]})
        self._transition("failed")
        env = self.environment_id
        if env.state in ("provisioning", "deploying"):
            env._transition("running" if env.current_deployment_id else "failed")
