"""Keep the exact bytes of an /api/v1 form body before Odoo parses it as a form.

Odoo reads application/x-www-form-urlencoded bodies into request.params before a route runs,
which consumes the input. Two /api/v1 callers send that content type on purpose: GitHub, when a
webhook is set to it (the signature is over the bytes, `payload=<JSON>`), and `curl -d '{…}'`
(a JSON object). Both need the body as sent, read at most to the API's body limit."""
from odoo import models
from odoo.http import request

from ..controllers.request_pipeline import FORM, body_limit, read_raw_body


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        super()._pre_dispatch(rule, args)
        httprequest = request.httprequest
        if httprequest.path.startswith("/api/v1/") and httprequest.mimetype == FORM:
            read_raw_body(body_limit())
