"""A backup that failed tells the project's hooks (backup.failed)."""
from odoo import models


class OdooopsBackup(models.Model):
    _inherit = "odooops.backup"

    def write(self, vals):
        failing = self.filtered(lambda b: b.state != "failed") if vals.get("state") == "failed" else self.browse()
        result = super().write(vals)
        for backup in failing:
            backup._emit_failed()
        return result

    def _emit_failed(self):
        self.ensure_one()
        backup = self.sudo()
        env = backup.environment_id
        env._emit_event("backup.failed", {**env._event_data(), "backup": backup.id, "trigger": backup.trigger,
                                          "error": backup.error or None, "remediation": backup.remediation or None})
