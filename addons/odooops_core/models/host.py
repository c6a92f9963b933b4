from odoo import api, fields, models


class OdooopsHost(models.Model):
    _name = "odooops.host"
    _description = "OdooOps Docker Host"
    _inherit = ["odooops.readonly.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    docker_url = fields.Char(required=True, default="unix:///var/run/docker.sock", tracking=True,
                             help="Docker endpoint: unix://, tcp:// (TLS) or ssh://")
    cpu_capacity = fields.Float(default=2.0, help="Cores available to environments.")
    memory_capacity_mb = fields.Integer(default=8192)
    max_environments = fields.Integer(default=20, tracking=True)
    state = fields.Selection([("unknown", "Unknown"), ("up", "Up"), ("down", "Down")],
                             default="unknown", required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    environment_ids = fields.One2many("odooops.environment", "host_id")
    environment_count = fields.Integer(compute="_compute_environment_count")

    _name_uniq = models.Constraint("UNIQUE (name)", "A host with this name already exists.")
    _capacity_positive = models.Constraint(
        "CHECK (max_environments >= 0 AND cpu_capacity >= 0 AND memory_capacity_mb >= 0)",
        "Capacities cannot be negative.")

    @api.depends("environment_ids.state")
    def _compute_environment_count(self):
        for host in self:
            host.environment_count = len(host.environment_ids.filtered(lambda e: e.state != "destroyed"))
