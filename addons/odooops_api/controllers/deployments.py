from odoo import http
from odoo.http import request

from odooops import errors

from . import serializers
from .lookup import by_ref
from .routing import api_route, paginated
from .spec import PAGE_QUERY, Result

SHA_OR_REF = {"type": "string", "minLength": 1, "maxLength": 250, "pattern": "^[A-Za-z0-9._/-]+$"}

DEPLOY_BODY = {
    "type": "object", "additionalProperties": False, "required": ["environment"],
    "properties": {"environment": {"type": ["string", "integer"]}, "sha": SHA_OR_REF},
}
ROLLBACK_BODY = {
    "type": "object", "additionalProperties": False,
    "properties": {"deployment": {"type": "integer", "minimum": 1}},
}
PROMOTE_BODY = {
    "type": "object", "additionalProperties": False, "required": ["source", "target"],
    "properties": {"source": {"type": ["string", "integer"]}, "target": {"type": ["string", "integer"]},
                   "migrate": {"type": "boolean"}},
}


def environment_of(ref):
    env = by_ref("odooops.environment", str(ref), "environment", [] if str(ref).isdigit() else
                 [("state", "!=", "destroyed")])
    if env.state == "destroyed":
        raise errors.Conflict(f"environment {env.slug} is destroyed")
    return env.sudo()


def busy_check(env):
    running = env.deployment_ids.filtered(lambda d: d.state in ("queued", "running"))
    if running:
        raise errors.Conflict(f"deployment {running[0].id} of {env.slug} is still {running[0].state}",
                              details={"deployment": running[0].id},
                              remediation=f"Wait for it (odooops deployment get {running[0].id} --wait), then retry.")


def queue(call, env, **vals):
    """Create and enqueue a deployment of ``env`` (one at a time per environment)."""
    busy_check(env)
    dep = request.env["odooops.deployment"].sudo().create(
        {"environment_id": env.id, "requested_by_id": request.env.uid, **vals})
    dep._enqueue()
    call.audit_target = f"environment:{env.project_id.slug}/{env.slug}"
    call.audit_details = {"deployment": dep.id, "kind": dep.kind, "ref": vals.get("ref")}
    return dep


class DeploymentsController(http.Controller):

    @api_route("/deployments", "POST", summary="Deploy a commit (SHA or branch) to an environment",
               scope="deployments:write", body=DEPLOY_BODY, action="deployment.create", tag="deployments",
               responses={"202": "Queued", "409": "A deployment of that environment is already running"})
    def create_deployment(self, call):
        env = environment_of(call.body["environment"])
        dep = queue(call, env, kind="deploy", ref=call.body.get("sha") or env.branch)
        return Result(serializers.deployment(dep), status=202)

    @api_route("/deployments/{ref}", "GET", summary="A deployment, with its steps, timings and log",
               scope="deployments:read", tag="deployments", responses={"404": "No such deployment"})
    def get_deployment(self, call, ref):
        if not ref.isdigit():
            raise errors.NotFound(f"no deployment {ref!r}", remediation="Deployment ids are numbers.")
        dep = request.env["odooops.deployment"].search([("id", "=", int(ref))])
        if not dep:
            raise errors.NotFound(f"no deployment {ref}")
        return Result(serializers.deployment_detail(dep))

    @api_route("/environments/{ref}/deployments", "GET", summary="Deployments of an environment, newest first",
               scope="deployments:read", query=PAGE_QUERY, tag="deployments")
    def list_deployments(self, call, ref):
        env = environment_of(ref)
        return paginated("odooops.deployment", [("environment_id", "=", env.id)], call.query, serializers.deployment)

    @api_route("/environments/{ref}/rollback", "POST",
               summary="Roll back code and database to the previous successful deployment (or a named one)",
               scope="deployments:write", body=ROLLBACK_BODY, action="deployment.rollback", tag="deployments",
               responses={"202": "Queued", "409": "Nothing to roll back to"})
    def rollback(self, call, ref):
        env = environment_of(ref)
        current = env.current_deployment_id
        if not current:
            raise errors.Conflict(f"{env.slug} has no deployment to roll back")
        done = env.deployment_ids.filtered(lambda d: d.state == "succeeded" and d.id != current.id and d.image)
        if call.body.get("deployment"):
            target = done.filtered(lambda d: d.id == call.body["deployment"])
        else:
            target = done.filtered(lambda d: d.id < current.id)[:1]
        if not target:
            raise errors.Conflict("no earlier successful deployment to roll back to",
                                  details={"succeeded": done.ids},
                                  remediation="Name one with {\"deployment\": id} (odooops deployment list ENV).")
        if not current.snapshot:
            raise errors.Conflict("the current release kept no database snapshot",
                                  remediation="Deploy the older commit instead: it migrates forward.")
        dep = queue(call, env, kind="rollback", source_deployment_id=target.id, sha=target.sha, image=target.image)
        return Result(serializers.deployment(dep), status=202)

    @api_route("/promotions", "POST", summary="Deploy the image serving one environment to another",
               scope="deployments:write", body=PROMOTE_BODY, action="deployment.promote", tag="deployments",
               responses={"202": "Queued", "409": "Source has nothing deployed"})
    def promote(self, call):
        source = environment_of(call.body["source"])
        target = environment_of(call.body["target"])
        if source == target:
            raise errors.ValidationFailed("source and target are the same environment")
        if not source.current_deployment_id:
            raise errors.Conflict(f"{source.slug} has nothing deployed to promote")
        release = source.current_deployment_id
        dep = queue(call, target, kind="promote", source_deployment_id=release.id, sha=release.sha,
                    image=release.image, migrate=call.body.get("migrate", True))
        return Result(serializers.deployment(dep), status=202)
