"""Outbound event hooks (the n8n / Slack use case) and the delivery logs: the hooks a project
sends its events to (signed JSON POSTs), every delivery with its attempts, a ping, a
redelivery; and the GitHub webhook deliveries the project received, with what they decided."""
from odoo import http
from odoo.http import request

from odooops import errors
from odooops.hooks import events

from . import serializers_git
from .github_settings import PROJECT_REF, project_of, sudo_page
from .lookup import as_id
from .routing import api_route
from .spec import PAGE_QUERY, Result

ID = {"type": "string", "pattern": "^[0-9]{1,10}$"}
HOOK_REF = {**PROJECT_REF, "hook": {"description": "Hook id", "schema": ID}}
DELIVERY_REF = {"ref": {"description": "Hook delivery id", "schema": ID}}
URL = {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$",
       "description": "http(s) URL that receives the events; its host must resolve to public addresses "
                      "(unless the control plane sets ODOOOPS_HOOKS_ALLOW_PRIVATE=1)"}
EVENTS = {"type": "array", "items": {"enum": list(events.EVENTS)}, "uniqueItems": True,
          "maxItems": len(events.EVENTS), "description": "The events it receives; empty or absent: all"}
PROPERTIES = {"url": URL, "events": EVENTS, "description": {"type": "string", "maxLength": 200},
              "active": {"type": "boolean", "description": "false: keep it, send nothing"}}
CREATE_BODY = {"type": "object", "additionalProperties": False, "required": ["url"], "properties": PROPERTIES}
UPDATE_BODY = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": PROPERTIES}
HOOK_URL = "The URL is refused (not http(s), credentials in it, or a private address: HOOK_URL_PRIVATE)"
WEBHOOK_QUERY = {
    **PAGE_QUERY,
    "event": {"description": "Only this GitHub event (push, pull_request, delete…)",
              "schema": {"type": "string", "pattern": "^[a-z_]{1,64}$"}},
    "status": {"description": "Only deliveries in this state",
               "schema": {"type": "string", "enum": ["queued", "done", "ignored", "failed", "superseded"]}},
    "decision": {"description": "Only this decision",
                 "schema": {"type": "string", "enum": ["deploy", "create", "destroy", "ignore"]}},
}
SIGNATURE_HINT = ("Keep the secret where the receiver can check X-OdooOps-Signature-256 (HMAC-SHA256 of the "
                  "body, sha256=<hex>): it is shown this once.")


def _full_url(call):
    """A hook URL often is a credential (Slack, n8n): whole to who may change hooks only."""
    return "projects:write" in call.principal.scopes


def _hook(project, ref):
    hook = request.env["odooops.event.hook"].sudo().with_context(active_test=False).search(
        [("id", "=", as_id(ref) or 0), ("project_id", "=", project.id)])
    if not hook:
        raise errors.NotFound(f"project {project.slug} has no hook {ref}", details={"hook": ref},
                              remediation=f"List them: odooops hook list {project.slug}")
    return hook


def _delivery(ref):
    """A hook delivery of a project the caller sees (else a 404, as if it did not exist)."""
    ident = as_id(ref)
    found = request.env["odooops.event.delivery"].sudo().search([("id", "=", ident)]) if ident else None
    if found:
        try:
            project_of(str(found.project_id.id))
            return found
        except errors.NotFound:
            pass
    raise errors.NotFound(f"no hook delivery {ref}", details={"ref": ref},
                          remediation="List a hook's deliveries: odooops hook deliveries P HOOK_ID")


def _audit(call, project, **details):
    call.audit_target = f"project:{project.slug}"
    call.audit_details.update(details)


