"""Environment TTLs: lifetimes from the policy, and what a TTL run warns and destroys at a given time."""
from datetime import datetime, timedelta

import pytest

from odooops import errors, expiry, policy

NOW = datetime(2026, 3, 1, 12, 0, 0)
H = timedelta(hours=1)

MAPPED = policy.Policy.from_dict({"branch_mappings": [
    {"pattern": "main", "tier": "production"},
    {"pattern": "develop", "tier": "dev"},
    {"pattern": "feature/*", "tier": "dev"},
    {"pattern": "hotfix/*", "tier": "dev", "ttl": "2d"},
    {"pattern": "demo/forever", "tier": "preview", "ttl": "never"},
], "ttl_policies": {"staging": "30d"}})


@pytest.mark.parametrize(("pol", "tier", "branch", "seconds", "rule"), [
    (policy.DEFAULT, "dev", "feature/x", 7 * 86400, "ttl_policies.dev_ephemeral"),
    (policy.DEFAULT, "preview", "pr-12", 3 * 86400, "ttl_policies.preview"),
    (policy.DEFAULT, "staging", "release/1", None, "ttl_policies.staging"),
    (policy.DEFAULT, "production", "main", None, "ttl_policies.production"),
    (MAPPED, "dev", "develop", 14 * 86400, "ttl_policies.dev_named"),        # an exact mapping: named
    (MAPPED, "dev", "feature/x", 7 * 86400, "ttl_policies.dev_ephemeral"),   # a glob: ephemeral
    (MAPPED, "dev", "hotfix/1", 2 * 86400, "branch_mappings[hotfix/*].ttl"),
    (MAPPED, "preview", "demo/forever", None, "branch_mappings[demo/forever].ttl"),
    (MAPPED, "staging", "develop", 30 * 86400, "ttl_policies.staging"),      # mapped to dev, made staging
    (MAPPED, "production", "main", None, "ttl_policies.production"),
])
def test_lifetime_comes_from_the_tier_or_the_branch_mapping(pol, tier, branch, seconds, rule):
    life = expiry.lifetime(pol, tier, branch)
    assert (life.seconds, life.rule) == (seconds, rule)
    assert life.expires_at(NOW) == (None if seconds is None else NOW + timedelta(seconds=seconds))


def test_an_ambiguous_mapping_gives_the_tiers_lifetime():
    tie = policy.Policy.from_dict({"branch_mappings": [{"pattern": "a*", "tier": "dev"},
                                                       {"pattern": "*b", "tier": "dev"}]})
    with pytest.raises(policy.AmbiguousMapping):
        tie.mapping_for("ab")
    assert expiry.lifetime(tie, "dev", "ab") == expiry.Lifetime(7 * 86400, "ttl_policies.dev_ephemeral")


def test_a_run_destroys_exactly_the_expired_and_warns_once_a_day_before():
    c = expiry.Candidate
    candidates = [
        c(1, NOW - H),                                   # expired an hour ago
        c(2, NOW),                                       # expires this very moment
        c(3, NOW + 23 * H),                              # within 24 h, not warned
        c(4, NOW + 24 * H),                              # exactly 24 h away: warned
        c(5, NOW + 25 * H),                              # too early to warn
        c(6, NOW + 2 * H, warned_at=NOW - H),            # warned already
        c(7, None),                                      # never expires
        c(8, NOW - 2 * H, state="destroying"),           # its destroy runs
        c(9, NOW - 2 * H, pending="destroy"),            # a destroy is queued
        c(10, NOW - 3 * H, pending="deploy"),            # busy: the next run retries
        c(11, NOW - 5 * H, state="destroyed"),
        c(12, NOW - 4 * H, state="failed"),              # a failed environment expires too
        c(13, NOW - 4 * H, warned_at=NOW - 30 * H),
    ]
    got = expiry.plan(candidates, NOW)
    assert got.destroy == (12, 13, 1, 2)                 # oldest expiry first
    assert got.warn == (3, 4)
    assert got.deferred == (10,)


def test_simulated_clock_runs_warn_then_destroy():
    env = expiry.Candidate(1, NOW + 30 * H)
    assert expiry.plan([env], NOW) == expiry.Plan()
    assert expiry.plan([env], NOW + 6 * H).warn == (1,)
    warned = expiry.Candidate(1, env.expires_at, warned_at=NOW + 6 * H)
    assert expiry.plan([warned], NOW + 29 * H) == expiry.Plan()
    assert expiry.plan([warned], NOW + 30 * H).destroy == (1,)


def test_extend_counts_from_the_later_of_now_and_the_expiry():
    assert expiry.extended(NOW + 10 * H, NOW, 7) == NOW + 10 * H + timedelta(days=7)
    assert expiry.extended(NOW - 10 * H, NOW, 1) == NOW + timedelta(days=1)
    with pytest.raises(errors.Conflict) as never:
        expiry.extended(None, NOW, 7, "shop/main")
    assert never.value.code == "NEVER_EXPIRES" and "shop/main never expires" in never.value.message
    for bad in (0, 366, -1, 1.5, True, "7"):
        with pytest.raises(errors.ValidationFailed):
            expiry.extended(NOW, NOW, bad)
