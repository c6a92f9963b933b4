"""State machines of environments and deployments.

The allowed transitions live here (pure logic) so that the ORM, the jobs and
the reconciler all agree on them.
"""
from __future__ import annotations

from .errors import Conflict

TIERS = ("dev", "staging", "production", "preview")
TIER_PRIORITY = {"production": 0, "staging": 5, "preview": 10, "dev": 10}

ENVIRONMENT_STATES = ("draft", "provisioning", "deploying", "running", "stopped", "failed",
                      "destroying", "destroyed")
ENVIRONMENT_TRANSITIONS = {
    "draft": {"provisioning", "destroying"},
    "provisioning": {"deploying", "failed", "destroying"},
    "deploying": {"running", "failed"},
    "running": {"deploying", "stopped", "failed", "destroying"},
    "stopped": {"deploying", "destroying"},
    "failed": {"deploying", "provisioning", "destroying"},
    "destroying": {"destroyed", "failed"},
    "destroyed": set(),
}

DEPLOYMENT_KINDS = ("deploy", "rollback", "promote", "redeploy", "destroy", "clone", "restore", "migrate")
DEPLOYMENT_STATES = ("awaiting_approval", "queued", "running", "succeeded", "failed", "cancelled")
DEPLOYMENT_TRANSITIONS = {
    # A deployment held by a manual_approval gate (odooops_policy): approved → queued, rejected → cancelled.
    "awaiting_approval": {"queued", "cancelled"},
    "queued": {"running", "cancelled", "failed"},
    "running": {"succeeded", "failed"},
    "succeeded": set(),
    "failed": set(),
    "cancelled": set(),
}
# A deployment in one of these states keeps its environment busy: no other one may start.
ACTIVE_DEPLOYMENT_STATES = ("awaiting_approval", "queued", "running")


def _check(kind: str, table: dict, current: str, new: str) -> None:
    if new not in table.get(current, ()):
        allowed = sorted(table.get(current, ()))
        raise Conflict(f"{kind} cannot go from '{current}' to '{new}'",
                       details={"from": current, "to": new, "allowed": allowed},
                       remediation=(f"From '{current}' it can go to: {', '.join(allowed)}." if allowed
                                    else f"'{current}' is final."))


def check_environment_transition(current: str, new: str) -> None:
    _check("environment", ENVIRONMENT_TRANSITIONS, current, new)


def check_deployment_transition(current: str, new: str) -> None:
    _check("deployment", DEPLOYMENT_TRANSITIONS, current, new)
