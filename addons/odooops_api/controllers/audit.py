"""Every mutating call, every audited read and every 401/403 leaves an audit entry."""
import logging

from odoo import SUPERUSER_ID, api
from odoo.http import request

from odooops.api.validation import printable

from .authentication import client_ip

_logger = logging.getLogger(__name__)


def audit(spec, principal, call, status, body, request_id):
    principal = (call.principal if call else None) or principal
    failed = body["errors"][0] if body["errors"] else None
    details = dict(call.audit_details) if call else {}
    if failed:
        details["error"] = failed["error"]
        details["message"] = failed["message"]
    action = spec.action or f"{spec.method} {spec.path}"
    if status == 401:
        action = "auth.failed"
    elif status == 403:
        action = "auth.forbidden"
    try:
        with request.env.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["odooops.audit.log"]._record(
                action,
                user_id=principal.uid if principal else False,
                login=printable(principal.login if principal else (call.body.get("login") if call else None)),
                target=printable(call.audit_target if call else None),
                ip=client_ip(), request_id=request_id, method=spec.method,
                path=printable(request.httprequest.path), status_code=status, details=printable(details))
    except Exception:  # noqa: BLE001 - an audit failure must not hide the answer, but must be loud
        _logger.exception("could not write the audit log entry for request %s", request_id)
