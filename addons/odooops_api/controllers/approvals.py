"""Manual approvals: approve or reject a deployment that a ``manual_approval`` gate holds in
``awaiting_approval``. Who may decide is the policy's (odooops_policy's deployment model);
the handler only finds the deployment as the caller sees it and serializes the outcome."""
from odoo import http
from odoo.http import request

from odooops import errors

from . import serializers
from .routing import api_route
from .spec import Result

DEPLOYMENT_ID = {"ref": {"description": "Deployment id", "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"}}}
APPROVE_BODY = {
    "type": "object", "additionalProperties": False,
    "properties": {"comment": {"type": "string", "maxLength": 2000, "description": "Why, for the record"}},
}
REJECT_BODY = {
    "type": "object", "additionalProperties": False, "required": ["reason"],
    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000,
                              "description": "Why: recorded on the deployment and shown to the requester"}},
}
RESPONSES = {"403": "The policy does not let you decide (POLICY_FORBIDDEN names the rule), or you requested it",
             "404": "No such deployment", "409": "The deployment is not awaiting approval (already decided?)"}


def deployment_of(ref):
    """The deployment as the caller may see it (project membership): not sudo, so that the
    policy checks who asks."""
    dep = request.env["odooops.deployment"].search([("id", "=", int(ref))])
    if not dep:
        raise errors.NotFound(f"no deployment {ref}", remediation="List them: odooops deployment list ENV")
    return dep


def audit(call, dep, **details):
    call.audit_target = f"deployment:{dep.id}"
    call.audit_details.update(environment=dep.sudo().environment_id.display_name, kind=dep.sudo().kind, **details)


class ApprovalsController(http.Controller):

    @api_route("/deployments/{ref}/approve", "POST",
               summary="Approve a deployment awaiting approval (a manual_approval gate): it is queued and runs",
               scope="deployments:write", body=APPROVE_BODY, action="deployment.approve", tag="deployments",
               path_params=DEPLOYMENT_ID, responses={"200": "Approved and queued", **RESPONSES})
    def approve(self, call, ref):
        dep = deployment_of(ref)
        audit(call, dep, comment=call.body.get("comment"))
        dep._approve(call.body.get("comment"))
        return Result(serializers.deployment(dep.sudo()))

    @api_route("/deployments/{ref}/reject", "POST",
               summary="Reject a deployment awaiting approval: it is cancelled with the reason",
               scope="deployments:write", body=REJECT_BODY, action="deployment.reject", tag="deployments",
               path_params=DEPLOYMENT_ID, responses={"200": "Rejected: cancelled", **RESPONSES})
    def reject(self, call, ref):
        dep = deployment_of(ref)
        audit(call, dep, reason=call.body["reason"])
        dep._reject(call.body["reason"])
        return Result(serializers.deployment(dep.sudo()))
