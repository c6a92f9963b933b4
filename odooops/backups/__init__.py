"""Backups of an environment (database + filestore) streamed to storage, verified
restores, and retention. Plain Python: pg_dump/pg_restore, tarfile and boto3."""
from .backup import backup, installed_modules
from .manifest import Manifest
from .restore import load_manifest, restore
from .retention import DEFAULT_POLICY, ListedBackup, Policy, apply, expiries, list_backups, plan
from .store import LocalStore, S3Store, Store, StoredObject
