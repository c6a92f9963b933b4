"""One event sent (or to send) to one hook: every attempt is logged; failures of the receiver
that may pass (408, 429, 5xx, network) are retried with a growing backoff."""
import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError

from odooops import errors, settings
from odooops.hooks import delivery as hookshot
from odooops.hooks import events, targets

STATES = [("pending", "Pending"), ("delivered", "Delivered"), ("retrying", "Retrying"), ("failed", "Failed")]


class OdooopsEventDelivery(models.Model):
    _name = "odooops.event.delivery"
    _description = "OdooOps event hook delivery"
    _order = "id desc"
    _rec_name = "guid"

    hook_id = fields.Many2one("odooops.event.hook", ondelete="set null", index=True, readonly=True)
    project_id = fields.Many2one("odooops.project", required=True, ondelete="cascade", index=True, readonly=True)
    url = fields.Char(related="hook_id.url", string="URL")
    event = fields.Char(required=True, readonly=True, index=True)
    guid = fields.Char(string="Delivery id", required=True, readonly=True, index=True, copy=False,
                       default=lambda self: str(uuid.uuid4()), help="X-OdooOps-Delivery")
    payload = fields.Json(readonly=True, help="The event's data (the body's \"data\").")
    redelivery_of_id = fields.Many2one("odooops.event.delivery", readonly=True, ondelete="set null")
    state = fields.Selection(STATES, required=True, default="pending", readonly=True, index=True)
    attempts = fields.Integer(readonly=True)
    last_status_code = fields.Integer(readonly=True)
    last_error = fields.Text(readonly=True)
    last_seconds = fields.Float(readonly=True)
    response_excerpt = fields.Text(readonly=True)
    attempt_log = fields.Json(readonly=True, help="Every attempt: {at, status_code, seconds, error}.")
    next_attempt_at = fields.Datetime(readonly=True)
    delivered_at = fields.Datetime(readonly=True)

    _guid_uniq = models.Constraint("UNIQUE (guid)", "A delivery id is used once.")

    @api.model
    def _create_for(self, hook, event, data):
        """A delivery of ``event`` with ``data`` to ``hook``, queued (in this transaction)."""
        if event not in events.ALL:
            raise ValueError(f"no event {event!r}")
        delivery = self.sudo().create({"hook_id": hook.id, "project_id": hook.project_id.id, "event": event,
                                       "payload": data or {}})
        delivery._enqueue()
        return delivery

    def _enqueue(self):
        for delivery in self:
            delivery.with_delay(channel="root.hooks", identity_key=f"odooops-hook-delivery-{delivery.id}",
                                max_retries=hookshot.MAX_ATTEMPTS,
                                description=f"hook {delivery.event} → {delivery.hook_id.url or '?'}")._deliver()

    def _body(self):
        self.ensure_one()
        return events.body(self.event, self.project_id.slug, self.payload or {}, self.guid, self.create_date)

    def _deliver(self):
        """The queue_job job: one attempt. Retryable failures before the last attempt commit the
        log and ask queue_job for a retry after the backoff."""
        self = self.sudo()  # noqa: PLW0642 - jobs of the system; the hook's secret is needed
        self.ensure_one()
        if self.state in ("delivered", "failed"):
            return f"already {self.state}"
        hook = self.hook_id
        if not hook or not hook.active:
            self.write({"state": "failed", "last_error": "the hook was removed" if not hook else "the hook is disabled"})
            return self.last_error
        now = fields.Datetime.now()
        try:
            url = targets.check_url(hook.url, settings.current().allow_private_hooks)
        except errors.OdooOpsError as exc:
            # A private address stays refused; a name that does not resolve now may later.
            attempt = hookshot.Attempt(None, 0.0, exc.message, ok=False,
                                       retryable=exc.code != "HOOK_URL_PRIVATE" and "resolve" in exc.message)
        else:
            attempt = hookshot.deliver(url, hook._secret(), self.event, self.guid, self._body())
        attempts = self.attempts + 1
        log = list(self.attempt_log or []) + [{"at": fields.Datetime.to_string(now), "status_code": attempt.status_code,
                                               "seconds": round(attempt.seconds, 3), "error": attempt.error}]
        vals = {"attempts": attempts, "attempt_log": log[-50:], "last_status_code": attempt.status_code or 0,
                "last_error": attempt.error or False, "last_seconds": attempt.seconds,
                "response_excerpt": (attempt.response_excerpt or "")[:500] or False}
        if attempt.ok:
            self.write({**vals, "state": "delivered", "delivered_at": now, "next_attempt_at": False})
            return f"delivered: {attempt.status_code}"
        if attempt.retryable and attempts < hookshot.MAX_ATTEMPTS:
            wait = hookshot.backoff(attempts)
            self.write({**vals, "state": "retrying", "next_attempt_at": now + timedelta(seconds=wait)})
            self.env.cr.commit()
            raise RetryableJobError(f"{self.event} to {hook.url}: {attempt.error or attempt.status_code}; "
                                    f"attempt {attempts + 1} in {wait} s", seconds=wait)
        self.write({**vals, "state": "failed", "next_attempt_at": False})
        return f"failed after {attempts} attempt(s): {attempt.error or attempt.status_code}"

    def _redeliver(self):
        """Send the same event again (a new delivery id, the same data). Returns the new delivery."""
        self.ensure_one()
        original = self.sudo()
        if not original.hook_id:
            raise errors.Conflict(f"the hook of delivery {original.guid} was removed: there is nowhere to send it",
                                  remediation="Add the hook again: odooops hook add P URL")
        new = original.create({"hook_id": original.hook_id.id, "project_id": original.project_id.id,
                               "event": original.event, "payload": original.payload or {},
                               "redelivery_of_id": original.id})
        new._enqueue()
        return new.with_env(self.env)
