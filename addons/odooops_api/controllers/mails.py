"""Mail that the mail catcher kept for non-production environments (odooops.mailcatch)."""
from odoo import http
from odoo.http import request

from odooops import mailcatch, settings
from odooops.api import envelope
from odooops.errors import NotFound

from .deployments import PROJECT_QUERY, environment_of
from .routing import api_route
from .spec import PAGE_QUERY, Result

MAIL_ID = {"description": "A caught mail's id, as GET /environments/{ref}/mails lists it",
           "schema": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_]{0,62}\.[0-9]{8}T[0-9]{12}-[0-9a-f]{32}$"}}


class MailsController(http.Controller):

    @api_route("/environments/{ref}/mails", "GET",
               summary="Mail the environment's Odoo sent, caught (never delivered); newest first",
               scope="environments:read", tag="environments", query={**PAGE_QUERY, "project": PROJECT_QUERY},
               responses={"404": "No such environment"})
    def mails(self, call, ref):
        env = environment_of(ref, call.query.get("project"), live=False)
        page, per_page = envelope.pagination(call.query)
        total, found = mailcatch.list_mails(settings.current().state_dir, env.database_name,
                                            offset=(page - 1) * per_page, limit=per_page)
        return Result([{**m, "environment": env.id} for m in found], meta=envelope.page_meta(page, per_page, total))

    @api_route("/mails/{mail_id}", "GET",
               summary="One caught mail: headers, text and HTML bodies, attachments (names and sizes)",
               scope="environments:read", tag="environments", path_params={"mail_id": MAIL_ID},
               responses={"404": "No such mail, or not one of an environment you see", "422": "Not a mail id"})
    def mail(self, call, mail_id):
        database, _name = mailcatch.parse_id(mail_id)
        # The caller's own search: an environment it may not see has no mail for it.
        env = request.env["odooops.environment"].search([("database_name", "=", database)], limit=1)
        if not env:
            raise NotFound(f"no caught mail {mail_id}", remediation="List them with odooops mail list ENV.")
        shown = mailcatch.read_mail(settings.current().state_dir, mail_id)
        return Result({**shown, "environment": env.id})
