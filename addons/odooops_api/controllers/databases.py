from odoo import http
from odoo.http import request

from odooops import backups, errors, settings
from odooops.backups.configured import store_from_settings

from . import serializers
from .deployments import ENVIRONMENT_REF, PROJECT_SLUG, audit_target, environment_of
from .routing import api_route
from .spec import Result

BACKUP_BODY = {
    "type": "object", "additionalProperties": False,
    "properties": {"description": {"type": "string", "maxLength": 200}},
}
PROJECT_QUERY = "Project slug, when the environment's slug exists in several projects"
CLONE_BODY = {
    "type": "object", "additionalProperties": False, "required": ["source", "target"],
    "properties": {"source": ENVIRONMENT_REF, "target": ENVIRONMENT_REF, "project": PROJECT_SLUG,
                   "strategy": {"type": "string", "enum": ["clone", "template", "dump", "backup"]},
                   "anonymize": {"type": "boolean"}, "confirm": {"type": "boolean"}},
}
BACKUP_ID = {"type": "string", "pattern": r"^[0-9]{8}T[0-9]{6}(\.[0-9]{3})?Z-[0-9a-f]{6}$",
             "description": "A backup's id in the store, as GET /databases/{env}/backups lists it"}
RESTORE_BODY = {
    "type": "object", "additionalProperties": False, "required": ["backup", "target"],
    "properties": {"backup": BACKUP_ID, "target": ENVIRONMENT_REF, "project": PROJECT_SLUG,
                   "source": {**ENVIRONMENT_REF, "description": "Whose backup it is (default: the target)"},
                   "force": {"type": "boolean", "description": "Required when the target is production"}},
}


def _same_project(source, target, remediation):
    if source.project_id != target.project_id:
        raise errors.ValidationFailed(f"{source.display_name} and {target.display_name} belong to different "
                                      "projects: data never crosses projects", remediation=remediation)


def _serving(target, verb):
    if not target.current_deployment_id:
        raise errors.Conflict(f"{target.display_name} serves nothing yet: deploy it first, then {verb} into it",
                              remediation=f"odooops deploy {target.slug} --wait")


