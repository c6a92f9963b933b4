from odoo import models
from odoo.exceptions import AccessError


class OdooopsReadonlyThread(models.AbstractModel):
    """The chatter of OdooOps records is their history, not a conversation.

    Tracking and the control plane's own notes (written as superuser) go in; users
    cannot post, notify, log notes, (un)follow or move messages, through the UI or
    RPC: every change goes through the audited API."""
    _name = "odooops.readonly.thread"
    _description = "OdooOps read-only chatter"
    _inherit = ["mail.thread"]
    _mail_post_access = "write"

    def _odooops_refuse(self):
        if not self.env.su:
            raise AccessError(self.env._("OdooOps records are read-only here: use the odooops CLI or the API, "
                                         "which audit every change."))

    def message_post(self, **kwargs):
        self._odooops_refuse()
        return super().message_post(**kwargs)

    def message_post_with_source(self, *args, **kwargs):
        self._odooops_refuse()
        return super().message_post_with_source(*args, **kwargs)

    def message_mail_with_source(self, *args, **kwargs):
        self._odooops_refuse()
        return super().message_mail_with_source(*args, **kwargs)

    def message_notify(self, **kwargs):
        self._odooops_refuse()
        return super().message_notify(**kwargs)

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        self._odooops_refuse()
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)

    def message_unsubscribe(self, partner_ids=None):
        self._odooops_refuse()
        return super().message_unsubscribe(partner_ids=partner_ids)

    def message_change_thread(self, *args, **kwargs):
        self._odooops_refuse()
        return super().message_change_thread(*args, **kwargs)
