"""Resource quotas and time-to-live of environments, as the project's policy sets them.

- Storage: a deployment that brings code or data (deploy, redeploy, promote, migrate, clone,
  restore) is refused while the environment stores more than its tier's storage quota.
- Caps: resource_quotas.<tier>.max_environments (live ones per project) and max_per_user
  (live ones a user owns in the project) are enforced when an environment is created.
- TTL: expires_at is set at creation (odooops.expiry.lifetime); an hourly cron warns 24 h
  before and then destroys through the normal, audited destroy path.
"""
import logging

import psycopg2
from odoo import api, fields, models

from odooops import errors, expiry, lifecycle, settings, storage_usage

_logger = logging.getLogger(__name__)

# Deployments that bring new code or data in; a rollback or a destroy is never held back by storage.
STORAGE_CHECKED_KINDS = frozenset({"deploy", "redeploy", "promote", "migrate", "clone", "restore"})


class OdooopsEnvironment(models.Model):
    _inherit = "odooops.environment"

    ttl_rule = fields.Char(readonly=True, copy=False,
                           help="The policy rule that set expires_at, e.g. ttl_policies.dev_ephemeral.")
    expiry_warned_at = fields.Datetime(readonly=True, copy=False,
                                       help="When the owner was warned that it expires (reset by an extension).")

    # -- creation: caps and lifetime -------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        projects = self.env["odooops.project"].sudo()
        asked = {}      # (project id, tier) -> [owner ids]: this batch's, checked together
        for vals in vals_list:
            project = projects.browse(vals["project_id"])
            tier = vals.get("tier") or "dev"
            asked.setdefault((project.id, tier), []).append(vals.get("owner_id", self.env.uid))
            if "expires_at" not in vals:
                life = expiry.lifetime(project._policy(), tier, vals.get("branch") or "")
                vals["expires_at"], vals["ttl_rule"] = life.expires_at(now), life.rule
        for (project_id, tier), owners in asked.items():
            self._check_caps(projects.browse(project_id), tier, owners)
        return super().create(vals_list)

    @api.model
    def _check_caps(self, project, tier, owners):
        """QuotaExceeded when ``owners`` (one per new environment) would take ``project`` over the
        policy's max_environments or max_per_user for ``tier``."""
        quota = project._policy().quota(tier)
        if quota.max_environments is None and quota.max_per_user is None:
            return
        # Serialize creations in this project: two at once would each count the other's absence.
        self.env.cr.execute("SELECT id FROM odooops_project WHERE id = %s FOR NO KEY UPDATE", [project.id])
        live = self.sudo().search([("project_id", "=", project.id), ("tier", "=", tier),
                                   ("state", "!=", "destroyed")])
        if quota.max_environments is not None and len(live) + len(owners) > quota.max_environments:
            rule = f"resource_quotas.{tier}.max_environments"
            raise errors.QuotaExceeded(
                f"project {project.slug} has {len(live)} live {tier} environments; its policy allows "
                f"{quota.max_environments} ({rule})",
                details={"project": project.slug, "tier": tier, "rule": rule, "live": len(live),
                         "maximum": quota.max_environments},
                remediation=f"Destroy a {tier} environment it no longer needs (odooops env list --project "
                            f"{project.slug} --tier {tier}; odooops env destroy ENV), or raise {rule} in the "
                            "project's .odooops/policies.yaml and apply it.")
        if quota.max_per_user is None:
            return
        for owner in set(owners):
            if not owner:
                continue
            mine = len(live.filtered(lambda e, o=owner: e.owner_id.id == o)) + owners.count(owner)
            if mine > quota.max_per_user:
                rule = f"resource_quotas.{tier}.max_per_user"
                login = self.env["res.users"].sudo().browse(owner).login
                raise errors.QuotaExceeded(
                    f"{login} would own {mine} live {tier} environments in project {project.slug}; its policy "
                    f"allows {quota.max_per_user} per user ({rule})",
                    details={"project": project.slug, "tier": tier, "rule": rule, "user": login,
                             "owned": mine - owners.count(owner), "maximum": quota.max_per_user},
                    remediation=f"Destroy one of your {tier} environments (odooops env list --project "
                                f"{project.slug} --tier {tier}), or raise {rule} in the project's "
                                ".odooops/policies.yaml and apply it.")

    # -- storage ----------------------------------------------------------------------------------

    def _storage_used(self):
        """{"database_bytes", "filestore_bytes", "total_bytes"} this environment stores now
        (one pg_database_size query and a walk of its filestore, cached a minute)."""
        return self._storage_measured().to_dict()

    def _storage_measured(self):
        self.ensure_one()
        return storage_usage.measure_from_settings(settings.current(), self.sudo().database_name)

    def _admit(self, kind, vals):
        super()._admit(kind, vals)
        if kind in STORAGE_CHECKED_KINDS:
            self._check_storage_quota()

    def _check_storage_quota(self):
        self.ensure_one()
        env = self.sudo()
        quota = env.project_id._policy().quota(env.tier)
        if quota.storage_bytes is None or not env.database_name:
            return
        try:
            used = env._storage_measured()
        except (errors.OdooOpsError, psycopg2.Error, OSError) as exc:
            # Not measurable now (the data plane's trouble): the deployment itself will say what is wrong.
            _logger.warning("storage of %s not measured: %s", env.display_name, getattr(exc, "message", exc))
            return
        storage_usage.check(env.display_name, env.tier, used, quota.storage_bytes)

    # -- time-to-live -----------------------------------------------------------------------------

    def _emit_event(self, event, payload):
        """Record an event of this environment (an audit entry; outbound hooks deliver them)."""
        self.ensure_one()
        return self.env["odooops.audit.log"]._record(
            event, user_id=self.env.uid, login=self.env.user.sudo().login,
            target=f"environment:{self.sudo().display_name}", details=payload)

    def _expiry_payload(self, now):
        env = self.sudo()
        return {"environment": env.id, "project": env.project_id.slug, "slug": env.slug, "branch": env.branch,
                "tier": env.tier, "owner": env.owner_id.login or None, "rule": env.ttl_rule or None,
                "expires_at": fields.Datetime.to_string(env.expires_at), "now": fields.Datetime.to_string(now),
                "extend": f"odooops env extend {env.slug} --project {env.project_id.slug} --days=7"}

    @api.model
    def _cron_expire(self, now=None):
        """Warn the environments that expire within 24 h, destroy the expired ones. ``now``: the
        clock (tests simulate it). One environment's failure is logged and does not stop the others."""
        now = now or fields.Datetime.now()
        envs = self.sudo().search([("state", "not in", expiry.GONE), ("expires_at", "!=", False),
                                   ("expires_at", "<=", now + expiry.WARN_BEFORE)])
        pending = {}
        for dep in envs.deployment_ids.filtered(lambda d: d.state in lifecycle.ACTIVE_DEPLOYMENT_STATES):
            pending.setdefault(dep.environment_id.id, dep.kind)
        plan = expiry.plan([expiry.Candidate(e.id, e.expires_at, e.expiry_warned_at or None, e.state,
                                             pending.get(e.id)) for e in envs], now)
        done = {"warned": [], "destroyed": [], "deferred": list(plan.deferred), "failed": []}
        for ids, step, key in ((plan.warn, "_warn_expiry", "warned"), (plan.destroy, "_destroy_expired", "destroyed")):
            for env in self.sudo().browse(ids):
                try:
                    with self.env.cr.savepoint():
                        getattr(env, step)(now)
                    done[key].append(env.id)
                except Exception as exc:  # noqa: BLE001 - one environment's trouble must not spare the others
                    if isinstance(exc, errors.OdooOpsError):        # a known refusal, e.g. a state that forbids it
                        _logger.warning("TTL: %s not %s: %s", env.display_name, key, exc.message)
                    else:
                        _logger.exception("TTL: %s not %s", env.display_name, key)
                    self.env.invalidate_all()       # the rolled-back savepoint's writes are not in the cache
                    done["failed"].append(env.id)
        if any(done.values()):
            _logger.info("TTL run at %s: %s", now, done)
        return done

    def _warn_expiry(self, now):
        self.ensure_one()
        payload = self._expiry_payload(now)
        self.message_post(
            body=f"Expires at {payload['expires_at']} UTC ({payload['rule'] or 'ttl'}), then it is destroyed. "
                 f"To keep it longer: {payload['extend']}", subtype_xmlid="mail.mt_note")
        self._emit_event("environment.expiring", payload)
        self.write({"expiry_warned_at": now})

    def _destroy_expired(self, now):
        self.ensure_one()
        payload = self._expiry_payload(now)
        deployment = self._queue_destroy()
        payload["deployment"] = deployment.id
        self.message_post(body=f"Expired at {payload['expires_at']} UTC ({payload['rule'] or 'ttl'}): "
                               f"destroyed by deployment {deployment.id}.", subtype_xmlid="mail.mt_note")
        self._emit_event("environment.expired", payload)
        return deployment

    def _extend(self, days, now=None):
        """Push expires_at back by ``days`` (from now if it is past already); warn again later."""
        self.ensure_one()
        env = self.sudo()
        if env.state in expiry.GONE:
            raise errors.Conflict(f"environment {env.display_name} is {env.state}: there is nothing to extend",
                                  remediation="Create a new one for its branch: odooops env create BRANCH")
        now = now or fields.Datetime.now()
        new = expiry.extended(env.expires_at or None, now, days, env.display_name)
        env.write({"expires_at": new, "expiry_warned_at": False})
        return new
