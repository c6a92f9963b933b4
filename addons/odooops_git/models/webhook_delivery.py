"""Every GitHub webhook delivery a project received, what was decided and what became of it.

The request records the decision (under the project's lock) and answers at once; a job
carries it out as superuser (the project's webhook secret authenticated the request).
A delivery GitHub sends twice (same X-GitHub-Delivery) is recorded and acted on once,
also when both copies arrive at the same moment: a unique (project, guid) index and an
INSERT … ON CONFLICT DO NOTHING; the loser of a race sees a serialization failure, the
request is retried by Odoo and finds the winner's row."""
import logging
import uuid

from odoo import SUPERUSER_ID, api, fields, models
from odoo.addons.odooops_policy.models.policy import POLICY_FILE
from odoo.addons.queue_job.exception import RetryableJobError

from odooops import errors, lifecycle
from odooops import policy as policies
from odooops.github import decide, payloads
from odooops.naming import slugify

_logger = logging.getLogger(__name__)

# pg_advisory_xact_lock(namespace, project id): the decisions of one project, one at a time.
LOCK_NAMESPACE = 0x6F6F6701  # "oog" + 1
BUSY_RETRY_SECONDS = 30
PROCESS_MAX_RETRIES = 240    # a busy environment is waited for about two hours
DECISIONS = [("deploy", "Deploy"), ("create", "Create"), ("destroy", "Destroy"), ("ignore", "Ignore")]
STATES = [("queued", "Queued"), ("done", "Done"), ("ignored", "Ignored"), ("failed", "Failed"),
          ("superseded", "Superseded")]


