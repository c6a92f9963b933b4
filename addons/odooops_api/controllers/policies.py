"""Policies (.odooops/policies.yaml): validate a file, apply the one committed in the project's
repository, show what is in force and its history, compare two versions, and check what the
policy says of an environment (a dry run). The rules are the odooops_policy models'."""
from odoo import http
from odoo.http import request

from odooops import errors, policy
from odooops.api.envelope import utc_timestamp

from .deployments import PROJECT_QUERY, SHA_OR_REF, environment_of
from .lookup import by_ref
from .routing import api_route, paginated
from .spec import PAGE_QUERY, Result

MAX_CONTENT = 1024 * 1024       # what the engine loads at most (policy.loader.MAX_BYTES)
POLICY_FILE = ".odooops/policies.yaml"
VALIDATE_BODY = {
    "type": "object", "additionalProperties": False, "required": ["content"],
    "properties": {
        "content": {"type": "string", "maxLength": MAX_CONTENT, "x-multiline": True,
                    "description": "The YAML text of a policies file"},
        "filename": {"type": "string", "minLength": 1, "maxLength": 255,
                     "description": f"The name errors are reported against (default {POLICY_FILE})"},
    },
}
APPLY_BODY = {
    "type": "object", "additionalProperties": False,
    "properties": {"sha": {**SHA_OR_REF, "description": "A commit SHA, branch or tag of the project's repository "
                                                        "(default: its default branch)"}},
}
VERSION_PARAM = {"version": {"description": "Policy version (1, 2, …)",
                             "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"}}}
PROJECT_REF = {"ref": {"description": "Project id or slug",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 63,
                                  "pattern": "^([0-9]{1,9}|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$"}}}
DIFF_QUERY = {"against": {"description": "The version to compare with (default: the one before)",
                          "schema": {"type": "integer", "minimum": 1, "maximum": 10**9}}}
CHECK_QUERY = {
    "project": PROJECT_QUERY,
    "action": {"description": "The action to check (default deploy)", "schema": {"type": "string",
                                                                              "enum": list(policy.ACTIONS)}},
    "sha": {"description": "The commit to deploy: resolved in the repository, its policy file compared with the "
                           "one in force", "schema": SHA_OR_REF},
}
INVALID = "The file is invalid (POLICY_INVALID): details.errors has each error with its line and column"


def _ts(value):
    return utc_timestamp(value) if value else None


def issues(found):
    return [issue.to_dict() for issue in found]


def summary(rec):
    """One version, without its file: what a history lists."""
    return {"version": rec.version, "sha": rec.sha or None, "source": rec.source, "state": rec.state,
            "applied_at": _ts(rec.applied_at), "applied_by": rec.applied_by_id.login or None,
            "warnings": rec.warnings or []}


def detail(rec, project):
    """The policy in force of ``project`` as ``rec`` stores it; the defaults when ``rec`` is empty."""
    if not rec:
        return {"project": project.slug, "version": None, "sha": None, "source": "default", "state": "active",
                "applied_at": None, "applied_by": None, "warnings": [], "content": "",
                "policy": policy.DEFAULT.to_dict()}
    return {"project": project.slug, **summary(rec), "content": rec.content or "", "policy": rec.effective}


def _project(ref):
    return by_ref("odooops.project", ref, "project")


def _version(project, version):
    found = request.env["odooops.policy"].search([("project_id", "=", project.id), ("version", "=", int(version))])
    if not found:
        raise errors.NotFound(f"project {project.slug} has no policy version {version}",
                              details={"project": project.slug, "version": int(version)},
                              remediation=f"List them: odooops policy history {project.slug} "
                                          f"(API: GET /api/v1/projects/{project.slug}/policies).")
    return found


