import secrets

import psycopg2
from odoo import api, fields, models

from odooops import errors, lifecycle, mailcatch, odoo_admin, quotas, secretbox, settings
from odooops.dataplane import DataPlane, EnvironmentPlan
from odooops.naming import branch_slug, database_name, hostname, role_name, validate_branch, validate_domain

# Tiers whose replaced release stays frozen for an instant rollback (it holds its memory).
STANDBY_TIERS = ("production", "staging")
SEALED = ("db_password_sealed", "admin_password_sealed", "master_password_sealed", "login_secret_sealed")

TIER_SELECTION = [("dev", "Development"), ("staging", "Staging"),
                  ("production", "Production"), ("preview", "Preview")]
STATE_SELECTION = [(s, s.capitalize()) for s in lifecycle.ENVIRONMENT_STATES]


class OdooopsEnvironment(models.Model):
    _name = "odooops.environment"
    _description = "OdooOps Environment"
    _inherit = ["odooops.readonly.thread"]
    _order = "project_id, tier, slug"
    _rec_name = "slug"

    project_id = fields.Many2one("odooops.project", required=True, ondelete="restrict",
                                 index=True, tracking=True)
    branch = fields.Char(required=True, tracking=True)
    slug = fields.Char(required=True, readonly=True, index=True)
    tier = fields.Selection(TIER_SELECTION, required=True, default="dev", tracking=True)
    state = fields.Selection(STATE_SELECTION, required=True, default="draft", index=True, tracking=True)
    url = fields.Char(compute="_compute_url", help="Where users reach it (ODOOOPS_ENVIRONMENT_URL).")
    database_name = fields.Char(readonly=True, index=True)
    deployed_sha = fields.Char(tracking=True)
    image = fields.Char(tracking=True)
    workers = fields.Integer(default=2, tracking=True)
    cpu_limit = fields.Float(default=1.0, tracking=True, help="CPU cores")
    memory_limit_mb = fields.Integer(default=2048, tracking=True)
    expires_at = fields.Datetime(tracking=True)
    owner_id = fields.Many2one("res.users", default=lambda self: self.env.user, tracking=True,
                               ondelete="set null")
    host_id = fields.Many2one("odooops.host", tracking=True, ondelete="restrict")
    custom_domains = fields.Char(tracking=True, help="Extra hostnames, comma separated.")
    drift = fields.Char(readonly=True, help="What the reconciler found wrong and could not repair.")
    db_role = fields.Char(readonly=True)
    db_password_sealed = fields.Char(readonly=True, groups="base.group_system", copy=False)
    admin_password_sealed = fields.Char(readonly=True, groups="base.group_system", copy=False,
                                        help="Its Odoo admin's password (never 'admin').")
    master_password_sealed = fields.Char(readonly=True, groups="base.group_system", copy=False)
    login_secret_sealed = fields.Char(readonly=True, groups="base.group_system", copy=False,
                                      help="Signs one-time login links into the environment.")
    current_deployment_id = fields.Many2one("odooops.deployment", readonly=True, tracking=True,
                                            help="The deployment whose release serves now.")
    standby_deployment_id = fields.Many2one(
        "odooops.deployment", readonly=True, ondelete="set null",
        help="The release the current one replaced, kept frozen (paused) so that a rollback to it "
             "resumes it in milliseconds instead of starting it again.")
    http_port = fields.Integer(related="current_deployment_id.http_port")
    deployment_ids = fields.One2many("odooops.deployment", "environment_id")
    backup_ids = fields.One2many("odooops.backup", "environment_id")

    _branch_live_uniq = models.UniqueIndex(
        "(project_id, branch) WHERE state != 'destroyed'",
        "This branch already has a live environment in this project.")
    _slug_live_uniq = models.UniqueIndex(
        "(project_id, slug) WHERE state != 'destroyed'",
        "This slug is already used by a live environment of this project.")
    _database_live_uniq = models.UniqueIndex(
        "(database_name) WHERE state != 'destroyed'",
        "This database name is already used by a live environment.")
    _limits_range = models.Constraint(
        "CHECK (workers BETWEEN 0 AND 64 AND cpu_limit > 0 AND memory_limit_mb >= 256)",
        "Workers must be 0–64, CPU above 0 and memory at least 256 MB.")

    @api.depends("slug", "project_id.domain")
    def _compute_url(self):
        config = settings.current()
        for env in self:
            env.url = (config.environment_address(hostname(env.slug, env.project_id.domain))
                       if env.slug and env.project_id.domain else False)

    @api.depends("project_id.slug", "slug")
    def _compute_display_name(self):
        for env in self:
            env.display_name = f"{env.project_id.slug}/{env.slug}" if env.slug else env.branch

    @api.constrains("tier", "workers", "cpu_limit", "memory_limit_mb")
    def _check_quota(self):
        """Limits within the tier's quota of the project's policy (resource_quotas.<tier>)."""
        for env in self:
            quota = env.project_id.sudo()._policy().quota(env.tier)
            quotas.check(env.tier, workers=env.workers, cpu=env.cpu_limit, memory_mb=env.memory_limit_mb,
                         quotas={env.tier: quota})

    @api.model_create_multi
    def create(self, vals_list):
        live = self.sudo().search_count([("state", "!=", "destroyed")])
        quotas.check_count(live + len(vals_list) - 1, settings.current().max_environments)
        for vals in vals_list:
            project = self.env["odooops.project"].browse(vals["project_id"])
            validate_branch(vals.get("branch"))
            # Limits not asked for are the tier's quota (the policy's resource_quotas.<tier>).
            quota = project.sudo()._policy().quota(vals.get("tier") or "dev")
            for field, value in (("workers", quota.workers), ("cpu_limit", quota.cpu),
                                 ("memory_limit_mb", quota.memory_mb)):
                vals.setdefault(field, value)
            if not vals.get("slug"):
                taken = set(self.sudo().search([("project_id", "=", project.id),
                                                ("state", "!=", "destroyed")]).mapped("slug"))
                vals["slug"] = branch_slug(vals["branch"], taken)
            vals.setdefault("database_name", database_name(project.slug, vals["slug"]))
            vals.setdefault("db_role", role_name(vals["database_name"]))
            if vals.get("custom_domains"):
                vals["custom_domains"] = self._clean_domains(vals["custom_domains"])
            key = self._secret_key()
            for field in SEALED:
                vals.setdefault(field, secretbox.seal(key, secrets.token_urlsafe(24)))
        records = super().create(vals_list)
        records._check_hostnames_free()
        return records

    def write(self, vals):
        if vals.get("custom_domains"):
            vals["custom_domains"] = self._clean_domains(vals["custom_domains"])
        result = super().write(vals)
        if "custom_domains" in vals:
            self._check_hostnames_free()
        return result

    @api.model
    def _clean_domains(self, text):
        return ",".join(validate_domain(h) for h in text.split(",") if h.strip())

    def _check_hostnames_free(self):
        """A hostname serves one environment: nginx would pick one of two at random."""
        others = self.sudo().search([("state", "!=", "destroyed"), ("id", "not in", self.ids)])
        taken = {host: env for env in others for host in env._hostnames()}
        for env in self:
            for host in env._hostnames():
                if host in taken:
                    raise errors.Conflict(f"{host} already serves environment {taken[host].display_name}",
                                          code="HOSTNAME_TAKEN", details={"hostname": host},
                                          remediation="Choose another custom domain.")

    @api.model
    def _secret_key(self):
        """The sealing key, kept outside this database (settings.sealing_key_file). A key
        that older versions kept in ir.config_parameter is moved out on first use."""
        params = self.env["ir.config_parameter"].sudo()
        legacy = params.get_param("odooops.secret_key")
        path = settings.current().sealing_key_file
        key = secretbox.load_key(path, create=True, initial=legacy)
        if legacy and legacy != key:
            raise errors.SecretError(f"two sealing keys: {path} and the one still in the database differ",
                                        remediation="Put the database's key (ir.config_parameter "
                                                    "odooops.secret_key) in that file, then retry.")
        if legacy:
            params.search([("key", "=", "odooops.secret_key")]).unlink()
        return key

    def _ensure_secrets(self):
        """Environments made before a secret existed get it on their next deployment."""
        key = None
        for env in self.sudo():
            missing = {field: None for field in SEALED if not env[field]}
            if missing:
                key = key or self._secret_key()
                env.write({field: secretbox.seal(key, secrets.token_urlsafe(24)) for field in missing})

    def _unseal(self, field):
        self.ensure_one()
        sealed = self.sudo()[field]
        return secretbox.open_(self._secret_key(), sealed) if sealed else ""

    def _db_password(self):
        return self._unseal("db_password_sealed")

    def _credentials(self):
        """Every secret of the environment (callers check the secrets:read scope and audit)."""
        self.ensure_one()
        config = settings.current()
        return {"host": config.pg_host, "port": config.pg_port, "database": self.database_name,
                "user": self.db_role, "password": self._db_password(),
                "odoo_admin": {"login": "admin", "password": self._unseal("admin_password_sealed")},
                "master_password": self._unseal("master_password_sealed")}

    def _login_link(self):
        """A one-time login URL into the environment as its admin, valid a minute."""
        self.ensure_one()
        secret = self._unseal("login_secret_sealed")
        if not secret or not self.current_deployment_id:
            raise errors.Conflict(f"{self.display_name} serves nothing yet",
                                  remediation="Deploy it first, then ask for a login link.")
        token, expires = odoo_admin.login_token(secret, self.database_name)
        return {"url": f"{self.url}/odooops/login?token={token}", "expires_at": expires}

    def _hostnames(self):
        self.ensure_one()
        extra = [h.strip() for h in (self.custom_domains or "").split(",") if h.strip()]
        return (hostname(self.slug, self.project_id.domain), *extra)

    def _plan(self):
        """What the engine needs to know of this environment."""
        self.ensure_one()
        self._ensure_secrets()
        return EnvironmentPlan(project=self.project_id.slug, slug=self.slug, database=self.database_name,
                               db_role=self.db_role, db_password=self._db_password(), hostnames=self._hostnames(),
                               workers=self.workers, cpu=self.cpu_limit, memory_mb=self.memory_limit_mb,
                               admin_password=self._unseal("admin_password_sealed"),
                               master_password=self._unseal("master_password_sealed"),
                               login_secret=self._unseal("login_secret_sealed"),
                               standby=self.tier in STANDBY_TIERS, migration_estimate=self._migration_estimate(),
                               mail_password=self._mail_password())

    def _mail_password(self):
        """The environment's login to the mail catcher when the policy catches its tier's
        mail (an HMAC of its database under the sealing key: nothing more is stored)."""
        self.ensure_one()
        if not self.project_id._policy().mail_caught(self.tier):
            return ""
        return mailcatch.password(self._secret_key(), self.database_name)

    def _migration_estimate(self):
        """Seconds a migrating deploy should answer 503 (its Retry-After): as long as the
        last one did, or 30 before any (a fresh install's -i is no measure of a -u)."""
        last = self.deployment_ids.filtered(lambda d: d.state == "succeeded" and d.unavailable_seconds)
        return max(5, round(last[:1].unavailable_seconds)) if last else 30

    @api.model
    def _data_plane(self):
        """The data plane, its containers labelled as this control plane's (its database uuid)."""
        owner = self.env["ir.config_parameter"].sudo().get_param("database.uuid") or self.env.cr.dbname
        return DataPlane.from_settings(settings.current(), owner=owner)

    @api.model
    def _taken_ports(self):
        envs = self.sudo().search([("state", "!=", "destroyed")])
        live = envs.current_deployment_id | envs.standby_deployment_id
        return set(live.mapped("http_port")) | set(live.mapped("websocket_port"))

    def _transition(self, new_state):
        """Move to ``new_state`` if the state machine allows it (else Conflict)."""
        for env in self:
            lifecycle.check_environment_transition(env.state, new_state)
        self.write({"state": new_state})

    # -- operations: the one door every caller uses (API, CLI path, git and policy addons) ------

    def _queue_deployment(self, kind, **vals):
        """Create and enqueue one deployment of this environment. Concurrent callers are
        serialized by a row lock on the environment; a second one while another
        deployment is queued or running gets a Conflict."""
        self.ensure_one()
        env = self.sudo()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute("SELECT id FROM odooops_environment WHERE id = %s FOR UPDATE NOWAIT", [env.id])
        except psycopg2.errors.LockNotAvailable:
            raise errors.Conflict(f"{env.display_name} is being changed by another request",
                                  remediation="Retry in a moment.") from None
        # Mark the row changed: a request whose snapshot predates this one's commit cannot
        # lock it (serialization failure; Odoo retries that request and it sees this one).
        self.env.cr.execute("UPDATE odooops_environment SET write_date = now() at time zone 'UTC' WHERE id = %s",
                            [env.id])
        env.invalidate_recordset(["state", "write_date"])
        if env.state == "destroyed" or (env.state == "destroying" and kind != "destroy"):
            raise errors.Conflict(f"environment {env.display_name} is {env.state}",
                                  remediation="Create a new environment for the branch: odooops env create BRANCH.")
        busy = env.deployment_ids.filtered(lambda d: d.state in lifecycle.ACTIVE_DEPLOYMENT_STATES)
        if busy:
            raise errors.Conflict(f"deployment {busy[0].id} of {env.display_name} is still {busy[0].state}",
                                  details={"deployment": busy[0].id},
                                  remediation=(f"Approve or reject it first: odooops deployment approve {busy[0].id} "
                                               f"(or reject {busy[0].id} --reason TEXT), then retry."
                                               if busy[0].state == "awaiting_approval" else
                                               f"Wait for it (odooops deployment get {busy[0].id} --wait), then retry."))
        self._admit(kind, vals)
        deployment = self.env["odooops.deployment"].sudo().create(
            {"environment_id": env.id, "kind": kind, "requested_by_id": self.env.uid, **vals})
        deployment._start()
        return deployment

    def _admit(self, kind, vals):
        """Refuse a deployment of ``kind`` that the project's policy forbids (who may, quotas).
        Called as the requesting user, under the environment's row lock. odooops_policy fills it in."""

    def _roles(self):
        """The OdooOps roles of the current user: admin implies developer, developer viewer."""
        user = self.env.user
        return {role for role in ("viewer", "developer", "admin") if user.has_group(f"odooops_core.group_{role}")}

    def _initial_data(self, source=None, snapshot=None, empty=False):
        """The first deployment's data, as its values: a copy of ``source`` or ``snapshot``
        (checked by the caller), else, unless ``empty``, of the project's serving production
        for a staging environment (and a dev one when the project says so); an environment
        that starts empty is an install, with demo data for dev ones when the project asks."""
        self.ensure_one()
        project = self.sudo().project_id
        if source is None and snapshot is None and not empty and (
                self.tier == "staging" or (self.tier in ("dev", "preview") and project.dev_from_production)):
            source = project.environment_ids.filtered(
                lambda e: e.tier == "production" and e.current_deployment_id and e.state in ("running", "deploying")
            ).sorted(lambda e: (e.branch != project.default_branch, -e.id))[:1] or None
        if source is not None:
            return {"clone_source_id": source.id}
        if snapshot is not None:
            return {"source_snapshot_id": snapshot.id}
        return {"with_demo": self.tier in ("dev", "preview") and project.dev_demo_data}

    def _queue_backup(self, description=""):
        """Create and enqueue a backup of this environment (it runs beside deployments)."""
        self.ensure_one()
        if not self.current_deployment_id:
            raise errors.Conflict(f"{self.display_name} has no database serving yet: nothing to back up")
        backup = self.env["odooops.backup"].sudo().create({"environment_id": self.id, "description": description,
                                                           "requested_by_id": self.env.uid})
        backup._enqueue()
        return backup

    def _queue_destroy(self, keep_database=False):
        self.ensure_one()
        deployment = self._queue_deployment("destroy", keep_database=keep_database)
        self.sudo()._transition("destroying")
        return deployment

    def _rollback_choice(self, target_id=None):
        """(target deployment, the deployment whose snapshot to restore) of a rollback, or a
        precise error.

        Going back to deployment T restores the database as T left it: the snapshot
        taken by the first successful deployment after T, before it changed anything.
        Deployments that migrate nothing take no snapshot; when none since T did, the
        second value is empty and the database stays as it is."""
        self.ensure_one()
        env = self.sudo()
        current = env.current_deployment_id
        if not current:
            raise errors.Conflict(f"{env.display_name} has never served: there is nothing to roll back")
        done = env.deployment_ids.filtered(lambda d: d.state == "succeeded" and d.kind != "destroy").sorted("id")
        if target_id:
            target = self.env["odooops.deployment"].sudo().browse(target_id).exists()
            if not target or target.environment_id != env:
                raise errors.ValidationFailed(f"deployment {target_id} is not a deployment of {env.display_name}",
                                              remediation=f"List them: odooops deployment list {env.slug}")
            if target == current:
                raise errors.Conflict(f"deployment {target_id} is the one serving now")
            if target.state != "succeeded" or not target.image:
                raise errors.Conflict(f"deployment {target_id} {target.state}: only a deployment that served "
                                      "can be rolled back to")
        else:
            earlier = done.filtered(lambda d: d.id < current.id)
            if not earlier:
                raise errors.Conflict(f"{env.display_name} has no earlier successful deployment to roll back to",
                                      remediation="Deploy an older commit instead: odooops deploy ENV --sha SHA")
            target = earlier[-1]
        # Empty when nothing changed the database since ``target``: then only code and Odoo go back.
        after = done.filtered(lambda d: d.id > target.id and d.snapshot)[:1]
        return target, after
