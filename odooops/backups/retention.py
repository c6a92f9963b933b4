"""Retention: grandfather-father-son over calendar periods (UTC).

A backup is kept when it is one of the ``keep_last`` newest, or the newest of its day
among the last ``daily`` days (today included), of its ISO week among the last
``weekly`` weeks, or of its month among the last ``monthly`` months. The periods are
fixed by the calendar, so when a kept backup will be dropped is known in advance:
the moment the last period it is kept for leaves its window (assuming no newer
backup displaces it within its own period).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..errors import ValidationFailed
from ..policy import DEFAULT as DEFAULT_POLICY_FILE
from . import manifest as m
from .errors import BackupCorrupted, ObjectMissing
from .store import Store

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 3
    keep_last: int = 1          # always kept, whatever their age

    def __post_init__(self):
        for name in ("daily", "weekly", "monthly", "keep_last"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10000:
                raise ValidationFailed(f"retention {name} must be a whole number from 0 to 10000, got {value!r}",
                                       details={name: value})


DEFAULT_POLICY = Policy(**DEFAULT_POLICY_FILE.backup_retention)    # the policy's defaults: one place


def _day(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def _week(t: datetime) -> datetime:          # ISO weeks start on Monday
    return _day(t) - timedelta(days=t.weekday())


def _month(t: datetime) -> datetime:
    return _day(t).replace(day=1)


def _add_months(start: datetime, months: int) -> datetime:
    years, month = divmod(start.month - 1 + months, 12)
    return start.replace(year=start.year + years, month=month + 1)


_PERIODS = (  # (policy field, start of the period holding t, the start `n` periods later)
    ("daily", _day, lambda start, n: start + timedelta(days=n)),
    ("weekly", _week, lambda start, n: start + timedelta(weeks=n)),
    ("monthly", _month, _add_months),
)


def expiries(backups, policy: Policy = DEFAULT_POLICY, now: datetime | None = None) -> dict:
    """backup id → None (kept while nothing newer comes), the time it stops being kept, or
    ``now`` for what the policy no longer keeps. ``backups``: (id, created_at) pairs."""
    now = m.utc(now or datetime.now(timezone.utc))
    newest_first = sorted(((m.utc(created), backup_id) for backup_id, created in backups), reverse=True)
    # Never drop what is newer than now (a clock that went back): keep it until that is sorted out.
    forever = {backup_id for created, backup_id in newest_first if created > now}
    past = [(created, backup_id) for created, backup_id in newest_first if created <= now]
    forever |= {backup_id for _, backup_id in past[:policy.keep_last]}
    until: dict[str, datetime] = {}
    for field, period, shift in _PERIODS:
        count = getattr(policy, field)
        if not count:
            continue
        oldest = shift(period(now), -(count - 1))        # the first period still in the window
        seen = set()
        for created, backup_id in past:                  # newest first: the first one of a period is its newest
            start = period(created)
            if start < oldest:
                break
            if start not in seen:
                seen.add(start)
                leaves = shift(start, count)             # when this period leaves the window
                until[backup_id] = max(until.get(backup_id, leaves), leaves)
    return {backup_id: None if backup_id in forever else until.get(backup_id, now)
            for _, backup_id in newest_first}


def plan(backups, policy: Policy = DEFAULT_POLICY, now: datetime | None = None) -> tuple[list, list]:
    """(ids to keep, ids to delete), each newest first. Pure: nothing is read or deleted."""
    now = m.utc(now or datetime.now(timezone.utc))
    ends = expiries(backups, policy, now)
    keep = [backup_id for backup_id, end in ends.items() if end is None or end > now]
    delete = [backup_id for backup_id, end in ends.items() if end is not None and end <= now]
    return keep, delete


def _inventory(store: Store, environment_key: str | None) -> dict:
    """(environment, id) → {"manifest": bool, "keys": [...]} for every object laid out as a backup's."""
    prefix = f"{m.check_environment_key(environment_key)}/" if environment_key else ""
    found: dict = {}
    for key in store.list(prefix):
        parts = key.split("/")
        if len(parts) != 3:
            continue                                     # not ours: never touched
        try:
            m.check_environment_key(parts[0])
            m.check_id(parts[1])
        except ValidationFailed:
            continue
        entry = found.setdefault((parts[0], parts[1]), {"manifest": False, "keys": []})
        entry["keys"].append(key)
        entry["manifest"] |= parts[2] == m.MANIFEST
    return found


