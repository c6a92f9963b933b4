"""The policy of a project without .odooops/policies.yaml — the one place for every default.

Written in the file's own format, so it reads like a policy file and a loaded file is
simply merged over it. ``odooops.quotas`` and the control plane derive their defaults
from here (FR-4.3: "the code defaults that exist today become the schema's defaults").
"""
from __future__ import annotations

SCHEMA_VERSION = 1
TIERS = ("dev", "staging", "production", "preview")
ROLES = ("viewer", "developer", "admin")       # each role includes the ones before it
ACTIONS = ("create", "deploy", "promote", "rollback", "restore", "destroy", "approve", "shell")
GATE_TYPES = ("tests", "migrations", "smoke_tests", "manual_approval")
MAIL_MODES = ("catch", "send")
TTL_KEYS = ("dev_ephemeral", "dev_named", "preview", "staging", "production")
# Warnings a file may silence with ``acknowledge: [code]`` (lower case of Issue.code).
WARNING_CODES = ("production_auto_deploy", "production_ttl", "production_no_backups")

GATE_TIMEOUTS = {"tests": "30m", "migrations": "1h", "smoke_tests": "10m", "manual_approval": "7d"}
DEFAULT_APPROVERS = ("admin",)
DEFAULT_ENVIRONMENT = "{branch}"


def _permissions(tier: str) -> dict:
    if tier == "production":
        return {action: ["admin"] for action in ACTIONS}
    return {action: (["admin"] if action == "approve" else ["developer"]) for action in ACTIONS}


DEFAULTS = {
    "version": SCHEMA_VERSION,
    "branch_mappings": [],
    "health_gates": {tier: [] for tier in TIERS},
    "resource_quotas": {
        "dev": {"workers": 2, "cpu": 1, "memory": "2Gi", "storage": "10Gi"},
        "preview": {"workers": 2, "cpu": 1, "memory": "2Gi", "storage": "10Gi"},
        "staging": {"workers": 4, "cpu": 2, "memory": "4Gi", "storage": "50Gi"},
        "production": {"workers": 8, "cpu": 4, "memory": "8Gi", "storage": "100Gi"},
    },
    "ttl_policies": {"dev_ephemeral": "7d", "dev_named": "14d", "preview": "3d",
                     "staging": "never", "production": "never"},
    "permissions": {tier: _permissions(tier) for tier in TIERS},
    # Copies of production data into a lower tier are neutralized (no mail out, no crons
    # against real services); anonymizing is a choice the project makes.
    "clones": {"dev": {"neutralize": True, "anonymize": False},
               "preview": {"neutralize": True, "anonymize": False},
               "staging": {"neutralize": True, "anonymize": False},
               "production": {"neutralize": False, "anonymize": False}},
    # Same as odooops.backups.schedule.DEFAULT_MINUTES and retention.DEFAULT_POLICY.
    "backups": {"schedule": {"production": "1h", "staging": "1d", "dev": "never", "preview": "never"},
                "retention": {"daily": 7, "weekly": 4, "monthly": 3}},
    "github_integration": {"update_commit_status": True, "block_merge_on_failure": False,
                           "comment_on_pr": True, "api_url": "https://api.github.com"},
    # Outgoing mail per tier: "catch" sends it to the control plane's mail catcher (read it
    # with `odooops mail list`), "send" leaves the project's own mail servers in charge.
    "mail": {"dev": "catch", "preview": "catch", "staging": "catch", "production": "send"},
    "acknowledge": [],
}
