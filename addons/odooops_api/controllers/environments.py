from odoo import http
from odoo.http import request

from odooops import errors, lifecycle

from . import serializers
from .deployments import ENVIRONMENT_REF, PROJECT_QUERY, SHA_OR_REF, audit_target, environment_of
from .lookup import as_id, by_ref
from .routing import api_route, paginated
from .spec import PAGE_QUERY, SLUG, Result

LIST_QUERY = {
    "tier": {"description": "Only this tier", "schema": {"type": "string", "enum": list(lifecycle.TIERS)}},
    "status": {"description": "An environment state; destroyed environments are listed only when asked for",
               "schema": {"type": "string", "enum": list(lifecycle.ENVIRONMENT_STATES)}},
    "branch": "Exact git branch name",
    "project": {"description": "Project slug", "schema": SLUG},
    **PAGE_QUERY,
}


class EnvironmentsController(http.Controller):

    @api_route("/environments", "GET", summary="List environments (live ones unless status=destroyed)",
               scope="environments:read", query=LIST_QUERY, tag="environments")
    def list_environments(self, call):
        query = call.query
        tier, status = query.get("tier"), query.get("status")      # checked against their enums already
        domain = [("state", "=", status)] if status else [("state", "!=", "destroyed")]
        if tier:
            domain.append(("tier", "=", tier))
        if query.get("branch"):
            domain.append(("branch", "=", query["branch"]))
        if query.get("project"):
            domain.append(("project_id.slug", "=", query["project"]))
        return paginated("odooops.environment", domain, query, serializers.environment)

    @api_route("/environments/{ref}", "GET", summary="Get an environment by id or slug",
               scope="environments:read", query={"project": PROJECT_QUERY},
               tag="environments", responses={"404": "No such environment", "409": "Ambiguous slug"})
    def get_environment(self, call, ref):
        return Result(serializers.environment(environment_of(ref, call.query.get("project"), live=False)))


CREATE_BODY = {
    "type": "object", "additionalProperties": False, "required": ["project", "branch"],
    "properties": {
        "project": {"type": "string", "minLength": 1, "maxLength": 100},
        "branch": {"type": "string", "minLength": 1, "maxLength": 300},
        "tier": {"enum": list(lifecycle.TIERS),
                 "description": "Default: the tier the project's policy maps the branch to (branch_mappings), else dev"},
        "sha": SHA_OR_REF,
        "workers": {"type": "integer", "minimum": 0, "maximum": 64},
        "cpu": {"type": "number", "exclusiveMinimum": 0, "maximum": 64},
        "memory_mb": {"type": "integer", "minimum": 256, "maximum": 262144},
        "custom_domains": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        "from": {**ENVIRONMENT_REF, "description": "Start from a neutralized copy of this serving environment of the "
                                                   "same project (default for staging: the project's production)"},
        "empty": {"type": "boolean", "description": "Start from an empty database (an install), whatever the tier"},
        "from_snapshot": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                          "description": "Start from a neutralized copy of this snapshot of the same project"},
    },
}
UPDATE_BODY = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {k: CREATE_BODY["properties"][k] for k in ("workers", "cpu", "memory_mb", "custom_domains")},
}
FIELD_OF = {"workers": "workers", "cpu": "cpu_limit", "memory_mb": "memory_limit_mb", "custom_domains": "custom_domains"}


def _values(body):
    vals = {FIELD_OF[k]: v for k, v in body.items() if k in FIELD_OF}
    if "custom_domains" in vals:
        vals["custom_domains"] = ",".join(vals["custom_domains"])
    return vals


def _data_source(body, project):
    """(environment, snapshot) a new environment of ``project`` starts from, as asked, or (None, None).
    Refused before anything is made: two sources, another project's, nothing serving, not usable."""
    asked = [key for key in ("from", "empty", "from_snapshot") if body.get(key) is not None and body[key] is not False]
    if len(asked) > 1:
        raise errors.ValidationFailed(f"{' and '.join(asked)} exclude each other: an environment starts from one "
                                      "data source", details={"fields": asked},
                                      remediation="Give one of --from ENV, --from-snapshot ID or --empty.")
    if body.get("from_snapshot"):
        snap = request.env["odooops.snapshot"]._visible(body["from_snapshot"])
        snap._check_usable(project, request.env.user)
        return None, snap
    if body.get("from") is None:
        return None, None
    ref = str(body["from"])
    # An id names one environment anywhere (another project's is refused below); a slug is this project's.
    source = environment_of(ref, None if as_id(ref) is not None else project.slug)
    if source.project_id != project:
        raise errors.ValidationFailed(f"{source.display_name} belongs to project {source.project_id.slug}, not "
                                      f"{project.slug}: data never crosses projects",
                                      remediation=f"Name an environment of {project.slug}: odooops env list "
                                                  f"--project {project.slug}")
    if not source.current_deployment_id:
        raise errors.Conflict(f"{source.display_name} serves nothing: there is no data to copy",
                              remediation="Start from another environment, or --empty.")
    return source, None


