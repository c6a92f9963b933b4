"""A backup's manifest, and where a backup's objects live in the store.

A backup of environment ``E`` with id ``I`` is three objects::

    E/I/dump.pgdump      pg_dump -Fc of the database
    E/I/filestore.tar    the filestore, a plain tar
    E/I/manifest.json    this manifest, written last

A backup is complete if and only if its manifest exists: the manifest carries the
size and sha256 of the two others, so a restore can refuse anything that changed.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone

from ..errors import ValidationFailed
from .errors import BackupCorrupted

FORMAT_VERSION = 1
MANIFEST, DUMP, FILESTORE = "manifest.json", "dump.pgdump", "filestore.tar"
# A UTC timestamp to the millisecond, then randomness: ids sort by time, and two backups in
# one second (a scheduled one, then one by hand) still know which is the newer. Ids made
# before milliseconds (…T101500Z-…) stay valid.
_ID = re.compile(r"^(\d{8}T\d{6}(?:\.\d{3})?Z)-([0-9a-f]{6})$")
_ENVIRONMENT_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,127}$")


def new_id(now: datetime) -> str:
    moment = utc(now)
    return f"{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValidationFailed(f"a time without a timezone is ambiguous: {moment!r}",
                               remediation="Pass an aware datetime, e.g. datetime.now(timezone.utc).")
    return moment.astimezone(timezone.utc)


def check_id(backup_id: str) -> str:
    if not isinstance(backup_id, str) or not _ID.match(backup_id):
        raise ValidationFailed(f"not a backup id: {backup_id!r}", details={"backup_id": backup_id},
                               remediation="A backup id looks like 20261126T101500.042Z-3fa9c1; list the backups to get one.")
    return backup_id


def short_id(backup_id: str) -> str:
    """The random part of an id: enough to name a restore's temporary database."""
    return _ID.match(check_id(backup_id)).group(2)


def created_at_of(backup_id: str) -> datetime:
    stamp = _ID.match(check_id(backup_id)).group(1)
    return datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ" if "." in stamp else "%Y%m%dT%H%M%SZ").replace(
        tzinfo=timezone.utc)


def check_environment_key(key: str) -> str:
    if not isinstance(key, str) or not _ENVIRONMENT_KEY.match(key):
        raise ValidationFailed(f"not an environment key: {key!r}", details={"environment_key": key},
                               remediation="Use the environment's key (its database name, e.g. acme__main).")
    return key


def object_key(environment_key: str, backup_id: str, name: str) -> str:
    return f"{check_environment_key(environment_key)}/{check_id(backup_id)}/{name}"


def id_from_manifest_key(key: str) -> str | None:
    """The backup id of ``<environment>/<id>/manifest.json``; None for any other key."""
    parts = key.split("/")
    if len(parts) == 3 and parts[2] == MANIFEST and _ID.match(parts[1]):
        return parts[1]
    return None


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class StoredFilestore(StoredFile):
    files: int = 0


@dataclass(frozen=True)
class Manifest:
    id: str
    environment_key: str
    database: str
    created_at: datetime
    dump: StoredFile
    filestore: StoredFilestore
    database_size: int
    odoo_version: str = ""
    modules: dict = field(default_factory=dict)       # technical name → installed version
    description: str = ""
    format_version: int = FORMAT_VERSION

    @property
    def key(self) -> str:
        return object_key(self.environment_key, self.id, MANIFEST)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["created_at"] = utc(self.created_at).isoformat()
        return data

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True).encode()

    @classmethod
    def from_dict(cls, data: dict) -> "Manifest":
        try:
            if data["format_version"] > FORMAT_VERSION:
                raise BackupCorrupted(f"backup {data.get('id')} was written by a newer OdooOps "
                                      f"(manifest format {data['format_version']})",
                                      remediation="Upgrade OdooOps to restore it.")
            known = {f.name for f in fields(cls)}       # fields a later minor version added are ignored
            data = {name: value for name, value in data.items() if name in known}
            manifest = cls(**{**data, "created_at": datetime.fromisoformat(data["created_at"]),
                              "dump": StoredFile(**data["dump"]), "filestore": StoredFilestore(**data["filestore"])})
            check_id(manifest.id)
            check_environment_key(manifest.environment_key)
            return manifest
        except (KeyError, TypeError, ValueError, ValidationFailed) as exc:
            raise BackupCorrupted(f"unreadable backup manifest: {exc}", details={"manifest": data}) from None

    @classmethod
    def from_json(cls, raw: bytes, key: str = "") -> "Manifest":
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BackupCorrupted(f"backup manifest {key} is not JSON: {exc}", details={"key": key}) from None
        if not isinstance(data, dict):
            raise BackupCorrupted(f"backup manifest {key} is not a JSON object", details={"key": key})
        return cls.from_dict(data)
