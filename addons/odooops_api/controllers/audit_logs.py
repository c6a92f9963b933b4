from odoo import http

from odooops.api import timeparse

from . import serializers
from .routing import api_route, paginated
from .spec import PAGE_QUERY

MOMENT = {"type": "string", "anyOf": [{"format": "date-time"}, {"format": "date"},
                                      {"pattern": "^[0-9]{1,6}[smhdw]$"}],
          "x-problem": "must be a date (2026-02-01), an RFC 3339 date-time (2026-02-01T10:00:00Z) "
                       "or an age such as 30m, 24h, 7d"}
AUDIT_QUERY = {
    "user": "Login of the acting user",
    "action": "Action name, e.g. auth.failed; a trailing * matches a prefix (auth.*)",
    "since": {"description": "A date, an RFC 3339 date-time, or an age such as 30m, 24h, 7d", "schema": MOMENT},
    "until": {"description": "A date, an RFC 3339 date-time, or an age", "schema": MOMENT},
    **PAGE_QUERY,
}


class AuditLogsController(http.Controller):

    @api_route("/audit-logs", "GET", summary="Read the append-only audit log, newest first",
               scope="audit:read", query=AUDIT_QUERY, tag="audit")
    def list_audit_logs(self, call):
        query = call.query
        domain = []
        if query.get("user"):
            domain.append(("login", "=", query["user"]))
        action = query.get("action")
        if action:
            domain.append(("action", "=like", action[:-1].replace("%", r"\%").replace("_", r"\_") + "%")
                          if action.endswith("*") else ("action", "=", action))
        if query.get("since"):
            domain.append(("create_date", ">=", timeparse.parse_moment(query["since"], field="since")))
        if query.get("until"):
            domain.append(("create_date", "<=", timeparse.parse_moment(query["until"], field="until")))
        return paginated("odooops.audit.log", domain, query, serializers.audit_entry)
