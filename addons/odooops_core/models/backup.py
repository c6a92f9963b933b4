import logging
from datetime import datetime, timezone

from odoo import api, fields, models
from odoo.exceptions import UserError

from odooops import backups, errors, settings, templates
from odooops.backups.configured import location, store_from_settings
from odooops.backups.errors import BackupNotFound
from odooops.backups.streams import Throttle, progress_entry
from odooops.errors import OdooOpsError

_logger = logging.getLogger(__name__)


class OdooopsBackup(models.Model):
    _name = "odooops.backup"
    _description = "OdooOps Backup"
    _inherit = ["odooops.readonly.thread"]
    _order = "id desc"

    environment_id = fields.Many2one("odooops.environment", required=True, ondelete="restrict",
                                     index=True, tracking=True)
    project_id = fields.Many2one(related="environment_id.project_id", store=True, index=True)
    description = fields.Char()
    location = fields.Char(help="Where the dump and filestore archive are stored (s3://… or a path).")
    size_bytes = fields.Float(digits=(20, 0))
    sha256 = fields.Char()
    state = fields.Selection([("pending", "Pending"), ("running", "Running"), ("done", "Done"),
                              ("failed", "Failed"), ("expired", "Expired")],
                             required=True, default="pending", index=True, tracking=True)
    expires_at = fields.Datetime(tracking=True)
    requested_by_id = fields.Many2one("res.users", default=lambda self: self.env.user,
                                      tracking=True, ondelete="set null")
    backup_key = fields.Char(help="The backup's id in its store (its manifest: <environment>/<id>/manifest.json).")
    manifest = fields.Json(help="What the backup holds: dump and filestore sizes and sha256, Odoo version, modules.")
    error = fields.Text()
    remediation = fields.Text()
    progress = fields.Json(help="While it streams: bytes done and expected (an estimate: the database's and "
                                "filestore's size), since when, and the seconds left at the rate so far.")
    trigger = fields.Selection([("manual", "Asked for"), ("schedule", "Scheduled"),
                                ("deployment", "Before a deployment")], required=True, default="manual", index=True)
    source_database = fields.Char(help="The database dumped when it is not the environment's own: the snapshot a "
                                       "migrating deployment kept of the data before it (kept until this backup ends).")
    deployment_id = fields.Many2one("odooops.deployment", ondelete="set null", index=True,
                                    help="The migrating deployment this backup precedes: it holds the data as they "
                                         "were just before it.")
    taken_at = fields.Datetime(help="When the data it holds were current: when its dump started or, before a "
                                    "deployment, when that deployment's snapshot was taken.")
    finished_at = fields.Datetime()

    @api.depends("environment_id.display_name", "create_date")
    def _compute_display_name(self):
        for backup in self:
            backup.display_name = f"#{backup.id} backup of {backup.environment_id.display_name}"

    _sha256_format = models.Constraint(
        "CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$')", "sha256 must be 64 lowercase hex digits.")

    # -- the job ---------------------------------------------------------------------------

    def _enqueue(self):
        for backup in self:
            backup.with_delay(channel="root", identity_key=f"odooops-backup-{backup.id}",
                              description=f"backup {backup.environment_id.display_name}")._execute()

    def _execute(self):
        """The queue_job job: dump the database and archive the filestore into the store.
        A failure is recorded and makes the job fail too."""
        self = self.sudo()  # noqa: PLW0642 - the request was authorized and audited; the UI is read-only
        self.ensure_one()
        if self.state != "pending":
            return f"already {self.state}"
        env = self.environment_id
        self.write({"state": "running"})
        self.env.cr.commit()
        try:
            current = settings.current()
            store = store_from_settings(current)
            plane = env._data_plane()
            made = backups.backup(plane.pg, self.source_database or env.database_name,
                                  templates.filestore_dir(plane.filestore_root, env.database_name), store,
                                  environment_key=env.database_name, pg_bindir=current.pg_bindir or None,
                                  description=self.description or "",
                                  progress=Throttle(self._progress).step("backup"))
        except OdooOpsError as exc:
            self.env.cr.rollback()
            self.write({"state": "failed", "error": exc.message, "remediation": exc.remediation,
                        "finished_at": fields.Datetime.now()})
            self.env.cr.commit()
            raise UserError(f"backup {self.id} failed: {exc.message}") from None
        self.write({"taken_at": self.taken_at or made.created_at.replace(tzinfo=None),
                    "finished_at": fields.Datetime.now()})
        self.write({"state": "done", "backup_key": made.id, "location": location(store), "manifest": made.to_dict(),
                    "size_bytes": made.dump.size + made.filestore.size, "sha256": made.dump.sha256})
        return f"backup {made.id} of {env.display_name}: {made.dump.size + made.filestore.size} bytes"

    def _progress(self, step, done, total):
        """Bytes streamed so far, committed at once (about once a second: ``Throttle``), so that
        `db backup --wait` draws its bar while the job runs."""
        self.write({"progress": progress_entry(self.progress, step, done, total, datetime.now(timezone.utc))})
        self.env.cr.commit()

    # -- the store, for restores ---------------------------------------------------------------

    @api.model
    def _store(self):
        return store_from_settings(settings.current())

    @api.model
    def _manifest(self, env, backup_key):
        """The manifest of backup ``backup_key`` of ``env`` in the store. Another environment's
        (or project's) backup is simply not found under ``env``'s key: never revealed."""
        try:
            return backups.load_manifest(self._store(), env.database_name, backup_key)
        except BackupNotFound:
            raise BackupNotFound(f"{env.display_name} has no backup {backup_key}",
                                 details={"backup": backup_key, "environment": env.display_name},
                                 remediation=f"List its backups: odooops db backups {env.slug} --project "
                                             f"{env.project_id.slug}") from None

    @api.model
    def _latest_key(self, env):
        """The id of ``env``'s newest complete backup in the store; 409 when it has none."""
        found = backups.list_backups(self._store(), env.database_name)
        if not found:
            raise errors.Conflict(f"{env.display_name} has no complete backup to restore",
                                  code="NO_BACKUP", details={"environment": env.display_name},
                                  remediation=f"Back it up first: odooops db backup {env.slug} --project "
                                              f"{env.project_id.slug} --wait")
        return found[0].manifest.id