class EventHooksController(http.Controller):

    @api_route("/projects/{ref}/hooks", "GET", summary="A project's event hooks (URLs whole for admins only)",
               scope="projects:read", tag="hooks", path_params=PROJECT_REF, query=PAGE_QUERY,
               responses={"404": "No such project"})
    def list_hooks(self, call, ref):
        project = project_of(ref)
        full = _full_url(call)
        return sudo_page("odooops.event.hook", [("project_id", "=", project.id)], call.query,
                         lambda hook: serializers_git.event_hook(hook, full))

    @api_route("/projects/{ref}/hooks", "POST", summary="Add an event hook: a URL that receives the project's "
                                                        "events as signed JSON; the answer holds its secret, once",
               scope="projects:write", body=CREATE_BODY, action="hook.create", tag="hooks", path_params=PROJECT_REF,
               responses={"201": "Added; secret is shown this once", "404": "No such project", "422": HOOK_URL})
    def create_hook(self, call, ref):
        project = project_of(ref)
        hook, secret = request.env["odooops.event.hook"]._api_create(project, call.body)
        hook = hook.sudo()
        _audit(call, project, hook=hook.id, url=serializers_git.redacted_url(hook.url), events=hook.events or [])
        return Result({**serializers_git.event_hook(hook), "secret": secret, "message": SIGNATURE_HINT},
                      status=201)

    @api_route("/projects/{ref}/hooks/{hook}", "PATCH", summary="Change an event hook: URL, events, description, "
                                                                "active", scope="projects:write", body=UPDATE_BODY,
               action="hook.update", tag="hooks", path_params=HOOK_REF,
               responses={"200": "Changed", "404": "No such project or hook", "422": HOOK_URL})
    def update_hook(self, call, ref, hook):
        project = project_of(ref)
        found = _hook(project, hook)
        _audit(call, project, hook=found.id, changes=sorted(call.body))
        found._api_update(call.body)
        return Result(serializers_git.event_hook(found.sudo()))

    @api_route("/projects/{ref}/hooks/{hook}", "DELETE", summary="Remove an event hook (its delivery log stays)",
               scope="projects:write", action="hook.delete", tag="hooks", path_params=HOOK_REF,
               responses={"200": "Removed", "404": "No such project or hook"})
    def delete_hook(self, call, ref, hook):
        project = project_of(ref)
        found = _hook(project, hook)
        ident = found.id
        _audit(call, project, hook=ident, url=serializers_git.redacted_url(found.url))
        found._api_delete()
        return Result({"id": ident, "deleted": True})

    @api_route("/projects/{ref}/hooks/{hook}/ping", "POST", summary="Send the event \"ping\" to a hook (queued): "
                                                                    "its delivery shows whether the URL answers",
               scope="projects:write", action="hook.ping", tag="hooks", path_params=HOOK_REF,
               responses={"202": "Queued; follow it with GET /hook-deliveries/{id}",
                          "404": "No such project or hook"})
    def ping_hook(self, call, ref, hook):
        project = project_of(ref)
        found = _hook(project, hook)
        delivery = found._ping().sudo()
        _audit(call, project, hook=found.id, delivery=delivery.id)
        return Result(serializers_git.event_delivery(delivery), status=202)

    @api_route("/projects/{ref}/hooks/{hook}/deliveries", "GET", summary="A hook's deliveries, newest first",
               scope="projects:read", tag="hooks", path_params=HOOK_REF, query=PAGE_QUERY,
               responses={"404": "No such project or hook"})
    def list_hook_deliveries(self, call, ref, hook):
        found = _hook(project_of(ref), hook)
        return sudo_page("odooops.event.delivery", [("hook_id", "=", found.id)], call.query,
                         serializers_git.event_delivery)

    @api_route("/hook-deliveries/{ref}", "GET", summary="One hook delivery: its event data and every attempt "
                                                        "(status code, seconds, error)",
               scope="projects:read", tag="hooks", path_params=DELIVERY_REF, responses={"404": "No such delivery"})
    def get_hook_delivery(self, call, ref):
        return Result(serializers_git.event_delivery(_delivery(ref), detail=True))

    @api_route("/hook-deliveries/{ref}/redeliver", "POST", summary="Send a delivery's event again (a new delivery "
                                                                   "with the same data, queued)",
               scope="projects:write", action="hook.redeliver", tag="hooks", path_params=DELIVERY_REF,
               responses={"202": "Queued: the new delivery", "404": "No such delivery",
                          "409": "Its hook was removed"})
    def redeliver(self, call, ref):
        original = _delivery(ref)
        call.audit_target = f"project:{original.project_id.slug}"
        call.audit_details.update(delivery=original.id, event=original.event)
        new = original._redeliver().sudo()
        call.audit_details["redelivery"] = new.id
        return Result(serializers_git.event_delivery(new), status=202)

    @api_route("/projects/{ref}/webhook-deliveries", "GET",
               summary="The GitHub webhook deliveries a project received, newest first: event, branch or pull "
                       "request, the decision and why, and what became of it",
               scope="projects:read", tag="webhooks", path_params=PROJECT_REF, query=WEBHOOK_QUERY,
               responses={"404": "No such project"})
    def list_webhook_deliveries(self, call, ref):
        project = project_of(ref)
        domain = [("project_id", "=", project.id)]
        for name, field in (("event", "event"), ("status", "state"), ("decision", "decision")):
            if call.query.get(name):
                domain.append((field, "=", call.query[name]))
        return sudo_page("odooops.webhook.delivery", domain, call.query, serializers_git.webhook_delivery)
