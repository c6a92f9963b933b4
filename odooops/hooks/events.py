"""The events a hook can subscribe to, and the exact JSON body a delivery sends."""
from __future__ import annotations

import json
from datetime import datetime, timezone

EVENTS = ("deployment.started", "deployment.succeeded", "deployment.failed", "environment.created",
          "environment.destroyed", "environment.expiring", "backup.failed", "approval.requested")
PING = "ping"               # sent by "hook ping"; never subscribed to
ALL = EVENTS + (PING,)


def _at(at) -> str:
    if isinstance(at, datetime):
        at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
        return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return str(at)


def body(event: str, project_slug: str, data: dict, delivery_id: str, at) -> bytes:
    """The bytes that are signed and sent: sorted keys, so a redelivery sends the same bytes."""
    if event not in ALL:
        raise ValueError(f"no event {event!r}")
    document = {"event": event, "delivery": delivery_id, "project": project_slug, "at": _at(at), "data": data or {}}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
