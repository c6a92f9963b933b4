from pathlib import Path

from odoo import http
from odoo.http import request

from odooops import errors, migrate_check, settings
from odooops.drivers import postgres

from . import serializers
from .deployments import SHA_OR_REF, audit_target, environment_of
from .lookup import as_id
from .routing import api_route
from .spec import Result

MODULE_NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[a-z0-9_]+$"}
MIGRATE_BODY = {
    "type": "object", "additionalProperties": False,
    "properties": {"dry_run": {"type": "boolean"}, "sha": SHA_OR_REF,
                   "modules": {"type": "array", "items": MODULE_NAME, "maxItems": 50, "uniqueItems": True}},
}
PROJECT_QUERY = "Project slug, when the environment's slug exists in several projects"


def _pending(env, release, ref, asked):
    """The modules migrating ``env`` to ``ref`` installs or updates, and why (read from the
    commit's tree and the environment's database now)."""
    config = settings.current()
    pg = postgres.Server(config.pg_host, config.pg_port, config.pg_user, config.pg_password)
    git_cache = Path(config.state_dir) / "git"       # as DataPlane.from_settings has it
    return migrate_check.pending_for(pg, git_cache, env.database_name, env.project_id.git_remote, ref,
                                     release.checksums or {}, asked)


class MigrationsController(http.Controller):

    @api_route("/databases/{ref}/migrate", "POST",
               summary="Migrate an environment's database: the modules whose code or version changed (or those "
                       "named) are updated. dry_run: in a throwaway copy, reporting the SQL, the errors and the "
                       "duration, the environment untouched; otherwise a migrating deployment (503 during the "
                       "update, the snapshot back on failure)",
               scope="deployments:write", body=MIGRATE_BODY, query={"project": PROJECT_QUERY},
               action="database.migrate", tag="databases",
               responses={"202": "Queued: the dry run (GET /migrations/{id}) or the deployment, with the pending "
                                 "modules",
                          "404": "No such environment or commit",
                          "409": "Nothing serving, nothing to migrate, or a deployment running",
                          "422": "A module that is not installed"})
    def migrate(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        release = env.current_deployment_id
        if not release:
            raise errors.Conflict(f"{env.display_name} serves nothing yet: there is no database to migrate",
                                  remediation=f"Deploy it first: odooops deploy {env.slug} --wait")
        asked = call.body.get("modules") or []
        found = _pending(env, release, call.body.get("sha") or release.sha, asked)
        if not found.modules:
            raise migrate_check.NothingToMigrate(
                f"nothing to migrate in {env.display_name} at {found.sha[:12]}: no module changed, none has a "
                "higher version than the one installed", details={"sha": found.sha})
        pending = found.to_dict()["modules"]
        dry_run = bool(call.body.get("dry_run"))
        audit_target(call, env, dry_run=dry_run, sha=found.sha, modules=[m["module"] for m in pending])
        if dry_run:
            check = request.env["odooops.migration.check"]._queue_for(env, ref=call.body.get("sha"), pending=found,
                                                                      asked=asked)
            call.audit_details["migration_check"] = check.id
            return Result(serializers.migration_check(check), status=202)
        dep = env._queue_deployment("migrate", ref=found.sha, migrate_modules=asked)
        call.audit_details["deployment"] = dep.id
        return Result({**serializers.deployment(dep), "pending": pending}, status=202)

    @api_route("/migrations/{ref}", "GET",
               summary="A migration dry run: its state, the pending modules, and once done the SQL executed "
                       "(count, DDL in full, the rest summarized), the errors and the duration",
               scope="deployments:read", tag="databases", responses={"404": "No such dry run"})
    def get_check(self, call, ref):
        number = as_id(ref)
        check = request.env["odooops.migration.check"].search([("id", "=", number)]) if number else None
        if not check:
            raise errors.NotFound(f"no migration dry run {ref!r}",
                                  remediation="Start one: odooops db migrate ENV --dry-run")
        return Result(serializers.migration_check(check.sudo()))
