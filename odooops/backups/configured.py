"""The backup store a control plane uses, from its settings (ODOOOPS_BACKUP_*)."""
from __future__ import annotations

from pathlib import Path

from .s3store import S3Store
from .store import LocalStore, Store


def store_from_settings(settings) -> Store:
    """``s3://bucket/prefix`` → S3 (endpoint and keys from ODOOOPS_BACKUP_S3_*); a path, or
    nothing (``<state_dir>/backups``) → a local directory."""
    where = settings.backup_store or str(Path(settings.state_dir) / "backups")
    if where.startswith("s3://"):
        bucket, _, prefix = where[len("s3://"):].partition("/")
        return S3Store(bucket, prefix, endpoint_url=settings.backup_s3_endpoint or None,
                       access_key=settings.backup_s3_access_key or None,
                       secret_key=settings.backup_s3_secret_key or None, region=settings.backup_s3_region or None)
    return LocalStore(where)


def location(store: Store) -> str:
    """Where a store keeps its objects, for people (never with credentials)."""
    if isinstance(store, S3Store):
        return f"s3://{store.bucket}/{store.prefix}"
    return str(getattr(store, "root", store))
