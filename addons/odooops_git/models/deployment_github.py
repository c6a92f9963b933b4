"""What deployments tell the outside: events to the project's hooks (in the transaction of the
state change: rolled back with it), commit statuses and the preview comment on GitHub."""
import logging
import re

from odoo import fields, models

from odooops import settings

_logger = logging.getLogger(__name__)

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
EVENT_OF_STATE = {"running": "deployment.started", "succeeded": "deployment.succeeded",
                  "failed": "deployment.failed"}


class OdooopsDeployment(models.Model):
    _inherit = "odooops.deployment"

    trigger = fields.Char(readonly=True, help='What started it from outside, e.g. "push 3fa9c1d by alice".')
    webhook_delivery_id = fields.Many2one("odooops.webhook.delivery", readonly=True, ondelete="set null",
                                          help="The GitHub webhook delivery that asked for it.")
    github_call_ids = fields.One2many("odooops.github.call", "deployment_id", string="GitHub calls")

    def _odooops_url(self):
        self.ensure_one()
        return f"{settings.current().public_url.rstrip('/')}/odoo/odooops.deployment/{self.id}"

    def _commit_sha(self):
        """The full SHA this deployment is about, when one is known (a status needs it)."""
        self.ensure_one()
        for candidate in (self.sha, self.ref):
            if candidate and _FULL_SHA.match(candidate):
                return candidate
        return None

    def _event_data(self):
        self.ensure_one()
        dep = self.sudo()
        env = dep.environment_id
        data = env._event_data()
        data["environment_state"] = data.pop("state")
        data["environment_url"] = data.pop("url")
        # "url" is the deployment's page on the control plane; "environment_url" where the environment answers.
        data.update({"deployment": dep.id, "kind": dep.kind, "state": dep.state, "sha": dep.sha or None,
                     "ref": dep.ref or None, "trigger": dep.trigger or None,
                     "requested_by": dep.requested_by_id.login or None, "url": dep._odooops_url()})
        if dep.state == "failed":
            data.update({"error": dep.error or None, "step": dep.step or None, "remediation": dep.remediation or None})
        return data

    # -- hooks into the lifecycle ----------------------------------------------------------------

    def _start(self):
        result = super()._start()
        for dep in self:
            dep._report_to_github(status=True, comment=True)
        return result

    def _transition(self, new_state):
        result = super()._transition(new_state)
        for dep in self:
            dep._on_state(new_state)
        return result

    def _on_state(self, new_state):
        dep = self.sudo()
        env = dep.environment_id
        if dep.kind == "destroy":
            if new_state == "succeeded":
                env._emit_event("environment.destroyed", {**env._event_data(), "state": "destroyed",
                                                          "deployment": dep.id, "trigger": dep.trigger or None})
                dep._report_to_github(status=False, comment=True)
            elif new_state == "failed":
                env._emit_event("deployment.failed", dep._event_data())
            return
        event = EVENT_OF_STATE.get(new_state)
        if event:
            env._emit_event(event, dep._event_data())
        if new_state in ("succeeded", "failed", "cancelled"):
            dep._report_to_github(status=True, comment=new_state != "cancelled")

    def _hold_for_approval(self, gate):
        result = super()._hold_for_approval(gate)
        dep = self.sudo()
        # odooops_policy wrote the audit entry: only the hooks are told here.
        dep.environment_id._emit_event("approval.requested", {**dep._event_data(),
                                                              "approvers": list(gate.approvers or ("admin",))},
                                       audit=False)
        return result

    def _report_to_github(self, status=True, comment=True):
        """Queue a commit status (when the policy asks and a full SHA is known) and, for a preview,
        its pull request comment (when the policy asks). Never fails the deployment."""
        dep = self.sudo()
        env = dep.environment_id
        project = env.project_id
        if not project.github_repository:
            return
        try:
            with self.env.cr.savepoint():
                flags = project._policy().github
                if not project._github_client():
                    return
                Call = self.env["odooops.github.call"]
                if status and dep.kind != "destroy" and flags.get("update_commit_status") and dep._commit_sha():
                    Call._queue_status(dep)
                if comment and env.pull_request and flags.get("comment_on_pr"):
                    Call._queue_comment(env, dep)
        except Exception:  # noqa: BLE001 - reporting to GitHub never stops a deployment
            _logger.exception("deployment %s: could not queue its report to GitHub", dep.id)
