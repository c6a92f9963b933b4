from odoo import http
from odoo.http import request

from odooops.errors import ValidationFailed

from . import serializers
from .lookup import by_ref
from .routing import api_route, paginated
from .spec import PAGE_QUERY, Result

PROJECT_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "git_remote"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "git_remote": {"type": "string", "minLength": 1, "maxLength": 500},
        "default_branch": {"type": "string", "minLength": 1, "maxLength": 200},
        "base_image": {"type": "string", "minLength": 1, "maxLength": 300},
        "domain": {"type": "string", "minLength": 1, "maxLength": 253},
        "members": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    },
}


class ProjectsController(http.Controller):

    @api_route("/projects", "GET", summary="List projects", scope="projects:read", tag="projects",
               query=PAGE_QUERY)
    def list_projects(self, call):
        return paginated("odooops.project", [], call.query, serializers.project)

    @api_route("/projects/{ref}", "GET", summary="Get a project by id or slug", scope="projects:read",
               tag="projects", responses={"404": "No such project"})
    def get_project(self, call, ref):
        return Result(serializers.project(by_ref("odooops.project", ref, "project")))

    @api_route("/projects", "POST", summary="Register a project (a git repository of Odoo addons)",
               scope="projects:write", body=PROJECT_BODY, action="project.create", tag="projects",
               responses={"201": "Created", "409": "Slug already used", "422": "Invalid fields"})
    def create_project(self, call):
        vals = {k: v for k, v in call.body.items() if k != "members"}
        if "members" in call.body:
            users = request.env["res.users"].sudo().search([("login", "in", call.body["members"])])
            missing = sorted(set(call.body["members"]) - set(users.mapped("login")))
            if missing:
                raise ValidationFailed(f"unknown member login(s): {', '.join(missing)}",
                                       details={"members": missing})
            vals["user_ids"] = [(6, 0, users.ids)]
        # Scope checked above; the UI stays read-only, so the API writes as superuser
        # and stamps the real author in the chatter and the audit log.
        created = request.env["odooops.project"].sudo().with_context(mail_create_nolog=False).create(vals)
        created.sudo().message_post(body=f"Created through the API by {request.env.user.login} ({call.request_id})")
        call.audit_target = f"project:{created.slug}"
        call.audit_details = {"id": created.id}
        return Result(serializers.project(created.with_env(request.env)), status=201)
