"""A project's GitHub side: its repository, the webhook secret GitHub signs with, the
credentials OdooOps reports back with (a token or a GitHub App), its previews, and the
events it sends to its outbound hooks."""
import logging
import re
import secrets

from odoo import api, fields, models

from odooops import errors, secretbox, settings
from odooops.github import app_auth, decide, payloads, repository
from odooops.github.client import GitHubClient
from odooops.hooks import events

_logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
CONFIGURE_KEYS = ("repository", "api_url", "token", "app_id", "app_installation_id", "app_private_key",
                  "rotate_webhook_secret", "clear_credentials")
GITHUB_SEALED = ("github_webhook_secret_sealed", "github_token_sealed", "github_app_key_sealed")
_API_URL = re.compile(r"^https?://[^\s/?#@]+(?::\d+)?(?:/[^\s?#]*)?$")
_TOKEN = re.compile(r"^[\x21-\x7e]{1,255}$")
_DIGITS = re.compile(r"^[1-9][0-9]{0,18}$")
# Installation tokens live an hour: one provider per project and credentials, reused by the jobs.
_TOKEN_PROVIDERS = {}


def _bad(field, message, remediation):
    return errors.ValidationFailed(message, details={"field": field}, remediation=remediation)


class OdooopsProject(models.Model):
    _inherit = "odooops.project"

    github_repository = fields.Char(
        string="GitHub repository", index=True, tracking=True,
        help="owner/name (lower case); taken from the git remote when it is a GitHub URL. Webhooks of this "
             "repository reach the project.")
    github_api_url = fields.Char(
        string="GitHub API URL", tracking=True,
        help="The API the credentials are bound to (default: the policy's github_integration.api_url). "
             "Credentials are never sent to another URL.")
    github_webhook_secret_sealed = fields.Char(readonly=True, groups="base.group_system", copy=False)
    github_token_sealed = fields.Char(readonly=True, groups="base.group_system", copy=False)
    github_app_key_sealed = fields.Char(readonly=True, groups="base.group_system", copy=False)
    github_app_id = fields.Char(string="GitHub App id", tracking=True, copy=False)
    github_app_installation_id = fields.Char(string="GitHub App installation id", tracking=True, copy=False)
    github_credentials = fields.Selection([("token", "Token"), ("app", "GitHub App")], readonly=True, copy=False,
                                          tracking=True, help="What OdooOps reports to GitHub with (never shown).")
    github_webhook_secret_set = fields.Boolean(readonly=True, copy=False,
                                               help="Whether webhooks can be verified (the secret is never shown).")
    github_webhook_url = fields.Char(compute="_compute_github_webhook_url",
                                     help="Paste it into GitHub → Settings → Webhooks (content type application/json).")
    event_hook_ids = fields.One2many("odooops.event.hook", "project_id", string="Event hooks")
    webhook_delivery_ids = fields.One2many("odooops.webhook.delivery", "project_id", string="Webhook deliveries")

    def _compute_github_webhook_url(self):
        url = self._github_webhook_endpoint()
        for project in self:
            project.github_webhook_url = url

    @api.model
    def _github_webhook_endpoint(self):
        return settings.current().public_url.rstrip("/") + "/api/v1/webhooks/github"

    # -- the repository follows the git remote unless it was set ---------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("github_repository"):
                vals["github_repository"] = repository.validate(vals["github_repository"])
            elif vals.get("git_remote"):
                vals["github_repository"] = repository.from_remote(vals["git_remote"]) or False
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("github_repository"):
            vals["github_repository"] = repository.validate(vals["github_repository"])
        follow = self.browse()
        if vals.get("git_remote") and "github_repository" not in vals:
            follow = self.filtered(lambda p: not p.github_repository or
                                   p.github_repository == repository.from_remote(p.git_remote))
        result = super().write(vals)
        if follow:
            super(OdooopsProject, follow).write({"github_repository": repository.from_remote(vals["git_remote"])
                                                 or False})
        return result

    # -- settings --------------------------------------------------------------------------------

    def _github_policy_api_url(self):
        self.ensure_one()
        return (self.sudo()._policy().github.get("api_url") or DEFAULT_API_URL).rstrip("/")

    def _github_settings(self):
        """What the API shows of the GitHub integration: never a secret."""
        self.ensure_one()
        project = self.sudo()
        return {"repository": project.github_repository or None,
                "api_url": (project.github_api_url or self._github_policy_api_url()).rstrip("/"),
                "webhook_url": self._github_webhook_endpoint(),
                "webhook_secret_set": bool(project.github_webhook_secret_set),
                "credentials": project.github_credentials or None,
                "app_id": project.github_app_id or None,
                "app_installation_id": project.github_app_installation_id or None,
                "integration": project._policy().github}

    def _github_configure(self, body, author, request_id):
        """Change the integration (keys: CONFIGURE_KEYS). A first configuration, or
        rotate_webhook_secret, makes a new webhook secret: the answer holds it, this once."""
        self.ensure_one()
        project = self.sudo()
        body = dict(body or {})
        unknown = sorted(set(body) - set(CONFIGURE_KEYS))
        if unknown:
            raise _bad(unknown[0], f"unknown key(s): {', '.join(unknown)}", f"Known keys: {', '.join(CONFIGURE_KEYS)}.")
        vals, changed = {}, []
        if "repository" in body:
            vals["github_repository"] = repository.validate(body["repository"]) if body["repository"] else False
            changed.append("repository")
        api_url = None
        if body.get("api_url"):
            api_url = str(body["api_url"]).strip().rstrip("/")
            if len(api_url) > 2000 or not _API_URL.match(api_url):
                raise _bad("api_url", f"api_url {api_url[:100]!r} is not an http(s) URL",
                           "Give e.g. https://api.github.com or https://github.example.com/api/v3.")
        token = body.get("token")
        app = {k: body.get(k) for k in ("app_id", "app_installation_id", "app_private_key") if body.get(k)}
        if token and app:
            raise _bad("token", "give a token or a GitHub App, not both",
                       "Choose one: --token-stdin, or --app-id, --installation-id and --private-key-file.")
        if body.get("clear_credentials") and (token or app):
            raise _bad("clear_credentials", "clear_credentials and new credentials exclude each other",
                       "Clear them, or give the new ones (they replace the old).")
        key = self.env["odooops.environment"]._secret_key()
        if token:
            if not isinstance(token, str) or not _TOKEN.match(token):
                raise _bad("token", "the token must be 1–255 printable characters without spaces",
                           "Give a GitHub token (a fine-grained one with Commit statuses and Pull requests "
                           "write access to the repository).")
            vals.update({"github_token_sealed": secretbox.seal(key, token), "github_app_key_sealed": False,
                         "github_app_id": False, "github_app_installation_id": False, "github_credentials": "token"})
            changed.append("token")
        elif app:
            pem = app.get("app_private_key")
            if not pem and project.github_credentials == "app":
                pem = secretbox.open_(key, project.github_app_key_sealed)
            missing = [k for k in ("app_id", "app_installation_id") if not app.get(k)] + ([] if pem else
                                                                                         ["app_private_key"])
            if missing:
                raise _bad(missing[0], f"a GitHub App needs {', '.join(missing)} too",
                           "Give --app-id, --installation-id and --private-key-file together.")
            for field in ("app_id", "app_installation_id"):
                if not _DIGITS.match(str(app[field])):
                    raise _bad(field, f"{field} must be a positive number", "Copy it from the App's settings page "
                               "(App ID) and from the installation's URL (…/installations/<id>).")
            if not isinstance(pem, str):
                raise _bad("app_private_key", "app_private_key must be the PEM text",
                           "Give the .pem file GitHub generated for the App.")
            app_auth.check_private_key(pem)
            vals.update({"github_app_key_sealed": secretbox.seal(key, pem), "github_token_sealed": False,
                         "github_app_id": str(app["app_id"]), "github_app_installation_id": str(app["app_installation_id"]),
                         "github_credentials": "app"})
            changed.append("app")
        elif body.get("clear_credentials"):
            vals.update({"github_token_sealed": False, "github_app_key_sealed": False, "github_app_id": False,
                         "github_app_installation_id": False, "github_credentials": False})
            changed.append("clear_credentials")
        bound = (project.github_api_url or self._github_policy_api_url()).rstrip("/")
        if api_url and api_url != bound:
            if project.github_credentials and not (token or app or body.get("clear_credentials")):
                raise _bad("api_url", f"the stored credentials are bound to {bound}: they are not moved to {api_url}",
                           "Give the credentials again with the new api_url (or clear_credentials).")
            vals["github_api_url"] = api_url
            changed.append("api_url")
        elif (token or app) and not project.github_api_url:
            vals["github_api_url"] = bound
        secret = None
        if body.get("rotate_webhook_secret") or not project.github_webhook_secret_set:
            secret = secrets.token_urlsafe(32)
            vals.update({"github_webhook_secret_sealed": secretbox.seal(key, secret), "github_webhook_secret_set": True})
            changed.append("webhook_secret")
        if vals:
            project.write(vals)
            _TOKEN_PROVIDERS.pop(project.id, None)
        project.message_post(body=f"GitHub integration changed through the API by {author} ({request_id}): "
                                  f"{', '.join(changed) or 'nothing'}")
        self.env["odooops.audit.log"]._record(
            "project.github", user_id=self.env.uid, login=author, request_id=request_id,
            target=f"project:{project.slug}", details={"changed": changed,
                                                       "repository": project.github_repository or None})
        result = self._github_settings()
        if secret:
            result["webhook_secret"] = secret
        return result

    # -- secrets and the client ----------------------------------------------------------------

    def _github_unseal(self, field):
        self.ensure_one()
        sealed = self.sudo()[field]
        return secretbox.open_(self.env["odooops.environment"]._secret_key(), sealed) if sealed else None

    def _webhook_secret(self):
        """The secret GitHub signs this project's webhooks with (None: not configured)."""
        return self._github_unseal("github_webhook_secret_sealed")

    def _github_client(self):
        """A GitHubClient for this project, or None: no repository, no credentials, or the policy's
        api_url is not the one the credentials are bound to (the token is then never sent)."""
        self.ensure_one()
        project = self.sudo()
        if not project.github_repository or not project.github_credentials:
            return None
        wanted = self._github_policy_api_url()
        bound = (project.github_api_url or wanted).rstrip("/")
        if bound != wanted:
            _logger.warning("project %s: the policy's github api_url %s is not %s, which its credentials are bound "
                            "to: nothing is sent to GitHub (odooops project github %s --api-url …)",
                            project.slug, wanted, bound, project.slug)
            return None
        if project.github_credentials == "token":
            token = self._github_unseal("github_token_sealed")
            return GitHubClient(bound, lambda: token) if token else None
        ident = (bound, project.github_app_id, project.github_app_installation_id, project.github_app_key_sealed)
        cached = _TOKEN_PROVIDERS.get(project.id)
        if not cached or cached[0] != ident:
            pem = self._github_unseal("github_app_key_sealed")
            if not pem:
                return None
            cached = (ident, app_auth.InstallationToken(bound, project.github_app_id, pem,
                                                        project.github_app_installation_id))
            _TOKEN_PROVIDERS[project.id] = cached
        return GitHubClient(bound, cached[1])

    # -- webhooks ----------------------------------------------------------------------------------

    def _webhook_decide(self, parsed):
        """(Decision, the live environment it is about or an empty recordset) for a parsed
        GitHub event (odooops.github.payloads), from the policy and the environments now."""
        self.ensure_one()
        project = self.sudo()
        Env = self.env["odooops.environment"].sudo()
        repo = getattr(parsed, "repository", None)
        if repo and project.github_repository and repo != project.github_repository:
            return decide.Decision("ignore", f"the event is about {repo}, the project's repository is "
                                             f"{project.github_repository}"), Env

        def summary(env):
            return decide.EnvSummary(env.slug, env.tier, env.state, env.pull_request or None) if env else None

        def of_branch(branch):
            return Env.search([("project_id", "=", project.id), ("branch", "=", branch),
                               ("state", "!=", "destroyed")], limit=1) if branch else Env

        if isinstance(parsed, payloads.Push):
            env = of_branch(parsed.branch)
            return decide.for_push(parsed, project._policy(), summary(env)), env
        if isinstance(parsed, payloads.PullRequest):
            env = project._preview_of(parsed.number)
            return decide.for_pull_request(parsed, summary(env)), env
        if isinstance(parsed, payloads.Delete):
            env = of_branch(parsed.ref if parsed.ref_type == "branch" else None)
            return decide.for_delete(parsed, summary(env)), env
        if isinstance(parsed, payloads.Ping):
            return decide.Decision("ignore", "ping: GitHub reaches OdooOps and the signature is right"), Env
        return decide.Decision("ignore", f"GitHub event {getattr(parsed, 'event', '?')!r} changes no "
                                         "environment"), Env

    # -- events to the outbound hooks ------------------------------------------------------------

    def _emit_event(self, event, data, target=None, audit=True):
        """Record ``event`` (an audit entry unless the caller wrote one) and queue one delivery per
        active hook of the project that subscribes to it, in this transaction: if it rolls back,
        nothing is sent (an outbox)."""
        self.ensure_one()
        project = self.sudo()
        if audit:
            self.env["odooops.audit.log"]._record(
                event, user_id=self.env.uid, login=self.env.user.sudo().login,
                target=target or f"project:{project.slug}", details=data)
        Delivery = self.env["odooops.event.delivery"]
        if event not in events.ALL:         # e.g. environment.expired: audited, not a hook event
            return Delivery.browse()
        hooks = project.event_hook_ids.filtered(lambda h: h.active and h._subscribed(event))
        return Delivery.browse([Delivery._create_for(hook, event, data).id for hook in hooks])

    # -- previews (the webhook's job and the API's manual override) ---------------------------------

    def _preview_of(self, number):
        """The live preview environment of pull request ``number`` (or an empty recordset)."""
        self.ensure_one()
        return self.env["odooops.environment"].sudo().search(
            [("project_id", "=", self.id), ("pull_request", "=", int(number)), ("state", "!=", "destroyed")], limit=1)

    def _preview_open(self, number, sha=None, branch=None, author=None, request_id=None, **deployment_vals):
        """Create preview pr-<number> and deploy ``sha`` (or the PR's head ref) to it, or deploy it
        to the existing one. Returns the deployment. Permissions are the current user's."""
        self.ensure_one()
        number = int(number)
        if not 1 <= number <= 2 ** 31 - 1:
            raise _bad("pr", f"pull request number {number} is out of range", "Give the number of the pull request.")
        if sha is not None and not re.fullmatch(r"[0-9a-f]{40}", sha or ""):
            raise _bad("sha", f"{sha!r} is not a full commit SHA (40 lowercase hex digits)",
                       "Give the full SHA of the pull request's head commit, or leave it out.")
        project = self.sudo()
        ref = sha or f"pull/{number}/head"
        trigger = deployment_vals.pop("trigger", None) or (
            f"pull request #{number} by {author}" if author else f"pull request #{number}")
        env = self._preview_of(number)
        if not env:
            env = self.env["odooops.environment"].sudo().create({
                "project_id": project.id, "branch": f"pull/{number}/head", "slug": decide.preview_slug(number),
                "tier": decide.PREVIEW_TIER, "pull_request": number, "pr_head_sha": sha or False,
                "pr_head_ref": branch or False, "owner_id": self.env.uid})
            env.message_post(body=f"Preview of pull request #{number}" + (f" ({branch})" if branch else "") +
                                  (f", opened by {author}" if author else "") + (f" ({request_id})" if request_id else ""))
            data = env._initial_data()
        else:
            env.write({"pr_head_sha": sha or env.pr_head_sha, "pr_head_ref": branch or env.pr_head_ref})
            data = {}
        vals = {"ref": ref, "trigger": trigger, **data, **deployment_vals}
        if sha:
            vals["sha"] = sha
        return env.with_env(self.env)._queue_deployment("deploy", **vals)

    def _preview_close(self, number, author=None, request_id=None):
        """Destroy preview pr-<number>; returns its destroy deployment, or None when there is none."""
        self.ensure_one()
        env = self._preview_of(number)
        if not env or env.state == "destroying":
            return None
        deployment = env.with_env(self.env)._queue_destroy()
        deployment.sudo().write({"trigger": f"pull request #{int(number)} closed" + (f" by {author}" if author else "")
                                            + (f" ({request_id})" if request_id and not author else "")})
        return deployment

    @api.model
    def _hook_events(self):
        return events.EVENTS
