import odoo
from odoo import http
from odoo.http import request

from .routing import api_route
from .spec import Result


class HealthController(http.Controller):

    @api_route("/health", "GET", summary="Liveness and readiness of the control plane", scope=None, tag="meta",
               responses={"200": "The control plane and its database answer."})
    def health(self, call):
        request.env.cr.execute("SELECT count(*) FILTER (WHERE state IN ('pending', 'enqueued')), "
                               "count(*) FILTER (WHERE state = 'failed') FROM queue_job")
        pending, failed = request.env.cr.fetchone()
        return Result({
            "status": "ok", "database": "ok", "odoo": odoo.release.version,
            "jobs": {"pending": pending, "failed": failed},
        })
