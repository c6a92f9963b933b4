import secrets

from odoo import api, fields, models

from odooops import lifecycle, quotas, secretbox, settings
from odooops.dataplane import DataPlane, EnvironmentPlan
from odooops.naming import branch_slug, database_name, hostname, role_name, validate_branch, validate_domain

TIER_SELECTION = [("dev", "Development"), ("staging", "Staging"),
                  ("production", "Production"), ("preview", "Preview")]
STATE_SELECTION = [(s, s.capitalize()) for s in lifecycle.ENVIRONMENT_STATES]


class OdooopsEnvironment(models.Model):
    _name = "odooops.environment"
    _description = "OdooOps Environment"
    _inherit = ["mail.thread"]
    _order = "project_id, tier, slug"
    _rec_name = "slug"

    project_id = fields.Many2one("odooops.project", required=True, ondelete="restrict",
                                 index=True, tracking=True)
    branch = fields.Char(required=True, tracking=True)
    slug = fields.Char(required=True, readonly=True, index=True)
    tier = fields.Selection(TIER_SELECTION, required=True, default="dev", tracking=True)
    state = fields.Selection(STATE_SELECTION, required=True, default="draft", index=True, tracking=True)
    url = fields.Char(compute="_compute_url", store=True)
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
    current_deployment_id = fields.Many2one("odooops.deployment", readonly=True, tracking=True,
                                            help="The deployment whose release serves now.")
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
        for env in self:
            env.url = (f"http://{hostname(env.slug, env.project_id.domain)}"
                       if env.slug and env.project_id.domain else False)

    @api.constrains("tier", "workers", "cpu_limit", "memory_limit_mb")
    def _check_quota(self):
        for env in self:
            quotas.check(env.tier, workers=env.workers, cpu=env.cpu_limit, memory_mb=env.memory_limit_mb)

    @api.model_create_multi
    def create(self, vals_list):
        live = self.sudo().search_count([("state", "!=", "destroyed")])
        quotas.check_count(live + len(vals_list) - 1, settings.current().max_environments)
        for vals in vals_list:
            project = self.env["odooops.project"].browse(vals["project_id"])
            validate_branch(vals.get("branch"))
            if not vals.get("slug"):
                taken = set(self.sudo().search([("project_id", "=", project.id),
                                                ("state", "!=", "destroyed")]).mapped("slug"))
                vals["slug"] = branch_slug(vals["branch"], taken)
            vals.setdefault("database_name", database_name(project.slug, vals["slug"]))
            vals.setdefault("db_role", role_name(vals["database_name"]))
            if vals.get("custom_domains"):
                vals["custom_domains"] = self._clean_domains(vals["custom_domains"])
            vals.setdefault("db_password_sealed", secretbox.seal(self._secret_key(), secrets.token_urlsafe(24)))
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("custom_domains"):
            vals["custom_domains"] = self._clean_domains(vals["custom_domains"])
        return super().write(vals)

    @api.model
    def _clean_domains(self, text):
        return ",".join(validate_domain(h) for h in text.split(",") if h.strip())

    @api.model
    def _secret_key(self):
        params = self.env["ir.config_parameter"].sudo()
        key = params.get_param("odooops.secret_key")
        if not key:
            key = secretbox.new_key()
            params.set_param("odooops.secret_key", key)
        return key

    def _db_password(self):
        self.ensure_one()
        return secretbox.open_(self._secret_key(), self.sudo().db_password_sealed)

    def _hostnames(self):
        self.ensure_one()
        extra = [h.strip() for h in (self.custom_domains or "").split(",") if h.strip()]
        return (hostname(self.slug, self.project_id.domain), *extra)

    def _plan(self):
        """What the engine needs to know of this environment."""
        self.ensure_one()
        return EnvironmentPlan(project=self.project_id.slug, slug=self.slug, database=self.database_name,
                               db_role=self.db_role, db_password=self._db_password(), hostnames=self._hostnames(),
                               workers=self.workers, cpu=self.cpu_limit, memory_mb=self.memory_limit_mb)

    @api.model
    def _data_plane(self):
        """The data plane, its containers labelled as this control plane's (its database uuid)."""
        owner = self.env["ir.config_parameter"].sudo().get_param("database.uuid") or self.env.cr.dbname
        return DataPlane.from_settings(settings.current(), owner=owner)

    @api.model
    def _taken_ports(self):
        live = self.sudo().search([("state", "!=", "destroyed")]).current_deployment_id
        return set(live.mapped("http_port")) | set(live.mapped("websocket_port"))

    def _transition(self, new_state):
        """Move to ``new_state`` if the state machine allows it (else Conflict)."""
        for env in self:
            lifecycle.check_environment_transition(env.state, new_state)
        self.write({"state": new_state})
