from odoo import api, fields, models

from odooops import lifecycle
from odooops.naming import branch_slug, database_name, hostname, validate_branch

TIER_SELECTION = [("dev", "Development"), ("staging", "Staging"),
                  ("production", "Production"), ("preview", "Preview")]
STATE_SELECTION = [(s, s.capitalize()) for s in lifecycle.ENVIRONMENT_STATES]
LIVE_STATES = lifecycle.LIVE_STATES


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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            project = self.env["odooops.project"].browse(vals["project_id"])
            validate_branch(vals.get("branch"))
            if not vals.get("slug"):
                taken = set(self.sudo().search([("project_id", "=", project.id),
                                                ("state", "!=", "destroyed")]).mapped("slug"))
                vals["slug"] = branch_slug(vals["branch"], taken)
            vals.setdefault("database_name", database_name(project.slug, vals["slug"]))
        return super().create(vals_list)

    def transition(self, new_state):
        """Move to ``new_state`` if the state machine allows it (else Conflict)."""
        for env in self:
            lifecycle.check_environment_transition(env.state, new_state)
        self.write({"state": new_state})
