from odoo import api, fields, models


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

    @api.depends("environment_id.display_name", "create_date")
    def _compute_display_name(self):
        for backup in self:
            backup.display_name = f"#{backup.id} backup of {backup.environment_id.display_name}"

    _sha256_format = models.Constraint(
        "CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$')", "sha256 must be 64 lowercase hex digits.")
