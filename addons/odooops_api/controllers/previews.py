"""Preview environments of pull requests (pr-<n>, tier preview): what the webhook opens and
closes by itself, listed here, and the manual override (`odooops preview create --pr N`)."""
import re

from odoo import http
from odoo.http import request

from odooops import errors
from odooops.github.client import GitHubError
from odooops.naming import validate_branch

from . import serializers
from .deployments import audit_target
from .github_settings import PROJECT_REF, project_of
from .routing import api_route, paginated
from .spec import PAGE_QUERY, Result

PR_MAX = 2**31 - 1
SHA = re.compile(r"^[0-9a-f]{40}$")
PR_REF = {**PROJECT_REF, "pr": {"description": "Pull request number",
                                "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,9}$"}}}
CREATE_BODY = {
    "type": "object", "additionalProperties": False, "required": ["pr"],
    "properties": {
        "pr": {"type": "integer", "minimum": 1, "maximum": PR_MAX, "description": "Pull request number"},
        "sha": {"type": "string", "pattern": "^[0-9a-f]{40}$",
                "description": "The commit to deploy (default: the pull request's head, asked of GitHub with the "
                               "project's credentials)"},
        "branch": {"type": "string", "minLength": 1, "maxLength": 200,
                   "description": "The pull request's head branch (shown on the preview)"},
    },
}


def _number(pr):
    number = int(pr)
    if not 1 <= number <= PR_MAX:
        raise errors.NotFound(f"no pull request #{pr}", details={"pr": pr})
    return number


def _head(project, number):
    """(sha, branch) of the pull request's head, asked of GitHub."""
    client = project._github_client()
    if client is None:
        raise errors.ValidationFailed(
            f"no commit given, and project {project.slug} cannot ask GitHub for pull request #{number}'s head "
            "(no repository or credentials)", code="PREVIEW_SHA_REQUIRED", details={"field": "sha"},
            remediation=f"Give the commit: odooops preview create --pr {number} --sha SHA --project {project.slug}; "
                        f"or give the project GitHub credentials: odooops project github {project.slug} "
                        "--token-stdin")
    repository = project.sudo().github_repository
    try:
        found = client.pull_request(repository, number)
    except GitHubError as exc:
        if exc.status == 404:
            raise errors.NotFound(f"GitHub has no pull request #{number} in {repository}",
                                  details={"pr": number, "repository": repository},
                                  remediation="Check the number, and that the token can read the repository.") from None
        raise
    head = found.get("head") if isinstance(found, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    if not isinstance(sha, str) or not SHA.match(sha):
        raise errors.OdooOpsError(f"GitHub's answer for pull request #{number} has no head commit",
                                  code="GITHUB_ERROR", remediation="Give the commit: --sha SHA.")
    if found.get("state") == "closed":
        raise errors.Conflict(f"pull request #{number} of {repository} is closed", details={"pr": number},
                              remediation="Reopen it, or give the commit to preview: --sha SHA.")
    ref = head.get("ref")
    return sha, ref if isinstance(ref, str) else None


class PreviewsController(http.Controller):

    @api_route("/projects/{ref}/previews", "GET", summary="A project's live preview environments (one per open "
                                                          "pull request: pr-<n>)",
               scope="environments:read", tag="previews", path_params=PROJECT_REF, query=PAGE_QUERY,
               responses={"404": "No such project"})
    def list_previews(self, call, ref):
        project = project_of(ref)
        return paginated("odooops.environment", [("project_id", "=", project.id), ("tier", "=", "preview"),
                                                 ("state", "!=", "destroyed")], call.query, serializers.environment)

    @api_route("/projects/{ref}/previews", "POST",
               summary="Open (or redeploy) the preview environment pr-<n> of a pull request: the manual override "
                       "of what its webhook does", scope="environments:write", body=CREATE_BODY,
               action="preview.create", tag="previews", path_params=PROJECT_REF,
               responses={"202": "Its deployment is queued", "404": "No such project or pull request",
                          "409": "The pull request is closed, or its preview is busy",
                          "422": "No sha given and no GitHub credentials to ask for the head (PREVIEW_SHA_REQUIRED)",
                          "502": "GitHub's API failed"})
    def create_preview(self, call, ref):
        project = project_of(ref)
        number, sha, branch = call.body["pr"], call.body.get("sha"), call.body.get("branch")
        call.audit_target = f"project:{project.slug}"
        call.audit_details.update(pr=number, sha=sha)
        if branch:
            validate_branch(branch)
        if not sha:
            sha, head_ref = _head(project, number)
            branch = branch or head_ref
            call.audit_details.update(sha=sha, from_github=True)
        dep = project._preview_open(number, sha=sha, branch=branch, author=request.env.user.login,
                                    request_id=call.request_id).sudo()
        env = dep.environment_id
        audit_target(call, env, deployment=dep.id, kind=dep.kind, ref=dep.ref)
        return Result({**serializers.environment(env), "deployment": serializers.deployment(dep)}, status=202)

    @api_route("/projects/{ref}/previews/{pr}", "DELETE", summary="Destroy the preview environment of a pull "
                                                                  "request (a queued job)",
               scope="environments:write", action="preview.destroy", tag="previews", path_params=PR_REF,
               responses={"202": "The destroy is queued; follow its deployment", "200": "Already being destroyed",
                          "404": "No such project, or no preview of that pull request",
                          "409": "A deployment of it is still running"})
    def destroy_preview(self, call, ref, pr):
        project = project_of(ref)
        number = _number(pr)
        env = project._preview_of(number)
        if not env:
            raise errors.NotFound(f"project {project.slug} has no live preview of pull request #{number}",
                                  details={"pr": number},
                                  remediation=f"List them: odooops preview list --project {project.slug}")
        audit_target(call, env, pr=number)
        dep = project._preview_close(number, author=request.env.user.login, request_id=call.request_id)
        env = env.sudo()
        if not dep:
            return Result({"environment": serializers.environment(env), "deployment": None,
                           "already_destroying": True})
        call.audit_details["deployment"] = dep.id
        return Result({"environment": serializers.environment(env), "deployment": serializers.deployment(dep.sudo()),
                       "already_destroying": False}, status=202)
