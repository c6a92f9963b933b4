"""Outbound event hooks: signed JSON POSTs to URLs a project registers (Slack bridges, n8n, CI…)."""
from . import delivery, events, targets
from .delivery import MAX_ATTEMPTS, Attempt, backoff, deliver
from .events import EVENTS
from .targets import check_url

__all__ = ["EVENTS", "MAX_ATTEMPTS", "Attempt", "backoff", "check_url", "deliver", "delivery", "events", "targets"]
