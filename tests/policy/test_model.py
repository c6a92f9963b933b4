"""The effective policy: defaults, what a file changes, and the questions the control plane asks."""
import json
from pathlib import Path

import pytest
import yaml

from odooops import policy, quotas

FULL = Path(__file__).parent / "cases" / "valid" / "full.yaml"


def test_the_default_policy_is_the_agreed_table():
    d = policy.DEFAULT
    assert [(t, q.workers, q.cpu, q.memory_mb, q.storage_bytes // 2 ** 30)
            for t in policy.TIERS for q in [d.quota(t)]] == [
        ("dev", 2, 1.0, 2048, 10), ("staging", 4, 2.0, 4096, 50), ("production", 8, 4.0, 8192, 100),
        ("preview", 2, 1.0, 2048, 10)]
    assert d.quota("dev").max_environments is None and d.quota("dev").max_per_user is None
    day = 86400
    assert (d.ttl_seconds("dev"), d.ttl_seconds("dev", named=True), d.ttl_seconds("preview"),
            d.ttl_seconds("staging"), d.ttl_seconds("production")) == (7 * day, 14 * day, 3 * day, None, None)
    for action in policy.ACTIONS:
        assert d.roles_allowed("production", action) == ("admin",)
        for tier in ("dev", "staging", "preview"):
            assert d.roles_allowed(tier, action) == (("admin",) if action == "approve" else ("developer",))
    assert d.gates("production") == [] and d.mappings == () and d.mapping_for("main") is None
    assert d.clone_defaults("staging") == {"neutralize": True, "anonymize": False}
    assert [d.backup_schedule_minutes(t) for t in ("production", "staging", "dev", "preview")] == [60, 1440, 0, 0]
    assert d.backup_retention == {"daily": 7, "weekly": 4, "monthly": 3}
    assert d.github == {"update_commit_status": True, "block_merge_on_failure": False, "comment_on_pr": True,
                        "api_url": "https://api.github.com"}
    assert policy.load("").policy == d == policy.load(b"# nothing\n").policy


def test_quotas_module_derives_from_the_policy_defaults():
    assert quotas.DEFAULT_QUOTAS == {t: policy.DEFAULT.quota(t) for t in policy.TIERS}
    assert quotas.Quota is policy.Quota
    quotas.check("dev", workers=2, cpu=1.0, memory_mb=2048)
    with pytest.raises(quotas.QuotaExceeded, match="the dev tier allows at most 2 workers"):
        quotas.check("dev", workers=3, cpu=1.0, memory_mb=2048)
    custom = policy.load("resource_quotas: {dev: {workers: 3}}").policy
    quotas.check("dev", workers=3, cpu=1.0, memory_mb=2048, quotas={t: custom.quota(t) for t in policy.TIERS})


def test_a_file_changes_only_what_it_names():
    p = policy.load(FULL.read_text(), "policies.yaml").policy
    assert p.quota("dev") == policy.Quota(workers=1, cpu=0.5, memory_mb=1536, storage_bytes=5 * 2 ** 30,
                                          max_environments=20, max_per_user=3)
    assert p.quota("production") == policy.Quota(workers=8, cpu=6.0, memory_mb=12288, storage_bytes=100 * 2 ** 30)
    assert p.quota("staging") == policy.DEFAULT.quota("staging")
    assert p.ttl_seconds("preview") == 36 * 3600 and p.ttl_seconds("dev", named=True) == 30 * 86400
    assert p.roles_allowed("production", "destroy") == () and p.roles_allowed("production", "restore") == ("admin",)
    assert p.roles_allowed("staging", "destroy") == ("admin",) and p.roles_allowed("staging", "deploy") == ("developer",)
    assert p.roles_allowed("dev", "approve") == ("developer",)
    assert p.permission_rule("production", "deploy") == "permissions.production.deploy"
    assert p.clone_defaults("dev") == {"neutralize": True, "anonymize": True}
    assert p.clone_defaults("preview") == {"neutralize": True, "anonymize": False}
    assert p.backup_schedule_minutes("production") == 30 and p.backup_schedule_minutes("preview") == 0
    assert p.backup_retention == {"daily": 14, "weekly": 8, "monthly": 12}
    assert p.github["api_url"] == "https://github.example.com/api/v3" and p.github["comment_on_pr"] is False


def test_gates_with_their_defaults():
    p = policy.load(FULL.read_text()).policy
    tests, migrations = p.gates("staging")
    assert (tests.type, tests.required, tests.timeout, tests.command) == (
        "tests", True, 45 * 60, "odoo-bin -d $DB --test-tags /my_module --stop-after-init")
    assert (migrations.command, migrations.timeout, migrations.required) == (None, 3600, True)
    migrations, smoke, approval = p.gates("production")
    assert (smoke.required, smoke.timeout) == (False, 120)
    assert (approval.type, approval.approvers, approval.allow_author, approval.timeout) == (
        "manual_approval", ("admin",), False, 3 * 86400)
    assert p.gates("dev") == [] and p.gates("preview") == []


def test_to_dict_round_trips_and_is_itself_a_valid_file():
    for source in (FULL.read_text(), "", "branch_mappings: [{regex: 'v[0-9]+', tier: staging, ttl: never}]"):
        p = policy.load(source).policy
        data = p.to_dict()
        assert json.loads(json.dumps(data)) == data
        assert policy.Policy.from_dict(data) == p and policy.Policy.from_dict(data).to_dict() == data
        reloaded = policy.load(yaml.safe_dump(data))
        assert reloaded.ok and reloaded.policy == p


def test_to_dict_spells_values_one_way():
    a = policy.load("resource_quotas: {dev: {cpu: 1000m, memory: 2048Mi}}\nttl_policies: {preview: 72h}").policy
    assert a == policy.DEFAULT
    assert a.to_dict()["resource_quotas"]["dev"] == {"workers": 2, "cpu": 1, "memory": "2Gi", "storage": "10Gi"}


def test_unknown_tier_or_action_is_a_programming_error():
    with pytest.raises(ValueError, match="no tier 'prod'"):
        policy.DEFAULT.quota("prod")
    with pytest.raises(ValueError, match="no action 'ship'"):
        policy.DEFAULT.roles_allowed("dev", "ship")
