"""When an environment is due for a scheduled backup: a pure decision over a clock.

A tier's schedule is the oldest its newest backup may get (its recovery point
objective): production 60 minutes, staging a day, dev and preview never, unless the
project says otherwise. The control plane asks every ``TICK`` (its cron), so a backup is
queued on the last tick that still lets it complete in time: when waiting for the next
tick, plus how long its last backup took, plus ``SLACK`` (a late cron, a busy queue)
would let the newest one grow older than the schedule. With the defaults, production
is backed up every 45 minutes and its newest complete backup is never older than an hour.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import ValidationFailed
from ..policy import DEFAULT as DEFAULT_POLICY_FILE
from . import manifest as m

TICK = timedelta(minutes=15)                 # how often the cron asks (addons/odooops_core/data/cron.xml)
SLACK = timedelta(minutes=5)                 # for a cron that runs late and a job that waits in the queue
TIERS = ("production", "staging", "dev", "preview")
# The defaults are the policy's (odooops/policy/defaults.py): written in one place.
DEFAULT_MINUTES = {tier: DEFAULT_POLICY_FILE.backup_schedule_minutes(tier) for tier in TIERS}
MIN_MINUTES = int(TICK.total_seconds() // 60)    # a shorter schedule than the tick cannot be kept
MAX_MINUTES = 366 * 24 * 60
MODULES_SHOWN = 8


def check_minutes(tier: str, minutes) -> int:
    """``minutes`` if it is a schedule a tier can have: 0 (never) or from the tick to a year."""
    if tier not in TIERS:
        raise ValidationFailed(f"no tier {tier!r}: schedules are per tier ({', '.join(TIERS)})",
                               details={"tier": tier})
    if (not isinstance(minutes, int) or isinstance(minutes, bool)
            or not (minutes == 0 or MIN_MINUTES <= minutes <= MAX_MINUTES)):
        raise ValidationFailed(
            f"the {tier} backup schedule must be 0 (no scheduled backups) or {MIN_MINUTES} to {MAX_MINUTES} "
            f"minutes, got {minutes!r}", details={"tier": tier, "minutes": minutes},
            remediation=f"Give whole minutes: 0, or at least {MIN_MINUTES} (the scheduler runs every "
                        f"{MIN_MINUTES} minutes), e.g. 60 for hourly.")
    return minutes


@dataclass(frozen=True)
class Decision:
    due: bool
    reason: str
    due_at: datetime | None = None      # when it will be due, as things stand (None: never, or now)

    def to_dict(self) -> dict:
        return {"due": self.due, "reason": self.reason,
                "due_at": self.due_at.isoformat() if self.due_at else None}


def _minutes(delta: timedelta) -> str:
    return f"{max(0, round(delta.total_seconds() / 60))} min"


def decide(every: timedelta | None, *, now: datetime, newest: datetime | None, serving: bool = True,
           backup_in_progress: bool = False, deployment_in_progress: bool = False,
           duration: timedelta = timedelta(0), tick: timedelta = TICK, slack: timedelta = SLACK) -> Decision:
    """Is an environment due for a scheduled backup at ``now``?

    ``every``: its tier's schedule (None or zero: never). ``newest``: when the data of its
    newest complete backup was current (None: it has none). ``duration``: how long its
    backups take (the control plane passes the longest of the last five): a margin kept
    before the deadline, beside ``tick`` and ``slack``."""
    now = m.utc(now)
    if not every:
        return Decision(False, "no scheduled backups for this tier")
    if not serving:
        return Decision(False, "it serves nothing: there is no database to back up")
    if backup_in_progress:
        return Decision(False, "a backup of it is already pending or running")
    if deployment_in_progress:
        return Decision(False, "a deployment of it is queued or running: the next tick asks again")
    if newest is None:
        return Decision(True, "it has no complete backup yet")
    newest = min(m.utc(newest), now)                  # a clock that went back: as if just made
    deadline = newest + every
    due_at = deadline - tick - slack - max(duration, timedelta(0))
    age = _minutes(now - newest)
    if now >= due_at:
        return Decision(True, f"its newest backup is {age} old: waiting for the next tick could let it get "
                              f"older than the {_minutes(every)} schedule")
    return Decision(False, f"its newest backup is {age} old (schedule {_minutes(every)})", due_at)


def before_deployment(deployment_id: int, todo: dict) -> str:
    """The description of the backup taken before a deployment that migrates, from what it
    does (``addon_checksums.plan``): "before deployment #12 (migrates sale, stock; installs website)"."""
    def names(modules):
        more = len(modules) - MODULES_SHOWN
        return ", ".join(modules[:MODULES_SHOWN]) + (f" and {more} more" if more > 0 else "")
    parts = [f"{verb} {names(todo[key])}" for key, verb in (("update", "migrates"), ("install", "installs"))
             if todo.get(key)]
    return f"before deployment #{deployment_id}" + (f" ({'; '.join(parts)})" if parts else "")
