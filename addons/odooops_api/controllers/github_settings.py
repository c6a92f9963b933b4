"""A project's GitHub integration: the repository its webhooks come from, the webhook secret
(shown once: when first made and when rotated), the credentials commit statuses and PR comments
are sent with (a token or a GitHub App: never shown), and the log of those calls."""
from odoo import http
from odoo.http import request

from odooops.api import envelope

from . import serializers_git
from .lookup import by_ref
from .routing import api_route
from .spec import PAGE_QUERY, Result

PROJECT_REF = {"ref": {"description": "Project id or slug",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 63,
                                  "pattern": "^([0-9]{1,9}|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$"}}}
# owner/name as GitHub allows them (a name is never "." or ".."); "" unsets the repository.
REPOSITORY = {"type": "string", "maxLength": 140,
              "pattern": "^([A-Za-z0-9][A-Za-z0-9-]{0,38}/([A-Za-z0-9_-][A-Za-z0-9._-]{0,99}|\\.[A-Za-z0-9_-]"
                         "[A-Za-z0-9._-]{0,98}|\\.\\.[A-Za-z0-9._-]{1,98}))?$",
              "description": "owner/name of the GitHub repository whose webhooks reach the project "
                             "(default: read from the git remote); empty: none"}
NUMBER = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 10**18},
                    {"type": "string", "pattern": "^[1-9][0-9]{0,17}$"}]}
CONFIGURE_BODY = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {
        "repository": REPOSITORY,
        "api_url": {"type": "string", "minLength": 1, "maxLength": 2000,
                    "pattern": "^https?://[^\\s/?#@]+(:[0-9]{1,5})?(/[^\\s?#]*)?$",
                    "description": "The GitHub API the credentials belong to (GitHub Enterprise: "
                                   "https://HOST/api/v3); default: the policy's github_integration.api_url"},
        "token": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$",
                  "description": "A GitHub token (Commit statuses: write, Pull requests: read, Issues: write); "
                                 "stored sealed, never shown"},
        "app_id": {**NUMBER, "description": "GitHub App id (with app_installation_id and app_private_key)"},
        "app_installation_id": {**NUMBER, "description": "The App's installation id on the repository"},
        "app_private_key": {"type": "string", "minLength": 1, "maxLength": 20000, "x-multiline": True,
                            "description": "The App's private key (PEM); stored sealed, never shown"},
        "rotate_webhook_secret": {"type": "boolean",
                                  "description": "Make a new webhook secret: the answer shows it, this once"},
        "clear_credentials": {"type": "boolean", "description": "Forget the token or App credentials"},
    },
    # A token or an App, not both.
    "dependentSchemas": {"token": {"properties": {"app_id": False, "app_installation_id": False,
                                                  "app_private_key": False}}},
}
SECRET_HINT = ("Paste webhook_url and webhook_secret into GitHub → the repository's Settings → Webhooks → "
               "Add webhook (content type application/json; events: pushes, pull requests, branch or tag "
               "deletion). The secret is shown this once: --rotate-secret makes a new one.")
CALL_QUERY = {**PAGE_QUERY,
              "kind": {"description": "Only statuses or comments", "schema": {"type": "string",
                                                                             "enum": ["status", "comment"]}},
              "status": {"description": "Only calls in this state",
                         "schema": {"type": "string", "enum": ["pending", "done", "failed"]}}}


def project_of(ref):
    return by_ref("odooops.project", ref, "project")


class GitHubSettingsController(http.Controller):

    @api_route("/projects/{ref}/github", "GET", summary="A project's GitHub integration: repository, webhook URL, "
                                                        "whether a webhook secret and credentials are set (never "
                                                        "their values), and the policy's github_integration",
               scope="projects:read", tag="github", path_params=PROJECT_REF, responses={"404": "No such project"})
    def get_github(self, call, ref):
        project = project_of(ref)
        return Result({"project": project.slug, **project._github_settings()})

    @api_route("/projects/{ref}/github", "PUT",
               summary="Configure a project's GitHub integration: repository, API URL, a token or GitHub App "
                       "credentials (sealed, never shown), a new webhook secret (shown in this answer only)",
               scope="projects:write", body=CONFIGURE_BODY, action="project.github.configure", tag="github",
               path_params=PROJECT_REF,
               responses={"200": "Configured; webhook_secret is in the answer when one was made (the first time, "
                                 "or rotate_webhook_secret)", "404": "No such project",
                          "422": "Invalid values: a repository that is not owner/name, a key that is not an RSA "
                                 "private key, App values missing, credentials bound to another api_url"})
    def configure_github(self, call, ref):
        project = project_of(ref)
        call.audit_target = f"project:{project.slug}"
        # Which keys were given, never their values (a token, a private key).
        call.audit_details["changed"] = sorted(call.body)
        answer = project._github_configure(call.body, request.env.user.login, call.request_id)
        made = "webhook_secret" in answer
        call.audit_details["webhook_secret_made"] = made
        return Result({"project": project.slug, **answer, **({"message": SECRET_HINT} if made else {})})

    @api_route("/projects/{ref}/github-calls", "GET",
               summary="The calls OdooOps made (or will retry) to GitHub for a project: commit statuses and pull "
                       "request comments, newest first, with their last error",
               scope="projects:read", tag="github", path_params=PROJECT_REF, query=CALL_QUERY,
               responses={"404": "No such project"})
    def list_github_calls(self, call, ref):
        project = project_of(ref)
        domain = [("project_id", "=", project.id)]
        if call.query.get("kind"):
            domain.append(("kind", "=", call.query["kind"]))
        if call.query.get("status"):
            domain.append(("state", "=", call.query["status"]))
        return sudo_page("odooops.github.call", domain, call.query, serializers_git.github_call)


def sudo_page(model, domain, query, serialize):
    """One page of ``model`` records of a project the caller sees (the caller checked that):
    logs are the system's records, read on behalf of who sees the project."""
    page, per_page = envelope.pagination(query)
    records = request.env[model].sudo().with_context(active_test=False)
    total = records.search_count(domain)
    found = records.search(domain, limit=per_page, offset=(page - 1) * per_page)
    return Result([serialize(r) for r in found], meta=envelope.page_meta(page, per_page, total))
