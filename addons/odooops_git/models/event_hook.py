"""Outbound event hooks: a project's URLs that receive its events (deployment.failed,
environment.expiring…) as signed JSON POSTs (X-OdooOps-Signature-256, like GitHub's)."""
import secrets

from odoo import api, fields, models

from odooops import errors, secretbox, settings
from odooops.hooks import events, targets

HOOK_KEYS = ("url", "events", "description", "active")


class OdooopsEventHook(models.Model):
    _name = "odooops.event.hook"
    _description = "OdooOps event hook"
    _order = "project_id, id"
    _rec_name = "url"

    project_id = fields.Many2one("odooops.project", required=True, ondelete="cascade", index=True, readonly=True)
    url = fields.Char(string="URL", required=True, readonly=True)
    secret_sealed = fields.Char(readonly=True, groups="base.group_system", copy=False,
                                help="Signs every delivery (HMAC-SHA256 of the body); shown once, when made.")
    events = fields.Json(readonly=True, help="The events it receives; empty: all of them.")
    events_text = fields.Char(string="Subscribed events", compute="_compute_events_text")
    active = fields.Boolean(default=True, readonly=True)
    description = fields.Char(readonly=True)
    delivery_ids = fields.One2many("odooops.event.delivery", "hook_id", string="Deliveries")

    @api.depends("events")
    def _compute_events_text(self):
        for hook in self:
            hook.events_text = ", ".join(hook.events or []) or "all"

    def _subscribed(self, event):
        self.ensure_one()
        return event == events.PING or not self.events or event in self.events

    # -- the API's operations (the controller checks scopes and audits) --------------------------

    @api.model
    def _clean(self, body):
        unknown = sorted(set(body) - set(HOOK_KEYS))
        if unknown:
            raise errors.ValidationFailed(f"unknown key(s): {', '.join(unknown)}", details={"fields": unknown},
                                          remediation=f"Known keys: {', '.join(HOOK_KEYS)}.")
        vals = {}
        if "url" in body:
            vals["url"] = targets.check_url(body["url"], settings.current().allow_private_hooks)
        if "events" in body:
            asked = body["events"] or []
            if isinstance(asked, str):
                asked = [e.strip() for e in asked.split(",") if e.strip()]
            if not isinstance(asked, list) or not all(isinstance(e, str) for e in asked):
                raise errors.ValidationFailed("events must be a list of event names", details={"field": "events"},
                                              remediation=f"Events: {', '.join(events.EVENTS)} (empty: all).")
            wrong = sorted(set(asked) - set(events.EVENTS))
            if wrong:
                raise errors.ValidationFailed(f"unknown event(s): {', '.join(wrong)}",
                                              details={"field": "events", "unknown": wrong},
                                              remediation=f"Events: {', '.join(events.EVENTS)} (empty: all).")
            vals["events"] = sorted(set(asked), key=events.EVENTS.index)
        if "description" in body:
            vals["description"] = str(body["description"] or "")[:200] or False
        if "active" in body:
            vals["active"] = bool(body["active"])
        return vals

    @api.model
    def _api_create(self, project, body):
        """Add a hook to ``project``. Returns (hook, secret): the secret is shown this once."""
        body = dict(body or {})
        if not body.get("url"):
            raise errors.ValidationFailed("a hook needs a url", details={"field": "url"},
                                          remediation="Give the URL that receives the events: odooops hook add P URL")
        vals = self._clean(body)
        secret = secrets.token_urlsafe(32)
        key = self.env["odooops.environment"]._secret_key()
        hook = self.sudo().create({"project_id": project.id, "secret_sealed": secretbox.seal(key, secret), **vals})
        project.sudo().message_post(body=f"Event hook #{hook.id} added: {hook.url} ({hook.events_text})")
        return hook.with_env(self.env), secret

    def _api_update(self, body):
        self.ensure_one()
        vals = self._clean(dict(body or {}))
        hook = self.sudo().with_context(active_test=False)
        hook.write(vals)
        hook.project_id.message_post(body=f"Event hook #{hook.id} changed: {', '.join(sorted(vals)) or 'nothing'}")
        return self

    def _api_delete(self):
        """Remove the hook; its deliveries stay in the log (pending ones are not sent)."""
        self.ensure_one()
        hook = self.sudo()
        project, url, ident = hook.project_id, hook.url, hook.id
        hook.delivery_ids.filtered(lambda d: d.state in ("pending", "retrying")).write(
            {"state": "failed", "last_error": "the hook was removed"})
        hook.unlink()
        project.message_post(body=f"Event hook #{ident} removed: {url}")
        return True

    def _ping(self):
        """A delivery of the event "ping" to this hook (queued now)."""
        self.ensure_one()
        hook = self.sudo()
        return self.env["odooops.event.delivery"]._create_for(
            hook, events.PING, {"hook": hook.id, "url": hook.url, "events": hook.events or [],
                                "zen": "Deliveries are signed: check X-OdooOps-Signature-256."}).with_env(self.env)

    def _secret(self):
        self.ensure_one()
        sealed = self.sudo().secret_sealed
        return secretbox.open_(self.env["odooops.environment"]._secret_key(), sealed) if sealed else ""
