import time

from odoo import http
from odoo.http import request

from odooops import errors, lifecycle, settings
from odooops.pipeline import Pipeline

from . import serializers
from .deployments import busy_check, environment_of, queue
from .lookup import by_ref
from .routing import api_route, paginated
from .spec import PAGE_QUERY, Result

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


CREATE_BODY = {
    "type": "object", "additionalProperties": False, "required": ["project", "branch"],
    "properties": {
        "project": {"type": "string", "minLength": 1, "maxLength": 100},
        "branch": {"type": "string", "minLength": 1, "maxLength": 300},
        "tier": {"enum": list(lifecycle.TIERS)},
        "sha": {"type": "string", "pattern": "^[0-9a-f]{7,40}$"},
        "workers": {"type": "integer", "minimum": 0, "maximum": 64},
        "cpu": {"type": "number", "exclusiveMinimum": 0, "maximum": 64},
        "memory_mb": {"type": "integer", "minimum": 256, "maximum": 262144},
        "custom_domains": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
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


class EnvironmentLifecycleController(http.Controller):

    @api_route("/environments", "POST", summary="Create an environment for a branch and deploy it",
               scope="environments:write", body=CREATE_BODY, action="environment.create", tag="environments",
               responses={"202": "Created; its first deployment is queued", "409": "The branch already has one"})
    def create_environment(self, call):
        body = call.body
        project = by_ref("odooops.project", body["project"], "project")
        existing = request.env["odooops.environment"].sudo().search(
            [("project_id", "=", project.id), ("branch", "=", body["branch"]), ("state", "!=", "destroyed")])
        if existing:
            raise errors.Conflict(f"branch {body['branch']!r} already has environment {existing.slug}",
                                  details={"environment": existing.id},
                                  remediation=f"Deploy to it instead: odooops deploy {existing.slug} --sha=…")
        env = request.env["odooops.environment"].sudo().create({
            "project_id": project.id, "branch": body["branch"], "tier": body.get("tier", "dev"),
            "owner_id": request.env.uid, **_values(body)})
        dep = queue(call, env, kind="deploy", ref=body.get("sha") or body["branch"])
        call.audit_details["environment"] = env.id
        return Result({**serializers.environment(env), "deployment": serializers.deployment(dep)}, status=202)

    @api_route("/environments/{ref}", "PATCH", summary="Change workers, limits or custom domains; redeploys",
               scope="environments:write", body=UPDATE_BODY, action="environment.update", tag="environments",
               responses={"202": "Updated; a redeployment is queued"})
    def update_environment(self, call, ref):
        env = environment_of(ref)
        busy_check(env)
        env.write(_values(call.body))
        result = serializers.environment(env)
        if env.current_deployment_id:
            current = env.current_deployment_id
            # Same image, same database: only the container and the route change.
            dep = queue(call, env, kind="redeploy", source_deployment_id=current.id, sha=current.sha,
                        image=current.image, migrate=False)
            result["deployment"] = serializers.deployment(dep)
        call.audit_target = f"environment:{env.project_id.slug}/{env.slug}"
        call.audit_details = {**call.audit_details, "changes": call.body}
        return Result(result, status=202)

    @api_route("/environments/{ref}", "DELETE",
               summary="Destroy an environment: containers, route, database, role, filestore (idempotent)",
               scope="environments:write", query={"keep_database": "true to keep the database and its role"},
               action="environment.destroy", tag="environments", responses={"200": "The cleanup report"})
    def destroy_environment(self, call, ref):
        env = by_ref("odooops.environment", ref, "environment").sudo()
        call.audit_target = f"environment:{env.project_id.slug}/{env.slug}"
        keep = (call.query.get("keep_database") or "").lower() in ("1", "true", "yes")
        if env.state == "destroyed":
            return Result({"environment": serializers.environment(env), "removed": None, "already_destroyed": True})
        busy_check(env)
        env._transition("destroying")
        report = Pipeline(env._data_plane(), env._plan()).destroy(keep_database=keep)
        env._transition("destroyed")
        call.audit_details = {"report": report, "keep_database": keep}
        return Result({"environment": serializers.environment(env), "removed": report, "already_destroyed": False})

    @api_route("/environments/{ref}/credentials", "GET",
               summary="The environment's database credentials (admins; every read is audited)",
               scope="secrets:read", action="environment.credentials.read", audit=True, tag="environments")
    def credentials(self, call, ref):
        env = environment_of(ref)
        config = settings.current()
        call.audit_target = f"environment:{env.project_id.slug}/{env.slug}"
        return Result({"host": config.pg_host, "port": config.pg_port, "database": env.database_name,
                       "user": env.db_role, "password": env._db_password()})

    @api_route("/environments/{ref}/logs", "GET", summary="Container logs; follow=true streams them",
               scope="environments:read",
               query={"follow": "true to stream new lines", "tail": "lines of history (default 200)",
                      "timeout": "with follow: seconds to stream (default 300)"}, tag="environments")
    def logs(self, call, ref):
        env = environment_of(ref)
        current = env.current_deployment_id
        if not current or not current.container:
            raise errors.Conflict(f"{env.slug} runs no container", remediation="Deploy it first.")
        try:
            tail = int(call.query.get("tail") or 200)
            timeout = min(int(call.query.get("timeout") or 300), 3600)
        except ValueError:
            raise errors.ValidationFailed("tail and timeout are whole numbers") from None
        runtime = env._data_plane().docker
        if (call.query.get("follow") or "").lower() not in ("1", "true", "yes"):
            return Result({"container": current.container, "lines": runtime.logs(current.container, tail=tail)})
        lines = runtime.logs(current.container, follow=True, tail=tail)
        return Result(None, stream=follow_stream(lines, timeout))


def follow_stream(lines, timeout):
    """Yield log lines until ``timeout`` seconds have passed (the stream then ends)."""
    deadline = time.monotonic() + timeout
    for line in lines:
        yield (line + "\n").encode()
        if time.monotonic() > deadline:
            break
