"""Typed errors of backups and restores (the API error format of ``odooops.errors``)."""
from __future__ import annotations

from ..errors import NotFound, OdooOpsError


class StorageError(OdooOpsError):
    code = "BACKUP_STORAGE_ERROR"
    http_status = 502
    remediation = "Check that the backup storage (endpoint, bucket or directory) is reachable and writable."


class StorageAccessDenied(StorageError):
    code = "BACKUP_STORAGE_ACCESS_DENIED"
    remediation = ("Check the access key and secret key, and that they may list, read, write and delete "
                   "objects in the bucket (and abort multipart uploads).")


class StorageBucketMissing(StorageError):
    code = "BACKUP_STORAGE_BUCKET_MISSING"
    remediation = "Create the bucket, or fix its name, endpoint and region in the backup settings."


class ObjectMissing(NotFound):
    code = "BACKUP_OBJECT_MISSING"
    remediation = "The backup storage lost an object of this backup: restore another backup."


class BackupNotFound(NotFound):
    code = "BACKUP_NOT_FOUND"
    remediation = "List the environment's backups and use one of their ids."


class BackupCorrupted(OdooOpsError):
    code = "BACKUP_CORRUPTED"
    http_status = 422
    remediation = "Nothing was changed. Restore another backup; this one no longer matches its manifest."


class BackupFailed(OdooOpsError):
    code = "BACKUP_FAILED"
    http_status = 502
    remediation = "Nothing was kept of this attempt; details has the tool's output. Fix the cause and back up again."


class RestoreFailed(OdooOpsError):
    code = "RESTORE_FAILED"
    http_status = 502
    remediation = ("The database and filestore were left as they were; details has the tool's output. "
                   "Fix the cause and restore again.")


class ToolMissing(OdooOpsError):
    code = "PG_TOOL_MISSING"
    http_status = 500
    remediation = "Set ODOOOPS_PG_BINDIR to the bin directory of PostgreSQL 18 (it holds pg_dump and pg_restore)."
