"""Resource quotas per tier (FR-4.3) and a cap on live environments.

The defaults are the policy engine's (odooops/policy/defaults.py, the one place they
are written); a project's .odooops/policies.yaml may change them, and callers then pass
``quotas={tier: policy.quota(tier)}``.
"""
from __future__ import annotations

from .errors import QuotaExceeded
from .policy import DEFAULT, TIERS, Quota

__all__ = ["DEFAULT_QUOTAS", "Quota", "check", "check_count"]

DEFAULT_QUOTAS = {tier: DEFAULT.quota(tier) for tier in TIERS}


def check(tier: str, *, workers: int, cpu: float, memory_mb: int, quotas=None) -> None:
    quota = (quotas or DEFAULT_QUOTAS)[tier]
    over = {name: {"asked": asked, "quota": getattr(quota, name)}
            for name, asked in (("workers", workers), ("cpu", cpu), ("memory_mb", memory_mb))
            if asked > getattr(quota, name)}
    if over:
        rule = f"resource_quotas.{tier}"
        raise QuotaExceeded(f"the {tier} tier allows at most " + ", ".join(
            f"{v['quota']} {k}" for k, v in over.items()), details={"tier": tier, "quota": over, "rule": rule},
            remediation=f"Ask for less (see details.quota), or raise {rule} in the project's "
                        ".odooops/policies.yaml and apply it.")


def check_count(live: int, maximum: int) -> None:
    if live >= maximum:
        raise QuotaExceeded(f"{live} environments are live; the platform allows {maximum}",
                            details={"live": live, "maximum": maximum},
                            remediation="Destroy environments you no longer need (odooops env list), "
                                        "or raise ODOOOPS_MAX_ENVIRONMENTS.")