class OdooopsWebhookDelivery(models.Model):
    _name = "odooops.webhook.delivery"
    _description = "OdooOps GitHub webhook delivery"
    _order = "id desc"
    _rec_name = "guid"

    project_id = fields.Many2one("odooops.project", required=True, ondelete="cascade", index=True, readonly=True)
    guid = fields.Char(string="Delivery id", required=True, readonly=True,
                       help="GitHub's X-GitHub-Delivery: a redelivery of the same event has the same one.")
    event = fields.Char(required=True, readonly=True, help="X-GitHub-Event: push, pull_request, delete, ping…")
    action = fields.Char(readonly=True, help="The pull request's action (opened, synchronize, closed…).")
    repository = fields.Char(readonly=True)
    branch = fields.Char(readonly=True, index=True)
    sha = fields.Char(readonly=True)
    pull_request = fields.Integer(readonly=True, index=True)
    sender = fields.Char(readonly=True, help="Who pushed, or who opened the pull request.")
    decision = fields.Selection(DECISIONS, readonly=True)
    reason = fields.Char(readonly=True, help="Why this decision: the rule that made it.")
    tier = fields.Char(readonly=True, help="The tier of the environment the decision is about (the mapping's "
                                           "for a new one).")
    environment_slug = fields.Char(readonly=True, help="The environment the decision is about.")
    environment_id = fields.Many2one("odooops.environment", readonly=True, ondelete="set null", index=True)
    deployment_id = fields.Many2one("odooops.deployment", readonly=True, ondelete="set null", index=True)
    state = fields.Selection(STATES, required=True, default="queued", readonly=True, index=True)
    error = fields.Text(readonly=True)
    policy_outcome = fields.Char(readonly=True, help="A push to the default branch: what became of the project's "
                                                     ".odooops/policies.yaml at that commit (applied, unchanged, "
                                                     "or invalid and the previous one kept).")
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    processed_at = fields.Datetime(readonly=True)

    _project_guid_uniq = models.Constraint("UNIQUE (project_id, guid)",
                                           "This webhook delivery was already received for this project.")

    @api.depends("event", "action", "guid")
    def _compute_display_name(self):
        for delivery in self:
            what = f"{delivery.event}.{delivery.action}" if delivery.action else delivery.event
            delivery.display_name = f"#{delivery.id} {what} {(delivery.guid or '')[:8]}"

    # -- receiving (in the webhook's request) -------------------------------------------------------

    @api.model
    def _receive(self, project, event_name, guid, parsed):
        """Record GitHub's delivery ``guid`` of ``event_name`` (``parsed``: odooops.github.payloads)
        for ``project`` with its decision, and queue the job that acts on it.
        Returns (delivery, duplicate): a guid seen before returns the first delivery and True,
        and nothing else happens."""
        root = self.env(user=SUPERUSER_ID, su=True)
        Delivery = root["odooops.webhook.delivery"]
        project = root["odooops.project"].browse(project.id)
        guid = str(guid) if guid else f"local-{uuid.uuid4()}"
        if len(guid) > 200 or not guid.isprintable():
            raise errors.BadRequest("X-GitHub-Delivery is not a delivery id", code="WEBHOOK_DELIVERY_ID",
                                    remediation="Send the webhook as GitHub does.")
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, project.id])
        existing = Delivery.search([("project_id", "=", project.id), ("guid", "=", guid)], limit=1)
        if existing:
            return existing.with_env(self.env), True
        decision, env = project._webhook_decide(parsed)
        self.env.cr.execute(
            "INSERT INTO odooops_webhook_delivery (project_id, guid, event, state, received_at, create_uid, "
            "write_uid, create_date, write_date) VALUES (%s, %s, %s, 'queued', now() at time zone 'UTC', %s, %s, "
            "now() at time zone 'UTC', now() at time zone 'UTC') ON CONFLICT (project_id, guid) DO NOTHING "
            "RETURNING id", [project.id, guid, str(event_name)[:100], SUPERUSER_ID, SUPERUSER_ID])
        row = self.env.cr.fetchone()
        if not row:     # committed by another request since this one's snapshot, and visible
            return Delivery.search([("project_id", "=", project.id), ("guid", "=", guid)], limit=1), True
        delivery = Delivery.browse(row[0])
        vals = self._describe(parsed)
        vals.update({"decision": decision.action, "reason": (decision.reason or "")[:2000],
                     "environment_slug": decision.environment or False, "environment_id": env.id or False,
                     "tier": decision.tier or (env.tier if env else False)})
        if decision.action == "ignore":
            vals.update({"state": "ignored", "processed_at": fields.Datetime.now()})
        delivery.write(vals)
        if isinstance(parsed, payloads.Push) and parsed.sha and parsed.branch == project.default_branch:
            # GitOps: the policy file travels with the default branch (read in a job: git fetches).
            delivery.with_delay(channel="root.git", identity_key=f"odooops-webhook-policy-{delivery.id}",
                                description=f"policy of {project.slug} at {parsed.sha[:12]}")._apply_policy()
        if decision.action != "ignore":
            delivery.with_delay(channel="root.git", identity_key=f"odooops-webhook-{delivery.id}",
                                max_retries=PROCESS_MAX_RETRIES,
                                description=f"webhook {event_name} {project.slug}: {decision.action} "
                                            f"{decision.environment or ''}")._process()
        return delivery.with_env(self.env), False

    @api.model
    def _describe(self, parsed):
        """The fields a parsed payload fills in."""
        if isinstance(parsed, payloads.Push):
            return {"repository": parsed.repository, "branch": parsed.branch or False, "sha": parsed.sha or False,
                    "sender": parsed.pusher or parsed.author or False,
                    "action": "deleted" if parsed.deleted else ("created" if parsed.created else False)}
        if isinstance(parsed, payloads.PullRequest):
            return {"repository": parsed.repository, "action": parsed.action, "pull_request": parsed.number,
                    "branch": parsed.head_ref, "sha": parsed.head_sha, "sender": parsed.author or False}
        if isinstance(parsed, payloads.Delete):
            return {"repository": parsed.repository, "action": parsed.ref_type,
                    "branch": parsed.ref if parsed.ref_type == "branch" else False}
        return {"repository": getattr(parsed, "repository", None) or False}

    def _decision(self):
        """The recorded decision, as the engine's Decision."""
        self.ensure_one()
        return decide.Decision(self.decision or "ignore", self.reason or "", environment=self.environment_slug or None,
                               branch=self.branch or None, sha=self.sha or None,
                               pull_request=self.pull_request or None)

    def _trigger(self):
        """What the deployment says triggered it, e.g. "push 3fa9c1d by alice"."""
        self.ensure_one()
        who = f" by {self.sender}" if self.sender else ""
        if self.pull_request and self.event == "pull_request":
            return f"pull request #{self.pull_request} {self.action or ''}{who}".replace("  ", " ")
        if self.event == "delete":
            return f"branch {self.branch} deleted"
        return f"{self.event} {(self.sha or '')[:7]}{who}".replace("  ", " ")

    # -- the job ----------------------------------------------------------------------------------

    def _process(self):
        """The queue_job job: carry the decision out, as superuser. A newer delivery for the same
        branch (or pull request) supersedes this one; a busy environment is waited for; any other
        refusal is recorded as failed, with what to do."""
        self = self.with_user(SUPERUSER_ID).sudo()  # noqa: PLW0642 - the project's secret authenticated it
        self.ensure_one()
        if self.state != "queued":
            return f"already {self.state}"
        newer = self._newer()
        if newer:
            self.write({"state": "superseded", "processed_at": fields.Datetime.now(),
                        "error": f"superseded by delivery {newer.guid} (#{newer.id}) for the same "
                                 + (f"pull request #{self.pull_request}" if self.pull_request else
                                    f"branch {self.branch}")})
            return f"superseded by #{newer.id}"
        try:
            with self.env.cr.savepoint():
                deployment = self._carry_out()
        except errors.Conflict as exc:
            self.env.invalidate_all()
            if self._busy(exc) and not self._last_attempt():
                raise RetryableJobError(f"{exc.message}: retrying in {BUSY_RETRY_SECONDS} s",
                                        seconds=BUSY_RETRY_SECONDS) from None
            failure = exc
        except errors.OdooOpsError as exc:
            self.env.invalidate_all()
            failure = exc
        except Exception as exc:  # noqa: BLE001 - the delivery must say why nothing happened
            _logger.exception("webhook delivery %s (%s) could not be carried out", self.id, self.guid)
            self.env.invalidate_all()
            failure = errors.OdooOpsError(f"internal error: {exc}")
        else:
            self.write({"state": "done", "processed_at": fields.Datetime.now(), "error": False,
                        "deployment_id": deployment.id if deployment else False,
                        "environment_id": deployment.environment_id.id if deployment else self.environment_id.id})
            return f"{self.decision}: " + (f"deployment {deployment.id}" if deployment else "nothing to do")
        self.write({"state": "failed", "processed_at": fields.Datetime.now(),
                    "error": f"{failure.message}\n{failure.remediation}"})
        _logger.info("webhook delivery %s (%s) failed: %s", self.id, self.guid, failure.message)
        return f"failed: {failure.message}"

    def _apply_policy(self):
        """The queue_job job of a push to the default branch: make .odooops/policies.yaml at its
        commit the policy in force (nothing changes when the file did not; an invalid file keeps
        the previous policy, and the delivery says why). It governs the deliveries after it."""
        self = self.with_user(SUPERUSER_ID).sudo()  # noqa: PLW0642 - the project's secret authenticated it
        self.ensure_one()
        project = self.project_id
        try:
            with self.env.cr.savepoint():
                version, created = project._apply_policy_from_git(self.sha)
        except errors.OdooOpsError as exc:
            self.env.invalidate_all()
            lines = "; ".join(str(e.get("text") or e.get("message", e)) for e in (exc.details or {}).get("errors", [])[:3])
            outcome = f"not applied, the previous policy stays: {exc.message}" + (f" ({lines})" if lines else "")
            self.write({"policy_outcome": outcome[:500]})
            self.env["odooops.audit.log"]._record(
                "policy.apply_failed", login="github", target=f"project:{project.slug}",
                details={"sha": self.sha, "delivery": self.guid, "error": exc.message})
            return outcome
        if not version:
            outcome = f"no {POLICY_FILE} at {self.sha[:12]}: the defaults apply"
        elif created:
            outcome = f"policy v{version.version} applied from {self.sha[:12]}"
            self.env["odooops.audit.log"]._record(
                "policy.apply", login="github", target=f"project:{project.slug}",
                details={"version": version.version, "sha": self.sha, "delivery": self.guid})
        else:
            outcome = f"policy unchanged (v{version.version})"
        self.write({"policy_outcome": outcome})
        return outcome

    def _newer(self):
        """A later delivery (not ignored) about the same pull request or branch of the project."""
        key = ([("pull_request", "=", self.pull_request)] if self.pull_request else
               [("branch", "=", self.branch), ("pull_request", "in", (0, False))])
        if not self.pull_request and not self.branch:
            return self.browse()
        return self.search([("project_id", "=", self.project_id.id), ("id", ">", self.id),
                            ("decision", "!=", "ignore")] + key, order="id desc", limit=1)

    @staticmethod
    def _busy(exc):
        """Whether the refusal only means: the environment is busy now (retry later)."""
        return bool((exc.details or {}).get("deployment")) or "being changed by another request" in exc.message

    def _last_attempt(self):
        uuid_ = self.env.context.get("job_uuid")
        job = self.env["queue.job"].sudo().search([("uuid", "=", uuid_)], limit=1) if uuid_ else None
        return not job or (job.max_retries and job.retry + 1 >= job.max_retries)

    def _live_environment(self):
        project = self.project_id
        if self.pull_request:
            return project._preview_of(self.pull_request)
        if not self.branch:
            return self.env["odooops.environment"]
        return self.env["odooops.environment"].search(
            [("project_id", "=", project.id), ("branch", "=", self.branch), ("state", "!=", "destroyed")], limit=1)

    def _carry_out(self):
        """Create, deploy or destroy as decided, with what is true now. Returns the deployment."""
        project = self.project_id
        trigger = self._trigger()
        extra = {"trigger": trigger, "webhook_delivery_id": self.id}
        env = self._live_environment()
        if self.decision == "destroy":
            if not env or env.state == "destroying":
                return None
            if self.pull_request:
                deployment = project._preview_close(self.pull_request)
            else:
                deployment = env._queue_destroy()
            deployment.write(extra)
            return deployment
        if self.decision not in ("create", "deploy"):
            return None
        if env and env.state == "destroying":
            raise errors.Conflict(f"{env.display_name} is being destroyed", details={"deployment": self._active(env)},
                                  remediation="It is created again once the destroy finished.")
        self._check_idle(env)
        if self.pull_request:
            return project._preview_open(self.pull_request, sha=self.sha or None, branch=self.branch or None,
                                         author=self.sender or None, request_id=f"webhook:{self.guid}", **extra)
        if env:
            return env._queue_deployment("deploy", ref=self.sha or env.branch, sha=self.sha or False, **extra)
        try:
            mapping = project._policy().mapping_for(self.branch)
        except policies.AmbiguousMapping as exc:
            raise errors.ValidationFailed(exc.message, code="POLICY_AMBIGUOUS",
                                          remediation="Make one mapping more specific in .odooops/policies.yaml "
                                                      "and apply it, then push again.") from None
        if mapping is None:
            raise errors.ValidationFailed(f"no branch_mappings entry matches {self.branch} any more",
                                          remediation="The policy changed since the push; deploy by hand.")
        vals = {"project_id": project.id, "branch": self.branch, "tier": mapping.tier, "owner_id": self.env.uid}
        slug = self.environment_slug
        if slug and slug != slugify(self.branch):
            vals["slug"] = slug
        env = self.env["odooops.environment"].create(vals)
        env.message_post(body=f"Created by a GitHub webhook: {trigger} ({self.guid})")
        return env._queue_deployment("deploy", ref=self.sha or self.branch, sha=self.sha or False,
                                     **env._initial_data(), **extra)

    @staticmethod
    def _active(env):
        busy = env.deployment_ids.filtered(lambda d: d.state in lifecycle.ACTIVE_DEPLOYMENT_STATES)
        return busy[:1].id or None

    def _check_idle(self, env):
        if env and self._active(env):
            dep = env.deployment_ids.browse(self._active(env))
            raise errors.Conflict(f"deployment {dep.id} of {env.display_name} is still {dep.state}",
                                  details={"deployment": dep.id},
                                  remediation="It is retried when that deployment finished.")
