"""POST /api/v1/webhooks/github: GitHub's deliveries, the platform's most exposed door.

No token: the body's HMAC (X-Hub-Signature-256) under a project's webhook secret is the only
credential, so the handler reads the body's exact bytes itself (capped, refused by its
Content-Length before anything is read). Order: size (413) → JSON (400) → signature (401) →
event headers (400) → payload shape and branch names (422) → the decision, recorded and
queued by the odooops_git addon (a job does the work: the answer takes milliseconds)."""
import json
import logging
import re
from urllib.parse import parse_qs

from odoo import http
from odoo.http import request

from odooops import errors
from odooops.github import payloads, signature

from . import serializers_git
from .request_pipeline import FORM, PayloadTooLarge, body_limit, read_raw_body
from .routing import api_route
from .spec import SLUG, Result

_logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
GUID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
ACTED_ON = (payloads.Push, payloads.PullRequest, payloads.Delete)
SETUP = ("In GitHub → Settings → Webhooks the Payload URL is this endpoint, the content type "
         "application/json and the secret the project's: odooops project github P shows the URL; "
         "odooops project github P --rotate-secret makes a new secret (shown once).")
# What GitHub sends: any JSON object. The document says so; the handler checks the rest.
BODY = {"type": "object", "minProperties": 1,
        "description": "A GitHub webhook payload (push, pull_request, delete, ping…), as GitHub sends it: "
                       "application/json, or application/x-www-form-urlencoded with payload=<JSON>"}
QUERY = {"project": {"description": "The project whose secret signs the deliveries (default: every project "
                                    "whose GitHub repository is the payload's repository.full_name)",
                     "schema": SLUG}}
RESPONSES = {
    "200": "ping answered, or a delivery already received (duplicate: true): nothing more is done",
    "202": "Accepted: what each project will do (decisions), done by a job; or an event OdooOps ignores",
    "400": "Not JSON (INVALID_JSON), or the X-GitHub-Event / X-GitHub-Delivery header is missing or malformed",
    "401": "Missing or wrong X-Hub-Signature-256 (SIGNATURE_INVALID): no project's secret signs this body",
    "413": "The body is larger than the control plane's webhook_max_bytes (PAYLOAD_TOO_LARGE)",
    "422": "A payload of the wrong shape (WEBHOOK_PAYLOAD), an invalid branch name (INVALID_BRANCH_NAME) or "
           "another repository than the project's (WEBHOOK_REPOSITORY_MISMATCH): nothing is recorded",
}


class SignatureInvalid(errors.Unauthenticated):
    code = "SIGNATURE_INVALID"
    remediation = "Check the webhook's secret. " + SETUP


def _bad_json(message):
    return errors.BadRequest(message, code="INVALID_JSON",
                             remediation="Send GitHub's payload as it is; " + SETUP)


def _payload(raw, content_type):
    """The JSON object the body carries (as JSON, or a form's payload= field)."""
    text = raw
    if content_type == FORM:
        try:
            fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
        except (UnicodeDecodeError, ValueError):
            raise _bad_json("the form-encoded body is not UTF-8 key=value pairs") from None
        values = fields.get("payload") or []
        if len(values) != 1:
            raise _bad_json("a form-encoded webhook body carries its JSON in one payload= field")
        text = values[0]
    if not text or not text.strip():
        raise _bad_json("the body is empty: a webhook delivery is a JSON object")
    try:
        payload = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _bad_json(f"the body is not JSON: {str(exc)[:200]}") from None
    if not isinstance(payload, dict):
        raise _bad_json("the body must be a JSON object")
    return payload


def _header(name, pattern, required):
    value = request.httprequest.headers.get(name)
    if value is None or value == "":
        if required:
            raise errors.BadRequest(f"the {name} header is missing", code="WEBHOOK_HEADER_MISSING",
                                    details={"header": name}, remediation="Send the webhook as GitHub does: "
                                                                          f"it always sends {name}.")
        return None
    if not pattern.match(value):
        raise errors.BadRequest(f"the {name} header is malformed", code="WEBHOOK_HEADER_INVALID",
                                details={"header": name}, remediation="Send the webhook as GitHub does.")
    return value


def _candidates(slug, repository):
    """The projects that may have sent this: ?project=, else those of the payload's repository."""
    projects = request.env["odooops.project"].sudo()
    if slug:
        return projects.search([("slug", "=", slug)], limit=1)
    if repository:
        return projects.search([("github_repository", "=", repository)], order="id")
    return projects.browse()


