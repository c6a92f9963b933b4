from odoo import api, fields, models

from odooops import lifecycle

KIND_SELECTION = [(k, k.capitalize()) for k in lifecycle.DEPLOYMENT_KINDS]
STATE_SELECTION = [(s, s.capitalize()) for s in lifecycle.DEPLOYMENT_STATES]


class OdooopsDeployment(models.Model):
    _name = "odooops.deployment"
    _description = "OdooOps Deployment"
    _inherit = ["mail.thread"]
    _order = "id desc"

    environment_id = fields.Many2one("odooops.environment", required=True, ondelete="cascade",
                                     index=True, tracking=True)
    project_id = fields.Many2one(related="environment_id.project_id", store=True, index=True)
    sha = fields.Char(string="Commit SHA", required=True, tracking=True)
    image = fields.Char(tracking=True)
    kind = fields.Selection(KIND_SELECTION, required=True, default="deploy", tracking=True)
    state = fields.Selection(STATE_SELECTION, required=True, default="queued", index=True, tracking=True)
    step = fields.Char(help="The pipeline step running, or the one that failed.")
    requested_by_id = fields.Many2one("res.users", default=lambda self: self.env.user,
                                      tracking=True, ondelete="set null")
    source_deployment_id = fields.Many2one("odooops.deployment", ondelete="set null",
                                           help="For a rollback, what it rolls back to; for a promotion, what it promotes.")
    started_at = fields.Datetime()
    finished_at = fields.Datetime()
    duration = fields.Float(compute="_compute_duration", store=True, help="Seconds")
    step_timings = fields.Json(default=dict)
    log = fields.Text()
    error = fields.Text()

    _sha_format = models.Constraint(
        "CHECK (sha ~ '^[0-9a-f]{7,40}$')", "A commit SHA is 7 to 40 lowercase hex digits.")

    @api.depends("started_at", "finished_at")
    def _compute_duration(self):
        for dep in self:
            dep.duration = ((dep.finished_at - dep.started_at).total_seconds()
                            if dep.started_at and dep.finished_at else 0.0)

    def transition(self, new_state):
        for dep in self:
            lifecycle.check_deployment_transition(dep.state, new_state)
        vals = {"state": new_state}
        if new_state == "running":
            vals["started_at"] = fields.Datetime.now()
        elif new_state in ("succeeded", "failed", "cancelled"):
            vals["finished_at"] = fields.Datetime.now()
        self.write(vals)
