"""Resource quotas per tier (FR-4.3's defaults) and a cap on live environments.

The policy engine will load these from .odooops/policies.yaml; until a project
has a policy, these defaults apply.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import QuotaExceeded


@dataclass(frozen=True)
class Quota:
    workers: int
    cpu: float
    memory_mb: int


DEFAULT_QUOTAS = {
    "dev": Quota(workers=2, cpu=1.0, memory_mb=2048),
    "preview": Quota(workers=2, cpu=1.0, memory_mb=2048),
    "staging": Quota(workers=4, cpu=2.0, memory_mb=4096),
    "production": Quota(workers=8, cpu=4.0, memory_mb=8192),
}


def check(tier: str, *, workers: int, cpu: float, memory_mb: int, quotas=None) -> None:
    quota = (quotas or DEFAULT_QUOTAS)[tier]
    over = {name: {"asked": asked, "quota": getattr(quota, name)}
            for name, asked in (("workers", workers), ("cpu", cpu), ("memory_mb", memory_mb))
            if asked > getattr(quota, name)}
    if over:
        raise QuotaExceeded(f"the {tier} tier allows at most " + ", ".join(
            f"{v['quota']} {k}" for k, v in over.items()), details={"tier": tier, "quota": over})


def check_count(live: int, maximum: int) -> None:
    if live >= maximum:
        raise QuotaExceeded(f"{live} environments are live; the platform allows {maximum}",
                            details={"live": live, "maximum": maximum},
                            remediation="Destroy environments you no longer need (odooops env list), "
                                        "or raise ODOOOPS_MAX_ENVIRONMENTS.")
