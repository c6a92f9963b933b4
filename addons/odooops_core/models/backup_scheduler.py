"""Backups the control plane takes by itself: on a schedule per tier, and before every
deployment that migrates; and the retention that deletes what the policy no longer
keeps. The decisions are the engine's (odooops.backups.schedule and .retention): this
model gathers the facts from the records, acts, and writes down what happened."""
import logging
from datetime import datetime, timedelta, timezone

from odoo import api, fields, models

from odooops import addon_checksums, backups, settings
from odooops.backups import schedule
from odooops.backups.configured import store_from_settings

_logger = logging.getLogger(__name__)

# Deployments whose snapshot is the data just before a migration (a rollback's, a clone's
# or a restore's snapshot is the data they replaced: not "before a deploy").
MIGRATING_KINDS = ("deploy", "promote", "redeploy", "migrate")
# Deployments that may read a backup from the store while they run.
READING_KINDS = ("restore", "clone")
LIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


def _utc(moment):
    return moment.replace(tzinfo=timezone.utc) if moment else None


def _naive(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment else False


class OdooopsBackupScheduler(models.AbstractModel):
    _name = "odooops.backup.scheduler"
    _description = "OdooOps Backup Scheduler"

    # -- scheduled backups (cron, every 15 minutes) ---------------------------------------

    @api.model
    def _cron_schedule_backups(self, environment_ids=None):
        """Queue a backup of every live environment that is due (all, or those of
        ``environment_ids``). Returns {environment: the decision, and the backup queued}."""
        now = datetime.now(timezone.utc)
        self._fail_lost_backups(now)
        domain = [("state", "!=", "destroyed")] + ([("id", "in", list(environment_ids))] if environment_ids else [])
        report = {}
        for env in self.env["odooops.environment"].sudo().search(domain):
            try:
                with self.env.cr.savepoint():
                    report[env.display_name] = self._schedule_one(env, now)
            except Exception as exc:  # noqa: BLE001 - one environment's trouble never stops the others'
                _logger.exception("scheduled backup of %s", env.display_name)
                report[env.display_name] = {"due": True, "reason": f"could not be queued: {exc}", "due_at": None}
        return report

    def _schedule_one(self, env, now):
        decision = self._decision(env, now)
        entry = decision.to_dict()
        if decision.due:
            minutes = env.project_id[f"backup_every_{env.tier}"]
            entry["backup"] = self._queue(env, "schedule", f"scheduled ({env.tier}: at most {minutes} min "
                                                           "of data at risk)").id
            _logger.info("scheduled backup %s of %s: %s", entry["backup"], env.display_name, decision.reason)
        return entry

    def _decision(self, env, now):
        Backup = self.env["odooops.backup"].sudo()
        mine = [("environment_id", "=", env.id)]
        done = Backup.search(mine + [("state", "=", "done")], order="id desc", limit=20)
        points = [_utc(b.taken_at or b.create_date) for b in done]
        took = [b.finished_at - b.taken_at for b in done.filtered(lambda b: b.trigger != "deployment")[:5]
                if b.finished_at and b.taken_at and b.finished_at >= b.taken_at]
        return schedule.decide(
            env.project_id._backup_every(env.tier), now=now, newest=max(points, default=None),
            serving=env.state == "running" and bool(env.current_deployment_id),
            backup_in_progress=bool(Backup.search_count(mine + [("state", "in", ("pending", "running"))])),
            deployment_in_progress=bool(env.deployment_ids.filtered(lambda d: d.state in ("queued", "running"))),
            duration=max(took, default=timedelta(0)))

    def _queue(self, env, trigger, description, **vals):
        backup = self.env["odooops.backup"].sudo().create({
            "environment_id": env.id, "trigger": trigger, "description": description[:200],
            "requested_by_id": False, **vals})
        backup._enqueue()
        return backup

    def _fail_lost_backups(self, now):
        """A backup still pending or running whose job is over (its worker died, the job
        was cancelled) would block its environment's schedule forever: it failed."""
        Job = self.env["queue.job"].sudo()
        for backup in self.env["odooops.backup"].sudo().search([("state", "in", ("pending", "running"))]):
            job = Job.search([("identity_key", "=", f"odooops-backup-{backup.id}")], order="id desc", limit=1)
            if job and job.state in LIVE_JOB_STATES:
                continue
            why = f"its job is {job.state}" if job else "it has no job"
            backup.write({"state": "failed", "finished_at": _naive(now),
                          "error": f"backup {backup.id} was {backup.state} but {why}: its worker was lost",
                          "remediation": "Nothing to do for a scheduled backup (the next one is queued at the "
                                         "next tick); otherwise take it again: odooops db backup ENV"})
            _logger.warning("backup %s of %s: %s, marked failed", backup.id, backup.environment_id.display_name, why)

    # -- the backup before a migrating deployment -------------------------------------------

    @api.model
    def _queue_before_deployment(self, deployment, previous):
        """``deployment`` migrated the database and succeeded: back up the snapshot it kept,
        which is exactly the data before the migration, so the backup costs no downtime.
        Only for tiers the project backs up on a schedule (production and staging by
        default). ``previous`` is the deployment that served before (its checksums say
        which modules migrated). The snapshot stays while the backup reads it: nothing
        drops a deployment's snapshot before the garbage collector, which keeps the
        ``source_database`` of pending and running backups."""
        env = deployment.environment_id.sudo()
        if (deployment.kind not in MIGRATING_KINDS or not deployment.snapshot
                or not env.project_id._backup_every(env.tier)):
            return self.env["odooops.backup"]
        todo = addon_checksums.plan(previous.checksums if previous else None, deployment.checksums or {})
        return self._queue(env, "deployment", schedule.before_deployment(deployment.id, todo),
                           source_database=deployment.snapshot, deployment_id=deployment.id,
                           taken_at=deployment.snapshot_taken_at or fields.Datetime.now())

    # -- retention (cron, daily) ------------------------------------------------------------------

    @api.model
    def _cron_apply_retention(self, environment_ids=None, now=None):
        """Apply each project's retention policy to its environments' backups in the store
        (all, or those of ``environment_ids``): the expired ones are deleted (manifest
        first) and their records marked expired; the newest complete backup of an
        environment and those a running restore reads are never deleted. Keys of the
        store this control plane does not know are left alone."""
        now = now or datetime.now(timezone.utc)
        policies = {}
        envs = self.env["odooops.environment"].sudo().with_context(active_test=False).search([], order="id")
        chosen = set(environment_ids or envs.ids)
        for env in envs:                      # a key used again by a newer environment: the newer one's project
            policies[env.database_name] = env.project_id._retention_policy() if env.id in chosen else None
        store = store_from_settings(settings.current())
        report = backups.apply(store, policies.get, now, protect=self._backups_in_use())
        self._record_retention(report, now)
        removed = sum(len(outcome["deleted"]) for outcome in report["environments"].values())
        _logger.info("backup retention: %s deleted, %s orphans removed, %s environments left alone",
                     removed, len(report["orphans_removed"]), len(report["skipped"]))
        return report

    def _backups_in_use(self):
        """Ids of the backups that queued or running restores (and clones by the "backup"
        strategy) read from the store (their ``backup_key``)."""
        readers = self.env["odooops.deployment"].sudo().search([("kind", "in", READING_KINDS),
                                                                ("state", "in", ("queued", "running"))])
        return {key for key in readers.mapped("backup_key") if key}

    def _record_retention(self, report, now):
        Backup = self.env["odooops.backup"].sudo()
        for key, outcome in report["environments"].items():
            records = Backup.search([("environment_id.database_name", "=", key), ("state", "=", "done"),
                                     ("backup_key", "in", outcome["deleted"] + outcome["kept"])])
            for backup in records:
                if backup.backup_key in outcome["deleted"]:
                    backup.write({"state": "expired", "expires_at": _naive(now)})
                    continue
                ends = outcome["expires_at"].get(backup.backup_key)
                expires = _naive(datetime.fromisoformat(ends)) if ends else False
                if backup.expires_at != expires:
                    backup.write({"expires_at": expires})

