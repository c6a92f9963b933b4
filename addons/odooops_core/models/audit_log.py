from odoo import api, fields, models
from odoo.exceptions import AccessError


class OdooopsAuditLog(models.Model):
    """Append-only record of every mutating API call and every auth failure.

    Immutable twice over: the ORM refuses write/unlink for everyone (superuser
    included), and database triggers refuse UPDATE, DELETE and TRUNCATE from
    any client, so raw SQL cannot rewrite history either.
    """
    _name = "odooops.audit.log"
    _description = "OdooOps Audit Log Entry"
    _order = "id desc"
    _rec_name = "action"

    user_id = fields.Many2one("res.users", readonly=True, index=True, ondelete="restrict")
    login = fields.Char(readonly=True, index=True, help="Login or token subject as presented, also for failed attempts.")
    action = fields.Char(required=True, readonly=True, index=True)
    target = fields.Char(readonly=True, help="What the action was about, e.g. environment:feature-x")
    ip = fields.Char(string="IP address", readonly=True)
    request_id = fields.Char(readonly=True, index=True)
    method = fields.Char(readonly=True)
    path = fields.Char(readonly=True)
    status_code = fields.Integer(readonly=True)
    details = fields.Json(readonly=True)

    def init(self):
        self.env.cr.execute("""
            CREATE OR REPLACE FUNCTION odooops_audit_log_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'odooops_audit_log is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS odooops_audit_log_no_change ON odooops_audit_log;
            CREATE TRIGGER odooops_audit_log_no_change BEFORE UPDATE OR DELETE ON odooops_audit_log
                FOR EACH ROW EXECUTE FUNCTION odooops_audit_log_immutable();
            DROP TRIGGER IF EXISTS odooops_audit_log_no_truncate ON odooops_audit_log;
            CREATE TRIGGER odooops_audit_log_no_truncate BEFORE TRUNCATE ON odooops_audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION odooops_audit_log_immutable();
        """)

    def write(self, vals):
        raise AccessError(self.env._("Audit log entries cannot be changed."))

    def unlink(self):
        raise AccessError(self.env._("Audit log entries cannot be deleted."))

    @api.model
    def _record(self, action, **values):
        """Append one entry (as superuser: callers are trusted code, not users)."""
        return self.sudo().create({"action": action, **values})
