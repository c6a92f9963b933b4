import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError

from odooops import templates
from odooops.dataplane import environment_lock
from odooops.dbops import clone, snapshot
from odooops.errors import Conflict, DeploymentFailed, Forbidden, NotFound, OdooOpsError, ValidationFailed
from odooops.naming import snapshot_database
from odooops.seed import Seed

_logger = logging.getLogger(__name__)

KEEP_DAYS = 30
STATES = [("pending", "Pending"), ("running", "Running"), ("done", "Done"), ("failed", "Failed"),
          ("deleted", "Deleted")]


class OdooopsSnapshot(models.Model):
    """A named, kept copy of an environment's database and filestore (``odooops env snapshot``),
    from which an environment of the same project can start (``env create --from-snapshot``)."""
    _name = "odooops.snapshot"
    _description = "OdooOps Snapshot"
    _inherit = ["odooops.readonly.thread", "odooops.timed.run"]
    _order = "id desc"

    environment_id = fields.Many2one("odooops.environment", required=True, ondelete="restrict", index=True,
                                     tracking=True)
    project_id = fields.Many2one(related="environment_id.project_id", store=True, index=True)
    name = fields.Char(required=True, tracking=True)
    database_name = fields.Char(readonly=True, index=True, help="The kept copy (odooops_snap_<project>__<env>__<id>).")
    state = fields.Selection(STATES, required=True, default="pending", index=True, tracking=True)
    shared = fields.Boolean(tracking=True, help="Other members of the project may start environments from it. "
                                                "Unshared: only its creator and admins.")
    expires_at = fields.Datetime(tracking=True, help="When it is dropped (database and filestore).")
    created_by_id = fields.Many2one("res.users", default=lambda self: self.env.user, ondelete="set null",
                                    tracking=True)
    deployment_id = fields.Many2one("odooops.deployment", ondelete="set null",
                                    help="The release that served the data when it was taken.")
    checksums = fields.Json(help="Module checksums of that release: what an environment started from it updates.")
    size_bytes = fields.Float(digits=(20, 0), help="Database plus filestore (hard links counted once).")
    files = fields.Integer(help="Files in its filestore.")
    strategy = fields.Char(help="How the database was copied: clone (copy-on-write), template or dump.")
    step = fields.Char(help="The step running, or the one that failed.")
    step_timings = fields.Json(default=dict)
    error = fields.Text()
    remediation = fields.Text()

    @api.depends("name", "environment_id.display_name")
    def _compute_display_name(self):
        for snap in self:
            snap.display_name = f"#{snap.id} {snap.name} ({snap.environment_id.display_name})"

    # -- what the API does ------------------------------------------------------------------

    @api.model
    def _queue(self, env, name=None, shared=False, days=KEEP_DAYS):
        """Record a snapshot of ``env`` and queue the job that takes it."""
        if not env.current_deployment_id or env.state in ("destroying", "destroyed"):
            raise Conflict(f"{env.display_name} serves nothing: there is no data to keep",
                           remediation=f"Deploy it first: odooops deploy {env.slug} --wait")
        now = fields.Datetime.now()
        snap = self.sudo().create({
            "environment_id": env.id, "shared": bool(shared), "created_by_id": self.env.uid,
            "name": name or f"{env.slug} {now:%Y-%m-%d %H:%M}", "expires_at": now + timedelta(days=days),
            "deployment_id": env.current_deployment_id.id, "checksums": env.current_deployment_id.checksums or {}})
        snap.database_name = snapshot_database(env.project_id.slug, env.slug, snap.id)
        snap._enqueue()
        return snap

    def _check_usable(self, project, user):
        """Refuse, precisely, a snapshot that ``user`` may not start an environment of
        ``project`` from: another project's, unshared and not theirs, or not (or no longer) there."""
        self.ensure_one()
        if self.project_id != project:
            raise ValidationFailed(f"snapshot {self.id} belongs to project {self.project_id.slug}, not {project.slug}: "
                                   "data never crosses projects",
                                   remediation=f"Start an environment of {self.project_id.slug} from it, or take a "
                                               f"snapshot in {project.slug}.")
        if not (self.shared or self.created_by_id == user or user.has_group("odooops_core.group_admin")):
            raise Forbidden(f"snapshot {self.id} is not shared: only {self.created_by_id.login} and admins may use it",
                            details={"snapshot": self.id},
                            remediation="Ask its creator to share one: odooops env snapshot ENV --share")
        if self.state != "done":
            raise Conflict(f"snapshot {self.id} is {self.state}: only a complete snapshot can be started from",
                           details={"snapshot": self.id, "status": self.state},
                           remediation=f"See it: odooops env snapshots {self.environment_id.slug}; or take another.")

    def _may_delete(self, user):
        self.ensure_one()
        if not (self.created_by_id == user or user.has_group("odooops_core.group_admin")):
            raise Forbidden(f"snapshot {self.id} is {self.created_by_id.login}'s: only they and admins may delete it")
        if self.state in ("pending", "running"):
            raise Conflict(f"snapshot {self.id} is still being taken", remediation="Delete it once it is done.")

    def _drop(self):
        """Drop the database and filestore; the record stays as history (state deleted).
        Conflict while an environment is being started from it."""
        plane = self.env["odooops.environment"]._data_plane()
        for snap in self.sudo():
            if snap.database_name:
                snapshot.drop(plane.pg, plane.filestore_root, snap.database_name, wait=False)
            snap.write({"state": "deleted", "expires_at": fields.Datetime.now()})
        return True

    @api.model
    def _cron_expire(self):
        """Drop the snapshots whose time is up; one in use is dropped on a later run."""
        due = self.sudo().search([("state", "in", ("done", "failed")), ("expires_at", "<=", fields.Datetime.now())])
        for snap in due:
            try:
                snap._drop()
            except Conflict:
                continue
            self.env.cr.commit()
        return len(due)

    def _seed(self, plane, base_url=""):
        """Where an environment started from this snapshot gets its data (odooops.seed)."""
        self.ensure_one()
        if self.state != "done" or not snapshot.exists(plane.pg, plane.filestore_root, self.database_name):
            raise DeploymentFailed("copy", f"snapshot {self.id} ({self.name}) is {self.state}, its data is gone",
                                   remediation="Create the environment again from another snapshot, or --empty.")
        return Seed(snapshot.source(self.database_name), snapshot.filestore_of(plane.filestore_root, self.database_name),
                    checksums=self.checksums or {}, base_url=base_url, label=f"snapshot {self.id} ({self.name})")

    # -- the job ---------------------------------------------------------------------------

    def _enqueue(self):
        for snap in self:
            snap.with_delay(channel="root", identity_key=f"odooops-snapshot-{snap.id}",
                            description=f"snapshot {snap.environment_id.display_name}")._execute()

    def _progress(self, step):
        timings = dict(self.step_timings or {})
        timings[step] = fields.Datetime.now().isoformat()
        self.write({"step": step, "step_timings": timings})
        self.env.cr.commit()        # visible to `env snapshot --wait` while the job runs

    def _execute(self):
        """The queue_job job: copy the serving database (an idle moment's clone, or a dump that
        never pauses it) and hard-link the filestore. While a deployment of the environment
        runs, the job is retried later; a failure is recorded and fails the job too."""
        self = self.sudo()  # noqa: PLW0642 - the request was authorized and audited; the UI is read-only
        self.ensure_one()
        if self.state not in ("pending", "running"):
            return f"already {self.state}"
        env = self.environment_id
        self.write({"state": "running"})
        self.env.cr.commit()
        try:
            release = env.current_deployment_id
            if not release or env.state in ("destroying", "destroyed"):
                raise Conflict(f"{env.display_name} no longer serves: there is no data to keep")
            plane = env._data_plane()
            source = clone.Source(env.database_name, env.db_role, release.container or None,
                                  environment_lock(f"{env.project_id.slug}/{env.slug}"))
            taken = snapshot.take(plane.pg, plane.docker, source,
                                  templates.filestore_dir(plane.filestore_root, env.database_name),
                                  self.database_name, plane.filestore_root, pg_bindir=plane.pg_bindir,
                                  progress=self._progress)
        except Conflict as exc:
            if not self._last_attempt():
                self.env.cr.rollback()
                self.write({"state": "pending", "step": "waiting: " + exc.message[:200]})
                self.env.cr.commit()
                raise RetryableJobError(f"{exc.message}: retrying later") from None
            failure = exc
        except OdooOpsError as exc:
            failure = exc
        except Exception as exc:  # noqa: BLE001 - a job must record why it failed
            _logger.exception("snapshot %s failed", self.id)
            failure = OdooOpsError(f"internal error: {exc}".strip(), remediation="See the control plane's log.")
        else:
            self.write({"state": "done", "size_bytes": taken.size_bytes, "files": taken.files,
                        "strategy": taken.strategy, "step": False, "checksums": release.checksums or {},
                        "deployment_id": release.id})
            return f"snapshot {self.database_name} of {env.display_name}: {taken.size_bytes} bytes"
        self.env.cr.rollback()
        self.write({"state": "failed", "error": failure.message, "remediation": failure.remediation})
        self.env.cr.commit()
        raise UserError(f"snapshot {self.id} failed: {failure.message}")

    @api.model
    def _visible(self, ref):
        """The snapshot with id ``ref`` that the caller may see (record rules), or NotFound."""
        found = self.search([("id", "=", int(ref))]) if str(ref).isdigit() and int(ref) < 2**31 else self.browse()
        if not found:
            raise NotFound(f"no snapshot {ref!r}", details={"ref": str(ref)},
                           remediation="List them: odooops env snapshots ENV")
        return found
