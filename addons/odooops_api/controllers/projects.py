"""Projects: the API side only; the rules (unique slug and domain, a reachable git
remote, no delete while environments live) are the odooops.project model's."""
from odoo import http
from odoo.http import request

from odooops.backups.schedule import MAX_MINUTES, MIN_MINUTES, TIERS

from . import serializers
from .lookup import by_ref
from .routing import api_route, paginated
from .spec import PAGE_QUERY, Result

_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# What odooops.remotes.validate_git_remote accepts (a URL, scp-like user@host:path, an absolute path).
GIT_REMOTE = {"type": "string", "minLength": 1, "maxLength": 500,
              "pattern": "^((https?|ssh|git|file)://[^\\s\\x00-\\x1f\\x7f'\"`$;|&<>\\\\]+"
                         "|[A-Za-z0-9._][A-Za-z0-9._-]*@[A-Za-z0-9.-]+:[A-Za-z0-9._/~-]+"
                         "|/[A-Za-z0-9._/ -]*)$"}
PROPERTIES = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "git_remote": GIT_REMOTE,
    "default_branch": {"type": "string", "minLength": 1, "maxLength": 200},
    "base_image": {"type": "string", "minLength": 1, "maxLength": 300, "pattern": "^[A-Za-z0-9][A-Za-z0-9._/:@-]*$"},
    "domain": {"type": "string", "minLength": 1, "maxLength": 253, "pattern": f"^{_LABEL}(\\.{_LABEL})*$"},
    "members": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 256},
                "uniqueItems": True, "maxItems": 200},
    "test_command": {"type": "string", "maxLength": 2000},
    "dev_from_production": {"type": "boolean", "description": "New dev environments start from a neutralized "
                                                              "copy of production, as staging ones do"},
    "dev_demo_data": {"type": "boolean", "description": "New dev environments that start empty get demo data"},
    "backup_schedule": {
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "description": "Per tier, the oldest the newest backup may get, in minutes (the RPO; 0: no scheduled "
                       "backups). Defaults: production 60, staging 1440, dev 0, preview 0",
        "properties": {tier: {"type": "integer", "anyOf": [{"const": 0}, {"minimum": MIN_MINUTES, "maximum": MAX_MINUTES}]}
                       for tier in TIERS}},
    "backup_retention": {
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "description": "How many backups retention keeps: the newest of each of the last N days, ISO weeks, months "
                       "(defaults 7, 4, 3); the newest backup is always kept",
        "properties": {period: {"type": "integer", "minimum": 0, "maximum": 10000}
                       for period in ("daily", "weekly", "monthly")}},
}
PROJECT_BODY = {"type": "object", "additionalProperties": False, "required": ["name", "git_remote"],
                "properties": PROPERTIES}
UPDATE_BODY = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": PROPERTIES}
TAKEN = "The slug, or the domain (DOMAIN_TAKEN), is another project's"
UNREACHABLE = "Invalid fields, or git cannot reach the remote (GIT_REMOTE_UNREACHABLE, details.git)"


def _project(ref):
    return by_ref("odooops.project", ref, "project")


def _answer(call, project, status=200, **extra):
    call.audit_target = f"project:{project.slug}"
    call.audit_details = {"id": project.id, **({"changes": sorted(call.body)} if call.body else {})}
    return Result({**extra, "project": serializers.project(project.with_env(request.env))} if extra
                  else serializers.project(project.with_env(request.env)), status=status)


class ProjectsController(http.Controller):

    @api_route("/projects", "GET", summary="List projects", scope="projects:read", tag="projects",
               query=PAGE_QUERY)
    def list_projects(self, call):
        return paginated("odooops.project", [], call.query, serializers.project)

    @api_route("/projects/{ref}", "GET", summary="Get a project by id or slug, with its disk usage (databases and "
                                                 "their snapshots, filestores, images; null when the data plane "
                                                 "cannot be asked)", scope="projects:read",
               tag="projects", responses={"404": "No such project"})
    def get_project(self, call, ref):
        project = _project(ref)
        usage = request.env["odooops.garbage.collector"]._project_usage(project)
        return Result({**serializers.project(project), "disk_usage": usage})

    @api_route("/projects", "POST", summary="Register a project (a git repository of Odoo addons)",
               scope="projects:write", body=PROJECT_BODY, action="project.create", tag="projects",
               responses={"201": "Created", "409": TAKEN, "422": UNREACHABLE})
    def create_project(self, call):
        # Scope checked by the pipeline; the UI stays read-only, so the model writes as
        # superuser and stamps the real author in the chatter and the audit log.
        created = request.env["odooops.project"]._api_create(call.body, request.env.user.login, call.request_id)
        return _answer(call, created, status=201)

    @api_route("/projects/{ref}", "PATCH", summary="Change a project's settings (its slug stays)",
               scope="projects:write", body=UPDATE_BODY, action="project.update", tag="projects",
               responses={"200": "Updated", "404": "No such project", "409": TAKEN, "422": UNREACHABLE})
    def update_project(self, call, ref):
        project = _project(ref)._api_update(call.body, request.env.user.login, call.request_id)
        return _answer(call, project)

    @api_route("/projects/{ref}", "DELETE",
               summary="Delete a project without live environments (archived: its history stays, its name is free)",
               scope="projects:write", action="project.delete", tag="projects",
               responses={"200": "Deleted", "404": "No such project",
                          "409": "It still has environments that are not destroyed (PROJECT_HAS_ENVIRONMENTS)"})
    def delete_project(self, call, ref):
        project = _project(ref)._api_delete(request.env.user.login, call.request_id)
        return _answer(call, project, deleted=True)
