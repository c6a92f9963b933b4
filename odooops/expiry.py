"""Environment time-to-live: when an environment expires, and what a TTL run does at ``now``.

Pure (no Odoo, no clock of its own): the control plane's hourly cron passes the
environments and the time, so a test can run it with a simulated clock.

- An environment's lifetime comes from the project's policy when it is created:
  ``Policy.ttl_seconds(tier, named)``. A dev environment is *named* when an exact
  (non-glob, non-regex) branch mapping of the policy names its branch, e.g.
  ``develop``; every other dev branch is *ephemeral*. A mapping's own ``ttl``
  overrides the tier's. None means it never expires (production and staging by default).
- A run warns, once, each environment that expires within ``WARN_BEFORE`` (24 h),
  and destroys each one whose time has come. An environment with a destroy already
  queued or running is left alone; one with another deployment active (queued, running,
  awaiting approval) is deferred to the next run (a destroy is refused meanwhile).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import Conflict, ValidationFailed
from .policy import AmbiguousMapping

WARN_BEFORE = timedelta(hours=24)
MAX_EXTEND_DAYS = 365
GONE = ("destroyed", "destroying")


@dataclass(frozen=True)
class Lifetime:
    seconds: int | None          # None: never expires
    rule: str                    # the policy rule that decided it, e.g. "ttl_policies.dev_ephemeral"

    def expires_at(self, created: datetime) -> datetime | None:
        return None if self.seconds is None else created + timedelta(seconds=self.seconds)


def lifetime(policy, tier: str, branch: str) -> Lifetime:
    """How long a new ``tier`` environment of ``branch`` lives under ``policy`` (an engine Policy)."""
    try:
        mapping = policy.mapping_for(branch)
    except AmbiguousMapping:    # the policy's error (validation reports it): the tier's lifetime then
        mapping = None
    if mapping is not None and mapping.tier != tier:
        mapping = None   # created by hand in another tier than the mapping's: the mapping says nothing of it
    if mapping is not None and mapping.ttl is not None:
        seconds = None if mapping.ttl == "never" else int(mapping.ttl)
        return Lifetime(seconds, f"branch_mappings[{mapping.pattern}].ttl")
    named = tier == "dev" and mapping is not None and mapping.kind == "exact"
    key = ("dev_named" if named else "dev_ephemeral") if tier == "dev" else tier
    return Lifetime(policy.ttl_seconds(tier, named), f"ttl_policies.{key}")


@dataclass(frozen=True)
class Candidate:
    """What a TTL run needs to know of one environment."""
    id: int
    expires_at: datetime | None
    warned_at: datetime | None = None
    state: str = "running"
    pending: str | None = None   # the kind of its active deployment (queued, running, awaiting approval)


@dataclass(frozen=True)
class Plan:
    warn: tuple[int, ...] = ()
    destroy: tuple[int, ...] = ()
    deferred: tuple[int, ...] = ()   # expired, but busy with another deployment: the next run retries


def plan(candidates, now: datetime, warn_before: timedelta = WARN_BEFORE) -> Plan:
    """Which of ``candidates`` to warn, destroy or defer at ``now`` (each list by expiry, then id)."""
    warn, destroy, deferred = [], [], []
    for c in sorted(candidates, key=lambda c: (c.expires_at or datetime.max, c.id)):
        if c.expires_at is None or c.state in GONE or c.pending == "destroy":
            continue
        if c.expires_at <= now:
            (deferred if c.pending else destroy).append(c.id)
        elif c.expires_at - warn_before <= now and c.warned_at is None:
            warn.append(c.id)
    return Plan(tuple(warn), tuple(destroy), tuple(deferred))


def extended(expires_at: datetime | None, now: datetime, days: int, name: str = "the environment") -> datetime:
    """The new expiry after ``extend --days=days``: counted from now if it is already past."""
    if expires_at is None:
        raise Conflict(f"{name} never expires: there is nothing to extend", code="NEVER_EXPIRES",
                       remediation="Only environments with a time-to-live (dev and preview by default, see "
                                   "ttl_policies in .odooops/policies.yaml) can be extended.")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_EXTEND_DAYS:
        raise ValidationFailed(f"days must be a whole number from 1 to {MAX_EXTEND_DAYS}, not {days!r}",
                               details={"days": days})
    return max(now, expires_at) + timedelta(days=days)
