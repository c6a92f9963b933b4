"""What one environment stores (its database and its filestore), against its storage quota.

Cheap enough to ask before every deployment: one ``pg_database_size`` query and a walk
of the environment's filestore, which ``gc.disk`` caches for a minute here. Snapshots
and backups are not counted: they are the platform's (``odooops gc`` frees them).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import templates
from .drivers import postgres
from .errors import QuotaExceeded
from .gc import disk
from .gc.inventory import sizes

FILESTORE_CACHE_SECONDS = 60.0
UNITS = (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024), ("B", 1))


@dataclass(frozen=True)
class StorageUsed:
    database_bytes: int = 0
    filestore_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return self.database_bytes + self.filestore_bytes

    def to_dict(self) -> dict:
        return {"database_bytes": self.database_bytes, "filestore_bytes": self.filestore_bytes,
                "total_bytes": self.total_bytes}


def measure(pg: postgres.Server, filestore_root, database: str) -> StorageUsed:
    """The size of ``database`` (0 if it does not exist yet) and of its filestore."""
    rows = sizes(pg, "SELECT pg_database_size(oid) FROM pg_database WHERE datname = %s", [database])
    files = disk.usage(templates.filestore_dir(filestore_root, database), max_age=FILESTORE_CACHE_SECONDS)
    return StorageUsed(database_bytes=int(rows[0][0]) if rows else 0, filestore_bytes=files.bytes)


def measure_from_settings(config, database: str) -> StorageUsed:
    """``measure`` on the data plane that ``config`` (odooops.settings.Settings) describes."""
    pg = postgres.Server(config.pg_host, config.pg_port, config.pg_user, config.pg_password)
    return measure(pg, Path(config.state_dir) / "filestore", database)


def in_unit(size: int, unit: tuple[str, int], *, decimals: int = 1) -> str:
    value = f"{size / unit[1]:.{decimals}f}"
    return f"{value} {unit[0]}"


def unit_for(size: int) -> tuple[str, int]:
    """The largest binary unit that ``size`` fills at least once."""
    return next((u for u in UNITS if size >= u[1]), UNITS[-1])


def human(size: int) -> str:
    """``size`` bytes, e.g. '10 GiB', '1.5 MiB' (no trailing '.0')."""
    text = in_unit(size, unit_for(size))
    return text.replace(".0 ", " ")


def check(name: str, tier: str, used: StorageUsed, quota_bytes: int | None) -> None:
    """QuotaExceeded when ``used`` is over ``quota_bytes`` (None: no storage quota)."""
    if quota_bytes is None or used.total_bytes <= quota_bytes:
        return
    unit = unit_for(quota_bytes)    # every figure in the quota's unit: they read as one sum
    rule = f"resource_quotas.{tier}.storage"
    raise QuotaExceeded(
        f"{name} uses {in_unit(used.total_bytes, unit)} of its {human(quota_bytes)} storage quota "
        f"(database {in_unit(used.database_bytes, unit)}, filestore {in_unit(used.filestore_bytes, unit)})",
        details={"environment": name, "tier": tier, "rule": rule, "quota_bytes": quota_bytes, **used.to_dict()},
        remediation=f"Raise {rule} in the project's .odooops/policies.yaml and apply it, or make {name} smaller: "
                    "delete the attachments and records it no longer needs, then reclaim their space (VACUUM FULL "
                    "in its database). 'odooops gc' frees old snapshots and images, which do not count here.")
