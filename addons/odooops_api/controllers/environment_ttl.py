"""An environment's time-to-live: POST /environments/{ref}/extend."""
from odoo import fields, http

from odooops import errors, expiry
from odooops.api.envelope import utc_timestamp

from . import serializers
from .deployments import PROJECT_QUERY, audit_target, environment_of
from .routing import api_route
from .spec import Result

EXTEND_BODY = {
    "type": "object", "additionalProperties": False, "required": ["days"],
    "properties": {"days": {"type": "integer", "minimum": 1, "maximum": expiry.MAX_EXTEND_DAYS,
                            "description": "Days to add to its expiry (counted from now if it has passed)"}},
}


class EnvironmentTtlController(http.Controller):

    @api_route("/environments/{ref}/extend", "POST",
               summary="Keep an expiring environment longer: expires_at = max(now, expires_at) + days",
               scope="environments:write", body=EXTEND_BODY, action="environment.extend", tag="environments",
               query={"project": PROJECT_QUERY},
               responses={"200": "The environment, with its new expires_at",
                          "403": "Extending needs the developer role", "404": "No such environment",
                          "409": "It never expires, or it is being destroyed"})
    def extend_environment(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        roles = env._roles()
        if "developer" not in roles:
            raise errors.Forbidden(f"extending {env.display_name} needs the developer role",
                                   details={"required_role": "developer", "your_roles": sorted(roles)},
                                   remediation="Ask an OdooOps admin for the developer role, or ask a developer "
                                               "to run: odooops env extend ENV --days=N")
        previous = env.expires_at
        audit_target(call, env, days=call.body["days"],
                     previous_expires_at=utc_timestamp(previous) if previous else None)
        new = env._extend(call.body["days"], now=fields.Datetime.now())
        call.audit_details["expires_at"] = utc_timestamp(new)
        return Result({**serializers.environment(env),
                       "previous_expires_at": utc_timestamp(previous) if previous else None})
