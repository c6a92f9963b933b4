from odoo import fields, http
from odoo.http import request

from odooops import errors
from odooops.api.envelope import utc_timestamp

from . import lookup, serializers
from .lookup import by_ref
from .routing import api_route, paginated
from .spec import PAGE_QUERY, Result

SHA_OR_REF = {"type": "string", "minLength": 1, "maxLength": 250, "pattern": "^[A-Za-z0-9._/-]+$"}
PROJECT_QUERY = "Project slug, when the environment's slug exists in several projects"
ENVIRONMENT_REF = {"type": ["string", "integer"]}
PROJECT_SLUG = {"type": "string", "minLength": 1, "maxLength": 100}

TIER_REFS = {"prod": "production", "production": "production", "staging": "staging"}
DEPLOY_BODY = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {
        "environment": {**ENVIRONMENT_REF, "description": "Id or slug; prod, production or staging that is no slug "
                                                         "names the only live environment of that tier"},
        "environment_id": {**ENVIRONMENT_REF, "description": "Another spelling of environment"},
        "project": PROJECT_SLUG, "sha": SHA_OR_REF,
        "commit_sha": {**SHA_OR_REF, "description": "Another spelling of sha"},
    },
    # The spec's GitHub Actions body is {"environment_id": "prod", "commit_sha": "…"}: both spellings
    # work, one of each pair.
    "anyOf": [{"required": ["environment"]}, {"required": ["environment_id"]}],
    "dependentSchemas": {"environment_id": {"properties": {"environment": False}},
                         "commit_sha": {"properties": {"sha": False}}},
}
ROLLBACK_BODY = {
    "type": "object", "additionalProperties": False,
    "properties": {"deployment": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "confirm": {"type": "boolean"},
                   "dry_run": {"type": "boolean"}},
}
PROMOTE_BODY = {
    "type": "object", "additionalProperties": False, "required": ["source", "target"],
    "properties": {"source": ENVIRONMENT_REF, "target": ENVIRONMENT_REF, "project": PROJECT_SLUG,
                   "migrate": {"type": "boolean"}},
}


def environment_of(ref, project=None, *, live=True):
    """The environment named by ``ref`` (id or slug) in ``project``; with ``live``, a
    destroyed one is a Conflict."""
    extra = [("project_id.slug", "=", project)] if project else []
    env = by_ref("odooops.environment", str(ref), "environment", extra)
    if live and env.state == "destroyed":
        raise errors.Conflict(f"environment {env.display_name} is destroyed",
                              remediation="Create a new one for its branch: odooops env create BRANCH --project P")
    return env.sudo()


def deploy_target(ref, project=None):
    """``environment_of``, where prod, production or staging that names no environment means the
    only live environment of that tier (in ``project`` when given, else among those the caller sees)."""
    try:
        return environment_of(ref, project)
    except errors.NotFound:
        tier = TIER_REFS.get(str(ref))
        if tier is None:
            raise
    domain = [("tier", "=", tier), ("state", "!=", "destroyed")] + (
        [("project_id.slug", "=", project)] if project else [])
    found = request.env["odooops.environment"].search(domain, limit=20)
    if len(found) > 1:
        raise errors.Conflict(
            f"{ref!r} names the {tier} environment, and there are {len(found)}: "
            + ", ".join(f"{e.project_id.slug}/{e.slug}" for e in found.sudo()), code="AMBIGUOUS_REFERENCE",
            details={"ref": str(ref), "tier": tier,
                     "matches": [{"id": e.id, "project": e.project_id.slug, "slug": e.slug, "branch": e.branch,
                                  "status": e.state} for e in found.sudo()]},
            remediation="Add the project (--project P; API: \"project\": \"P\") or give the environment's slug or id.")
    if not found:
        raise lookup.not_found("environment", ref, project)
    return found.sudo()


def audit_target(call, env, **details):
    call.audit_target = f"environment:{env.display_name}"
    call.audit_details.update(details)


