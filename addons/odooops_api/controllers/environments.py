from odoo import http

from odooops import errors, lifecycle

from . import serializers
from .framework import PAGE_QUERY, Result, api_route, paginated
from .lookup import by_ref

LIST_QUERY = {
    "tier": "dev | staging | production | preview",
    "status": "An environment state; destroyed environments are listed only when asked for",
    "branch": "Exact git branch name",
    "project": "Project slug",
    **PAGE_QUERY,
}


def _choice(query, name, allowed):
    value = query.get(name)
    if value is not None and value not in allowed:
        raise errors.ValidationFailed(f"'{name}' must be one of: {', '.join(allowed)}",
                                      details={"field": name, "value": value, "allowed": list(allowed)})
    return value


class EnvironmentsController(http.Controller):

    @api_route("/environments", "GET", summary="List environments (live ones unless status=destroyed)",
               scope="environments:read", query=LIST_QUERY, tag="environments")
    def list_environments(self, call):
        query = call.query
        tier = _choice(query, "tier", lifecycle.TIERS)
        status = _choice(query, "status", lifecycle.ENVIRONMENT_STATES)
        domain = [("state", "=", status)] if status else [("state", "!=", "destroyed")]
        if tier:
            domain.append(("tier", "=", tier))
        if query.get("branch"):
            domain.append(("branch", "=", query["branch"]))
        if query.get("project"):
            domain.append(("project_id.slug", "=", query["project"]))
        return paginated("odooops.environment", domain, query, serializers.environment)

    @api_route("/environments/{ref}", "GET", summary="Get an environment by id or slug",
               scope="environments:read", query={"project": "Project slug, when a slug is in several projects"},
               tag="environments", responses={"404": "No such environment", "409": "Ambiguous slug"})
    def get_environment(self, call, ref):
        extra = [("state", "!=", "destroyed")] if not ref.isdigit() else []
        if call.query.get("project"):
            extra.append(("project_id.slug", "=", call.query["project"]))
        return Result(serializers.environment(by_ref("odooops.environment", ref, "environment", extra)))