class PoliciesController(http.Controller):

    @api_route("/policies/validate", "POST", summary="Validate a policies file: every error and warning with "
                                                     "its line, column and a suggestion (nothing is stored)",
               scope="projects:read", body=VALIDATE_BODY, action="policy.validate", tag="policies",
               responses={"200": "The verdict: valid, errors, warnings, and the policy with defaults when valid"})
    def validate(self, call):
        loaded = policy.load(call.body["content"], filename=call.body.get("filename") or POLICY_FILE)
        return Result({"valid": loaded.ok, "errors": issues(loaded.errors), "warnings": issues(loaded.warnings),
                       "lines": [str(i) for i in (*loaded.errors, *loaded.warnings)],
                       "policy": loaded.policy.to_dict() if loaded.ok else None})

    @api_route("/projects/{ref}/policy", "GET", summary="The policy in force of a project (the defaults when its "
                                                        "repository never had one)", scope="projects:read",
               tag="policies", path_params=PROJECT_REF, responses={"404": "No such project"})
    def get_policy(self, call, ref):
        project = _project(ref)
        return Result(detail(request.env["odooops.policy"]._active_for(project), project))

    @api_route("/projects/{ref}/policies", "GET", summary="The policy versions of a project, newest first",
               scope="projects:read", tag="policies", path_params=PROJECT_REF, query=PAGE_QUERY,
               responses={"404": "No such project"})
    def list_policies(self, call, ref):
        project = _project(ref)
        return paginated("odooops.policy", [("project_id", "=", project.id)], call.query, summary)

    @api_route("/projects/{ref}/policies/{version}", "GET", summary="One policy version of a project, with its file",
               scope="projects:read", tag="policies", path_params={**PROJECT_REF, **VERSION_PARAM},
               responses={"404": "No such project or version"})
    def get_version(self, call, ref, version):
        project = _project(ref)
        return Result(detail(_version(project, version).sudo(), project))

    @api_route("/projects/{ref}/policies/{version}/diff", "GET",
               summary="What a policy version changed: a unified diff of its file against another version's "
                       "(default: the one before it)", scope="projects:read", tag="policies",
               path_params={**PROJECT_REF, **VERSION_PARAM}, query=DIFF_QUERY,
               responses={"404": "No such project or version"})
    def diff(self, call, ref, version):
        project = _project(ref)
        this = _version(project, version).sudo()
        against = call.query.get("against")
        if against is None and this.version > 1:
            against = this.version - 1
        other = _version(project, against).sudo() if against is not None else this.browse()
        return Result({"project": project.slug, "version": this.version, "against": other.version or None,
                       "from": summary(other) if other else None, "to": summary(this), "diff": this._diff(other)})

    @api_route("/projects/{ref}/policy", "POST",
               summary="Apply the project's .odooops/policies.yaml as committed at a SHA (default: its default "
                       "branch): a new version in force, the previous one kept", scope="policies:write",
               body=APPLY_BODY, action="policy.apply", tag="policies", path_params=PROJECT_REF,
               responses={"200": "Unchanged: the file is the one in force (or absent: the defaults apply)",
                          "201": "Applied: a new version is in force", "404": "No such project or commit",
                          "422": INVALID, "502": "git cannot fetch the repository"})
    def apply(self, call, ref):
        project = _project(ref)
        call.audit_target = f"project:{project.slug}"     # a refused file is audited against it too
        call.audit_details["ref"] = call.body.get("sha") or project.default_branch
        version, created = project._apply_policy_from_git(call.body.get("sha"))
        call.audit_details.update(version=version.version or None, sha=version.sha or None, created=created)
        answer = detail(version.sudo(), project)
        if created:
            superseded = f" (v{version.version - 1} superseded)" if version.version > 1 else ""
            answer["message"] = (f"policy v{version.version} from {POLICY_FILE} at {version.sha[:12]} is in force"
                                 + superseded if version.source == "repository" else
                                 f"{POLICY_FILE} is gone at {version.sha[:12]}: v{version.version} is the defaults"
                                 + superseded)
        elif version:
            answer["message"] = f"unchanged: policy v{version.version} ({version.sha[:12]}) is already in force"
        else:
            answer["message"] = f"the repository has no {POLICY_FILE} at that commit: the defaults apply"
        return Result({**answer, "created": created}, status=201 if created else 200)

    @api_route("/environments/{ref}/policy-check", "GET",
               summary="Dry run: what the policy in force says of an environment — its branch mapping, gates, "
                       "who may do what, quota and storage, TTL — and what would block an action",
               scope="environments:read", query=CHECK_QUERY, tag="policies",
               responses={"404": "No such environment or commit"})
    def policy_check(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        return Result(env.with_env(request.env)._policy_check(call.query.get("action") or "deploy",
                                                               call.query.get("sha")))
