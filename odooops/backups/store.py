"""Where backups are kept: one interface, a local directory or an S3 bucket (``S3Store``).

Objects are written in one pass from a stream (a pipe from pg_dump, a tar being
written), hashed on the way, and appear under their key only once complete: an
interrupted write leaves nothing that looks like a finished object.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import time
import uuid
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import ValidationFailed
from .errors import ObjectMissing, StorageError

CHUNK = 1024 * 1024
# <segment>/<segment>/…, each starting with a letter or digit: no "..", no hidden names, no "/" at either end.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_PREFIX = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*/)*([A-Za-z0-9][A-Za-z0-9._-]*)?$")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str


def check_key(key: str) -> str:
    if not isinstance(key, str) or len(key) > 900 or not _KEY.match(key):
        raise ValidationFailed(f"not a valid backup object key: {key!r}", details={"key": key},
                               remediation="Use path segments of letters, digits, '.', '_' and '-', joined by '/'.")
    return key


def check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or len(prefix) > 900 or not _PREFIX.match(prefix):
        raise ValidationFailed(f"not a valid backup key prefix: {prefix!r}", details={"prefix": prefix})
    return prefix


def read_full(stream, size: int) -> bytes:
    """Up to ``size`` bytes: pipes return short reads, this keeps reading until full or EOF."""
    chunks, missing = [], size
    while missing > 0:
        chunk = stream.read(min(missing, CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


class Store(ABC):
    """Backup storage. Keys are relative ("<environment>/<backup id>/dump.pgdump")."""

    @abstractmethod
    def put(self, key: str, stream) -> StoredObject:
        """Write everything ``stream.read()`` returns under ``key``, in one pass; the object
        exists only if this returns. Its size and sha256 are computed on the way."""

    @abstractmethod
    def get(self, key: str):
        """A readable binary stream of the object (close it); ObjectMissing when there is none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; nothing happens when there is none."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Every complete object's key that starts with ``prefix``, sorted."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        ...

    def check(self) -> None:
        """Raise the typed error now when this storage cannot be used (before hours of work)."""
        self.list("")

    def cleanup_incomplete(self, older_than_seconds: float) -> int:
        """Remove what interrupted writes left behind (crashes); returns how many."""
        return 0

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        return self.put(key, io.BytesIO(data))

    def get_bytes(self, key: str) -> bytes:
        with self.get(key) as stream:
            return stream.read()


class LocalStore(Store):
    """A directory: objects are files; a write goes to ``.incoming/`` and is renamed into place."""

    def __init__(self, directory):
        self.root = Path(directory).resolve()
        self.incoming = self.root / ".incoming"
        try:
            self.incoming.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot use {self.root} for backups: {exc.strerror}",
                               details={"directory": str(self.root)},
                               remediation="Create the directory and make it writable by the control plane.") from None

    def __repr__(self):
        return f"LocalStore({str(self.root)!r})"

    def check(self) -> None:
        if not os.access(self.incoming, os.W_OK | os.X_OK):
            raise StorageError(f"cannot write backups into {self.root}", details={"directory": str(self.root)},
                               remediation="Make the directory writable by the control plane.")

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, stream) -> StoredObject:
        target = self._path(key)
        partial = self.incoming / f"{uuid.uuid4().hex}.partial"
        digest, size = hashlib.sha256(), 0
        try:
            with self._writing(key):
                out = open(partial, "wb")
            with out:
                while chunk := stream.read(CHUNK):      # the producer's own errors pass through as they are
                    digest.update(chunk)
                    size += len(chunk)
                    with self._writing(key):
                        out.write(chunk)
                with self._writing(key):
                    out.flush()
                    os.fsync(out.fileno())
            with self._writing(key):
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(partial, target)         # atomic: the key appears complete or not at all
        finally:
            partial.unlink(missing_ok=True)
        return StoredObject(key, size, digest.hexdigest())

    @contextmanager
    def _writing(self, key: str):
        try:
            yield
        except OSError as exc:
            raise StorageError(f"cannot write backup object {key} under {self.root}: {exc.strerror or exc}",
                               details={"key": key, "directory": str(self.root)}) from None

    def get(self, key: str):
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise ObjectMissing(f"no backup object {key} in {self.root}", details={"key": key}) from None

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # Empty folders of a deleted backup go too; the root stays.
        for parent in path.parents:
            if parent == self.root or not parent.is_relative_to(self.root):
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def list(self, prefix: str = "") -> list[str]:
        check_prefix(prefix)
        keys = []
        # Only the folder the prefix names is walked, not every environment's backups.
        for folder, dirs, files in os.walk(self.root / prefix.rpartition("/")[0]):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            relative = Path(folder).relative_to(self.root)
            keys += [(relative / name).as_posix() for name in files if not name.startswith(".")]
        return sorted(k for k in keys if k.startswith(prefix))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def cleanup_incomplete(self, older_than_seconds: float) -> int:
        removed = 0
        for partial in self.incoming.glob("*.partial"):
            try:
                if time.time() - partial.stat().st_mtime > older_than_seconds:
                    partial.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed


from .s3store import S3Store  # noqa: E402  (the second implementation, in its own module)

__all__ = ["Store", "LocalStore", "S3Store", "StoredObject", "check_key", "read_full"]
