"""Records of the git integration → API representations: webhook deliveries, event hooks and
their deliveries, GitHub calls. Never a secret: a hook's secret is shown by its creation only,
and a hook's URL (a Slack or n8n URL often is a credential) only to who may change hooks."""
from urllib.parse import urlsplit

from odooops.api.envelope import utc_timestamp


def _ts(value):
    return utc_timestamp(value) if value else None


def _ref(rec):
    return {"id": rec.id, "slug": rec.slug} if rec else None


def webhook_decision(rec, duplicate=False):
    """What a webhook delivery decided for its project (the webhook's answer and audit entry)."""
    env = rec.environment_id
    return {
        "project": rec.project_id.slug, "delivery_id": rec.id, "action": rec.decision or "ignore",
        "reason": rec.reason or None,
        "tier": rec.tier or (env.tier if env else ("preview" if rec.pull_request else None)),
        "environment": rec.environment_slug or env.slug or None, "environment_id": env.id or None,
        "branch": rec.branch or None, "sha": rec.sha or None, "pull_request": rec.pull_request or None,
        "state": rec.state, "duplicate": bool(duplicate),
    }


def webhook_delivery(rec):
    return {
        "id": rec.id, "project": _ref(rec.project_id), "guid": rec.guid, "event": rec.event,
        "action": rec.action or None, "repository": rec.repository or None, "branch": rec.branch or None,
        "sha": rec.sha or None, "pull_request": rec.pull_request or None, "sender": rec.sender or None,
        "decision": rec.decision or None, "reason": rec.reason or None,
        "environment": rec.environment_slug or rec.environment_id.slug or None,
        "environment_id": rec.environment_id.id or None, "deployment": rec.deployment_id.id or None,
        "status": rec.state, "error": rec.error or None, "policy": rec.policy_outcome or None,
        "received_at": _ts(rec.received_at),
        "processed_at": _ts(rec.processed_at),
    }


def redacted_url(url):
    """scheme://host[:port]/… : where a hook points, without what may be a credential in its path."""
    try:
        parts = urlsplit(url or "")
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    return f"{parts.scheme}://{host}{port}/…" if (parts.path not in ("", "/") or parts.query) else \
        f"{parts.scheme}://{host}{port}/"


def event_hook(rec, full_url=True):
    return {
        "id": rec.id, "project": _ref(rec.project_id),
        "url": rec.url if full_url else redacted_url(rec.url), "url_redacted": not full_url,
        "events": list(rec.events or []), "all_events": not rec.events, "active": rec.active,
        "description": rec.description or None, "created_at": _ts(rec.create_date),
        "updated_at": _ts(rec.write_date),
    }


def event_delivery(rec, detail=False):
    out = {
        "id": rec.id, "hook": rec.hook_id.id or None, "project": _ref(rec.project_id), "event": rec.event,
        "guid": rec.guid, "status": rec.state, "attempts": rec.attempts,
        "last_status_code": rec.last_status_code or None, "last_error": rec.last_error or None,
        "last_seconds": rec.last_seconds if rec.attempts else None,
        "redelivery_of": rec.redelivery_of_id.id or None, "next_attempt_at": _ts(rec.next_attempt_at),
        "delivered_at": _ts(rec.delivered_at), "created_at": _ts(rec.create_date),
    }
    if detail:
        out.update(payload=rec.payload or {}, attempt_log=list(rec.attempt_log or []),
                   response_excerpt=rec.response_excerpt or None)
    return out


def github_call(rec):
    return {
        "id": rec.id, "project": _ref(rec.project_id), "kind": rec.kind, "sha": rec.sha or None,
        "pull_request": rec.pull_request or None, "environment": rec.environment_id.id or None,
        "deployment": rec.deployment_id.id or None, "request": rec.request or {}, "status": rec.state,
        "attempts": rec.attempts, "last_status_code": rec.last_status_code or None,
        "last_error": rec.last_error or None, "created_at": _ts(rec.create_date), "done_at": _ts(rec.done_at),
    }