class EnvironmentLifecycleController(http.Controller):

    @api_route("/environments", "POST", summary="Create an environment for a branch and deploy it",
               scope="environments:write", body=CREATE_BODY, action="environment.create", tag="environments",
               responses={"202": "Created; its first deployment is queued (a staging one copies the project's "
                                 "serving production unless told otherwise)",
                          "403": "An unshared snapshot of another user", "404": "No such project, source or snapshot",
                          "409": "The branch already has one, or the source serves nothing",
                          "422": "Several data sources, or one of another project"})
    def create_environment(self, call):
        body = call.body
        project = by_ref("odooops.project", body["project"], "project")
        existing = request.env["odooops.environment"].sudo().search(
            [("project_id", "=", project.id), ("branch", "=", body["branch"]), ("state", "!=", "destroyed")])
        if existing:
            raise errors.Conflict(f"branch {body['branch']!r} already has environment {existing.slug}",
                                  details={"environment": existing.id},
                                  remediation=f"Deploy to it instead: odooops deploy {existing.slug} --sha=…")
        source, snapshot = _data_source(body, project)
        env = request.env["odooops.environment"].sudo().create({
            "project_id": project.id, "branch": body["branch"], "tier": body.get("tier") or project._tier_for(body["branch"]),
            "owner_id": request.env.uid, **_values(body)})
        data = env._initial_data(source, snapshot, empty=bool(body.get("empty")))
        dep = env._queue_deployment("deploy", ref=body.get("sha") or body["branch"], **data)
        audit_target(call, env, deployment=dep.id, kind=dep.kind, ref=dep.ref, environment=env.id,
                     data_from=(dep.clone_source_id.display_name or (snapshot and f"snapshot {snapshot.id}")
                                or ("empty, demo data" if dep.with_demo else "empty")))
        return Result({**serializers.environment(env), "deployment": serializers.deployment(dep)}, status=202)

    @api_route("/environments/{ref}", "PATCH", summary="Change workers, limits or custom domains; redeploys",
               scope="environments:write", body=UPDATE_BODY, action="environment.update", tag="environments",
               query={"project": PROJECT_QUERY},
               responses={"202": "Updated; a redeployment is queued"})
    def update_environment(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        current = env.current_deployment_id
        audit_target(call, env, changes=call.body)
        env.write(_values(call.body))
        result = serializers.environment(env)
        if current:
            # Same image, same Odoo, same database: only the container and the route change.
            dep = env._queue_deployment("redeploy", source_deployment_id=current.id, sha=current.sha,
                                        image=current.image, migrate=False)
            call.audit_details["deployment"] = dep.id
            result["deployment"] = serializers.deployment(dep)
        return Result(result, status=202)

    @api_route("/environments/{ref}", "DELETE",
               summary="Destroy an environment: containers, route, database, role, filestore (a queued job)",
               scope="environments:write", query={"keep_database": {"description": "true to keep the database and its role",
                                                                   "schema": {"type": "boolean"}},
                                                  "project": PROJECT_QUERY},
               action="environment.destroy", tag="environments",
               responses={"202": "The destroy is queued; follow its deployment",
                          "200": "Already destroyed", "409": "A deployment is still running"})
    def destroy_environment(self, call, ref):
        env = environment_of(ref, call.query.get("project"), live=False)
        keep = call.query.get("keep_database", False)
        audit_target(call, env, keep_database=keep)
        if env.state == "destroyed":
            return Result({"environment": serializers.environment(env), "deployment": None,
                           "already_destroyed": True})
        dep = env._queue_destroy(keep_database=keep)
        call.audit_details["deployment"] = dep.id
        return Result({"environment": serializers.environment(env), "deployment": serializers.deployment(dep),
                       "already_destroyed": False}, status=202)

