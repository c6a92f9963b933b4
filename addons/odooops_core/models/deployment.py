import logging
from datetime import datetime, timezone

from odoo import api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError

from odooops import gates as gating
from odooops import lifecycle, logscan, templates
from odooops.backups.streams import Throttle, progress_entry
from odooops.dataplane import Release, environment_lock
from odooops.dbops import clone
from odooops.errors import Conflict, DatabaseError, DeploymentFailed, DockerUnavailable, OdooOpsError
from odooops.pipeline import Pipeline
from odooops.seed import Seed

_logger = logging.getLogger(__name__)

KIND_SELECTION = [(k, k.capitalize()) for k in lifecycle.DEPLOYMENT_KINDS]
STATE_SELECTION = [(s, s.replace("_", " ").capitalize()) for s in lifecycle.DEPLOYMENT_STATES]
# Trouble of the infrastructure, not of the commit: the job is retried later
# (the queue.job.function's retry pattern) instead of failing the deployment.
RETRYABLE = (DockerUnavailable, DatabaseError)
FACTS = ("snapshot", "container", "http_port", "websocket_port", "image", "sha", "odoo_revision",
         "snapshot_method", "unavailable_seconds", "clone_strategy", "anonymization")


class OdooopsDeployment(models.Model):
    _name = "odooops.deployment"
    _description = "OdooOps Deployment"
    _inherit = ["odooops.readonly.thread", "odooops.timed.run"]
    _order = "id desc"

    environment_id = fields.Many2one("odooops.environment", required=True, ondelete="cascade",
                                     index=True, tracking=True)
    project_id = fields.Many2one(related="environment_id.project_id", store=True, index=True)
    ref = fields.Char(string="Requested ref", help="What was asked for: a SHA or a branch.")
    sha = fields.Char(string="Commit SHA", tracking=True)
    image = fields.Char(tracking=True)
    odoo_revision = fields.Char(help="The pinned Odoo source this release runs.")
    kind = fields.Selection(KIND_SELECTION, required=True, default="deploy", tracking=True)
    state = fields.Selection(STATE_SELECTION, required=True, default="queued", index=True, tracking=True)
    requested_by_id = fields.Many2one("res.users", default=lambda self: self.env.user,
                                      tracking=True, ondelete="set null")
    source_deployment_id = fields.Many2one("odooops.deployment", ondelete="set null",
                                           help="For a rollback, what it rolls back to; for a promotion, what it promotes.")
    restore_from = fields.Char(help="For a rollback: the snapshot it restores.")
    migrate = fields.Boolean(default=True, help="For a promotion: migrate the target's database.")
    keep_database = fields.Boolean(help="For a destroy: keep the database and its role.")
    migrate_modules = fields.Json(help="For a migrate: modules asked to update besides the pending ones.")
    clone_source_id = fields.Many2one("odooops.environment", ondelete="set null",
                                      help="For a clone, or a first deploy that starts from another environment's "
                                           "data: the environment whose data this one now serves.")
    source_snapshot_id = fields.Many2one("odooops.snapshot", ondelete="set null",
                                         help="For a first deploy started from a named snapshot: that snapshot.")
    with_demo = fields.Boolean(help="For a first deploy that starts empty: install Odoo's demo data.")
    clone_strategy = fields.Char(help="For a clone: the strategy asked for, then the one used "
                                      "(clone, template or dump).")
    anonymize = fields.Boolean(help="For a clone: replace personal data by fakes, proven before it serves.")
    anonymization = fields.Json(help="For an anonymized clone: values rewritten, originals searched and found.")
    backup_key = fields.Char(help="For a restore (or a clone by the 'backup' strategy): the id, in the backup "
                                  "store, of the backup of clone_source_id it restores.")
    progress = fields.Json(help="The streaming step's bytes done and expected, since when, and the seconds left.")
    checksums = fields.Json(help="Addon checksums of the release (which modules a later deploy must update).")
    container = fields.Char()
    http_port = fields.Integer()
    websocket_port = fields.Integer()
    snapshot = fields.Char(help="Database copy taken before this deployment changed it; rollback restores it.")
    snapshot_taken_at = fields.Datetime()
    snapshot_method = fields.Char(help="How the snapshot or restore copied the database: 'clone' (copy-on-write, "
                                       "constant time) or 'copy' (grows with the size).")
    unavailable_seconds = fields.Float(help="How long the environment answered 503 (a migration or restore): "
                                            "0 when the old release served until the switch.")
    result = fields.Json(help="What a destroy removed.")
    gate_results = fields.Json(help="The health gates of the policy and their outcomes: [{type, required, status, "
                                    "seconds, output, by, at, reason}] (odooops.gates).")

    _sha_format = models.Constraint(
        "CHECK (sha IS NULL OR sha ~ '^[0-9a-f]{7,40}$')", "A commit SHA is 7 to 40 lowercase hex digits.")

    @api.depends("kind", "sha", "ref", "environment_id.slug")
    def _compute_display_name(self):
        for dep in self:
            what = (dep.sha or dep.ref or "")[:7]
            dep.display_name = f"#{dep.id} {dep.kind} {what} → {dep.environment_id.slug}".replace("  ", " ")

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

    def _release(self, standby=None):
        self.ensure_one()
        return Release(image=self.image, sha=self.sha, checksums=self.checksums or {}, container=self.container,
                       http_port=self.http_port or None, websocket_port=self.websocket_port or None,
                       snapshot=self.snapshot or None, odoo_revision=self.odoo_revision or None,
                       deployment=self.id, standby=standby._release() if standby else None)

    def _start(self):
        """Start a new deployment: enqueue its job (odooops_policy may hold it for an approval first)."""
        self._enqueue()

    def _enqueue(self):
        for dep in self:
            env = dep.environment_id
            dep.with_delay(channel="root.deploy", priority=lifecycle.TIER_PRIORITY[env.tier],
                           identity_key=f"odooops-deployment-{dep.id}",
                           description=f"{dep.kind} {env.project_id.slug}/{env.slug} {dep.ref or dep.sha or ''}"
                           )._execute()

    def _report_facts(self, facts):
        """What the pipeline's facts add to a step's report: the release as it comes to be
        (image, ports, snapshot…), so that an interrupted run can be cleaned up, and gate results."""
        vals = {k: v for k, v in facts.items() if k in FACTS}
        if "gate_results" in facts:
            vals["gate_results"] = gating.merge(self.gate_results, facts["gate_results"])
        if vals.get("snapshot") and not self.snapshot_taken_at:
            vals["snapshot_taken_at"] = fields.Datetime.now()
        return vals

    def _execute(self):
        """The queue_job job: run the pipeline for this deployment (once).

        Jobs run as the user who asked; the UI is read-only for every role, so the
        job writes its state as superuser (the request was authorized and audited).
        A deployment that fails makes its job fail too, so the job's state tells the truth.
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
        try:
            pipeline = Pipeline(env._data_plane(), env._plan(), report=self._report)
            pipeline.neutralize_copies = env.project_id._policy().clone_defaults(env.tier)["neutralize"]
            outcome = self._run_pipeline(pipeline)
        except (Conflict, *RETRYABLE) as exc:
            if not self._last_attempt():
                self._requeue()
                raise RetryableJobError(f"{exc.message}: retrying later") from None
            failure = exc
        except OdooOpsError as exc:
            failure = exc
        except Exception as exc:  # noqa: BLE001 - a job must record why it failed
            _logger.exception("deployment %s failed", self.id)
            failure = OdooOpsError(f"internal error: {exc}")
        else:
            return self._finish(outcome)
        self.env.cr.rollback()
        self._fail(failure)
        self.env.cr.commit()
        raise UserError(f"{self.kind} {self.id} failed at {self.step}: {self.error}")

    def _run_pipeline(self, pipeline):
        env = self.environment_id
        current = (env.current_deployment_id._release(standby=env.standby_deployment_id)
                   if env.current_deployment_id else None)
        taken = env._taken_ports()
        if self.kind == "destroy":
            return pipeline.destroy(keep_database=self.keep_database)
        if self.kind == "migrate":
            project = env.project_id
            return pipeline.migrate(deployment=self.id, remote=project.git_remote, ref=self.ref or self.sha,
                                    base_image=project.base_image, current=current, taken_ports=taken,
                                    asked=self.migrate_modules or (), test_command=project.test_command or None,
                                    gates=self._gates())
        if self.kind == "restore" or (self.kind == "clone" and self.clone_strategy == clone.BACKUP):
            return self._restore_backup(pipeline, current, taken)
        if self.kind == "clone":
            return self._refresh(pipeline, current, taken)
        if self.kind == "rollback":
            return pipeline.rollback(deployment=self.id, current=current, target=self.source_deployment_id._release(),
                                     restore_from=self.restore_from or None, taken_ports=taken)
        if self.kind in ("promote", "redeploy"):
            source = self.source_deployment_id
            return pipeline.deploy(deployment=self.id, remote=None, sha=source.sha, base_image=None,
                                   current=current, taken_ports=taken, image=source.image,
                                   checksums=source.checksums, migrate=self.migrate,
                                   odoo_revision=source.odoo_revision or None, gates=self._gates())
        project = env.project_id
        return pipeline.deploy(deployment=self.id, remote=project.git_remote, sha=self.ref or self.sha,
                               base_image=project.base_image, current=current, taken_ports=taken,
                               test_command=project.test_command or None,
                               seed=self._initial_data(pipeline.plane) if current is None else None,
                               demo=current is None and self.with_demo, gates=self._gates())

    def _gates(self):
        """The policy's health gates that the pipeline runs for this deployment (odooops.gates):
        the policy in force when the job runs, for the environment's tier."""
        env = self.environment_id
        return gating.plan(env.project_id._policy().gates(env.tier), self.kind)

    def _initial_data(self, plane):
        """A first deploy's data (odooops.seed.Seed): a copy of clone_source_id, serving, or of
        source_snapshot_id; None: an install. Checked again here, the request was a while ago.
        A deploy after a failed first one starts from what the first one was told."""
        first = self.environment_id.deployment_ids.sorted("id")[:1]
        if first != self and not (self.clone_source_id or self.source_snapshot_id or self.with_demo):
            self.write({"clone_source_id": first.clone_source_id.id, "with_demo": first.with_demo,
                        "source_snapshot_id": first.source_snapshot_id.id})
        source, url = self.clone_source_id, self.environment_id.url or ""
        if self.source_snapshot_id:
            return self.source_snapshot_id._seed(plane, url)
        if not source:
            return None
        release = source.current_deployment_id
        if not release or source.state in ("destroying", "destroyed"):
            raise DeploymentFailed("copy", f"{source.display_name} no longer serves: there is no data to copy",
                                   remediation="Destroy this environment and create it again --from another "
                                               "environment, or --empty.")
        return Seed(clone.Source(source.database_name, source.db_role, release.container or None,
                                 environment_lock(f"{source.project_id.slug}/{source.slug}")),
                    templates.filestore_dir(plane.filestore_root, source.database_name),
                    checksums=release.checksums or {}, base_url=url, label=source.display_name)

    def _refresh(self, pipeline, current, taken):
        source = self.clone_source_id
        release = source.current_deployment_id
        plane = pipeline.plane
        return pipeline.refresh(
            deployment=self.id, current=current, taken_ports=taken, strategy=self.clone_strategy or None,
            anonymized=self.anonymize,
            source=clone.Source(source.database_name, source.db_role, release.container or None,
                                environment_lock(f"{source.project_id.slug}/{source.slug}")),
            source_filestore=templates.filestore_dir(plane.filestore_root, source.database_name),
            base_url=self.environment_id.url or "", progress=Throttle(self._progress))

    def _restore_backup(self, pipeline, current, taken):
        """Backup ``backup_key`` of ``clone_source_id`` restored beside the serving database and
        swapped in; another environment's backup is neutralized (and anonymized) as a clone is."""
        source, env = self.clone_source_id, self.environment_id
        return pipeline.restore_backup(
            deployment=self.id, current=current, taken_ports=taken, store=self.env["odooops.backup"]._store(),
            backup_id=self.backup_key, environment_key=source.database_name, base_url=env.url or "",
            neutralize=source != env, anonymized=self.anonymize, progress=Throttle(self._progress))

    def _progress(self, step, done, total):
        """Bytes of the step that streams, committed as ``_report`` is (``Throttle``: about once
        a second): `--wait` draws its bar from them."""
        self.write({"progress": progress_entry(self.progress, step, done, total, datetime.now(timezone.utc))})
        self.env.cr.commit()

    def _finish(self, outcome):
        """Record a finished deployment and what now serves: used by the job and by the
        reconciler (which finds deployments whose worker died after the switch)."""
        env = self.environment_id
        if self.kind == "destroy":
            self.write({"result": outcome})
            self._transition("succeeded")
            env._transition("destroyed")
            return f"destroyed {env.display_name}"
        if isinstance(outcome, Release):
            self.write({"image": outcome.image, "sha": outcome.sha, "checksums": outcome.checksums,
                        "container": outcome.container, "http_port": outcome.http_port,
                        "websocket_port": outcome.websocket_port, "snapshot": outcome.snapshot,
                        "odoo_revision": outcome.odoo_revision})
            self._queue_backup_before()
        self._transition("succeeded")
        if env.state in ("provisioning", "running"):
            env._transition("deploying")
        standby = outcome.standby.deployment if isinstance(outcome, Release) and outcome.standby else False
        env.write({"current_deployment_id": self.id, "deployed_sha": self.sha, "image": self.image, "drift": False,
                   "standby_deployment_id": standby})
        env._transition("running")
        return f"{self.kind} of {(self.sha or '')[:12]} succeeded"

    def _queue_backup_before(self):
        """A deployment that migrated kept a snapshot of the data just before it: back that
        up (odooops.backup.scheduler decides). Never fails the deployment that succeeded."""
        try:
            with self.env.cr.savepoint():
                self.env["odooops.backup.scheduler"]._queue_before_deployment(
                    self, self.environment_id.current_deployment_id)
        except Exception:  # noqa: BLE001 - the release serves; the scheduled backups follow anyway
            _logger.exception("deployment %s: could not queue the backup of its snapshot", self.id)

    def _fail(self, exc):
        logs = (exc.details.get("logs") or exc.details.get("log") or "") if isinstance(exc.details, dict) else ""
        env = self.environment_id
        log = ((self.log or "") + (logs or ""))[-100000:]
        self.write({"error": exc.message, "step": getattr(exc, "step", None) or self.step, "log": log,
                    "error_lines": ((exc.details.get("error_lines") if isinstance(exc.details, dict) else None)
                                    or logscan.error_lines(logs or log) or [exc.message]),
                    "remediation": exc.remediation})
        self._transition("failed")
        if env.state in ("provisioning", "deploying"):
            env._transition("running" if env.current_deployment_id else "failed")
        elif env.state == "destroying":
            env._transition("failed")

    def _requeue(self):
        """Put the deployment back to queued for the next attempt (nothing was changed)."""
        self.env.cr.rollback()
        env = self.environment_id
        self.write({"state": "queued", "started_at": False,
                    "log": (self.log or "") + "infrastructure unavailable: retrying later\n"})
        if env.state in ("provisioning", "deploying"):
            env.write({"state": "running" if env.current_deployment_id else "draft"})
        self.env.cr.commit()