def apply(store: Store, policy: Policy | Callable[[str], Policy | None] = DEFAULT_POLICY,
          now: datetime | None = None, *, environment_key: str | None = None,
          orphan_grace: timedelta = timedelta(days=1), protect: Iterable[str] = ()) -> dict:
    """Delete what ``policy`` does not keep, environment by environment (all of them, or one).

    ``policy`` is one for every environment, or a function of the environment key (None:
    leave that environment's objects alone, e.g. another control plane's). Never deleted,
    whatever the policy: an environment's newest complete backup, and the ids in
    ``protect`` (what a running restore reads).

    A deleted backup loses its manifest first (it stops being complete), then its objects.
    Objects of backups that never got a manifest (a crash) go once ``orphan_grace`` old,
    and so do interrupted multipart uploads."""
    now = m.utc(now or datetime.now(timezone.utc))
    protect = set(protect)
    inventory = _inventory(store, environment_key)
    report = {"environments": {}, "skipped": [], "orphans_removed": [], "incomplete_uploads_removed": 0}
    policies = {env: policy(env) if callable(policy) else policy for env in sorted({env for env, _ in inventory})}
    for env, env_policy in policies.items():
        if env_policy is None:
            report["skipped"].append(env)
            continue
        complete = [(backup_id, m.created_at_of(backup_id)) for (e, backup_id), entry in inventory.items()
                    if e == env and entry["manifest"]]
        ends = expiries(complete, env_policy, now)
        newest = max(complete, key=lambda item: item[0])[0] if complete else None
        spared = {b for b, end in ends.items() if end is not None and end <= now and (b == newest or b in protect)}
        delete = [b for b, end in ends.items() if end is not None and end <= now and b not in spared]
        for backup_id in delete:
            store.delete(m.object_key(env, backup_id, m.MANIFEST))
        for backup_id in delete:
            for key in inventory[(env, backup_id)]["keys"]:
                store.delete(key)
        kept = {b: (None if b in spared else end) for b, end in ends.items() if b not in delete}
        report["environments"][env] = {"kept": list(kept), "deleted": delete, "protected": sorted(spared),
                                       "expires_at": {b: end.isoformat() if end else None for b, end in kept.items()}}
    for (env, backup_id), entry in sorted(inventory.items()):
        if policies[env] is None:
            continue
        if not entry["manifest"] and m.created_at_of(backup_id) < now - orphan_grace:
            for key in entry["keys"]:
                store.delete(key)
            report["orphans_removed"].append(f"{env}/{backup_id}")
    report["incomplete_uploads_removed"] = store.cleanup_incomplete(orphan_grace.total_seconds())
    return report


@dataclass(frozen=True)
class ListedBackup:
    manifest: m.Manifest
    expires_at: datetime | None      # None: kept until newer backups displace it

    def to_dict(self) -> dict:
        return {**self.manifest.to_dict(),
                "expires_at": self.expires_at.isoformat() if self.expires_at else None}


def list_backups(store: Store, environment_key: str, policy: Policy = DEFAULT_POLICY,
                 now: datetime | None = None) -> list[ListedBackup]:
    """The complete backups of one environment, newest first, each with its expiry."""
    manifests = []
    for (_env, backup_id), entry in _inventory(store, environment_key).items():
        if not entry["manifest"]:
            continue
        key = m.object_key(environment_key, backup_id, m.MANIFEST)
        try:
            manifests.append(m.Manifest.from_json(store.get_bytes(key), key))
        except (BackupCorrupted, ObjectMissing) as exc:      # one bad backup does not hide the others
            _logger.warning("skipping backup %s: %s", key, exc.message)
    ends = expiries([(x.id, m.created_at_of(x.id)) for x in manifests], policy, now)
    if manifests:
        ends[max(x.id for x in manifests)] = None         # the newest is never deleted (apply)
    return [ListedBackup(x, ends[x.id]) for x in sorted(manifests, key=lambda x: x.id, reverse=True)]
