"""The scheduled-backup decision over a simulated clock: production's newest complete
backup is never older than its schedule (RPO < 1 h), however late the cron ticks and
however long backups take, and nothing is backed up more often than it must be."""
import random
from datetime import datetime, timedelta, timezone
from itertools import pairwise

import pytest

from odooops.backups.schedule import (
    DEFAULT_MINUTES,
    MAX_MINUTES,
    MIN_MINUTES,
    SLACK,
    TICK,
    before_deployment,
    check_minutes,
    decide,
)
from odooops.errors import ValidationFailed

UTC = timezone.utc
START = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def simulate(every, days, seed, *, min_duration=timedelta(seconds=30), max_duration=timedelta(minutes=4),
             max_cron_delay=timedelta(seconds=90), max_queue_wait=timedelta(seconds=40)):
    """Ticks every 15 minutes (each up to ``max_cron_delay`` late); a backup queued on a tick
    starts after a wait in the queue and takes from ``min_duration`` to ``max_duration``.
    The decision is given the longest of the last five durations, as the control plane
    does. Returns the backups as (data point, completed at) and the worst age the newest
    complete backup reached."""
    rng = random.Random(seed)
    done, running, worst = [], None, timedelta(0)
    for n in range(int(days * 24 * 4)):
        now = START + n * TICK + rng.uniform(0, 1) * max_cron_delay
        if running and running[1] <= now:
            done.append(running)
            running = None
        newest = done[-1][0] if done else None
        longest = max((completed - point for point, completed in done[-5:]), default=timedelta(0))
        decision = decide(every, now=now, newest=newest, backup_in_progress=running is not None,
                          duration=longest)
        assert not (decision.due and decision.due_at)       # due now, or a time when it will be
        if not decision.due and newest and not running:
            assert decision.due_at > now
        if decision.due:
            point = now + rng.uniform(0, 1) * max_queue_wait
            running = (point, point + min_duration + rng.uniform(0, 1) * (max_duration - min_duration))
    for (point, _), (_, completed) in pairwise(done):
        worst = max(worst, completed - point)       # just before a backup completes, the previous is newest
    return done, worst


@pytest.mark.parametrize("seed", range(5))
def test_production_hourly_keeps_the_newest_backup_younger_than_an_hour(seed):
    done, worst = simulate(timedelta(minutes=DEFAULT_MINUTES["production"]), days=7, seed=seed)
    assert worst < HOUR, worst
    per_day = len(done) / 7
    assert 24 <= per_day <= 33, per_day            # every 45 min: never more often than the tick allows


def test_slow_backups_are_queued_earlier_so_they_still_complete_in_time():
    done, worst = simulate(timedelta(minutes=60), days=3, seed=7, min_duration=timedelta(minutes=16),
                           max_duration=timedelta(minutes=19))
    assert worst < HOUR, worst
    spacing = [b[0] - a[0] for a, b in pairwise(done)]
    assert max(spacing) < HOUR and min(spacing) >= timedelta(minutes=14)


def test_staging_daily():
    done, worst = simulate(timedelta(minutes=DEFAULT_MINUTES["staging"]), days=14, seed=3)
    assert worst < timedelta(days=1)
    assert 14 <= len(done) <= 16


def test_the_decision_and_its_reasons():
    now, every = START + timedelta(hours=5), timedelta(minutes=60)
    assert decide(every, now=now, newest=None).due
    assert decide(every, now=now, newest=None).reason == "it has no complete backup yet"
    fresh = decide(every, now=now, newest=now - timedelta(minutes=10))
    assert not fresh.due and fresh.due_at == now - timedelta(minutes=10) + every - TICK - SLACK
    assert "10 min old" in fresh.reason
    stale = decide(every, now=now, newest=now - timedelta(minutes=40))
    assert stale.due and "40 min old" in stale.reason
    # A long backup is started earlier by its own duration.
    assert not decide(every, now=now, newest=now - timedelta(minutes=30)).due
    assert decide(every, now=now, newest=now - timedelta(minutes=30), duration=timedelta(minutes=12)).due
    # Never, whatever the age: no schedule, nothing serving, a backup or a deployment under way.
    old = now - timedelta(days=30)
    for blocked, words in ((decide(None, now=now, newest=old), "no scheduled backups"),
                           (decide(timedelta(0), now=now, newest=old), "no scheduled backups"),
                           (decide(every, now=now, newest=old, serving=False), "serves nothing"),
                           (decide(every, now=now, newest=old, backup_in_progress=True), "already pending"),
                           (decide(every, now=now, newest=old, deployment_in_progress=True), "deployment")):
        assert not blocked.due and words in blocked.reason, blocked
    # A backup dated in the future (a clock set back) counts as just made.
    assert not decide(every, now=now, newest=now + timedelta(hours=3)).due
    assert decide(every, now=now, newest=None).to_dict() == {"due": True, "reason": "it has no complete backup yet",
                                                            "due_at": None}
    with pytest.raises(ValidationFailed):
        decide(every, now=datetime(2026, 11, 2), newest=None)            # naive: which timezone?


def test_schedules_a_tier_can_have():
    assert check_minutes("production", 0) == 0 and check_minutes("dev", MIN_MINUTES) == MIN_MINUTES
    assert check_minutes("staging", MAX_MINUTES) == MAX_MINUTES
    for bad in (1, MIN_MINUTES - 1, MAX_MINUTES + 1, -60, 60.5, "60", True, None):
        with pytest.raises(ValidationFailed) as caught:
            check_minutes("production", bad)
        assert caught.value.remediation.startswith("Give whole minutes")
    with pytest.raises(ValidationFailed):
        check_minutes("qa", 60)


def test_the_backup_before_a_deployment_says_what_it_precedes():
    assert before_deployment(12, {"update": ["sale", "stock"], "install": []}) == \
        "before deployment #12 (migrates sale, stock)"
    assert before_deployment(3, {"update": ["sale"], "install": ["website"]}) == \
        "before deployment #3 (migrates sale; installs website)"
    many = before_deployment(7, {"update": [f"m{i:02d}" for i in range(20)]})
    assert many == "before deployment #7 (migrates m00, m01, m02, m03, m04, m05, m06, m07 and 12 more)"
    assert before_deployment(9, {"update": [], "install": []}) == "before deployment #9"