class DatabasesController(http.Controller):

    @api_route("/databases/clone", "POST",
               summary="Replace an environment's data with a neutralized copy of another environment's "
                       "(its release keeps serving until the swap; the data replaced is kept for a rollback)",
               scope="deployments:write", body=CLONE_BODY, action="database.clone", tag="databases",
               responses={"202": "Queued", "404": "No such environment",
                          "409": "Nothing to copy (strategy backup: no backup), nothing serving the target, a "
                                 "deployment running, or production asks for confirm: true",
                          "422": "Same environment, or environments of different projects"})
    def clone(self, call):
        project = call.body.get("project")
        source = environment_of(call.body["source"], project)
        target = environment_of(call.body["target"], project)
        if source == target:
            raise errors.ValidationFailed("an environment cannot be cloned onto itself",
                                          remediation="Name another environment as --to.")
        _same_project(source, target, "Clone between environments of one project.")
        strategy = call.body.get("strategy")
        # "backup" reads the store, not the source: it needs a backup, not a serving source.
        latest = request.env["odooops.backup"].sudo()._latest_key(source) if strategy == "backup" else False
        if not latest and not source.current_deployment_id:
            raise errors.Conflict(f"{source.display_name} serves nothing: there is no data to copy")
        _serving(target, "clone")
        if target.tier == "production" and not call.body.get("confirm"):
            raise errors.Conflict(f"cloning into production replaces the data of {target.display_name}",
                                  code="CONFIRMATION_REQUIRED",
                                  remediation=f"Confirm: odooops db clone {source.slug} --to {target.slug} --confirm "
                                              "(API: {\"confirm\": true})")
        release = target.current_deployment_id
        # Not asked: the policy's default for copies into the target's tier (clones.<tier>.anonymize).
        anonymize = call.body.get("anonymize", target.project_id._policy().clone_defaults(target.tier)["anonymize"])
        dep = target._queue_deployment("clone", clone_source_id=source.id, sha=release.sha, image=release.image,
                                       clone_strategy=strategy or False, backup_key=latest, anonymize=anonymize)
        audit_target(call, target, deployment=dep.id, kind="clone", source=source.display_name,
                     strategy=call.body.get("strategy"), anonymize=anonymize)
        return Result({**serializers.deployment(dep), "source": {"id": source.id, "slug": source.slug}}, status=202)

    @api_route("/databases/restore", "POST",
               summary="Restore a backup over an environment: downloaded and verified (sha256) first, restored "
                       "into a new database while the release serves, swapped in, a new release started on it; "
                       "the data replaced is kept for a rollback. Another environment's backup is neutralized.",
               scope="deployments:write", body=RESTORE_BODY, action="database.restore", tag="databases",
               responses={"202": "Queued", "404": "No such environment, or no such backup of the source",
                          "409": "Nothing serving the target, a deployment running, or production asks for "
                                 "force: true",
                          "422": "Environments of different projects, or a malformed backup id"})
    def restore(self, call):
        project = call.body.get("project")
        target = environment_of(call.body["target"], project)
        source = environment_of(call.body.get("source", call.body["target"]), project, live=False)
        _same_project(source, target, "Restore a backup of an environment of the same project.")
        _serving(target, "restore")
        manifest = request.env["odooops.backup"].sudo()._manifest(source, call.body["backup"])
        if target.tier == "production" and not call.body.get("force"):
            raise errors.Conflict(f"restoring replaces the data of {target.display_name}, a production",
                                  code="CONFIRMATION_REQUIRED",
                                  remediation=f"Confirm: odooops db restore {source.slug} --backup {manifest.id} "
                                              f"--to {target.slug} --force (API: {{\"force\": true}})")
        release = target.current_deployment_id
        dep = target._queue_deployment("restore", clone_source_id=source.id, backup_key=manifest.id, sha=release.sha,
                                       image=release.image, clone_strategy="backup")
        audit_target(call, target, deployment=dep.id, kind="restore", source=source.display_name, backup=manifest.id)
        return Result({**serializers.deployment(dep), "source": {"id": source.id, "slug": source.slug},
                       "backup": {"id": manifest.id, "created_at": manifest.created_at.isoformat(),
                                  "size_bytes": manifest.dump.size + manifest.filestore.size,
                                  "description": manifest.description or None}}, status=202)

    @api_route("/databases/{ref}/backup", "POST",
               summary="Back up an environment: its database (pg_dump -Fc) and filestore, streamed to the "
                       "backup store with a manifest (sizes, sha256, Odoo version, modules)",
               scope="backups:write", body=BACKUP_BODY, query={"project": PROJECT_QUERY}, action="backup.create",
               tag="databases", responses={"202": "Queued", "404": "No such environment",
                                           "409": "The environment serves nothing yet"})
    def create_backup(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        backup = env._queue_backup(call.body.get("description") or "")
        audit_target(call, env, backup=backup.id)
        return Result(serializers.backup(backup), status=202)

    @api_route("/backups/{ref}", "GET", summary="A backup taken through the API, with its state and manifest",
               scope="backups:read", tag="databases", responses={"404": "No such backup"})
    def get_backup(self, call, ref):
        backup = request.env["odooops.backup"].search([("id", "=", int(ref))]) if ref.isdigit() else None
        if not backup:
            raise errors.NotFound(f"no backup {ref!r}", remediation="List them: odooops db backups ENV")
        return Result(serializers.backup(backup))

    @api_route("/databases/{ref}/backups", "GET",
               summary="The complete backups of an environment in the backup store, newest first, with expiry",
               scope="backups:read", query={"project": PROJECT_QUERY, "limit": {
                   "description": "How many (default 20)", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}},
               tag="databases", responses={"404": "No such environment"})
    def list_backups(self, call, ref):
        env = environment_of(ref, call.query.get("project"), live=False)
        limit = call.query.get("limit", 20)
        found = backups.list_backups(store_from_settings(settings.current()), env.database_name,
                                     env.project_id._retention_policy())
        return Result([item.to_dict() for item in found[:limit]])
