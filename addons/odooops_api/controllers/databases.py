from odoo import http

from odooops import errors

from . import serializers
from .deployments import ENVIRONMENT_REF, PROJECT_SLUG, audit_target, environment_of
from .routing import api_route
from .spec import Result

CLONE_BODY = {
    "type": "object", "additionalProperties": False, "required": ["source", "target"],
    "properties": {"source": ENVIRONMENT_REF, "target": ENVIRONMENT_REF, "project": PROJECT_SLUG,
                   "strategy": {"type": "string", "enum": ["clone", "template", "dump"]},
                   "confirm": {"type": "boolean"}},
}


class DatabasesController(http.Controller):

    @api_route("/databases/clone", "POST",
               summary="Replace an environment's data with a neutralized copy of another environment's "
                       "(its release keeps serving until the swap; the data replaced is kept for a rollback)",
               scope="deployments:write", body=CLONE_BODY, action="database.clone", tag="databases",
               responses={"202": "Queued", "404": "No such environment",
                          "409": "Nothing to copy, nothing serving the target, a deployment running, "
                                 "or production asks for confirm: true",
                          "422": "Same environment, or environments of different projects"})
    def clone(self, call):
        project = call.body.get("project")
        source = environment_of(call.body["source"], project)
        target = environment_of(call.body["target"], project)
        if source == target:
            raise errors.ValidationFailed("an environment cannot be cloned onto itself",
                                          remediation="Name another environment as --to.")
        if source.project_id != target.project_id:
            raise errors.ValidationFailed(
                f"{source.display_name} and {target.display_name} belong to different projects: "
                "data never crosses projects", remediation="Clone between environments of one project.")
        if not source.current_deployment_id:
            raise errors.Conflict(f"{source.display_name} serves nothing: there is no data to copy")
        if not target.current_deployment_id:
            raise errors.Conflict(f"{target.display_name} serves nothing yet: deploy it first, then clone into it",
                                  remediation=f"odooops deploy {target.slug} --wait")
        if target.tier == "production" and not call.body.get("confirm"):
            raise errors.Conflict(f"cloning into production replaces the data of {target.display_name}",
                                  code="CONFIRMATION_REQUIRED",
                                  remediation=f"Confirm: odooops db clone {source.slug} --to {target.slug} --confirm "
                                              "(API: {\"confirm\": true})")
        release = target.current_deployment_id
        dep = target._queue_deployment("clone", clone_source_id=source.id, sha=release.sha, image=release.image,
                                       clone_strategy=call.body.get("strategy") or False)
        audit_target(call, target, deployment=dep.id, kind="clone", source=source.display_name,
                     strategy=call.body.get("strategy"))
        return Result({**serializers.deployment(dep), "source": {"id": source.id, "slug": source.slug}}, status=202)
