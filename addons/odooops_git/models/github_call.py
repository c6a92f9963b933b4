"""Calls OdooOps makes to GitHub (commit statuses, the preview comment on a pull request),
each a job: what was sent, how it went. The token never appears here.

What a call sends is computed when it runs, from the deployment or environment as it is
then: a late or retried call never puts an older state back on GitHub."""
import logging

from odoo import api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError

from odooops import errors, settings
from odooops.github.client import DESCRIPTION_MAX, GitHubError

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# pg_advisory_xact_lock(namespace, environment id): one preview comment per pull request.
COMMENT_LOCK_NAMESPACE = 0x6F6F6702
STATUS_OF = {"queued": ("pending", "queued"), "awaiting_approval": ("pending", "awaiting approval"),
             "running": ("pending", "deploying"), "succeeded": ("success", "deployed"),
             "failed": ("failure", "failed"), "cancelled": ("error", "cancelled")}


class OdooopsGithubCall(models.Model):
    _name = "odooops.github.call"
    _description = "OdooOps call to GitHub"
    _order = "id desc"

    project_id = fields.Many2one("odooops.project", required=True, ondelete="cascade", index=True, readonly=True)
    kind = fields.Selection([("status", "Commit status"), ("comment", "Pull request comment")], required=True,
                            readonly=True)
    sha = fields.Char(readonly=True)
    pull_request = fields.Integer(readonly=True)
    environment_id = fields.Many2one("odooops.environment", ondelete="set null", index=True, readonly=True)
    deployment_id = fields.Many2one("odooops.deployment", ondelete="set null", index=True, readonly=True)
    request = fields.Json(readonly=True, help="What was sent (never the token).")
    state = fields.Selection([("pending", "Pending"), ("done", "Done"), ("failed", "Failed")], required=True,
                             default="pending", readonly=True, index=True)
    attempts = fields.Integer(readonly=True)
    last_status_code = fields.Integer(readonly=True)
    last_error = fields.Text(readonly=True)
    done_at = fields.Datetime(readonly=True)

    @api.depends("kind", "sha", "pull_request")
    def _compute_display_name(self):
        for call in self:
            what = f"#{call.pull_request}" if call.kind == "comment" else (call.sha or "")[:7]
            call.display_name = f"{call.kind} {what}"

    # -- queueing -----------------------------------------------------------------------------------

    @api.model
    def _queue_status(self, deployment):
        """A commit status for ``deployment``'s commit (its state when the call runs)."""
        dep = deployment.sudo()
        env = dep.environment_id
        call = self.sudo().create({"project_id": env.project_id.id, "kind": "status", "sha": dep._commit_sha(),
                                   "environment_id": env.id, "deployment_id": dep.id,
                                   "request": {"state_at_queue": dep.state}})
        call._enqueue()
        return call

    @api.model
    def _queue_comment(self, env, deployment=None):
        """The preview comment of ``env``'s pull request, brought up to date. A call already waiting
        for the same preview does it (it reads the state when it runs)."""
        env = env.sudo()
        waiting = self.sudo().search([("kind", "=", "comment"), ("environment_id", "=", env.id),
                                      ("state", "=", "pending"), ("attempts", "=", 0)], limit=1)
        if waiting:
            if deployment:
                waiting.write({"deployment_id": deployment.id})
            return waiting
        call = self.sudo().create({"project_id": env.project_id.id, "kind": "comment", "pull_request": env.pull_request,
                                   "environment_id": env.id, "deployment_id": deployment.id if deployment else False,
                                   "sha": env.pr_head_sha or False})
        call._enqueue()
        return call

    def _enqueue(self):
        for call in self:
            call.with_delay(channel="root.git", identity_key=f"odooops-github-call-{call.id}",
                            max_retries=MAX_ATTEMPTS,
                            description=f"GitHub {call.kind} {call.project_id.slug}")._send()

    # -- the job ------------------------------------------------------------------------------------

    def _send(self):
        """The queue_job job: one call to GitHub. A rate limit or a failure of GitHub's is retried
        when GitHub says (Retry-After, the rate limit's reset) or in 30 s; anything else fails."""
        self = self.sudo()  # noqa: PLW0642 - jobs of the system; the project's credentials are needed
        self.ensure_one()
        if self.state != "pending":
            return f"already {self.state}"
        attempts = self.attempts + 1
        client = self.project_id._github_client()
        if client is None:
            self.write({"state": "failed", "attempts": attempts,
                        "last_error": "no GitHub credentials for this project's api_url (odooops project github P)"})
            return self.last_error
        try:
            sent, status = (self._send_status(client) if self.kind == "status" else self._send_comment(client))
        except GitHubError as exc:
            vals = {"attempts": attempts, "last_status_code": exc.status or 0,
                    "last_error": f"{exc.message}\n{exc.remediation}"}
            if exc.retry_after is not None and attempts < MAX_ATTEMPTS:
                self.write(vals)
                self.env.cr.commit()
                raise RetryableJobError(f"GitHub: {exc.message}", seconds=max(1, int(exc.retry_after))) from None
            self.write({**vals, "state": "failed"})
            return f"failed: {exc.message}"
        except errors.OdooOpsError as exc:
            self.write({"attempts": attempts, "state": "failed", "last_error": f"{exc.message}\n{exc.remediation}"})
            return f"failed: {exc.message}"
        self.write({"attempts": attempts, "state": "done", "request": sent, "last_status_code": status,
                    "last_error": False, "done_at": fields.Datetime.now()})
        return f"{self.kind} sent"

    def _send_status(self, client):
        dep = self.deployment_id
        env = dep.environment_id or self.environment_id
        state, words = STATUS_OF.get(dep.state, ("pending", dep.state or "queued"))
        what = f"{dep.kind} {words}" + (f": {dep.error.splitlines()[0]}" if dep.state == "failed" and dep.error else "")
        # Previews share one context: GitHub requires checks by exact name, and every PR can then require it.
        context = "odooops/preview" if env.tier == "preview" else f"odooops/{env.slug}"
        sent = {"state": state, "context": context, "description": what[:DESCRIPTION_MAX],
                "target_url": dep._odooops_url()}
        client.create_status(self.project_id.github_repository, self.sha, **sent)
        return sent, 201

    def _send_comment(self, client):
        env = self.environment_id
        repo, number = self.project_id.github_repository, self.pull_request
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [COMMENT_LOCK_NAMESPACE, env.id])
        env.invalidate_recordset(["pr_comment_id"])
        body = env._preview_comment_body()
        comment_id = int(env.pr_comment_id) if (env.pr_comment_id or "").isdigit() else None
        if comment_id is None:
            comment_id = client.find_comment(repo, number, env._preview_marker())
        if comment_id is None:
            comment_id = client.create_comment(repo, number, body)
            how = "created"
        else:
            try:
                client.update_comment(repo, comment_id, body)
                how = "updated"
            except GitHubError as exc:
                if exc.status != 404:       # deleted on GitHub by someone: write a new one
                    raise
                comment_id = client.create_comment(repo, number, body)
                how = "created"
        if env.pr_comment_id != str(comment_id):
            env.write({"pr_comment_id": str(comment_id)})
        return {"comment_id": comment_id, "how": how, "body": body}, 200

    @api.model
    def _public_url(self):
        return settings.current().public_url.rstrip("/")