def _signed_by(candidates, raw, header):
    """The candidates whose webhook secret signs ``raw`` (constant-time compares)."""
    matched = candidates.browse()
    if not header:
        return matched
    for project in candidates:
        try:
            secret = project._webhook_secret()
        except errors.SecretError:
            _logger.warning("project %s: its webhook secret cannot be unsealed (the control plane's key "
                            "changed?): rotate it with odooops project github %s --rotate-secret",
                            project.slug, project.slug)
            continue
        if signature.verify(secret, raw, header):
            matched |= project
    return matched


class WebhooksController(http.Controller):

    @api_route("/webhooks/github", "POST", summary="GitHub webhook receiver: push, pull_request, delete and ping "
                                                   "events, signed with the project's webhook secret",
               scope=None, body=BODY, query=QUERY, action="webhook.github", tag="webhooks", raw_body=True,
               responses=RESPONSES)
    def github(self, call):
        limit = body_limit()
        raw = read_raw_body(limit)
        if raw is None:
            raise PayloadTooLarge(f"the webhook body is larger than {limit} bytes", details={"limit": limit},
                                  remediation="GitHub's payloads of this size are not deployments OdooOps acts on; "
                                              "if yours are, raise ODOOOPS_WEBHOOK_MAX_BYTES on the control plane.")
        payload = _payload(raw, request.httprequest.mimetype)
        repository = payloads.repository_of(payload)
        slug = call.query.get("project")
        call.audit_target = f"project:{slug}" if slug else (f"repository:{repository}" if repository else None)
        call.audit_details.update(repository=repository,
                                  event=(request.httprequest.headers.get("X-GitHub-Event") or "")[:100] or None,
                                  delivery=(request.httprequest.headers.get("X-GitHub-Delivery") or "")[:200] or None)
        projects = _signed_by(_candidates(slug, repository), raw, request.httprequest.headers.get(SIGNATURE_HEADER))
        if not projects:
            raise SignatureInvalid(
                f"no project's webhook secret signs this delivery ({SIGNATURE_HEADER} "
                + ("is missing)" if not request.httprequest.headers.get(SIGNATURE_HEADER) else "does not match)"),
                details={"repository": repository, "project": slug})
        call.audit_target = ",".join(f"project:{p.slug}" for p in projects)
        event = _header("X-GitHub-Event", EVENT, required=True)
        guid = _header("X-GitHub-Delivery", GUID, required=False)
        parsed = payloads.parse(event, payload)
        names = projects.mapped("slug")
        if isinstance(parsed, payloads.Ping):
            call.audit_details.update(projects=names, zen=parsed.zen)
            return Result({"event": "ping", "zen": parsed.zen, "hook_id": parsed.hook_id, "projects": names,
                           "message": f"pong: the webhook reaches {', '.join(names)}"})
        if not isinstance(parsed, ACTED_ON):
            reason = f"OdooOps does not act on {event} events"
            call.audit_details.update(projects=names, ignored=reason)
            return Result({"event": event, "delivery": guid, "ignored": True, "reason": reason, "projects": names,
                           "decisions": []}, status=202)
        for project in projects:
            wanted = project.github_repository
            if wanted and parsed.repository != wanted:
                raise errors.ValidationFailed(
                    f"this delivery is about {parsed.repository}, project {project.slug} follows {wanted}",
                    code="WEBHOOK_REPOSITORY_MISMATCH",
                    details={"repository": parsed.repository, "project": project.slug, "expected": wanted},
                    remediation=f"Point {parsed.repository}'s webhook at its own project, or set the project's "
                                f"repository: odooops project github {project.slug} --repository OWNER/NAME.")
        Delivery = request.env["odooops.webhook.delivery"].sudo()
        received = [(project, *Delivery._receive(project, event, guid, parsed)) for project in projects]
        decisions = [serializers_git.webhook_decision(delivery, duplicate) for _, delivery, duplicate in received]
        duplicate = all(dup for _, _, dup in received)
        call.audit_details.update(decisions=decisions, duplicate=duplicate)
        return Result({"event": event, "delivery": guid, "duplicate": duplicate, "decisions": decisions},
                      status=200 if duplicate else 202)