def _age(moment):
    seconds = int((fields.Datetime.now() - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


class DeploymentsController(http.Controller):

    @api_route("/deployments", "POST", summary="Deploy a commit (SHA, branch or tag) to an environment",
               scope="deployments:write", body=DEPLOY_BODY, action="deployment.create", tag="deployments",
               responses={"202": "Queued", "404": "No such environment",
                          "409": "A deployment of that environment is already running, or prod/staging names "
                                 "several environments (AMBIGUOUS_REFERENCE)"})
    def create_deployment(self, call):
        body = call.body
        env = deploy_target(body.get("environment", body.get("environment_id")), body.get("project"))
        dep = env._queue_deployment("deploy", ref=body.get("sha") or body.get("commit_sha") or env.branch)
        audit_target(call, env, deployment=dep.id, kind=dep.kind, ref=dep.ref)
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
               scope="deployments:read", query={**PAGE_QUERY, "project": PROJECT_QUERY}, tag="deployments",
               responses={"404": "No such environment"})
    def list_deployments(self, call, ref):
        env = environment_of(ref, call.query.get("project"), live=False)
        return paginated("odooops.deployment", [("environment_id", "=", env.id)], call.query, serializers.deployment)

    @api_route("/environments/{ref}/rollback", "POST",
               summary="Roll back code, Odoo and database to the previous successful deployment (or a named one)",
               scope="deployments:write", body=ROLLBACK_BODY, query={"project": PROJECT_QUERY},
               action="deployment.rollback", tag="deployments",
               responses={"200": "dry_run: what the rollback would do", "202": "Queued",
                          "404": "No such environment",
                          "409": "Nothing to roll back to, or production asks for confirm: true"})
    def rollback(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        target, after = env._rollback_choice(call.body.get("deployment"))
        plan, loss = {"target": serializers.deployment(target), "restores_snapshot_taken_at": None,
                      "loses_writes_since": None, "age_seconds": 0}, None
        if after:
            taken_at = after.snapshot_taken_at or after.started_at or after.create_date
            plan.update(restores_snapshot_taken_at=utc_timestamp(taken_at), loses_writes_since=utc_timestamp(taken_at),
                        age_seconds=int((fields.Datetime.now() - taken_at).total_seconds()))
            loss = (f"writes made to {env.display_name} since {plan['loses_writes_since']} ({_age(taken_at)} ago) "
                    "will be lost; the database replaced is kept, so this rollback can be undone")
        message = loss or (f"nothing changed the database of {env.display_name} since deployment {target.id}: "
                           "code and Odoo go back, the database stays as it is, no data is lost")
        if call.body.get("dry_run"):
            return Result({**plan, "message": message})
        if loss and env.tier == "production" and not call.body.get("confirm"):
            raise errors.Conflict(f"rolling back production: {loss}", code="CONFIRMATION_REQUIRED", details=plan,
                                  remediation=f"Confirm: odooops rollback {env.slug} --confirm "
                                              "(API: {\"confirm\": true})")
        dep = env._queue_deployment("rollback", source_deployment_id=target.id, sha=target.sha, image=target.image,
                                    restore_from=after.snapshot or False)
        audit_target(call, env, deployment=dep.id, kind="rollback", target=target.id,
                     loses_writes_since=plan["loses_writes_since"])
        return Result({**serializers.deployment(dep), "loses_writes_since": plan["loses_writes_since"]}, status=202)

    @api_route("/promotions", "POST", summary="Deploy the image (and Odoo) serving one environment to another",
               scope="deployments:write", body=PROMOTE_BODY, action="deployment.promote", tag="deployments",
               responses={"202": "Queued", "404": "No such environment", "409": "Source has nothing deployed"})
    def promote(self, call):
        project = call.body.get("project")
        source = environment_of(call.body["source"], project)
        target = environment_of(call.body["target"], project)
        if source == target:
            raise errors.ValidationFailed("source and target are the same environment")
        if not source.current_deployment_id:
            raise errors.Conflict(f"{source.display_name} has nothing deployed to promote")
        release = source.current_deployment_id
        dep = target._queue_deployment("promote", source_deployment_id=release.id, sha=release.sha,
                                       image=release.image, migrate=call.body.get("migrate", True))
        audit_target(call, target, deployment=dep.id, kind="promote", source=source.display_name)
        return Result(serializers.deployment(dep), status=202)
