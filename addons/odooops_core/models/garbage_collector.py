import json
import logging
import time
from collections import defaultdict
from datetime import timezone

import psycopg2
from odoo import api, models

from odooops import gc, settings, templates
from odooops.errors import NotFound, OdooOpsError

_logger = logging.getLogger(__name__)

DEPLOYMENT_FIELDS = ["environment_id", "state", "kind", "image", "container", "snapshot", "odoo_revision",
                     "checksums", "finished_at", "snapshot_taken_at"]
SWEEP_IDENTITY = "odooops-gc-sweep"     # one sweep queued at a time


def _epoch(value):
    return value.replace(tzinfo=timezone.utc).timestamp() if value else None


class OdooopsGarbageCollector(models.AbstractModel):
    """Retention and garbage collection of what the platform makes on its host (images,
    template databases, snapshots, leftover containers, git mirrors, pinned Odoo sources):
    the engine (``odooops.gc``) decides from what exists and what these records need; a
    daily cron queues the sweep as a job. Also each project's disk usage."""
    _name = "odooops.garbage.collector"
    _description = "OdooOps Garbage Collector"

    # -- what the records need ----------------------------------------------------------------

    @api.model
    def _references(self):
        envs = self.env["odooops.environment"].sudo().with_context(active_test=False).search([])
        projects = self.env["odooops.project"].sudo().with_context(active_test=False).search([])
        busy = set(self.env["odooops.deployment"].sudo().search(
            [("state", "in", ("queued", "running"))]).environment_id.ids)
        busy |= set(self.env["odooops.backup"].sudo().search(
            [("state", "in", ("pending", "running"))]).environment_id.ids)
        by_env = defaultdict(list)
        project_of = {env.id: env.project_id for env in envs}
        for row in self.env["odooops.deployment"].sudo().search_read([("environment_id", "in", envs.ids)],
                                                                      DEPLOYMENT_FIELDS):
            env_id = row["environment_id"][0]
            by_env[env_id].append(self._deployment_ref(row, project_of[env_id]))
        environments = tuple(gc.EnvironmentRef(
            key=env.database_name, label=f"{env.project_id.slug}/{env.slug}", project=env.project_id.slug,
            live=env.state != "destroyed", busy=env.id in busy, current=env.current_deployment_id.id or None,
            standby=env.standby_deployment_id.id or None, deployments=tuple(by_env[env.id]))
            for env in envs if env.database_name)
        return gc.References(environments, tuple(gc.ProjectRef(p.slug, p.git_remote or "", p.active) for p in projects),
                             self._kept_databases())

    @api.model
    def _deployment_ref(self, row, project):
        template = None
        if row["odoo_revision"] and row["checksums"] is not None:
            # The template a fresh install of this code made (pipeline._install names it so).
            template = templates.name(project.slug, row["odoo_revision"], project.base_image, row["checksums"])
        return gc.DeploymentRef(
            id=row["id"], state=row["state"], kind=row["kind"], image=row["image"] or None,
            container=row["container"] or None, snapshot=row["snapshot"] or None,
            odoo_revision=row["odoo_revision"] or None, template=template, finished_at=_epoch(row["finished_at"]),
            snapshot_taken_at=_epoch(row["snapshot_taken_at"]))

    @api.model
    def _kept_databases(self):
        """Databases other records need: named snapshots (when that model is installed) and
        the database a running backup dumps."""
        kept = {}
        if "odooops.snapshot" in self.env:
            for snap in self.env["odooops.snapshot"].sudo().search([("state", "!=", "deleted"),
                                                                   ("database_name", "!=", False)]):
                until = f", kept until {snap.expires_at:%Y-%m-%d}" if snap.expires_at else ""
                kept[snap.database_name] = f"named snapshot '{snap.name}' of {snap.environment_id.display_name}{until}"
        Backup = self.env["odooops.backup"].sudo()
        if "source_database" in Backup._fields:
            for backup in Backup.search([("state", "in", ("pending", "running")), ("source_database", "!=", False)]):
                kept[backup.source_database] = f"backup #{backup.id} of {backup.environment_id.display_name} dumps it"
        return kept

    @api.model
    def _policy(self):
        config = settings.current()
        return gc.Policy(keep_releases=config.gc_keep_releases, snapshot_days=float(config.gc_snapshot_days))

    # -- plan and sweep ---------------------------------------------------------------------------

    @api.model
    def _plan(self, fresh=False):
        """(host, plan) now: what would go, each with its reason. ``fresh``: Docker's image
        sizes asked now (else up to a minute old: a dry run's figures)."""
        host = gc.Host.from_plane(self.env["odooops.environment"]._data_plane())
        return host, gc.plan(gc.inventory(host, fresh=fresh), self._references(), self._policy(), time.time())

    @api.model
    def _queue_sweep(self):
        """Queue the sweep (one at a time); the uuid of its job."""
        job = self.with_delay(channel="root", identity_key=SWEEP_IDENTITY,
                              description="garbage collection of the data plane")._sweep()
        return job.uuid

    @api.model
    def _sweep(self):
        """The queue_job job: plan again now (the records may have changed since it was
        queued), remove what goes; the report, as JSON, is the job's result."""
        host, decided = self._plan(fresh=True)
        report = gc.sweep(host, decided)
        for entry in report.removed:
            _logger.info("gc: removed %s %s (%s bytes): %s", entry["kind"], entry["name"], entry["bytes"],
                         entry["reason"])
        for entry in report.failed:
            _logger.warning("gc: could not remove %s %s: %s", entry["kind"], entry["name"], entry["error"])
        _logger.info("gc: %d removed, %d failed, %d bytes freed in %.1f s", len(report.removed),
                     len(report.failed), report.freed, report.seconds)
        return json.dumps({**report.to_dict(), "kept": len(decided.kept), "policy": decided.to_dict()["policy"]})

    @api.model
    def _cron_collect(self):
        return self._queue_sweep()

    @api.model
    def _sweep_job(self, uuid):
        """The queue.job of the sweep ``uuid`` (404 for any other job)."""
        job = self.env["queue.job"].sudo().search([("uuid", "=", uuid), ("model_name", "=", self._name),
                                                   ("method_name", "=", "_sweep")], limit=1)
        if not job:
            raise NotFound(f"no garbage collection run {uuid!r}",
                           remediation="Start one: odooops gc (API: POST /api/v1/gc {\"dry_run\": false}).")
        return job

    # -- disk usage -----------------------------------------------------------------------------------

    @api.model
    def _project_usage(self, project):
        """What ``project`` takes on disk (databases with snapshots, filestores, images), or
        None when the data plane cannot be asked (logged)."""
        project = project.sudo()
        envs = project.with_context(active_test=False).environment_ids
        named = []
        if "odooops.snapshot" in self.env:
            named = self.env["odooops.snapshot"].sudo().search([("environment_id", "in", envs.ids),
                                                               ("state", "!=", "deleted")]).mapped("database_name")
        try:
            host = gc.Host.from_settings(settings.current(), owner="")
            return gc.project_usage(host, project.slug, [k for k in envs.mapped("database_name") if k],
                                    [n for n in named if n])
        except (OdooOpsError, psycopg2.Error) as exc:
            _logger.warning("disk usage of project %s: %s", project.slug, getattr(exc, "message", exc))
            return None
